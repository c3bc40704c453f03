/**
 * `run`, `demo` and `verify`: the commands most people use.
 */
import { Command } from 'commander';
import type { Visibility } from '../compile/build-circuit.js';
import { fileURLToPath } from 'node:url';
import { runPipeline, RunResult } from '../pipeline.js';
import { artifactPath } from '../formats/paths.js';
import { isClassScoreVector } from '../quantize/quantized-model.js';
import { registerVerify } from './verify-command.js';
import { intOption, limbBitsOption, printJson, proofSystemOption, visibilityOption, weightsOption } from './options.js';
import type { ProofSystem } from '../formats/circuit.js';
import type { WeightsMode } from '../formats/hashed-weights.js';
import { describeSetup, keyReplacementNotice } from '../setup/existing-keys.js';
import { resolvePtauArg } from '../setup/ptau/ptau-cache.js';
import { info, warn } from './output.js';

const SHIPPED_MODEL = fileURLToPath(new URL('../../../models/digits-mlp.onnx', import.meta.url));
const SHIPPED_SAMPLE = fileURLToPath(new URL('../../../models/samples/digit-3.json', import.meta.url));

function runSummary(r: RunResult) {
  const fid = r.bundle.fidelity;
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
    floatOutput: fid && 'floatOutput' in fid ? fid.floatOutput : undefined,
    clamped: r.bundle.input.clamped,
    opening: r.openingPath,
    constraints: r.circuit.nConstraints,
    proofSystem: r.circuit.proofSystem ?? 'groth16',
    bundle: r.bundlePath,
    valid: r.verification.valid,
    modelId: r.circuit.modelId,
    // Hashed weights: the model id names the architecture; W (weights.json) names the weights.
    ...(r.weightsCommitment ? { weightsCommitment: r.weightsCommitment } : {}),
    setup: r.setup.kind,
    // Whether this run made keys, kept the build's (same circuit) or replaced them (--force).
    keys: r.keys,
    buildDir: r.buildDir,
    // The float check, or why it could not run (onnxruntime refused the model).
    fidelity: !fid
      ? undefined
      : 'unavailable' in fid
        ? { unavailable: fid.unavailable }
        : { floatPrediction: fid.floatPrediction, maxAbsError: fid.maxAbsError },
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
  weights?: WeightsMode;
  inputVisibility?: Visibility;
  outputVisibility?: Visibility;
  proofSystem?: ProofSystem;
  limbBits?: number;
  strictRange?: boolean;
  force?: boolean;
  requireFloatCheck?: boolean;
}

async function runAndPrint(model: string, flags: RunFlags): Promise<RunResult> {
  // Stage lines are progress: stderr, silenced by --quiet and --json.
  const stage = flags.json ? undefined : (name: string, s: string) => info(`${name.padEnd(9)} ${s}`);
  const r = await runPipeline({
    modelPath: model,
    inputPath: flags.input,
    outDir: flags.out,
    calibrationPath: flags.calibration,
    ptauPath: flags.ptau === undefined ? undefined : resolvePtauArg(flags.ptau),
    force: flags.force ?? false,
    weightBits: flags.weightBits,
    activationBits: flags.activationBits,
    weights: flags.weights,
    inputVisibility: flags.inputVisibility,
    outputVisibility: flags.outputVisibility,
    proofSystem: flags.proofSystem,
    limbBits: flags.limbBits,
    strictRange: flags.strictRange ?? false,
    requireFloatCheck: flags.requireFloatCheck ?? false,
    onStage: stage,
  });
  const fid = r.bundle.fidelity;
  if (fid && 'unavailable' in fid) warn(`float check unavailable: ${fid.unavailable}`);
  for (const w of r.warnings) warn(w);
  if (r.replaced) warn(keyReplacementNotice(r.buildDir, r.replaced, describeSetup(r.setup), r.setup.vkeyHash));
  if (r.bundle.input.clamped > 0)
    warn(
      `${r.bundle.input.clamped} input value(s) outside the quantized range were clamped (--strict-range refuses such inputs)`,
    );
  for (const w of r.verification.warnings) warn(w);
  const failure = r.verification.valid ? {} : { failure: `invalid: ${r.verification.failed ?? 'a'} check failed` };
  if (flags.json) printJson(runSummary(r), failure);
  else {
    const shown = r.verification.output ?? r.bundle.output.values ?? [];
    const pred = isClassScoreVector(r.settings.quantization.output.shape)
      ? `prediction ${r.verification.prediction ?? r.bundle.prediction}  `
      : '(no prediction: the output is not a vector of class scores)  ';
    process.stdout.write(`\n${pred}output [${shown.map((v) => v.toFixed(3)).join(', ')}]\n`);
    if (fid && !('unavailable' in fid))
      process.stdout.write(
        `float model (onnxruntime) predicts ${fid.floatPrediction}; max |quantized − float| = ${fid.maxAbsError.toFixed(4)}\n`,
      );
  }
  if (!r.verification.valid) process.exitCode = 1;
  return r;
}

/** The options `run` and `demo` share. */
function withRunFlags(c: Command): Command {
  return c
    .option('--out <dir>', 'build directory for artifacts and the bundle')
    .option('--calibration <file>', 'calibration inputs {"inputs": [...]} for choosing scales')
    .option('--ptau <file>', 'powers-of-tau file for a non-dev setup (or a power N: the cached published file)')
    .option(
      '--force',
      'replace the keys an existing build directory holds (kept without it when the circuit is unchanged)',
    )
    .option('--weight-bits <n>', 'bits per weight', intOption('--weight-bits'))
    .option('--activation-bits <n>', 'bits per activation', intOption('--activation-bits'))
    .addOption(
      weightsOption('linear weights as circuit constants or private witnesses behind a commitment (default: fixed)'),
    )
    .addOption(visibilityOption('input'))
    .addOption(visibilityOption('output'))
    .addOption(proofSystemOption())
    .addOption(limbBitsOption())
    .option('--strict-range', 'refuse inputs with values outside the quantized input range instead of clamping them')
    .option(
      '--require-float-check',
      'fail (exit 2) when onnxruntime refuses the model, instead of proving without the float check',
    )
    .option('--json', 'print one JSON object');
}

/** What to try after the demo: the commands that check and explain what it just built. */
function demoNextSteps(r: RunResult): string {
  return [
    '',
    'next steps:',
    `  check the proof as its recipient would:  zkinfer verify ${r.bundlePath} --vkey ${artifactPath(r.buildDir, 'vkey')}`,
    `  see where the circuit's cost goes:       zkinfer inspect ${r.buildDir}`,
    '  prove your own model:                    zkinfer run MODEL.onnx --input INPUT.json --out build/mine',
    '  walkthroughs in README.md; every command has --help with examples',
    '',
  ].join('\n');
}

/** Registers run, demo and verify. */
export function registerRunCommands(p: Command): void {
  withRunFlags(
    p
      .command('run <model>')
      .description('quantize, compile, set up, prove and verify one inference')
      .requiredOption('--input <file>', 'input: JSON array, {"input": [...]}, .npy, or ONNX TensorProto .pb'),
  )
    .addHelpText(
      'after',
      '\nExample:\n  zkinfer run models/digits-mlp.onnx --input models/samples/digit-3.json --out build/mlp --json',
    )
    .action(async (model: string, flags: RunFlags) => void (await runAndPrint(model, flags)));

  withRunFlags(p.command('demo').description('prove the shipped digits MLP on a shipped sample, showing each stage'))
    .addHelpText('after', '\nExample:\n  zkinfer demo')
    .action(async (flags: Omit<RunFlags, 'input'>) => {
      if (!flags.json) info(`zkinfer demo: ${SHIPPED_MODEL} on ${SHIPPED_SAMPLE}\n`);
      const r = await runAndPrint(SHIPPED_MODEL, { ...flags, input: SHIPPED_SAMPLE, out: flags.out ?? 'build/demo' });
      if (!flags.json && r.verification.valid) info(demoNextSteps(r));
    });

  registerVerify(p);
}
