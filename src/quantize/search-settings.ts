/**
 * `quantize --target-agreement X`: searches activation bit widths for the cheapest circuit
 * whose top-1 agreement with the float model (onnxruntime) on the calibration set is ≥ X.
 *
 * First the smallest uniform width (input and every layer) that reaches X, from 4 bits up;
 * then, greedily, layer by layer and for the input, one bit less at a time while the
 * agreement stays ≥ X and the constraint count drops. Constraints are counted by the injected
 * {@link CircuitCost} (src/compile/search-settings.ts builds the circuit, witness-only, on the
 * first calibration input): the circuit lives above quantize, so the caller supplies it. The
 * output scale follows from the last layer, so it is searched through the layers that feed it.
 */
import type { WeightsMode } from '../formats/hashed-weights.js';
import { UserError } from '../core/errors.js';
import type { FloatGraph } from './float-ir.js';
import { runOnnxRuntime } from './onnx-runtime.js';
import { quantizeGraph } from './quantize-graph.js';
import { argmax, QuantizedModel, runIntegerModel } from './quantized-model.js';
import { quantizeInput } from './quantize-input.js';

/** The constraint count of `model`'s circuit, built on the quantized input `xq`. */
export type CircuitCost = (model: QuantizedModel, xq: number[]) => number;

/** One evaluated setting. */
export interface TriedSetting {
  readonly inputBits: number;
  readonly activationBits: number;
  /** Layers whose width differs from `activationBits`. */
  readonly layerBits: Record<string, number>;
  readonly agreement: number;
  readonly constraints: number;
  /** Whether the search kept it (meets the target and is the cheapest so far). */
  readonly kept: boolean;
}

/** Options of {@link searchSettings}. */
export interface SearchOptions {
  readonly modelPath: string;
  readonly graph: FloatGraph;
  readonly calibration: Float64Array[];
  /** Required top-1 agreement in [0, 1]. */
  readonly targetAgreement: number;
  readonly weightBits?: number;
  /** The weights mode the candidates are quantized (and costed) with. */
  readonly weights?: WeightsMode;
  readonly minBits?: number;
  readonly maxBits?: number;
  /** What a setting costs: its circuit's constraint count. */
  readonly circuitCost: CircuitCost;
}

/** The search result: the chosen setting and every setting tried, in order. */
export interface SearchResult {
  readonly best: TriedSetting;
  readonly tried: TriedSetting[];
}

/** Names of the ops whose width `layerBits` sets. */
export function tunableLayers(model: QuantizedModel): string[] {
  return model.ops.filter((o) => o.kind === 'requantize' || o.kind === 'table').map((o) => o.name);
}

/** Runs the search; throws a {@link UserError} when even `maxBits` misses the target. */
export async function searchSettings(opts: SearchOptions): Promise<SearchResult> {
  const { graph, calibration, targetAgreement } = opts;
  if (!(targetAgreement >= 0 && targetAgreement <= 1))
    throw new UserError(`--target-agreement must be in [0, 1] (a fraction), got ${targetAgreement}`);
  const minBits = opts.minBits ?? 4;
  const maxBits = opts.maxBits ?? 12;
  const floats = await runOnnxRuntime(opts.modelPath, graph.input.name, graph.input.shape, calibration);
  const want = floats.map((f) => argmax(f));
  const tried: TriedSetting[] = [];
  let best: TriedSetting | undefined;
  const evaluate = (inputBits: number, activationBits: number, layerBits: Record<string, number>): TriedSetting => {
    const q = quantizeGraph(graph, calibration, {
      weightBits: opts.weightBits,
      weights: opts.weights,
      activationBits,
      inputBits,
      layerBits,
    });
    let agree = 0;
    calibration.forEach((x, i) => {
      if (argmax(runIntegerModel(q, quantizeInput(q, x)).get(q.output.name)!) === want[i]) agree++;
    });
    const constraints = opts.circuitCost(q, quantizeInput(q, calibration[0]!));
    const agreement = agree / calibration.length;
    const kept = agreement >= targetAgreement && (!best || constraints < best.constraints);
    const t: TriedSetting = { inputBits, activationBits, layerBits: { ...layerBits }, agreement, constraints, kept };
    tried.push(t);
    if (kept) best = t;
    return t;
  };
  for (let b = minBits; b <= maxBits && !best; b++) evaluate(b, b, {});
  if (!best) {
    const top = tried.reduce((a, t) => (t.agreement > a.agreement ? t : a));
    throw new UserError(
      `no uniform width up to ${maxBits} bits reaches top-1 agreement ${(100 * targetAgreement).toFixed(1)}% (best ${(100 * top.agreement).toFixed(1)}% at ${top.activationBits} bits)`,
    );
  }
  const base = best.activationBits;
  const layers = tunableLayers(
    quantizeGraph(graph, calibration, { weightBits: opts.weightBits, weights: opts.weights, activationBits: base }),
  );
  for (const layer of [...layers, '::input']) {
    for (let b = base - 1; b >= Math.max(2, minBits - 2); b--) {
      const cur = best;
      const layerBits = layer === '::input' ? cur.layerBits : { ...cur.layerBits, [layer]: b };
      const t = evaluate(layer === '::input' ? b : cur.inputBits, base, layerBits);
      if (!t.kept) break;
    }
  }
  return { best, tried };
}

/** The tried settings as a markdown table. */
export function triedTable(r: SearchResult): string {
  const lines = [
    '| # | input bits | activation bits | narrower layers | top-1 agreement | constraints | chosen |',
    '| ---: | ---: | ---: | --- | ---: | ---: | --- |',
  ];
  r.tried.forEach((t, i) => {
    const layers =
      Object.entries(t.layerBits)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ') || '–';
    lines.push(
      `| ${i + 1} | ${t.inputBits} | ${t.activationBits} | ${layers} | ${(100 * t.agreement).toFixed(1)}% | ${t.constraints.toLocaleString('en-US')} | ${t === r.best ? '**best**' : t.kept ? 'kept' : ''} |`,
    );
  });
  return lines.join('\n');
}
