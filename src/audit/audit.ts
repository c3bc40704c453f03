/**
 * `zkinfer audit`: float (onnxruntime) vs quantized (integer reference) vs proven (verified
 * bundles) on a labelled dataset. Streams the dataset; keeps aggregates, the worst
 * disagreements and an error histogram, never every sample's outputs.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { artifactPath, BUNDLE_SUFFIX, openingPathFor } from '../formats/paths.js';
import { readArtifact } from '../formats/artifacts.js';
import type { ProofBundle } from '../formats/bundle.js';
import { readQuantizedModel } from '../compile/compile-circuit.js';
import { chunked, readDataset, Sample } from '../accuracy/read-dataset.js';
import { UserError } from '../core/errors.js';
import { compareWithFloat } from '../quantize/fidelity.js';
import { quantizeModel } from '../quantize/quantize-model.js';
import { Settings } from '../formats/settings.js';
import { verifyBundle } from '../verify/verify-bundle.js';

/** Options of {@link audit}. */
export interface AuditOptions {
  /** An ONNX model (quantized on the fly) or a build directory. */
  readonly target: string;
  readonly dataset: string;
  /** A directory of proof bundles of dataset samples (from `zkinfer prove BUILD --inputs DATA`). */
  readonly bundles?: string;
  /** Fail (exit 1) when the float/quantized disagreement rate is above this fraction. */
  readonly maxDisagreement?: number;
  /** For an ONNX target: calibration file and bit widths (as `zkinfer quantize`). */
  readonly calibration?: string;
  readonly weightBits?: number;
  readonly activationBits?: number;
  /** How many disagreements to list (default 50). */
  readonly maxListed?: number;
}

/** One sample where two of float, quantized and proven disagree. */
export interface Disagreement {
  readonly index: number;
  readonly source: string;
  readonly label: number;
  readonly float: number;
  readonly quantized: number;
  readonly proven?: number;
  readonly floatOutput: number[];
  readonly quantizedOutput: number[];
  /** float[float prediction] − float[quantized prediction]: how strongly the float model preferred its answer. */
  readonly margin: number;
}

/** Accuracy of one of the three. */
export interface Tally {
  readonly samples: number;
  readonly correct: number;
  readonly accuracy: number;
}

/** What {@link audit} returns (and `--json` prints). */
export interface AuditReport {
  readonly model: {
    readonly target: string;
    readonly file: string;
    readonly weightBits: number;
    readonly activationBits: number;
  };
  readonly dataset: string;
  readonly samples: number;
  readonly classes: number;
  readonly accuracy: { readonly float: Tally; readonly quantized: Tally; readonly proven?: Tally };
  readonly agreement: {
    readonly floatQuantized: number;
    readonly provenQuantized?: number;
    readonly provenFloat?: number;
  };
  /** 1 − floatQuantized agreement. */
  readonly disagreementRate: number;
  /** confusion[f][q]: samples the float model put in class f and the quantized one in q. */
  readonly confusion: number[][];
  /** max |float − dequantized| per output index. */
  readonly maxAbsErrorPerOutput: number[];
  /** Histogram of |float − dequantized| over every output value: upper bin edges (last: Infinity, as null in JSON) and counts. */
  readonly errorHistogram: { readonly edges: number[]; readonly counts: number[] };
  /** Worst first (largest margin); at most maxListed of disagreementCount. */
  readonly disagreements: Disagreement[];
  readonly disagreementCount: number;
  readonly bundles?: {
    readonly dir: string;
    readonly total: number;
    readonly matched: number;
    readonly rejected: Array<{ readonly file: string; readonly reason: string }>;
  };
  readonly gate?: { readonly maxDisagreement: number; readonly passed: boolean; readonly suggestions: string[] };
}

const tally = (correct: number, samples: number): Tally => ({
  samples,
  correct,
  accuracy: samples ? correct / samples : 0,
});

function normalizeSource(source: string): string {
  const m = /^(.*?)(:\d+)?$/.exec(source)!;
  return resolve(m[1]!) + (m[2] ?? '');
}

/** Bundle files by the sample they name (`file:line` or `.pb` path); verified later, against that sample. */
function listBundles(dir: string): {
  bySource: Map<string, string>;
  rejected: Array<{ file: string; reason: string }>;
  total: number;
} {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UserError(`${dir}: --bundles must be a directory of .proof.json files`);
  const bySource = new Map<string, string>();
  const rejected: Array<{ file: string; reason: string }> = [];
  const names = readdirSync(dir)
    .filter((n) => n.endsWith(BUNDLE_SUFFIX))
    .sort();
  for (const name of names) {
    const file = join(dir, name);
    let source: unknown;
    try {
      source = (JSON.parse(readFileSync(file, 'utf8')) as { input?: { source?: unknown } }).input?.source;
    } catch {
      source = undefined;
    }
    if (typeof source !== 'string') rejected.push({ file, reason: 'not a bundle naming its input' });
    else bySource.set(normalizeSource(source), file);
  }
  return { bySource, rejected, total: names.length };
}

/**
 * The proven prediction of `file` for sample `s`: the bundle must verify (against the build's
 * key when there is one), and its input — public values, or the commitment opened by the
 * opening beside it — must be this very sample.
 */
async function provenPrediction(
  file: string,
  s: Sample,
  vkeyPath: string | undefined,
): Promise<{ prediction?: number; reason?: string }> {
  const opening = openingPathFor(file);
  const report = await verifyBundle({
    bundlePath: file,
    ...(vkeyPath ? { vkeyPath } : { allowUnpinned: true }),
    ...(existsSync(opening) ? { openingPath: opening } : {}),
    inputValues: { values: s.input, label: s.source },
  });
  if (!report.valid) return { reason: `${report.failed} check failed` };
  const prediction = (JSON.parse(readFileSync(file, 'utf8')) as ProofBundle).prediction;
  return prediction === undefined ? { reason: 'the bundle has no prediction (hashed output)' } : { prediction };
}

/** Settings to try when quantization disagrees with the float model too often. */
function suggestions(weightBits: number, activationBits: number, worstOutput: number): string[] {
  const out = [`more activation bits: --activation-bits ${Math.min(activationBits + 2, 16)} (now ${activationBits})`];
  if (weightBits < 12) out.push(`more weight bits: --weight-bits ${Math.min(weightBits + 2, 16)} (now ${weightBits})`);
  out.push(
    "per-layer scales: calibrate on inputs covering every class (--calibration FILE), so each layer's power-of-two scale fits its real range",
  );
  out.push(`the largest error is on output ${worstOutput}: check the last layer's scale in settings.json`);
  return out;
}

/** Runs the audit. */
export async function audit(opts: AuditOptions): Promise<AuditReport> {
  if (!existsSync(opts.target)) throw new UserError(`${opts.target}: no such model or build directory`);
  const isModel = statSync(opts.target).isFile();
  const tmp = isModel ? mkdtempSync(join(tmpdir(), 'zkinfer-audit-')) : undefined;
  const buildDir = tmp ?? opts.target;
  try {
    if (isModel)
      await quantizeModel({
        modelPath: opts.target,
        outDir: buildDir,
        calibrationPath: opts.calibration,
        weightBits: opts.weightBits,
        activationBits: opts.activationBits,
      });
    const { model } = readQuantizedModel(buildDir);
    const settings = readArtifact<Settings>(buildDir, 'settings', 'quantize');
    const classes = model.output.shape.reduce((a, b) => a * b, 1);
    const shape = { inputSize: model.input.shape.reduce((a, b) => a * b, 1), classes };
    // Bundles are checked against the build's own key when there is one; an ONNX target has none.
    const vkeyPath =
      !isModel && existsSync(artifactPath(buildDir, 'vkey')) ? artifactPath(buildDir, 'vkey') : undefined;
    const proven = opts.bundles ? listBundles(opts.bundles) : undefined;
    const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
    const maxErr = new Array<number>(classes).fill(0);
    const edges = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, Infinity];
    const counts = new Array<number>(edges.length).fill(0);
    const listed: Disagreement[] = [];
    const c = {
      n: 0,
      floatOk: 0,
      quantOk: 0,
      agree: 0,
      provenN: 0,
      provenOk: 0,
      provenQ: 0,
      provenF: 0,
      disagreements: 0,
    };
    for await (const chunk of chunked(readDataset(opts.dataset, shape), 64)) {
      const cmp = await compareWithFloat(
        artifactPath(buildDir, 'model'),
        model,
        chunk.map((s) => s.input),
      );
      for (const [j, s] of chunk.entries()) {
        const r = cmp[j]!;
        c.n++;
        if (r.floatPrediction === s.label) c.floatOk++;
        if (r.quantizedPrediction === s.label) c.quantOk++;
        if (r.floatPrediction === r.quantizedPrediction) c.agree++;
        confusion[r.floatPrediction]![r.quantizedPrediction]!++;
        r.quantized.forEach((q, k) => {
          const e = Math.abs(q - r.float[k]!);
          maxErr[k] = Math.max(maxErr[k]!, e);
          counts[edges.findIndex((x) => e <= x)]!++;
        });
        let p: number | undefined;
        const file = proven?.bySource.get(normalizeSource(s.source));
        if (file) {
          const v = await provenPrediction(file, s, vkeyPath);
          if (v.prediction === undefined) proven!.rejected.push({ file, reason: v.reason! });
          else {
            p = v.prediction;
            c.provenN++;
            if (p === s.label) c.provenOk++;
            if (p === r.quantizedPrediction) c.provenQ++;
            if (p === r.floatPrediction) c.provenF++;
          }
        }
        if (r.floatPrediction !== r.quantizedPrediction || (p !== undefined && p !== r.quantizedPrediction)) {
          c.disagreements++;
          listed.push({
            index: s.index,
            source: s.source,
            label: s.label,
            float: r.floatPrediction,
            quantized: r.quantizedPrediction,
            ...(p !== undefined ? { proven: p } : {}),
            floatOutput: r.float,
            quantizedOutput: r.quantized,
            margin: r.float[r.floatPrediction]! - r.float[r.quantizedPrediction]!,
          });
          listed.sort((a, b) => b.margin - a.margin);
          if (listed.length > (opts.maxListed ?? 50)) listed.pop();
        }
      }
    }
    const disagreementRate = (c.n - c.agree) / c.n;
    const worst = maxErr.indexOf(Math.max(...maxErr));
    const passed = opts.maxDisagreement === undefined || disagreementRate <= opts.maxDisagreement;
    return {
      model: {
        target: opts.target,
        file: settings.model.source,
        weightBits: settings.quantization.weightBits,
        activationBits: settings.quantization.activationBits,
      },
      dataset: opts.dataset,
      samples: c.n,
      classes,
      accuracy: {
        float: tally(c.floatOk, c.n),
        quantized: tally(c.quantOk, c.n),
        ...(proven ? { proven: tally(c.provenOk, c.provenN) } : {}),
      },
      agreement: {
        floatQuantized: c.agree / c.n,
        ...(c.provenN ? { provenQuantized: c.provenQ / c.provenN, provenFloat: c.provenF / c.provenN } : {}),
      },
      disagreementRate,
      confusion,
      maxAbsErrorPerOutput: maxErr,
      errorHistogram: { edges, counts },
      disagreements: listed,
      disagreementCount: c.disagreements,
      ...(proven
        ? { bundles: { dir: opts.bundles!, total: proven.total, matched: c.provenN, rejected: proven.rejected } }
        : {}),
      ...(opts.maxDisagreement !== undefined
        ? {
            gate: {
              maxDisagreement: opts.maxDisagreement,
              passed,
              suggestions: passed
                ? []
                : suggestions(settings.quantization.weightBits, settings.quantization.activationBits, worst),
            },
          }
        : {}),
    };
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}
