/**
 * `zkinfer gate`: the CI release gate. Reads a small config (zkinfer.gate.json), then runs
 * audit (float vs quantized disagreement) → accuracy proof → verification of the claim, and
 * returns one summary naming every check. The CLI turns it into exit 0 (all passed), 1 (a
 * check failed) or 2 (bad config or input), a Markdown summary for GITHUB_STEP_SUMMARY and
 * `::error` annotations on GitHub Actions.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { audit } from './audit.js';
import { chunkKeyDir } from '../accuracy/chunk-compile.js';
import { AccuracySummary, proveAccuracy } from '../accuracy/prove-accuracy.js';
import { accuracyOpeningPath, artifactPath } from '../formats/paths.js';
import { readJsonFile } from '../core/json.js';
import { UserError } from '../core/errors.js';
import { quantizeModel } from '../quantize/quantize-model.js';
import { ClaimReport, verifyClaim } from '../accuracy/verify-claim.js';

/** The gate config; relative paths are relative to the config file. */
export const gateConfigSchema = z
  .object({
    /** An ONNX model (quantized into `build`) or an existing build directory. */
    model: z.string(),
    /** Build directory for an ONNX model (default `.zkinfer/gate-build` beside the config). */
    build: z.string().optional(),
    calibration: z.string().optional(),
    weightBits: z.number().int().optional(),
    activationBits: z.number().int().optional(),
    dataset: z.string(),
    /** The published dataset commitment the claim must be about (0x-hex). */
    datasetCommitment: z.string().optional(),
    /** The opening that reproduces `datasetCommitment` (default: a fresh one per run). */
    opening: z.string().optional(),
    minAccuracy: z.number().min(0).max(1),
    maxDisagreement: z.number().min(0).max(1).optional(),
    requireTrustedSetup: z.boolean().optional(),
    /**
     * Powers-of-tau file for new chunk keys, and the one the trusted-setup check rebuilds the key
     * from. A chunk ceremony finalized in the build (`zkinfer ceremony finalize BUILD --chunk C`)
     * is used as it is; another ptau than the ceremony's is refused (exit 2), as is replacing
     * ptau keys by dev keys.
     */
    ptau: z.string().optional(),
    /** Powers-of-tau files or blake2b-512 hashes to trust besides the published ones (a private ceremony's). */
    trustPtau: z.array(z.string()).optional(),
    /** A trusted chunk verification key to pin (default: the key this run uses, reported in the summary). */
    vkey: z.string().optional(),
    chunk: z.number().int().positive().optional(),
    workers: z.number().int().positive().optional(),
    /** Where the claim goes (default `zkinfer-gate` beside the config). */
    out: z.string().optional(),
  })
  .strict();

/** A parsed config. */
export type GateConfig = z.infer<typeof gateConfigSchema>;

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
  readonly error?: string;
  readonly seconds: number;
}

/** Reads and validates a gate config; throws {@link UserError} naming the file and field. */
export function readGateConfig(path: string): GateConfig {
  const json = readJsonFile(path, 'gate config');
  const r = gateConfigSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new UserError(`${path}: field ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const base = dirname(resolve(path));
  const rel = (p: string | undefined) => (p === undefined || isAbsolute(p) ? p : join(base, p));
  const c = r.data;
  return {
    ...c,
    model: rel(c.model)!,
    build: rel(c.build ?? '.zkinfer/gate-build'),
    calibration: rel(c.calibration),
    dataset: rel(c.dataset)!,
    opening: rel(c.opening),
    ptau: rel(c.ptau),
    vkey: rel(c.vkey),
    out: rel(c.out ?? 'zkinfer-gate'),
    // A blake2b-512 hash stays as it is; anything else is a file, relative to the config.
    ...(c.trustPtau ? { trustPtau: c.trustPtau.map((t) => (/^(0x)?[0-9a-f]{128}$/i.test(t) ? t : rel(t)!)) } : {}),
  };
}

/** Runs the gate described by the config file at `configPath`. */
export async function runGate(configPath: string, onProgress?: (msg: string) => void): Promise<GateSummary> {
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
      error: e.message,
      seconds: seconds(),
    };
  }
  checks.push({ check: 'config', ok: true, detail: configPath });
  try {
    // `return await`: a UserError from any stage must land in the catch below, as bad input (exit 2).
    return await runStages(configPath, c, checks, seconds, onProgress);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    checks.push({ check: 'config', ok: false, detail: e.message });
    return { passed: false, exitCode: 2, config: configPath, checks, error: e.message, seconds: seconds() };
  }
}

/** audit → accuracy proof → claim verification, pushing each stage's checks; the summary of a run that got through. */
async function runStages(
  configPath: string,
  c: GateConfig,
  checks: GateCheck[],
  seconds: () => number,
  onProgress: ((msg: string) => void) | undefined,
): Promise<GateSummary> {
  const buildDir = await gateBuildDir(configPath, c, onProgress);
  onProgress?.('audit: float vs quantized');
  const a = await audit({ target: buildDir, dataset: c.dataset, maxDisagreement: c.maxDisagreement });
  if (c.maxDisagreement !== undefined) {
    checks.push({
      check: 'max-disagreement',
      ok: a.gate!.passed,
      detail: `float/quantized disagreement ${(100 * a.disagreementRate).toFixed(2)} % (limit ${(100 * c.maxDisagreement).toFixed(2)} %)${a.gate!.passed ? '' : `; try ${a.gate!.suggestions[0]}`}`,
    });
  }
  const { s, v, vkey } = await proveAndVerify(c, buildDir, checks, onProgress);
  const passed = checks.every((x) => x.ok);
  return {
    passed,
    exitCode: passed ? 0 : 1,
    config: configPath,
    checks,
    accuracy: {
      proven: s.accuracy,
      correct: s.correct,
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
    seconds: seconds(),
  };
}

/** The build to gate: the config's build directory, quantized from the model first when the model is an ONNX file. */
async function gateBuildDir(
  configPath: string,
  c: GateConfig,
  onProgress: ((msg: string) => void) | undefined,
): Promise<string> {
  if (!existsSync(c.model)) throw new UserError(`${configPath}: model ${c.model} not found`);
  if (!statSync(c.model).isFile()) return c.model;
  const buildDir = c.build!;
  onProgress?.(`quantizing ${c.model} into ${buildDir}`);
  await quantizeModel({
    modelPath: c.model,
    outDir: buildDir,
    calibrationPath: c.calibration,
    weightBits: c.weightBits,
    activationBits: c.activationBits,
  });
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
): Promise<{ s: AccuracySummary; v: ClaimReport; vkey: string }> {
  onProgress?.('accuracy proof');
  const s = await proveAccuracy({
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
  const v = await verifyClaim({
    claimPath: s.claim,
    vkeyPath: vkey,
    ...(c.datasetCommitment
      ? { datasetCommitment: c.datasetCommitment }
      : { dataset: c.dataset, opening: c.opening ?? accuracyOpeningPath(c.out!) }),
    ...(c.requireTrustedSetup ? trustedSetupOptions(c, buildDir) : {}),
  });
  // The trusted-setup verdict is its own gate check (below), not part of whether the claim verifies.
  const structural = v.checks.filter((x) => x.check !== 'trusted-setup');
  const bad = structural.find((x) => !x.ok);
  checks.push({
    check: 'claim',
    ok: !bad,
    detail: bad ? `${bad.check}: ${bad.detail}` : `claim verified (${structural.length} checks) with key ${vkey}`,
  });
  checks.push({
    check: 'min-accuracy',
    ok: s.accuracy >= c.minAccuracy,
    detail: `proven accuracy ${(100 * s.accuracy).toFixed(2)} % (minimum ${(100 * c.minAccuracy).toFixed(2)} %)`,
  });
  const ts = v.checks.find((x) => x.check === 'trusted-setup');
  if (ts) checks.push({ check: 'trusted-setup', ok: ts.ok, detail: ts.detail });
  return { s, v, vkey };
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

/** The Markdown appended to GITHUB_STEP_SUMMARY. */
export function gateMarkdown(s: GateSummary): string {
  const lines = [`## zkinfer gate: ${s.passed ? '✅ passed' : '❌ failed'}`, ''];
  if (s.accuracy) {
    lines.push(
      `Proven accuracy **${(100 * s.accuracy.proven).toFixed(2)} %** (${s.accuracy.correct}/${s.accuracy.samples}); float ${(100 * s.accuracy.float).toFixed(2)} %, quantized ${(100 * s.accuracy.quantized).toFixed(2)} % (unverified).`,
      '',
    );
  }
  lines.push('| check | result | detail |', '| --- | --- | --- |');
  for (const c of s.checks) lines.push(`| ${c.check} | ${c.ok ? '✅' : '❌'} | ${c.detail.replace(/\|/g, '\\|')} |`);
  if (s.claim)
    lines.push(
      '',
      `Claim: \`${s.claim}\` · dataset commitment \`${s.datasetCommitment}\` · chunk key hash \`${s.vkeyHash}\`${s.setup === 'dev' ? ' · dev setup (not for production)' : ''}`,
    );
  return lines.join('\n') + '\n';
}

/** `::error` workflow commands, one per failed check (GitHub escapes: %, CR, LF). */
export function gateAnnotations(s: GateSummary): string[] {
  const escape = (t: string) => t.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  return s.checks.filter((c) => !c.ok).map((c) => `::error title=zkinfer gate ${c.check}::${escape(c.detail)}`);
}
