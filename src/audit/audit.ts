/**
 * `zkinfer audit`: float (onnxruntime) vs quantized (integer reference) vs proven (verified
 * bundles) on a labelled dataset. Streams the dataset; keeps aggregates, the worst
 * disagreements and an error histogram, never every sample's outputs.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { artifactPath } from '../formats/paths.js';
import { readArtifact } from '../formats/artifacts.js';
import { readQuantizedModel } from '../compile/compile-circuit.js';
import type { QuantizedModel } from '../quantize/quantized-model.js';
import { chunked, readDataset, Sample } from '../accuracy/read-dataset.js';
import { UserError } from '../core/errors.js';
import { compareWithFloat, FidelitySample, requiredFloatCheckError } from '../quantize/fidelity.js';
import { assertFloatCheckAvailable } from '../quantize/onnx-runtime.js';
import { quantizeModel } from '../quantize/quantize-model.js';
import { Settings } from '../formats/settings.js';
import { disagreementAdvice, type DisagreementSides } from './advice.js';
import { auditIdentifiers, type AuditIdentifiers } from './identifiers.js';
import { listBundles, normalizeSource, provenPrediction } from './audit-bundles.js';

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
  /** What names the model, its key and the data (shown on the HTML report). */
  readonly identifiers: AuditIdentifiers;
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
  /** labelConfusion.float[l][f] and .quantized[l][q]: samples labelled l that each model put in class f or q. */
  readonly labelConfusion: { readonly float: number[][]; readonly quantized: number[][] };
  /** The float/quantized disagreements by which side matched the label. */
  readonly disagreementSides: DisagreementSides;
  /** max |float − dequantized| per output index. */
  readonly maxAbsErrorPerOutput: number[];
  /**
   * Histogram of |float − dequantized| over every output value: upper bin edges (last: Infinity, as null in
   * JSON) and counts.
   */
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

/** Running aggregates of an audit: what the report keeps, never every sample's outputs. */
interface AuditTallies {
  /** confusion[f][q], as in the report. */
  readonly confusion: number[][];
  readonly labelFloat: number[][];
  readonly labelQuant: number[][];
  readonly maxErr: number[];
  readonly edges: number[];
  readonly counts: number[];
  /** The worst disagreements so far, worst first. */
  readonly listed: Disagreement[];
  readonly c: {
    n: number;
    floatOk: number;
    quantOk: number;
    agree: number;
    provenN: number;
    provenOk: number;
    provenQ: number;
    provenF: number;
    disagreements: number;
    quantizedWrong: number;
    floatWrong: number;
    bothWrong: number;
  };
}

function newTallies(classes: number): AuditTallies {
  const edges = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, Infinity];
  const square = () => Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  return {
    confusion: square(),
    labelFloat: square(),
    labelQuant: square(),
    maxErr: new Array<number>(classes).fill(0),
    edges,
    counts: new Array<number>(edges.length).fill(0),
    listed: [],
    // prettier-ignore
    c: { n: 0, floatOk: 0, quantOk: 0, agree: 0, provenN: 0, provenOk: 0, provenQ: 0, provenF: 0, disagreements: 0,
      quantizedWrong: 0, floatWrong: 0, bothWrong: 0 },
  };
}

/** The build the audit reads, and the quantize settings it reports. */
interface AuditBuild {
  readonly buildDir: string;
  readonly model: QuantizedModel;
  readonly classes: number;
  readonly settings: Settings;
  /** The key bundles are checked against, when the target is a build that has one. */
  readonly vkeyPath: string | undefined;
  readonly identifiers: AuditIdentifiers;
}

/** Runs the audit. */
export async function audit(opts: AuditOptions): Promise<AuditReport> {
  if (!existsSync(opts.target)) throw new UserError(`${opts.target}: no such model or build directory`);
  const isModel = statSync(opts.target).isFile();
  // An audit compares the quantized model with the float one: a model onnxruntime refuses cannot
  // be audited (quantize, prove and verify still work without it). Refused before any work.
  const model = isModel ? opts.target : artifactPath(opts.target, 'model');
  const why = '; audit compares the quantized model with the float one (quantize, prove and verify work without it)';
  await assertFloatCheckAvailable(model, (refused) => requiredFloatCheckError(model, refused, why));
  const tmp = isModel ? mkdtempSync(join(tmpdir(), 'zkinfer-audit-')) : undefined;
  const buildDir = tmp ?? opts.target;
  try {
    // An ONNX target is quantized into a temporary build, removed in `finally` whatever happens.
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
    // Bundles are checked against the build's own key when there is one; an ONNX target has none.
    const vkeyPath =
      !isModel && existsSync(artifactPath(buildDir, 'vkey')) ? artifactPath(buildDir, 'vkey') : undefined;
    const identifiers = await auditIdentifiers(buildDir, isModel, settings, opts.dataset);
    const build: AuditBuild = { buildDir, model, classes, settings, vkeyPath, identifiers };
    const proven = opts.bundles ? listBundles(opts.bundles) : undefined;
    const t = await tallyDataset(opts, build, proven);
    return auditReport(opts, build, t, proven);
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

/** Streams the dataset in chunks of 64 through both models (and the matching bundles), tallying every sample. */
async function tallyDataset(
  opts: AuditOptions,
  build: AuditBuild,
  proven: ReturnType<typeof listBundles> | undefined,
): Promise<AuditTallies> {
  const { model, classes } = build;
  const shape = { inputSize: model.input.shape.reduce((a, b) => a * b, 1), classes };
  const t = newTallies(classes);
  for await (const chunk of chunked(readDataset(opts.dataset, shape), 64)) {
    const cmp = await compareWithFloat(
      artifactPath(build.buildDir, 'model'),
      model,
      chunk.map((s) => s.input),
    );
    for (const [j, s] of chunk.entries()) {
      const r = cmp[j]!;
      tallyOutputs(t, s, r);
      const p = await tallyProven(t, s, r, proven, build.vkeyPath);
      if (r.floatPrediction !== r.quantizedPrediction || (p !== undefined && p !== r.quantizedPrediction))
        listDisagreement(t, s, r, p, opts.maxListed ?? 50);
    }
  }
  return t;
}

/** Float vs quantized on one sample: accuracy, agreement, confusion and the error histogram. */
function tallyOutputs(t: AuditTallies, s: Sample, r: FidelitySample): void {
  const { c } = t;
  c.n++;
  if (r.floatPrediction === s.label) c.floatOk++;
  if (r.quantizedPrediction === s.label) c.quantOk++;
  if (r.floatPrediction === r.quantizedPrediction) c.agree++;
  else if (r.floatPrediction === s.label) c.quantizedWrong++;
  else if (r.quantizedPrediction === s.label) c.floatWrong++;
  else c.bothWrong++;
  t.confusion[r.floatPrediction]![r.quantizedPrediction]!++;
  t.labelFloat[s.label]![r.floatPrediction]!++;
  t.labelQuant[s.label]![r.quantizedPrediction]!++;
  r.quantized.forEach((q, k) => {
    const e = Math.abs(q - r.float[k]!);
    t.maxErr[k] = Math.max(t.maxErr[k]!, e);
    t.counts[t.edges.findIndex((x) => e <= x)]!++;
  });
}

/**
 * The proven prediction for one sample, when a bundle names it and verifies (tallied); a bundle that does not
 * verify joins the rejected ones.
 */
async function tallyProven(
  t: AuditTallies,
  s: Sample,
  r: FidelitySample,
  proven: ReturnType<typeof listBundles> | undefined,
  vkeyPath: string | undefined,
): Promise<number | undefined> {
  const file = proven?.bySource.get(normalizeSource(s.source));
  if (!file) return undefined;
  const v = await provenPrediction(file, s, vkeyPath);
  if (v.prediction === undefined) {
    proven!.rejected.push({ file, reason: v.reason! });
    return undefined;
  }
  const p = v.prediction;
  const { c } = t;
  c.provenN++;
  if (p === s.label) c.provenOk++;
  if (p === r.quantizedPrediction) c.provenQ++;
  if (p === r.floatPrediction) c.provenF++;
  return p;
}

/** Counts a disagreement and keeps it if it is among the `maxListed` worst (largest float margin) so far. */
function listDisagreement(t: AuditTallies, s: Sample, r: FidelitySample, p: number | undefined, maxListed: number) {
  t.c.disagreements++;
  t.listed.push({
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
  t.listed.sort((a, b) => b.margin - a.margin);
  if (t.listed.length > maxListed) t.listed.pop();
}

/** The report from the tallies, with the gate's verdict (and suggestions) when a limit was given. */
function auditReport(
  opts: AuditOptions,
  { settings, classes, identifiers }: AuditBuild,
  t: AuditTallies,
  proven: ReturnType<typeof listBundles> | undefined,
): AuditReport {
  const { c, maxErr } = t;
  const disagreementRate = (c.n - c.agree) / c.n;
  const worst = maxErr.indexOf(Math.max(...maxErr));
  const passed = opts.maxDisagreement === undefined || disagreementRate <= opts.maxDisagreement;
  const sides = { quantizedWrong: c.quantizedWrong, floatWrong: c.floatWrong, bothWrong: c.bothWrong };
  const { weightBits, activationBits } = settings.quantization;
  return {
    model: {
      target: opts.target,
      file: settings.model.source,
      weightBits,
      activationBits,
    },
    dataset: opts.dataset,
    identifiers,
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
    confusion: t.confusion,
    labelConfusion: { float: t.labelFloat, quantized: t.labelQuant },
    disagreementSides: sides,
    maxAbsErrorPerOutput: maxErr,
    errorHistogram: { edges: t.edges, counts: t.counts },
    disagreements: t.listed,
    disagreementCount: c.disagreements,
    ...(proven
      ? { bundles: { dir: opts.bundles!, total: proven.total, matched: c.provenN, rejected: proven.rejected } }
      : {}),
    ...(opts.maxDisagreement !== undefined
      ? {
          gate: {
            maxDisagreement: opts.maxDisagreement,
            passed,
            suggestions: passed ? [] : disagreementAdvice({ weightBits, activationBits, worstOutput: worst, sides }),
          },
        }
      : {}),
  };
}
