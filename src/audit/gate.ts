/**
 * `zkinfer gate`: the CI release gate. Reads a small config (zkinfer.gate.json), then runs
 * audit (float vs quantized disagreement) → accuracy proof → verification of the claim, and
 * returns one summary naming every check. The CLI turns it into exit 0 (all passed), 1 (a
 * check failed) or 2 (bad config or input), a Markdown summary for GITHUB_STEP_SUMMARY and
 * `::error` annotations on GitHub Actions.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { audit } from './audit.js';
import { DEFAULT_GATE_BUILD, GateConfig, readGateConfig } from './gate-config.js';
import { existingKeys, staleKeysRefusal } from '../setup/existing-keys.js';
import { chunkKeyDir } from '../accuracy/chunk-compile.js';
import { AccuracySummary, proveAccuracy, type ProveAccuracyOptions } from '../accuracy/prove-accuracy.js';
import { accuracyOpeningPath, artifactPath } from '../formats/paths.js';
import { UserError } from '../core/errors.js';
import { readWeightsCommitment } from '../formats/weights.js';
import { quantizeModel } from '../quantize/quantize-model.js';
import { ClaimReport, verifyClaim } from '../accuracy/verify-claim.js';

/** One gate check. */
export interface GateCheck {
  readonly check: 'config' | 'max-disagreement' | 'accuracy-proof' | 'claim' | 'min-accuracy' | 'trusted-setup';
  readonly ok: boolean;
  readonly detail: string;
}

/** The one JSON summary the gate prints. */
export interface GateSummary {
  readonly passed: boolean;
  /** 0 passed, 1 a check failed, 2 bad config or input. */
  readonly exitCode: 0 | 1 | 2;
  readonly config: string;
  readonly checks: GateCheck[];
  readonly accuracy?: {
    readonly proven: number;
    readonly correct: number;
    readonly samples: number;
    readonly float: number;
    readonly quantized: number;
  };
  readonly disagreement?: number;
  readonly claim?: string;
  readonly datasetCommitment?: string;
  readonly vkeyHash?: string;
  readonly vkey?: string;
  readonly setup?: string;
  /**
   * What passed but should not be relied on: a dev setup's keys, a dataset commitment this run made itself
   * (nothing published beforehand pins the data), and the claim verifier's own warnings.
   */
  readonly warnings: string[];
  readonly error?: string;
  readonly seconds: number;
}

/** Runs the gate described by the config file at `configPath`. */
/**
 * The accuracy proof through a queue (config field `queue`): given by the caller, because the
 * queue (src/queue) sits beside this feature, not below it. The CLI passes the Postgres route.
 */
export type QueueAccuracyRoute = (opts: ProveAccuracyOptions, queueUrl: string) => Promise<AccuracySummary>;

/** Options of {@link runGate}. */
export interface GateRunOptions {
  /** How to prove when the config names a `queue` (without it, such a config is refused). */
  readonly queueRoute?: QueueAccuracyRoute;
}

export async function runGate(
  configPath: string,
  onProgress?: (msg: string) => void,
  options: GateRunOptions = {},
): Promise<GateSummary> {
  const t0 = performance.now();
  const checks: GateCheck[] = [];
  const seconds = () => (performance.now() - t0) / 1000;
  let c: GateConfig;
  try {
    c = readGateConfig(configPath);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    return {
      passed: false,
      exitCode: 2,
      config: configPath,
      checks: [{ check: 'config', ok: false, detail: e.message }],
      warnings: [],
      error: e.message,
      seconds: seconds(),
    };
  }
  checks.push({ check: 'config', ok: true, detail: configPath });
  try {
    // `return await`: a UserError from any stage must land in the catch below, as bad input (exit 2).
    return await runStages(configPath, c, checks, seconds, onProgress, options);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    checks.push({ check: 'config', ok: false, detail: e.message });
    return {
      passed: false,
      exitCode: 2,
      config: configPath,
      checks,
      warnings: [],
      error: e.message,
      seconds: seconds(),
    };
  }
}

/** audit → accuracy proof → claim verification, pushing each stage's checks; the summary of a run that got through. */
async function runStages(
  configPath: string,
  c: GateConfig,
  checks: GateCheck[],
  seconds: () => number,
  onProgress: ((msg: string) => void) | undefined,
  options: GateRunOptions,
): Promise<GateSummary> {
  const buildDir = await gateBuildDir(configPath, c, onProgress);
  onProgress?.('audit: float vs quantized');
  const a = await audit({ target: buildDir, dataset: c.dataset, maxDisagreement: c.maxDisagreement });
  if (c.maxDisagreement !== undefined) {
    checks.push({
      check: 'max-disagreement',
      ok: a.gate!.passed,
      detail: `float/quantized disagreement ${(100 * a.disagreementRate).toFixed(2)} % (limit ${(100 * c.maxDisagreement).toFixed(2)} %)${a.gate!.passed ? '' : `; ${a.gate!.suggestions[0]}`}`,
    });
  }
  const { s, v, vkey } = await proveAndVerify(c, buildDir, checks, onProgress, options);
  const passed = checks.every((x) => x.ok);
  return {
    passed,
    exitCode: passed ? 0 : 1,
    config: configPath,
    checks,
    accuracy: {
      // What the verified claim shows (K recomputed from the chunk proofs), not the prover's summary.
      proven: v.accuracy ?? s.accuracy,
      correct: v.correct ?? s.correct,
      samples: s.samples,
      float: a.accuracy.float.accuracy,
      quantized: a.accuracy.quantized.accuracy,
    },
    disagreement: a.disagreementRate,
    claim: s.claim,
    datasetCommitment: s.datasetCommitment,
    vkeyHash: s.vkeyHash,
    vkey,
    setup: v.setup,
    warnings: gateWarnings(c, s.datasetCommitment, v, buildDir),
    seconds: seconds(),
  };
}

/** Config fields that only say how to quantize an ONNX `model`: with a build directory as `model`, an error. */
const QUANTIZE_FIELDS = ['build', 'calibration', 'weightBits', 'activationBits'] as const;

/**
 * The build to gate: the config's `model` when it is a build directory (used as it is), else the `build` directory
 * the ONNX model is quantized into. A build that already has keys is quantized elsewhere first and kept as it is
 * when the quantization is unchanged; otherwise refused, as `run` refuses: re-quantizing would leave its keys made
 * for another circuit.
 */
async function gateBuildDir(
  configPath: string,
  c: GateConfig,
  onProgress: ((msg: string) => void) | undefined,
): Promise<string> {
  if (!existsSync(c.model)) throw new UserError(`${configPath}: model ${c.model} not found`);
  if (!statSync(c.model).isFile()) {
    const given = QUANTIZE_FIELDS.find((k) => c[k] !== undefined);
    if (given !== undefined)
      throw new UserError(
        `${configPath}: field ${given} does not apply: model ${c.model} is a build directory, gated as it is (${QUANTIZE_FIELDS.join(', ')} say how to quantize an ONNX model); remove it`,
      );
    return c.model;
  }
  const buildDir = c.build ?? join(dirname(resolve(configPath)), DEFAULT_GATE_BUILD);
  const quantize = (outDir: string) =>
    quantizeModel({
      modelPath: c.model,
      outDir,
      calibrationPath: c.calibration,
      weightBits: c.weightBits,
      activationBits: c.activationBits,
    });
  const keys = existingKeys(buildDir);
  if (!keys) {
    onProgress?.(`quantizing ${c.model} into ${buildDir}`);
    await quantize(buildDir);
    return buildDir;
  }
  onProgress?.(`quantizing ${c.model} to compare with ${buildDir}, which has keys`);
  const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-gate-'));
  let same: boolean;
  try {
    await quantize(join(tmp, 'build'));
    const quantized = artifactPath(buildDir, 'quantized');
    same =
      existsSync(quantized) &&
      readFileSync(artifactPath(join(tmp, 'build'), 'quantized')).equals(readFileSync(quantized));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  if (!same)
    throw staleKeysRefusal(
      buildDir,
      keys,
      `re-quantizing ${c.model} into it`,
      `set field build to another directory (default ${DEFAULT_GATE_BUILD} beside the config), or model to this build directory to gate it as it is`,
    );
  onProgress?.(`${buildDir}: quantization unchanged; its files and keys are kept`);
  return buildDir;
}

/**
 * Proves the accuracy, then verifies the claim it wrote as any verifier would (pinned key, pinned dataset),
 * pushing the accuracy-proof, claim, min-accuracy and (when asked for) trusted-setup checks.
 */
async function proveAndVerify(
  c: GateConfig,
  buildDir: string,
  checks: GateCheck[],
  onProgress: ((msg: string) => void) | undefined,
  options: GateRunOptions,
): Promise<{ s: AccuracySummary; v: ClaimReport; vkey: string }> {
  onProgress?.(c.queue ? 'accuracy proof on the queue' : 'accuracy proof');
  const queue = c.queue;
  const route = options.queueRoute;
  if (queue !== undefined && !route) throw new UserError('field queue: this gate runner has no queue route');
  const prove = queue !== undefined ? (o: ProveAccuracyOptions) => route!(o, queue) : proveAccuracy;
  const s = await prove({
    buildDir,
    dataset: c.dataset,
    outDir: c.out!,
    chunkSize: c.chunk,
    workers: c.workers,
    opening: c.opening,
    ptauPath: c.ptau,
    onProgress,
  });
  checks.push({
    check: 'accuracy-proof',
    ok: true,
    detail: `${s.chunks} chunk proofs, ${s.correct}/${s.samples} correct`,
  });
  const vkey = c.vkey ?? artifactPath(chunkKeyDir(buildDir, s.chunkSize), 'vkey');
  const weightsCommitment = c.weightsCommitment ?? buildWeightsCommitment(buildDir);
  const v = await verifyClaim({
    claimPath: s.claim,
    vkeyPath: vkey,
    ...(weightsCommitment ? { weightsCommitment } : {}),
    ...(c.datasetCommitment
      ? { datasetCommitment: c.datasetCommitment }
      : { dataset: c.dataset, opening: c.opening ?? accuracyOpeningPath(c.out!) }),
    minAccuracy: c.minAccuracy,
    ...(c.requireTrustedSetup ? trustedSetupOptions(c, buildDir) : {}),
  });
  // The trusted-setup and min-accuracy verdicts are their own gate checks (below), not part of whether the claim verifies.
  const structural = v.checks.filter((x) => x.check !== 'trusted-setup' && x.check !== 'min-accuracy');
  const bad = structural.find((x) => !x.ok);
  checks.push({
    check: 'claim',
    ok: !bad,
    detail: bad ? `${bad.check}: ${bad.detail}` : `claim verified (${structural.length} checks) with key ${vkey}`,
  });
  checks.push(minAccuracyCheck(v, c.minAccuracy));
  const ts = v.checks.find((x) => x.check === 'trusted-setup');
  if (ts) checks.push({ check: 'trusted-setup', ok: ts.ok, detail: ts.detail });
  return { s, v, vkey };
}

/**
 * The gate's `min-accuracy` check, read from the verified claim (the verifier's own `min-accuracy` check on
 * K/N recomputed from the chunk proofs), never from the prover's summary: a gate is a verifier. When the claim
 * did not get as far as counting (a failed dataset or key check), the minimum is not shown to be met.
 */
export function minAccuracyCheck(v: ClaimReport, minAccuracy: number): GateCheck {
  const verified = v.checks.find((x) => x.check === 'min-accuracy');
  const limit = `minimum ${(100 * minAccuracy).toFixed(2)} %`;
  if (!verified || v.accuracy === undefined)
    return {
      check: 'min-accuracy',
      ok: false,
      detail: `not shown: the claim did not verify as far as its count (${limit})`,
    };
  // Both must agree; the verifier's check already compared its recomputed K/N with the minimum.
  const ok = verified.ok && v.accuracy >= minAccuracy;
  return { check: 'min-accuracy', ok, detail: `verified accuracy ${(100 * v.accuracy).toFixed(2)} % (${limit})` };
}

/** Hashed weights: W from the build's weights.json (`zkinfer weights commit`), when there is one. */
function buildWeightsCommitment(buildDir: string): string | undefined {
  const path = artifactPath(buildDir, 'weights');
  return existsSync(path) ? readWeightsCommitment(path).commitment : undefined;
}

/**
 * Warnings for a gate that passed on trust it made itself: the claim verifier's (a dev setup's keys, an unpinned
 * dataset), and a dataset commitment no one published before this run (the config names no `datasetCommitment`,
 * so the claim is about whatever dataset file the run read, under an opening it may have just drawn).
 */
function gateWarnings(c: GateConfig, commitment: string, v: ClaimReport, buildDir: string): string[] {
  const w: string[] = [];
  if (v.setup === 'dev')
    w.push(
      'the chunk keys come from a dev setup: whoever ran it could forge the claim; set ptau (or use a chunk ceremony) and requireTrustedSetup',
    );
  if (!c.datasetCommitment)
    w.push(
      `dataset commitment ${commitment} was made by this gate run, not pinned: publish it before the release and set datasetCommitment${c.opening ? '' : ' and opening'} in the config`,
    );
  const own = c.weightsCommitment ? undefined : buildWeightsCommitment(buildDir);
  if (own)
    w.push(
      `weights commitment ${own} is the build's own weights.json, not pinned: publish it before the release and set weightsCommitment in the config`,
    );
  // The verifier's dev-setup warning says what the first one says.
  for (const x of v.warnings) if (!(v.setup === 'dev' && /dev setup/.test(x)) && !w.includes(x)) w.push(x);
  return w;
}

/**
 * What the trusted-setup check needs, as for `verify --require-trusted-setup`: the ONNX file to
 * recompile the chunk circuit from, its settings, and the ptau file to rebuild the key from.
 */
function trustedSetupOptions(c: GateConfig, buildDir: string) {
  const onnx = statSync(c.model).isFile() ? c.model : artifactPath(buildDir, 'model');
  return {
    requireTrustedSetup: true,
    ...(existsSync(onnx) ? { modelPath: onnx, settingsPath: artifactPath(buildDir, 'settings') } : {}),
    ...(c.ptau ? { ptau: [c.ptau] } : {}),
    ...(c.trustPtau ? { trustPtau: c.trustPtau } : {}),
  };
}
