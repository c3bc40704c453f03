/**
 * `run`: the whole pipeline in one call — quantize, compile, dev setup (or ptau), prove,
 * verify — leaving a build directory that `prove` can reuse for more inputs.
 */
import { compileCircuit } from './compile/compile-circuit.js';
import { resolveProofSystem } from './compile/proof-system.js';
import { CircuitInfo, type ProofSystem } from './formats/circuit.js';
import type { Visibility } from './compile/build-circuit.js';
import type { ProofBundle } from './formats/bundle.js';
import { readInputFile } from './onnx/input-file.js';
import { createProver, writeBundle } from './prove/prover.js';
import { commitWeights, hasHashedWeights } from './prove/weights-opening.js';
import { ARTIFACTS, artifactPath, bundlePathFor, defaultBuildDir, openingPathFor, proofsDir } from './formats/paths.js';
import { quantizeModel } from './quantize/quantize-model.js';
import { Settings } from './formats/settings.js';
import { setupKeys } from './setup/setup-keys.js';
import { SetupInfo } from './formats/setup.js';
import { verifyBundle, VerifyReport } from './verify/verify-bundle.js';
import { proveBatch, ProveBatchOptions, BatchSummary } from './prove/batch.js';
import { existingBundlePrediction } from './verify/existing-bundle.js';
import { existingKeys, keyReplacementRefusal, keysFitCircuit, type ExistingKeys } from './setup/existing-keys.js';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { cleanupOnFailure, ensureDir, moveFileAtomic } from './core/atomic-write.js';
import { UserError } from './core/errors.js';
import { checkOutputDir } from './core/output-path.js';
import { checkPtauFile, hashFileBlake2b } from './setup/ptau/ptau-file.js';
import type { WeightsMode } from './formats/hashed-weights.js';

/** Options of {@link runPipeline}. */
export interface RunOptions {
  readonly modelPath: string;
  readonly inputPath: string;
  /** Build directory (default build/<model name>). */
  readonly outDir?: string;
  readonly calibrationPath?: string;
  readonly ptauPath?: string;
  readonly weightBits?: number;
  readonly activationBits?: number;
  /** How the linear weights reach the circuit (quantize --weights; default fixed). */
  readonly weights?: WeightsMode;
  readonly inputVisibility?: Visibility;
  readonly outputVisibility?: Visibility;
  /** `--proof-system` (default groth16). */
  readonly proofSystem?: ProofSystem;
  /** `--limb-bits` (ultragroth only). */
  readonly limbBits?: number;
  /** Refuse inputs with values outside the quantized range instead of clamping them. */
  readonly strictRange?: boolean;
  /** Fail when onnxruntime refuses the model instead of proving without the float check. */
  readonly requireFloatCheck?: boolean;
  /** Called after each stage with a one-line summary. */
  readonly onStage?: (stage: string, summary: string) => void;
  /**
   * Replace the keys an existing build directory holds when the model, input or setup route
   * changed them (earlier proofs then fail verification). Without it such a run is refused
   * before anything in the directory is written; an unchanged circuit keeps its keys.
   */
  readonly force?: boolean;
}

/** What `run` produced. */
export interface RunResult {
  readonly buildDir: string;
  readonly bundlePath: string;
  /** The opening of hashed inputs/outputs, next to the bundle; keep it private. */
  readonly openingPath?: string;
  readonly settings: Settings;
  readonly circuit: CircuitInfo;
  readonly setup: SetupInfo;
  readonly bundle: ProofBundle;
  readonly verification: VerifyReport;
  readonly timings: Record<string, number>;
  /** `created` (no keys before), `kept` (the circuit was unchanged) or `replaced` (with `force`). */
  readonly keys: 'created' | 'kept' | 'replaced';
  /** The keys replaced, with `force`. */
  readonly replaced?: ExistingKeys;
  /** The quantize stage's warnings (e.g. a classifier's scores proven in place of its label). */
  readonly warnings: string[];
  /** Hashed weights: the weight commitment W (0x-hex) in the build's weights.json, which the proof carries. */
  readonly weightsCommitment?: string;
}

/**
 * Runs every stage on one model and one input. The build directory and the ptau file are
 * checked before any work. Quantize, compile and setup run in a staging directory and replace
 * the build's files only when all three succeeded, so a failed run leaves an existing build as
 * it was; on any failure, every file this run created is removed again.
 */
export async function runPipeline(opts: RunOptions): Promise<RunResult> {
  const buildDir = opts.outDir ?? defaultBuildDir(opts.modelPath);
  // A proof-system flag that does not apply fails before any work.
  resolveProofSystem(opts);
  checkOutputDir(buildDir);
  if (opts.ptauPath !== undefined) checkPtauFile(opts.ptauPath, buildDir);
  return cleanupOnFailure(() => runStages(opts, buildDir));
}

async function runStages(opts: RunOptions, buildDir: string): Promise<RunResult> {
  const say = opts.onStage ?? (() => {});
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, f: () => T | Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const r = await f();
    timings[name] = (performance.now() - t0) / 1000;
    return r;
  };
  const existing = existingKeys(buildDir);
  // Quantize, compile and setup happen in a staging directory inside the build (same file
  // system, so each move is one rename); the build's files are replaced only once all of them
  // succeeded, so a failed or refused run leaves an existing build byte-identical.
  ensureDir(buildDir);
  const stageDir = mkdtempSync(join(buildDir, '.run-staging-'));
  let staged: Staged;
  try {
    staged = await namingBuild(stageDir, buildDir, () =>
      stageBuild(opts, { buildDir, stageDir, existing, timed, say }),
    );
    for (const a of staged.files) moveFileAtomic(artifactPath(stageDir, a), artifactPath(buildDir, a));
  } finally {
    rmSync(stageDir, { recursive: true, force: true });
  }
  const { settings, circuit, setup, keys, warnings } = staged;
  // Hashed weights: run commits them itself (keeping a commitment that still opens them), as it makes the key.
  const weights = hasHashedWeights(circuit) ? await commitWeights({ buildDir, renewStale: true }) : undefined;
  if (weights?.replaced)
    warnings.push(
      `the weights changed, so ${weights.commitmentPath} holds a new W: publish it; pins of the old one break`,
    );
  if (weights) say('weights', `W ${weights.file.commitment} in ${weights.commitmentPath} (publish it with vkey.json)`);
  const input = readInputFile(opts.inputPath, settings.quantization.input);
  const prover = createProver({ buildDir, requireFloatCheck: opts.requireFloatCheck ?? false });
  const result = await timed('prove', () =>
    prover.prove(input, { source: opts.inputPath, strictRange: opts.strictRange ?? false }),
  );
  const { bundle } = result;
  const bundlePath = bundlePathFor(proofsDir(buildDir), opts.inputPath);
  writeBundle(bundlePath, result);
  const openingPath = result.opening ? openingPathFor(bundlePath) : undefined;
  const clamped =
    bundle.input.clamped > 0 ? `; ${bundle.input.clamped} input value(s) clamped into the quantized range` : '';
  say(
    'prove',
    `${bundle.prediction !== undefined ? `prediction ${bundle.prediction}; ` : ''}bundle ${bundlePath}${openingPath ? ` (opening ${openingPath})` : ''}${clamped}`,
  );
  // run made the key itself, so it pins it: the fresh vkey.json is the trusted key here.
  const verification = await timed('verify', () =>
    verifyBundle({
      bundle,
      bundlePath,
      vkeyPath: artifactPath(buildDir, 'vkey'),
      ...(weights ? { weightsCommitment: weights.file.commitment } : {}),
      inputPath: opts.inputPath,
      ...(openingPath ? { openingPath } : {}),
    }),
  );
  say('verify', verification.valid ? 'proof valid' : `INVALID: ${verification.failed}`);
  return {
    buildDir,
    bundlePath,
    ...(openingPath ? { openingPath } : {}),
    settings,
    circuit,
    setup,
    bundle,
    verification,
    timings,
    keys,
    ...(keys === 'replaced' ? { replaced: existing } : {}),
    warnings,
    ...(weights ? { weightsCommitment: weights.file.commitment } : {}),
  };
}

type Timed = <T>(name: string, f: () => T | Promise<T>) => Promise<T>;

/** The quantize and compile stages of {@link runPipeline}, into `dir`. */
async function quantizeAndCompile(
  opts: RunOptions,
  dir: string,
  timed: Timed,
  say: (stage: string, summary: string) => void,
): Promise<{ settings: Settings; circuit: CircuitInfo; warnings: string[] }> {
  const { settings, warnings } = await timed('quantize', () =>
    quantizeModel({
      modelPath: opts.modelPath,
      outDir: dir,
      inputPaths: [opts.inputPath],
      calibrationPath: opts.calibrationPath,
      weightBits: opts.weightBits,
      activationBits: opts.activationBits,
      weights: opts.weights,
      requireFloatCheck: opts.requireFloatCheck ?? false,
    }),
  );
  const f = settings.fidelity;
  say(
    'quantize',
    `${settings.quantization.layers.length} layers, ${settings.quantization.weightBits}-bit weights, ${settings.quantization.activationBits}-bit activations; ${f.unavailable !== undefined ? 'float check unavailable (onnxruntime refused the model)' : `calibration top-1 agreement ${(100 * (f.top1Agreement ?? NaN)).toFixed(1)}% over ${f.samples}, max |error| ${(f.maxAbsError ?? NaN).toFixed(4)}`}`,
  );
  const circuit = await timed('compile', () =>
    compileCircuit({
      buildDir: dir,
      inputVisibility: opts.inputVisibility,
      outputVisibility: opts.outputVisibility,
      proofSystem: opts.proofSystem,
      limbBits: opts.limbBits,
    }),
  );
  say(
    'compile',
    `${circuit.nConstraints} constraints, ${circuit.nWires} wires, ${circuit.nPublic} public signals, ` +
      `${circuit.weights ? 'architecture id' : 'model id'} ${circuit.modelId.slice(0, 16)}…` +
      (circuit.check.ran
        ? `; every wire determined by the inputs (checked in ${(circuit.check.milliseconds / 1000).toFixed(2)} s)`
        : ''),
  );
  return { settings, circuit, warnings };
}

/** What the staged stages of {@link runPipeline} produced, and which artifacts to move into the build. */
interface Staged {
  readonly settings: Settings;
  readonly circuit: CircuitInfo;
  readonly setup: SetupInfo;
  readonly keys: RunResult['keys'];
  readonly files: readonly (keyof typeof ARTIFACTS)[];
  readonly warnings: string[];
}

interface StageContext {
  readonly buildDir: string;
  readonly stageDir: string;
  readonly existing: ExistingKeys | undefined;
  readonly timed: Timed;
  readonly say: (stage: string, summary: string) => void;
}

/** The model files `run` writes; the key files follow them, setup.json last (it vouches for the rest). */
const MODEL_FILES = ['model', 'quantized', 'settings', 'r1cs', 'circuit'] as const;
const KEY_FILES = ['zkey', 'vkey', 'setup'] as const;

/**
 * Quantize, compile and (unless the build's keys serve the new circuit) setup, all into the
 * staging directory. Keys are replaced only with `force`; kept keys must be intact.
 */
async function stageBuild(opts: RunOptions, c: StageContext): Promise<Staged> {
  const { settings, circuit, warnings } = await quantizeAndCompile(opts, c.stageDir, c.timed, c.say);
  const have = c.existing;
  if (have && !opts.force) {
    const fit = keysFitCircuit(c.buildDir, have, circuit);
    if (!fit.serve || !(await ptauMatches(have, opts.ptauPath)))
      throw keyReplacementRefusal(c.buildDir, have, `\`run\` with ${describeRunChange(have, circuit)}`);
    const restored = fit.stale.length
      ? `; the build's ${fit.stale.map((p) => basename(p)).join(' and ')} had changed since setup and are replaced by this run's, which match the key`
      : '';
    c.say(
      'setup',
      `kept the ${have.kind} (vkey hash ${have.setup!.vkeyHash.slice(0, 16)}…): the circuit is unchanged${restored}`,
    );
    // An intact build stays byte-identical; stale model files are replaced as one set.
    return {
      settings,
      circuit,
      setup: have.setup!,
      keys: 'kept',
      files: fit.stale.length ? MODEL_FILES : [],
      warnings,
    };
  }
  const setup = (await c.timed('setup', () => setupKeys({ buildDir: c.stageDir, ptauPath: opts.ptauPath }))).info;
  c.say('setup', `${setup.kind} setup for 2^${circuit.power} in ${setup.seconds.toFixed(2)} s`);
  const files = [...MODEL_FILES, ...KEY_FILES];
  return { settings, circuit, setup, keys: have ? 'replaced' : 'created', files, warnings };
}

/**
 * Runs `work` on the staging directory; a user error naming a staged file names the build's
 * file instead (that is where the user will look, and where the file will be).
 */
async function namingBuild<T>(stageDir: string, buildDir: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof UserError && e.message.includes(stageDir))
      throw new UserError(e.message.split(stageDir).join(buildDir), { cause: e });
    throw e;
  }
}

/**
 * With `--ptau`, the kept keys must have been made on that very file (by blake2b). Any key
 * serves a run without `--ptau`: a ceremony's key is better than the dev key the run would make.
 */
async function ptauMatches(have: ExistingKeys, ptauPath: string | undefined): Promise<boolean> {
  if (ptauPath === undefined) return true;
  const p = have.setup?.ptau;
  return p !== undefined && existsSync(ptauPath) && (await hashFileBlake2b(ptauPath)) === p.blake2b;
}

/** Why a run would replace the keys, for the refusal. */
function describeRunChange(have: ExistingKeys, circuit: CircuitInfo): string {
  const s = have.setup;
  return s && s.hashes.quantized === circuit.quantizedSha256 && s.hashes.r1cs === circuit.r1csSha256
    ? 'another setup route (--ptau)'
    : 'this model, input and options (the compiled circuit differs)';
}

/**
 * `zkinfer prove --inputs`: batch proving that resumes, skipping every input whose bundle already
 * verifies and proves that input. The prove room cannot verify (verify sits above it), so the
 * check is plugged in here, where the stages are composed.
 */
export function proveBatchResuming(opts: ProveBatchOptions): Promise<BatchSummary> {
  return proveBatch({ existing: existingBundlePrediction, ...opts });
}
