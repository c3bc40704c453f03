/**
 * `run`, `demo` and `verify`: the commands most people use.
 */
import { Command } from 'commander';
import type { Visibility } from '../compile/build-circuit.js';
import { fileURLToPath } from 'node:url';
import { runPipeline, RunResult } from '../pipeline.js';
import type { VerifyReport } from '../verify/verify-bundle.js';
import { verifyBundleWithChain } from '../chain/verify-bundle-on-chain.js';
import type { ChainTarget } from '../verify/chain-check.js';
import { isClassScoreVector } from '../quantize/quantized-model.js';
import { isClaimFile, verifyClaimCommand } from './claim-verify.js';
import { intOption, printJson, visibilityOption } from './options.js';

const SHIPPED_MODEL = fileURLToPath(new URL('../../../models/digits-mlp.onnx', import.meta.url));
const SHIPPED_SAMPLE = fileURLToPath(new URL('../../../models/samples/digit-3.json', import.meta.url));

function runSummary(r: RunResult) {
  const scores = isClassScoreVector(r.settings.quantization.output.shape);
  return {
    // A prediction (argmax) only means something for a vector of class scores.
    ...(scores
      ? { prediction: r.verification.prediction }
      : {
          predictionOmitted: `the output of shape ${JSON.stringify(r.settings.quantization.output.shape)} is not a vector of class scores`,
        }),
    output: r.verification.output,
    softmax: r.bundle.output.softmax,
    floatOutput: r.bundle.fidelity?.floatOutput,
    clamped: r.bundle.input.clamped,
    opening: r.openingPath,
    constraints: r.circuit.nConstraints,
    bundle: r.bundlePath,
    verified: r.verification.valid,
    modelId: r.circuit.modelId,
    setup: r.setup.kind,
    buildDir: r.buildDir,
    fidelity: r.bundle.fidelity
      ? { floatPrediction: r.bundle.fidelity.floatPrediction, maxAbsError: r.bundle.fidelity.maxAbsError }
      : undefined,
    timings: r.timings,
  };
}

interface RunFlags {
  input: string;
  out?: string;
  json?: boolean;
  calibration?: string;
  ptau?: string;
  weightBits?: number;
  activationBits?: number;
  inputVisibility?: Visibility;
  outputVisibility?: Visibility;
  strictRange?: boolean;
}

async function runAndPrint(model: string, flags: RunFlags): Promise<void> {
  const stage = flags.json ? undefined : (name: string, s: string) => process.stdout.write(`${name.padEnd(9)} ${s}\n`);
  const r = await runPipeline({
    modelPath: model,
    inputPath: flags.input,
    outDir: flags.out,
    calibrationPath: flags.calibration,
    ptauPath: flags.ptau,
    weightBits: flags.weightBits,
    activationBits: flags.activationBits,
    inputVisibility: flags.inputVisibility,
    outputVisibility: flags.outputVisibility,
    strictRange: flags.strictRange ?? false,
    onStage: stage,
  });
  if (flags.json) printJson(runSummary(r));
  else {
    const fid = r.bundle.fidelity;
    const shown = r.verification.output ?? r.bundle.output.values ?? [];
    const pred = isClassScoreVector(r.settings.quantization.output.shape)
      ? `prediction ${r.verification.prediction ?? r.bundle.prediction}  `
      : '(no prediction: the output is not a vector of class scores)  ';
    process.stdout.write(`\n${pred}output [${shown.map((v) => v.toFixed(3)).join(', ')}]\n`);
    if (r.bundle.input.clamped > 0)
      process.stderr.write(
        `warning: ${r.bundle.input.clamped} input value(s) outside the quantized range were clamped (--strict-range refuses such inputs)\n`,
      );
    if (fid)
      process.stdout.write(
        `float model (onnxruntime) predicts ${fid.floatPrediction}; max |quantized − float| = ${fid.maxAbsError.toFixed(4)}\n`,
      );
    for (const w of r.verification.warnings) process.stdout.write(`warning: ${w}\n`);
  }
  if (!r.verification.valid) process.exitCode = 1;
}

function printReport(report: VerifyReport, json: boolean): void {
  if (report.failed === 'format') {
    // A malformed bundle is a user error (exit 2): one line on stderr, like every other one.
    const detail = report.checks.find((c) => c.check === 'format')?.detail ?? 'malformed proof bundle';
    process.stderr.write(`zkinfer: ${detail.split('\n')[0]}\n`);
    if (json) printJson(report);
    return;
  }
  // Exit 1, like exit 2, says on one stderr line what failed; the full report goes to stdout.
  const failure = report.checks.find((c) => !c.ok);
  if (failure)
    process.stderr.write(`zkinfer: invalid: ${failure.check} check failed: ${failure.detail.split('\n')[0]}\n`);
  if (json) {
    printJson(report);
    return;
  }
  for (const c of report.checks)
    process.stdout.write(`${!c.ok ? 'FAIL' : c.unverified ? 'WARN' : 'ok  '} ${c.check.padEnd(16)} ${c.detail}\n`);
  if (report.chain?.deployed) process.stdout.write(`deployed verifier at ${report.chain.address}\n`);
  if (report.unverified.length > 0)
    process.stdout.write(`unverified (the prover's word): ${report.unverified.join(', ')}\n`);
  for (const w of report.warnings) process.stderr.write(`warning: ${w}\n`);
  const what =
    report.prediction !== undefined ? `prediction ${report.prediction}` : 'output hashed (pass --opening to see it)';
  if (report.valid && !report.pinned) {
    process.stdout.write(
      `VALID PROOF, UNPINNED KEY: ${what} — proven with the key inside the bundle; which model and setup that key belongs to is NOT verified\n`,
    );
  } else {
    process.stdout.write(
      report.valid
        ? `VALID: ${what}; model ${report.modelId?.slice(0, 16)}…\n`
        : `INVALID: ${report.failed} check failed\n`,
    );
  }
}

interface VerifyFlags {
  vkey?: string;
  vkeyHash?: string;
  allowUnpinned?: boolean;
  input?: string;
  opening?: string;
  requireTrustedSetup?: boolean;
  minContributions?: number;
  trustPtau?: string[];
  model?: string;
  settings?: string;
  ceremony?: string;
  json?: boolean;
  chain?: boolean;
  rpc?: string;
  address?: string;
  privateKey?: string;
}

/** The options `run` and `demo` share. */
function withRunFlags(c: Command): Command {
  return c
    .option('--out <dir>', 'build directory for artifacts and the bundle')
    .option('--calibration <file>', 'calibration inputs {"inputs": [...]} for choosing scales')
    .option('--ptau <file>', 'powers-of-tau file for a non-dev setup')
    .option('--weight-bits <n>', 'bits per weight', intOption('--weight-bits'))
    .option('--activation-bits <n>', 'bits per activation', intOption('--activation-bits'))
    .addOption(visibilityOption('input'))
    .addOption(visibilityOption('output'))
    .option('--strict-range', 'refuse inputs with values outside the quantized input range instead of clamping them')
    .option('--json', 'print one JSON object');
}

/** Registers run, demo and verify. */
export function registerRunCommands(p: Command): void {
  withRunFlags(
    p
      .command('run <model>')
      .description('quantize, compile, set up, prove and verify one inference')
      .requiredOption('--input <file>', 'input: JSON array, {"input": [...]}, or ONNX TensorProto .pb'),
  )
    .addHelpText(
      'after',
      '\nExample:\n  zkinfer run models/digits-mlp.onnx --input models/samples/digit-3.json --out build/digits --json',
    )
    .action(runAndPrint);

  withRunFlags(p.command('demo').description('prove the shipped digits MLP on a shipped sample, showing each stage'))
    .addHelpText('after', '\nExample:\n  zkinfer demo')
    .action(async (flags: Omit<RunFlags, 'input'>) => {
      if (!flags.json) process.stdout.write(`zkinfer demo: ${SHIPPED_MODEL} on ${SHIPPED_SAMPLE}\n\n`);
      await runAndPrint(SHIPPED_MODEL, { ...flags, input: SHIPPED_SAMPLE, out: flags.out ?? 'build/demo' });
    });

  registerVerify(p);
}

function registerVerify(p: Command): void {
  p.command('verify <bundle>')
    .description('check a proof bundle: exit 0 valid, 1 invalid, 2 unreadable')
    .option('--vkey <file>', "pin the model owner's verification key (vkey.json)")
    .option('--vkey-hash <hex>', 'pin a published verification-key hash (sha256 of the canonical vkey.json)')
    .option(
      '--allow-unpinned',
      'check the proof with the key inside the bundle when no pin applies (model id and setup stay unverified)',
    )
    .option(
      '--input <file>',
      'the input the prover says it used: checked against the public input or, with --opening, the input commitment',
    )
    .option('--opening <file>', 'the opening written next to the bundle: opens hashed inputs and outputs')
    .option(
      '--require-trusted-setup',
      'accept only pinned keys from a verified multi-party ceremony on a recognised powers of tau',
    )
    .option(
      '--min-contributions <n>',
      'phase-2 contributions a trusted key needs (default 2)',
      intOption('--min-contributions'),
    )
    .option(
      '--trust-ptau <fileOrHash...>',
      'also recognise this powers-of-tau file or blake2b-512 hash (a file also lets --model rebuild α, β, IC)',
    )
    .option('--model <onnx>', 'recompile this ONNX model (with --settings) and check the model id')
    .option('--settings <file>', "the model owner's settings.json (default: settings.json beside --model)")
    .option(
      '--ceremony <file>',
      'the ceremony transcript (.json) or final .zkey: the key must come from it, for the recompiled r1cs',
    )
    .option('--chain', 'also verify with the Solidity verifier on an embedded EVM')
    .option('--rpc <url>', 'also verify on a JSON-RPC node (deploys the verifier unless --address)')
    .option('--address <addr>', 'an already deployed verifier (with --rpc)')
    .option('--private-key <key>', "key that deploys the verifier (with --rpc; default: the node's unlocked account)")
    .option('--json', 'print one JSON object naming every check')
    .addHelpText(
      'after',
      '\nExamples:\n  zkinfer verify build/digits/proofs/digit-3.proof.json --vkey build/digits/vkey.json\n  zkinfer verify build/digits/proofs/digit-3.proof.json --vkey build/digits/vkey.json --input models/samples/digit-3.json --opening build/digits/proofs/digit-3.opening.json\n  zkinfer keys add build/digits/vkey.json --name digits && zkinfer verify build/digits/proofs/digit-3.proof.json\n  zkinfer verify BUNDLE --vkey vkey.json --model model.onnx --settings settings.json --require-trusted-setup --trust-ptau powersOfTau28_hez_final_12.ptau',
    )
    .action(async (bundle: string, flags: VerifyFlags) => {
      if (isClaimFile(bundle)) return verifyClaimCommand(bundle, flags);
      const chain: ChainTarget | undefined = flags.rpc
        ? {
            kind: 'rpc',
            url: flags.rpc,
            address: flags.address,
            privateKey: flags.privateKey ?? process.env['ZKINFER_PRIVATE_KEY'],
          }
        : flags.chain
          ? { kind: 'embedded' }
          : undefined;
      const report = await verifyBundleWithChain({
        bundlePath: bundle,
        vkeyPath: flags.vkey,
        vkeyHash: flags.vkeyHash,
        allowUnpinned: flags.allowUnpinned ?? false,
        inputPath: flags.input,
        openingPath: flags.opening,
        requireTrustedSetup: flags.requireTrustedSetup ?? false,
        chain,
        minContributions: flags.minContributions,
        trustPtau: flags.trustPtau,
        modelPath: flags.model,
        settingsPath: flags.settings,
        ceremonyPath: flags.ceremony,
      });
      printReport(report, flags.json ?? false);
      if (!report.valid) process.exitCode = report.failed === 'format' ? 2 : 1;
    });
}
