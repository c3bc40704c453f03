/**
 * Stage 2: turn a lowered float graph into a {@link QuantizedModel}. Scales are powers of two
 * so every rescale is an exact arithmetic shift the circuit can prove. Activation scales come
 * from calibration; accumulator widths come from worst-case bounds over the whole input
 * range, so every input the verifier accepts as in range is provable. Each float op kind has
 * its quantizer in quantize-kinds.ts; what they share is the QuantizeContext.
 */
import { quote, UserError } from '../core/errors.js';
import type { FloatGraph } from './float-ir.js';
import { runFloatGraph } from './float-ir.js';
import { isIntegerInput } from '../onnx/load-onnx.js';
import type { InputPart, QuantizedModel } from '../formats/quantized-schema.js';
import {
  calibrationStats as stats,
  CalibrationDecisions,
  FRAC_BOUNDS,
  INPUT_DECISION,
  integerInputDecision,
} from './calibration-decisions.js';
import { checkBits, chooseFrac, QuantizeContext } from './quantize-context.js';
import { quantizeOp } from './quantize-kinds.js';
import { learnedConstantField, learnedConstantMessage, type WeightsMode } from '../formats/hashed-weights.js';

/** Quantization knobs. */
export interface QuantizeOptions {
  /** Bits per weight, signed (default 8). */
  readonly weightBits?: number;
  /** Bits per activation and input (default 8). */
  readonly activationBits?: number;
  /** Bits of the model input (default: activationBits). */
  readonly inputBits?: number;
  /** Per-layer activation bits, keyed by the name of the requantize or table op (see `quantize --target-agreement`). */
  readonly layerBits?: Readonly<Record<string, number>>;
  /**
   * Where calibration-dependent choices are made and recorded (settings.json's `decisions`).
   * Constructed with a record (replaying a published settings.json), no calibration input is
   * needed and the result is what the original quantization produced.
   */
  readonly decisions?: CalibrationDecisions;
  /**
   * 'hashed' (issue 21): linear weights and biases become private witnesses; their scales and
   * widths are recorded decisions and every range follows from widths, never values (default 'fixed').
   */
  readonly weights?: WeightsMode;
  /** Receives each quantization warning once (default: dropped). */
  readonly onWarning?: (message: string) => void;
}

/**
 * The input scale and ranges: float inputs share one scale from their joint calibration range;
 * integer inputs keep scale 1 and the integer range seen in calibration (inputs outside it are
 * refused). Seeds the context with each input part's state; returns the parts and the float scale.
 */
function quantizeInputs(graph: FloatGraph, c: QuantizeContext, ib: number): { parts: InputPart[]; frac: number } {
  const { decisions: d, samples } = c;
  const floatParts = graph.inputs.filter((p) => !isIntegerInput(p));
  const inStats = (): { min: number; max: number } => {
    const fl = floatParts.map((p) => stats(samples, p.name));
    return { min: Math.min(...fl.map((s) => s.min)), max: Math.max(...fl.map((s) => s.max)) };
  };
  const unsigned = d.flag(INPUT_DECISION, 'unsigned', () => inStats().min >= 0);
  const inLimit = unsigned ? 2 ** ib - 1 : 2 ** (ib - 1) - 1;
  const inFrac = d.int(
    INPUT_DECISION,
    'frac',
    () => {
      const r = inStats();
      return floatParts.length ? chooseFrac(Math.max(Math.abs(r.min), Math.abs(r.max)), inLimit) : 0;
    },
    FRAC_BOUNDS.min,
    FRAC_BOUNDS.max,
  );
  const inLo = unsigned ? 0 : -(2 ** (ib - 1));
  const parts: InputPart[] = graph.inputs.map((p) => {
    if (!isIntegerInput(p))
      return { name: p.name, shape: p.shape, elemType: p.elemType, frac: inFrac, lo: inLo, hi: inLimit };
    // A BOOL input is 0 or 1 whatever calibration saw: the circuit range-checks it to exactly that.
    if (p.elemType === 'BOOL') return { name: p.name, shape: p.shape, elemType: p.elemType, frac: 0, lo: 0, hi: 1 };
    const key = integerInputDecision(p.name);
    const range = (): { min: number; max: number } => {
      const r = stats(samples, p.name);
      if (!Number.isSafeInteger(r.min) || !Number.isSafeInteger(r.max))
        throw new UserError(`graph input "${p.name}" (${p.elemType}): calibration values must be integers`);
      return r;
    };
    const lo = d.int(key, 'lo', () => range().min);
    const hi = d.int(key, 'hi', () => range().max, lo);
    return { name: p.name, shape: p.shape, elemType: p.elemType, frac: 0, lo, hi };
  });
  for (const p of parts) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    c.states.set(p.name, { frac: p.frac, kind: 'act', lo: new Array(n).fill(p.lo), hi: new Array(n).fill(p.hi) });
  }
  return { parts, frac: inFrac };
}

/** The model record around the quantized ops: the input (with its parts) and the output's scale and range. */
function assembleModel(
  graph: FloatGraph,
  c: QuantizeContext,
  input: { parts: InputPart[]; frac: number },
  ib: number,
): QuantizedModel {
  const { parts } = input;
  const out = c.state(graph.output.name);
  let outLo = Infinity;
  let outHi = -Infinity;
  for (let i = 0; i < out.lo.length; i++) {
    outLo = Math.min(outLo, out.lo[i]!);
    outHi = Math.max(outHi, out.hi[i]!);
  }
  return {
    formatVersion: 1,
    // Absent with fixed weights, so those files stay byte-identical to older ones.
    ...(c.mode.weights === 'hashed' ? { weights: 'hashed' as const } : {}),
    input: {
      name: graph.input.name,
      shape: graph.input.shape,
      frac: input.frac,
      bits: ib,
      lo: Math.min(...parts.map((p) => p.lo)),
      hi: Math.max(...parts.map((p) => p.hi)),
      // Only a model with several inputs or an integer one records its parts (older readers ignore them).
      ...(parts.length > 1 || parts.some(isIntegerInput) ? { parts } : {}),
    },
    output: { name: graph.output.name, shape: graph.output.shape, frac: out.frac, lo: outLo, hi: outHi },
    ops: c.ops,
    ...(graph.droppedFinal ? { droppedFinal: graph.droppedFinal } : {}),
  };
}

/** Hashed weights hide linear layers only: an op still carrying a learned tensor is refused by node. */
function refuseLearnedConstants(c: QuantizeContext): void {
  for (const op of c.ops) {
    const field = learnedConstantField(op);
    if (field !== undefined)
      throw new UserError(`node ${quote(op.name.split('::')[0]!)} (${op.kind}): ${learnedConstantMessage(field)}`);
  }
}

/**
 * Quantizes `graph` using `calibration` inputs (float, in the model's input layout) to pick
 * the input and activation scales.
 */
export function quantizeGraph(
  graph: FloatGraph,
  calibration: Float64Array[],
  options: QuantizeOptions = {},
): QuantizedModel {
  const wb = options.weightBits ?? 8;
  const ab = options.activationBits ?? 8;
  const ib = checkBits('--input-bits', options.inputBits ?? ab);
  if (!Number.isInteger(wb) || wb < 2 || wb > 16)
    throw new UserError(`--weight-bits must be an integer in 2..16, got ${wb}`);
  if (!Number.isInteger(ab) || ab < 2 || ab > 16)
    throw new UserError(`--activation-bits must be an integer in 2..16, got ${ab}`);
  // Every calibration-dependent choice goes through `d`: computed from `samples` and
  // recorded, or replayed from a published record (then `samples` is empty and never read).
  const d = options.decisions ?? new CalibrationDecisions();
  if (calibration.length === 0 && !d.replaying)
    throw new UserError('quantization needs at least one calibration input');
  const nIn = graph.input.shape.reduce((a, b) => a * b, 1);
  const wrong = calibration.findIndex((x) => x.length !== nIn);
  if (wrong >= 0)
    throw new UserError(
      `calibration input ${wrong} has ${calibration[wrong]!.length} values, the model input ${JSON.stringify(graph.input.shape)} has ${nIn}`,
    );
  const samples = d.replaying ? [] : calibration.map((x) => runFloatGraph(graph, x));
  const weights = options.weights ?? 'fixed';
  const c = new QuantizeContext(
    d,
    samples,
    { weightBits: wb, activationBits: ab, layerBits: options.layerBits },
    { weights, warn: options.onWarning ?? (() => {}) },
  );
  const input = quantizeInputs(graph, c, ib);
  for (const op of graph.ops) quantizeOp(c, op);
  if (weights === 'hashed') refuseLearnedConstants(c);
  return assembleModel(graph, c, input, ib);
}
