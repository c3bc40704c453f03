/**
 * `run`, `demo` and `verify`: the commands most people use.
 */
import { Command } from 'commander';
import type { Visibility } from '../circuit/build-circuit.js';
import { fileURLToPath } from 'node:url';
import { runPipeline, RunResult } from '../pipeline.js';
import { verifyBundle, VerifyReport } from '../verify/verify-bundle.js';
import type { ChainTarget } from '../chain/verify-on-chain.js';
import { isClaimFile, verifyClaimCommand } from './claim-verify.js';
import { intOption, printJson, visibilityOption } from './options.js';

const SHIPPED_MODEL = fileURLToPath(new URL('../../../models/digits-mlp.onnx', import.meta.url));
const SHIPPED_SAMPLE = fileURLToPath(new URL('../../../models/samples/digit-3.json', import.meta.url));

function runSummary(r: RunResult) {
  return {
    prediction: r.bundle.prediction,
    output: r.bundle.output.values,
    constraints: r.circuit.nConstraints,
    bundle: r.bundlePath,
    verified: r.verification.valid,
    modelId: r.circuit.modelId,
    setup: r.setup.kind,
    buildDir: r.buildDir,
    fidelity: r.bundle.fidelity ? { floatPrediction: r.bundle.fidelity.floatPrediction, maxAbsError: r.bundle.fidelity.maxAbsError } : undefined,
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
    onStage: stage,
  });
  if (flags.json) printJson(runSummary(r));
  else {
    const fid = r.bundle.fidelity;
    process.stdout.write(`\nprediction ${r.bundle.prediction}  output [${r.bundle.output.values.map((v) => v.toFixed(3)).join(', ')}]\n`);
    if (fid) process.stdout.write(`float model (onnxruntime) predicts ${fid.floatPrediction}; max |quantized − float| = ${fid.maxAbsError.toFixed(4)}\n`);
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
  if (json) {
    printJson(report);
    return;
  }
  for (const c of report.checks) process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'} ${c.check.padEnd(16)} ${c.detail}\n`);
  if (report.chain?.deployed) process.stdout.write(`deployed verifier at ${report.chain.address}\n`);
  for (const w of report.warnings) process.stderr.write(`warning: ${w}\n`);
  if (report.vkeySource === 'bundle') process.stderr.write('note: checked against the verification key inside the bundle; pass --vkey FILE to pin a known model\n');
  process.stdout.write(report.valid ? `VALID: prediction ${report.prediction}\n` : `INVALID: ${report.failed} check failed\n`);
}

interface VerifyFlags {
  vkey?: string;
  input?: string;
  requireTrustedSetup?: boolean;
  json?: boolean;
  chain?: boolean;
  rpc?: string;
  address?: string;
  privateKey?: string;
}

/** Registers run, demo and verify. */
export function registerRunCommands(p: Command): void {
  const withRunFlags = (c: Command) =>
    c
      .option('--out <dir>', 'build directory for artifacts and the bundle')
      .option('--calibration <file>', 'calibration inputs {"inputs": [...]} for choosing scales')
      .option('--ptau <file>', 'powers-of-tau file for a non-dev setup')
      .option('--weight-bits <n>', 'bits per weight', intOption('--weight-bits'))
      .option('--activation-bits <n>', 'bits per activation', intOption('--activation-bits'))
      .addOption(visibilityOption('input'))
      .addOption(visibilityOption('output'))
      .option('--json', 'print one JSON object');

  withRunFlags(
    p.command('run <model>')
      .description('quantize, compile, set up, prove and verify one inference')
      .requiredOption('--input <file>', 'input: JSON array, {"input": [...]}, or ONNX TensorProto .pb'),
  )
    .addHelpText('after', '\nExample:\n  zkinfer run models/digits-mlp.onnx --input models/samples/digit-3.json --out build/digits --json')
    .action(runAndPrint);

  withRunFlags(p.command('demo').description('prove the shipped digits MLP on a shipped sample, showing each stage'))
    .addHelpText('after', '\nExample:\n  zkinfer demo')
    .action(async (flags: Omit<RunFlags, 'input'>) => {
      if (!flags.json) process.stdout.write(`zkinfer demo: ${SHIPPED_MODEL} on ${SHIPPED_SAMPLE}\n\n`);
      await runAndPrint(SHIPPED_MODEL, { ...flags, input: SHIPPED_SAMPLE, out: flags.out ?? 'build/demo' });
    });

  p.command('verify <bundle>')
    .description('check a proof bundle: exit 0 valid, 1 invalid, 2 unreadable')
    .option('--vkey <file>', 'trusted verification key (default: the one inside the bundle)')
    .option('--input <file>', 'the input the prover says it used: checked against the input commitment')
    .option('--require-trusted-setup', 'treat dev-setup keys as invalid')
    .option('--chain', 'also verify with the Solidity verifier on an embedded EVM')
    .option('--rpc <url>', 'also verify on a JSON-RPC node (deploys the verifier unless --address)')
    .option('--address <addr>', 'an already deployed verifier (with --rpc)')
    .option('--private-key <key>', 'key that deploys the verifier (with --rpc; default: the node\'s unlocked account)')
    .option('--json', 'print one JSON object naming every check')
    .addHelpText('after', '\nExample:\n  zkinfer verify build/digits/proofs/digit-3.proof.json --vkey build/digits/vkey.json --input models/samples/digit-3.json')
    .action(async (bundle: string, flags: VerifyFlags) => {
      if (isClaimFile(bundle)) return verifyClaimCommand(bundle, flags);
      const chain: ChainTarget | undefined = flags.rpc
        ? { kind: 'rpc', url: flags.rpc, address: flags.address, privateKey: flags.privateKey ?? process.env['ZKINFER_PRIVATE_KEY'] }
        : flags.chain ? { kind: 'embedded' } : undefined;
      const report = await verifyBundle({ bundlePath: bundle, vkeyPath: flags.vkey, inputPath: flags.input, requireTrustedSetup: flags.requireTrustedSetup, chain });
      printReport(report, flags.json ?? false);
      if (!report.valid) process.exitCode = report.failed === 'format' ? 2 : 1;
    });
}
