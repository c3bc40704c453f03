/**
 * Stage commands for people who run the steps themselves: quantize, compile, setup, prove,
 * inspect (inspect-command.ts). Each reads what the previous one wrote into the build directory.
 */
import { Command } from 'commander';
import type { Visibility } from '../compile/build-circuit.js';
import { compileCircuit } from '../compile/compile-circuit.js';
import { UserError } from '../core/errors.js';
import { proveBatchResuming } from '../pipeline.js';
import { BatchProgress, createProgressReporter } from '../runtime/progress.js';
import { provenSoFar, signalExitCode, withInterruptHandler } from './interrupt.js';
import { prove } from '../prove/prove.js';
import { quantizeModel } from '../quantize/quantize-model.js';
import { setupKeys } from '../setup/setup-keys.js';
import { UNRECOGNISED_PTAU_WARNING } from '../setup/ptau/ptau-file.js';
import { resolvePtauArg } from '../setup/ptau/ptau-cache.js';
import { describeSetup, existingKeys, keyReplacementNotice, staleKeysRefusal } from '../setup/existing-keys.js';
import { intOption, limbBitsOption, printJson, proofSystemOption, visibilityOption, weightsOption } from './options.js';
import { THRESHOLD_FORMS, thresholdOption } from '../core/threshold.js';
import { warn } from './output.js';
import { queueProveCommand } from './queue-commands.js';
import { checkQueueUrl } from '../queue/job-queue.js';
import { circuitConstraints } from '../compile/search-settings.js';
import { triedTable } from '../quantize/search-settings.js';
import { registerInspect } from './inspect-command.js';
import { artifactPath } from '../formats/paths.js';
import { readQuantizedModelFile } from '../formats/build-dir.js';
import { weightsModeOf, type WeightsMode } from '../formats/hashed-weights.js';
import type { ProofSystem } from '../formats/circuit.js';
import { assertFloatCheckAvailable } from '../quantize/onnx-runtime.js';
import { requiredFloatCheckError } from '../quantize/fidelity.js';

const out = (s: string): void => void process.stdout.write(s + '\n');

/** Registers the stage commands. */
export function registerStageCommands(p: Command): void {
  registerQuantize(p);
  registerCompile(p);
  registerSetup(p);
  registerProve(p);
  registerInspect(p);
}

/** The flags of `quantize`. */
interface QuantizeFlags {
  out: string;
  calibration?: string;
  input?: string[];
  weightBits?: number;
  activationBits?: number;
  targetAgreement?: number;
  weights?: WeightsMode;
  settings?: string;
  force?: boolean;
  requireFloatCheck?: boolean;
  json?: boolean;
}

function registerQuantize(p: Command): void {
  p.command('quantize <model>')
    .description('quantize an ONNX model into a build directory (settings.json, model.quant.json)')
    .requiredOption('--out <dir>', 'build directory')
    .option('--calibration <file>', 'calibration inputs {"inputs": [...]}')
    .option('--input <file...>', 'input files to add to the calibration set')
    .option('--weight-bits <n>', 'bits per weight (default 8)', intOption('--weight-bits'))
    .option('--activation-bits <n>', 'bits per activation (default 8)', intOption('--activation-bits'))
    .addOption(
      weightsOption(
        'linear weights as circuit constants, or private witnesses behind a commitment (hashed: the key depends on the architecture only) (default: ' +
          "fixed, or the --settings file's)",
      ),
    )
    .option(
      '--settings <file>',
      "replay another build's settings.json (scales, widths, weights mode) instead of calibrating: a model of the same architecture then gets the same circuit",
    )
    .option(
      '--target-agreement <x>',
      `search per-layer activation bits for the cheapest circuit with this top-1 agreement on the calibration set (${THRESHOLD_FORMS})`,
      thresholdOption('--target-agreement'),
    )
    .option(
      '--force',
      'rewrite the model files of a build that has keys (the keys then no longer match: run setup --force)',
    )
    .option(
      '--require-float-check',
      'fail (exit 2) when onnxruntime refuses the model, instead of quantizing without the float check',
    )
    .option('--json', 'print settings as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  zkinfer quantize models/digits-mlp.onnx --out build/digits --calibration models/calibration.json\n  zkinfer quantize models/digits-sigmoid.onnx --out build/sig --calibration models/calibration.json --target-agreement 0.98',
    )
    .action(async (model: string, f: QuantizeFlags) => {
      if (f.targetAgreement !== undefined && f.activationBits !== undefined)
        throw new UserError('--target-agreement chooses the activation bits: drop --activation-bits');
      refuseStaleKeys(f.out, '`quantize`', f.force);
      const { settings, search, warnings } = await quantizeModel({
        modelPath: model,
        outDir: f.out,
        calibrationPath: f.calibration,
        inputPaths: f.input,
        weightBits: f.weightBits,
        activationBits: f.activationBits,
        targetAgreement: f.targetAgreement,
        weights: f.weights,
        settingsPath: f.settings,
        circuitCost: circuitConstraints,
        requireFloatCheck: f.requireFloatCheck ?? false,
      });
      const fid = settings.fidelity;
      // The integer reference and the circuit do not need onnxruntime: say so once, and go on.
      if (fid.unavailable !== undefined) warn(`float check unavailable: ${fid.unavailable}`);
      for (const w of warnings) warn(w);
      if (f.json) return printJson(search ? { ...settings, search: search.tried } : settings);
      if (search)
        out(
          `settings tried for top-1 agreement ≥ ${(100 * f.targetAgreement!).toFixed(1)}% on ${settings.calibration.count} calibration ` +
            `inputs:\n\n${triedTable(search)}\n`,
        );
      out(
        `quantized ${model} → ${f.out}: input scale 2^-${settings.quantization.input.frac}, output scale 2^-${settings.quantization.output.frac}`,
      );
      if (fid.unavailable === undefined)
        out(
          `fidelity vs onnxruntime over ${fid.samples} calibration inputs: top-1 agreement ${(100 * fid.top1Agreement).toFixed(1)}%, max |error| ` +
            `${fid.maxAbsError.toFixed(4)} (max |float| ${fid.maxAbsFloat.toFixed(3)})`,
        );
    });
}

function registerCompile(p: Command): void {
  p.command('compile <buildDir>')
    .description('compile the quantized model to R1CS (circuit.r1cs, circuit.json)')
    .addOption(visibilityOption('input'))
    .addOption(visibilityOption('output'))
    .addOption(proofSystemOption())
    .addOption(limbBitsOption())
    .addOption(
      weightsOption('assert the weights mode model.quant.json was quantized with (quantize --weights chooses it)'),
    )
    .option(
      '--check',
      'prove every wire is determined by the inputs before writing (default: on up to 200k constraints)',
    )
    .option('--no-check', 'skip the determinism check')
    .option('--force', 'recompile a build that has keys (the keys then no longer match: run setup --force)')
    .option('--json', 'print circuit info as JSON')
    .addHelpText('after', '\nExamples:\n  zkinfer compile build/digits\n  zkinfer compile build/sig --no-check')
    .action(
      (
        dir: string,
        f: {
          inputVisibility?: Visibility;
          outputVisibility?: Visibility;
          proofSystem?: ProofSystem;
          limbBits?: number;
          weights?: WeightsMode;
          check?: boolean;
          force?: boolean;
          requireFloatCheck?: boolean;
          json?: boolean;
        },
      ) => {
        if (f.weights !== undefined) assertWeightsMode(dir, f.weights);
        refuseStaleKeys(dir, '`compile`', f.force);
        const info = compileCircuit({
          buildDir: dir,
          inputVisibility: f.inputVisibility,
          outputVisibility: f.outputVisibility,
          proofSystem: f.proofSystem,
          limbBits: f.limbBits,
          check: f.check,
        });
        if (f.json) return printJson(info);
        const id = info.weights ? 'architecture id (weights hashed)' : 'model id';
        out(
          `${info.nConstraints} constraints, ${info.nWires} wires, ${info.nPublic} public signals ` +
            `(domain 2^${info.power}); ${id} ${info.modelId}`,
        );
        if (info.lookup)
          out(
            `proof system ultragroth: ${info.lookup.nLookups} lookups in ${info.lookup.tables.length} table(s), ${info.lookup.limbBits}-bit limbs`,
          );
        out(
          info.check.ran
            ? `determinism check: all ${info.check.determinedWires} wires determined by the inputs (${(info.check.milliseconds / 1000).toFixed(2)} s)`
            : 'determinism check: skipped',
        );
      },
    );
}

/** compile --weights: the mode is chosen when quantizing; compile only checks it agrees. */
function assertWeightsMode(dir: string, mode: WeightsMode): void {
  const { model } = readQuantizedModelFile(dir);
  const actual = weightsModeOf(model);
  if (actual !== mode)
    throw new UserError(
      `${artifactPath(dir, 'quantized')}: quantized with --weights ${actual}, not ${mode}; re-run zkinfer quantize --weights ${mode}`,
    );
}

/**
 * Refuses (without `force`) to rewrite the model or circuit files of a build that has keys: the keys would
 * stay, made for the old circuit, and every proof made with them would fail verification. With `force`, warns.
 */
function refuseStaleKeys(dir: string, what: string, force: boolean | undefined): void {
  const keys = existingKeys(dir);
  if (!keys) return;
  if (!force)
    throw staleKeysRefusal(
      dir,
      keys,
      what,
      'pass --force to rewrite it (then `setup --force` for new keys), or use another build directory',
    );
  warn(
    `${dir}: the ${keys.kind} (vkey hash ${keys.hash}) was made for the circuit ${what} rewrites; run \`zkinfer setup ${dir} --force\` for keys that match`,
  );
}

function registerSetup(p: Command): void {
  p.command('setup <buildDir>')
    .description('generate Groth16 keys (default: fast single-party dev setup)')
    .option(
      '--ptau <file>',
      'prepared powers-of-tau file (phase 2 on top of a real ceremony), or a power N for the published file `zkinfer ptau get` cached',
    )
    .option('--force', 'replace the keys the build already has (every proof made with them then fails verification)')
    .option('--json', 'print setup info as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  zkinfer setup build/digits\n  zkinfer setup build/digits --ptau powersOfTau28_hez_final_12.ptau\n  zkinfer setup build/digits --ptau 12 --force',
    )
    .action(async (dir: string, f: { ptau?: string; force?: boolean; json?: boolean }) => {
      const { info, replaced } = await setupKeys({
        buildDir: dir,
        ptauPath: f.ptau === undefined ? undefined : resolvePtauArg(f.ptau),
        progress: true,
        force: f.force ?? false,
      });
      if (replaced) warn(keyReplacementNotice(dir, replaced, describeSetup(info), info.vkeyHash));
      if (info.ptau && !info.ptau.recognised) warn(UNRECOGNISED_PTAU_WARNING);
      if (info.warning) warn(info.warning);
      if (f.json) return printJson(info);
      out(`${info.kind} setup in ${info.seconds.toFixed(2)} s; vkey hash ${info.vkeyHash}`);
    });
}

function registerProve(p: Command): void {
  p.command('prove <buildDir>')
    .description('prove one input, or a batch of inputs on worker threads, with the keys in a build directory')
    .option('--input <file>', 'input file: JSON array, {"input": [...]}, .npy, or ONNX TensorProto .pb')
    .option('--inputs <path>', 'batch: a directory of .json/.pb inputs or a JSON-lines file (one input per line)')
    .option('--workers <n>', 'batch: worker threads (default: available cores)', intOption('--workers', 1))
    .option(
      '--out <path>',
      'bundle path (default <buildDir>/proofs/<input>.proof.json); with --inputs, the bundle directory (default <buildDir>/proofs)',
    )
    .option('--strict-range', 'refuse inputs with values outside the quantized input range instead of clamping them')
    .option(
      '--require-float-check',
      'fail (exit 2) when onnxruntime refuses the model, instead of proving without the float check',
    )
    .option('--json', 'print a JSON summary')
    .option(
      '--queue <url>',
      'batch: prove on `zkinfer worker` processes through this Postgres queue instead of local threads',
    )
    .option('--wait', 'with --queue: wait for every result and write the bundles (the default)')
    .option(
      '--no-wait',
      'with --queue: enqueue, print the batch id and exit (collect later with `zkinfer queue collect`)',
    )
    .option(
      '--job-timeout <s>',
      'with --queue: seconds before a job whose worker died is handed to another (default 600)',
      intOption('--job-timeout'),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  zkinfer prove build/digits --input models/samples/digit-7.json\n  zkinfer prove build/digits --inputs models/samples --workers 2\n  zkinfer prove build/digits --inputs models/samples --queue postgres://zk:secret@db.example:5432/zk --out proofs',
    )
    .action(async (dir: string, f: ProveFlags & { queue?: string; wait?: boolean; jobTimeout?: number }) => {
      // Flags first, so a wrong one is refused before any build file or input is read.
      if ((f.input === undefined) === (f.inputs === undefined))
        throw new UserError('prove needs exactly one of --input FILE or --inputs PATH');
      if (f.queue !== undefined) {
        checkQueueUrl(f.queue);
        if (f.inputs === undefined) throw new UserError('--queue applies to --inputs only');
        if (f.requireFloatCheck) await requireFloatCheck(dir);
        return queueProveCommand(dir, f.inputs, { ...f, queue: f.queue });
      }
      if (f.wait !== undefined) throw new UserError(`--${f.wait ? '' : 'no-'}wait applies to --queue only`);
      if (f.jobTimeout !== undefined) throw new UserError('--job-timeout applies to --queue only');
      if (f.workers !== undefined && f.inputs === undefined) throw new UserError('--workers applies to --inputs only');
      if (f.requireFloatCheck) await requireFloatCheck(dir);
      if (f.inputs !== undefined) return proveBatchCommand(dir, f.inputs, f);
      if (f.workers !== undefined) throw new UserError('--workers applies to --inputs only');
      const { bundle, bundlePath, openingPath } = await prove({
        buildDir: dir,
        inputPath: f.input!,
        outPath: f.out,
        strictRange: f.strictRange ?? false,
        requireFloatCheck: f.requireFloatCheck ?? false,
      });
      warnClamped(f.input!, bundle.input.clamped);
      if (bundle.fidelity && 'unavailable' in bundle.fidelity)
        warn(`float check unavailable: ${bundle.fidelity.unavailable}`);
      if (f.json)
        return printJson({
          prediction: bundle.prediction,
          output: bundle.output.values,
          bundle: bundlePath,
          opening: openingPath,
          clamped: bundle.input.clamped,
        });
      out(
        `${bundle.prediction !== undefined ? `prediction ${bundle.prediction}; ` : ''}bundle ${bundlePath}${openingPath ? `; opening ${openingPath} (keep it private: it reveals the committed values)` : ''}`,
      );
    });
}

/**
 * `prove --require-float-check`: onnxruntime must load the build's model, checked before any input
 * is proven (batches and queued jobs included: their provers would record the check as unavailable).
 */
async function requireFloatCheck(dir: string): Promise<void> {
  const model = artifactPath(dir, 'model');
  await assertFloatCheckAvailable(model, (refused) => requiredFloatCheckError(model, refused));
}

interface ProveFlags {
  requireFloatCheck?: boolean;
  input?: string;
  inputs?: string;
  workers?: number;
  out?: string;
  json?: boolean;
  strictRange?: boolean;
}

/** Clamping changes what the model sees, so it is never silent. */
function warnClamped(source: string, clamped: number | undefined): void {
  if (clamped)
    warn(
      `${source}: ${clamped} input value(s) outside the quantized range were clamped (--strict-range refuses such inputs)`,
    );
}

/** `prove --inputs`: progress on stderr, failures as one line each, exit code 1 when any item failed. */
async function proveBatchCommand(dir: string, inputs: string, f: ProveFlags): Promise<void> {
  const progress = f.json ? undefined : createProgressReporter();
  let last: BatchProgress | undefined;
  // Ctrl-C stops at once: bundles are written atomically, so a rerun keeps the ones that landed
  // and proves the rest (running proofs are dropped; waiting for them could take minutes).
  const onSignal = (signal: NodeJS.Signals): void => {
    progress?.finish();
    process.stderr.write(`interrupted: ${provenSoFar(last)}; rerun to resume\n`);
    process.exit(signalExitCode(signal));
  };
  let summary;
  try {
    summary = await withInterruptHandler(onSignal, () =>
      proveBatchResuming({
        buildDir: dir,
        inputs,
        outDir: f.out,
        workers: f.workers,
        strictRange: f.strictRange ?? false,
        onProgress: (p) => {
          last = p;
          progress?.update(p);
        },
      }),
    );
  } finally {
    progress?.finish();
  }
  if (summary.failed > 0) process.exitCode = 1;
  for (const item of summary.items) warnClamped(item.input, item.clamped);
  if (f.json) return printJson(summary, { failure: `${summary.failed} of ${summary.total} inputs failed to prove` });
  for (const item of summary.items) if (item.status === 'failed') process.stderr.write(`failed: ${item.error}\n`);
  out(
    `proved ${summary.succeeded}, skipped ${summary.skipped} (valid bundles), failed ${summary.failed} of ${summary.total} in ${summary.seconds.toFixed(1)} s (${summary.proofsPerSecond.toFixed(2)} proofs/s, ${summary.workers} workers); bundles in ${f.out ?? `${dir}/proofs`}`,
  );
}
