/**
 * Stage 2: turn a lowered float graph into a {@link QuantizedModel}. Scales are powers of two
 * so every rescale is an exact arithmetic shift the circuit can prove. Activation scales come
 * from calibration; accumulator widths come from worst-case bounds over the whole input
 * range, so every input the verifier accepts as in range is provable.
 */
import { quote, UserError } from '../core/errors.js';
import { requantizeAccBits } from '../../circuits/requantize.js';
import type { FloatGraph, WhereOp } from './float-ir.js';
import { runFloatGraph } from './float-ir.js';
import { linearTerms } from './linear-spec.js';
import { isIntegerInput } from '../onnx/load-onnx.js';
import type { InputPart, QOp, QuantizedModel } from './quantized-model.js';
import { requantizeNumber } from './quantized-model.js';
import { quantizeAdd, quantizeClamp, quantizeConcat, quantizeLeakyRelu, quantizeMaxPool, quantizePermute, TensorState } from './quantize-ops.js';
import { quantizeBinary, quantizeDivConst, quantizeWhere } from './quantize-selection.js';
import { quantizeDivide, quantizeProduct, quantizeSoftmax } from './quantize-products.js';
import { domainBits, maxOf, minOf, quantizeTable, TABLE_INPUT_BITS } from './quantize-table.js';
import { calibrationStats as stats, CalibrationDecisions, FRAC_BOUNDS, INPUT_DECISION, integerInputDecision } from './calibration-decisions.js';

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
}

function checkBits(what: string, n: number): number {
  if (!Number.isInteger(n) || n < 2 || n > 16) throw new UserError(`${what} must be an integer in 2..16, got ${n}`);
  return n;
}

/** Largest |constant| among a Where's branches (scales them when neither is an activation). */
function maxAbsConst(op: WhereOp): number {
  let m = 0;
  for (const o of [op.x, op.y]) if ('constant' in o) for (const v of o.constant) m = Math.max(m, Math.abs(v));
  return m;
}

/** Largest frac such that maxAbs · 2^frac ≤ limit; capped so tiny ranges do not explode. */
export function chooseFrac(maxAbs: number, limit: number, cap = 24): number {
  if (!(maxAbs > 0)) return 0;
  return Math.min(cap, Math.floor(Math.log2(limit / maxAbs)));
}

/** Fractional bits of a requantize output from its calibration range, never above the input's. */
function calibratedFrac(st: { min: number; max: number }, inFrac: number, relu: boolean, ab: number): number {
  const limit = relu ? 2 ** ab - 1 : 2 ** (ab - 1) - 1;
  const maxAbs = relu ? Math.max(st.max, 0) : Math.max(Math.abs(st.min), Math.abs(st.max));
  return Math.min(inFrac, maxAbs > 0 ? chooseFrac(maxAbs, limit, 64) : inFrac);
}

/**
 * Quantizes `graph` using `calibration` inputs (float, in the model's input layout) to pick
 * the input and activation scales.
 */
export function quantizeGraph(graph: FloatGraph, calibration: Float64Array[], options: QuantizeOptions = {}): QuantizedModel {
  const wb = options.weightBits ?? 8;
  const ab = options.activationBits ?? 8;
  const ib = checkBits('--input-bits', options.inputBits ?? ab);
  const bitsOf = (layer: string): number => checkBits(`bits of layer "${layer}"`, options.layerBits?.[layer] ?? ab);
  if (!Number.isInteger(wb) || wb < 2 || wb > 16) throw new UserError(`--weight-bits must be an integer in 2..16, got ${wb}`);
  if (!Number.isInteger(ab) || ab < 2 || ab > 16) throw new UserError(`--activation-bits must be an integer in 2..16, got ${ab}`);
  // Every calibration-dependent choice below goes through `d`: computed from `samples` and
  // recorded, or replayed from a published record (then `samples` is empty and never read).
  const d = options.decisions ?? new CalibrationDecisions();
  if (calibration.length === 0 && !d.replaying) throw new UserError('quantization needs at least one calibration input');
  const nIn = graph.input.shape.reduce((a, b) => a * b, 1);
  const wrong = calibration.findIndex((x) => x.length !== nIn);
  if (wrong >= 0) throw new UserError(`calibration input ${wrong} has ${calibration[wrong]!.length} values, the model input ${JSON.stringify(graph.input.shape)} has ${nIn}`);
  const samples = d.replaying ? [] : calibration.map((x) => runFloatGraph(graph, x));
  // Float inputs share one scale from their joint calibration range; integer inputs keep
  // scale 1 and the integer range seen in calibration (inputs outside it are refused).
  const floatParts = graph.inputs.filter((p) => !isIntegerInput(p));
  const inStats = (): { min: number; max: number } => {
    const fl = floatParts.map((p) => stats(samples, p.name));
    return { min: Math.min(...fl.map((s) => s.min)), max: Math.max(...fl.map((s) => s.max)) };
  };
  const unsigned = d.flag(INPUT_DECISION, 'unsigned', () => inStats().min >= 0);
  const inLimit = unsigned ? 2 ** ib - 1 : 2 ** (ib - 1) - 1;
  const inFrac = d.int(INPUT_DECISION, 'frac', () => {
    const r = inStats();
    return floatParts.length ? chooseFrac(Math.max(Math.abs(r.min), Math.abs(r.max)), inLimit) : 0;
  }, FRAC_BOUNDS.min, FRAC_BOUNDS.max);
  const inLo = unsigned ? 0 : -(2 ** (ib - 1));
  const parts: InputPart[] = graph.inputs.map((p) => {
    if (!isIntegerInput(p)) return { name: p.name, shape: p.shape, elemType: p.elemType, frac: inFrac, lo: inLo, hi: inLimit };
    const key = integerInputDecision(p.name);
    const range = (): { min: number; max: number } => {
      const r = stats(samples, p.name);
      if (!Number.isSafeInteger(r.min) || !Number.isSafeInteger(r.max)) throw new UserError(`graph input "${p.name}" (${p.elemType}): calibration values must be integers`);
      return r;
    };
    const lo = d.int(key, 'lo', () => range().min);
    const hi = d.int(key, 'hi', () => range().max, lo);
    return { name: p.name, shape: p.shape, elemType: p.elemType, frac: 0, lo, hi };
  });
  const states = new Map<string, TensorState>();
  for (const p of parts) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    states.set(p.name, { frac: p.frac, kind: 'act', lo: new Array(n).fill(p.lo), hi: new Array(n).fill(p.hi) });
  }
  const ops: QOp[] = [];
  const productAccs = new Set<string>();

  const requant = (name: string, input: string, output: string, relu: boolean, floatName: string, outBits = bitsOf(name)): void => {
    const s = states.get(input)!;
    // The scale is the calibration-dependent choice, recorded as the shift settings.json has always shown.
    const shift = d.int(name, 'shift', () => s.frac - calibratedFrac(stats(samples, floatName), s.frac, relu, outBits), 0, FRAC_BOUNDS.max);
    const frac = s.frac - shift;
    const lowerOffset = relu ? 0 : 2 ** (outBits - 1);
    const p = { shift, outBits, lowerOffset: BigInt(lowerOffset) };
    const accBits = s.lo.map((lo, i) => requantizeAccBits(BigInt(lo), BigInt(s.hi[i]!), p));
    ops.push({ kind: 'requantize', name, input, output, shift, outBits, lowerOffset, accBits });
    states.set(output, {
      frac,
      kind: 'act',
      lo: s.lo.map((v) => requantizeNumber(v, shift, outBits, lowerOffset)),
      hi: s.hi.map((v) => requantizeNumber(v, shift, outBits, lowerOffset)),
    });
  };

  /** Materializes an accumulator as an activation (scale from `floatName`'s calibration range). */
  const materialize = (opName: string, input: string, relu: boolean, floatName: string, role = 'input', outBits?: number): string => {
    if (states.get(input)!.kind !== 'acc') return input;
    const mid = `${input}::requantized`;
    if (!states.has(mid)) requant(`${opName}::${role}`, input, mid, relu, floatName, outBits ?? bitsOf(`${opName}::${role}`));
    return mid;
  };

  /** A table's input: an activation spanning ≤ TABLE_INPUT_BITS bits, saturated into that width when wider. */
  const tableInput = (opName: string, input: string): string => {
    const s = states.get(input)!;
    if (s.kind === 'act' && domainBits(minOf(s.lo), maxOf(s.hi)) <= TABLE_INPUT_BITS) return input;
    const mid = `${input}::table-input`;
    const name = `${opName}::input`;
    if (!states.has(mid)) requant(name, input, mid, d.flag(name, 'relu', () => stats(samples, input).min >= 0), input, Math.min(bitsOf(name), TABLE_INPUT_BITS));
    return mid;
  };

  for (const op of graph.ops) {
    switch (op.kind) {
      case 'linear': {
        // Chained linear layers: materialize a signed activation so sums stay small. A product of
        // two activations carries twice their bits, which a linear layer uses for free (E[x²]).
        const input = materialize(op.name, op.input, false, op.input, 'input', productAccs.has(op.input) ? Math.min(16, 2 * bitsOf(`${op.name}::input`)) : undefined);
        const x = states.get(input)!;
        let maxW = 0;
        for (const w of op.weight) maxW = Math.max(maxW, Math.abs(w));
        const wf = chooseFrac(maxW, 2 ** (wb - 1) - 1);
        const limit = 2 ** (wb - 1) - 1;
        const weight = Array.from(op.weight, (w) => Math.max(-limit, Math.min(limit, Math.round(w * 2 ** wf))));
        const accFrac = x.frac + wf;
        const bias = Array.from(op.bias, (b) => Math.round(b * 2 ** accFrac));
        const t = linearTerms(op.spec);
        const lo: number[] = new Array(t.nOut);
        const hi: number[] = new Array(t.nOut);
        for (let j = 0; j < t.nOut; j++) {
          let l = bias[t.biasIndex[j]!]!;
          let h = l;
          for (let k = t.offsets[j]!; k < t.offsets[j + 1]!; k++) {
            const w = weight[t.weightIndex[k]!]!;
            const a = w * x.lo[t.inputIndex[k]!]!;
            const b = w * x.hi[t.inputIndex[k]!]!;
            l += Math.min(a, b);
            h += Math.max(a, b);
          }
          if (!Number.isSafeInteger(l) || !Number.isSafeInteger(h)) throw new UserError(`node ${quote(op.name)}: accumulator exceeds 2^53; use fewer --weight-bits or --activation-bits`);
          lo[j] = l;
          hi[j] = h;
        }
        ops.push({ kind: 'linear', name: op.name, input, output: op.output, spec: op.spec, weightFrac: wf, weight, bias });
        states.set(op.output, { frac: accFrac, kind: 'acc', lo, hi });
        break;
      }
      case 'relu':
        requant(op.name, op.input, op.output, true, op.output);
        break;
      case 'reshape':
        ops.push({ kind: 'reshape', name: op.name, input: op.input, output: op.output });
        states.set(op.output, states.get(op.input)!);
        if (productAccs.has(op.input)) productAccs.add(op.output);
        break;
      case 'maxpool': {
        // Max commutes with the monotonic requantize, so pooling accumulators is exact.
        const r = quantizeMaxPool(op.name, op.input, op.output, op.offsets, op.index, states.get(op.input)!, op.min ?? false);
        ops.push(r.op);
        states.set(op.output, r.state);
        break;
      }
      case 'add': {
        const r = quantizeAdd(op.name, op.input, op.other, op.output, op.otherSign, states.get(op.input)!, states.get(op.other)!);
        ops.push(r.op);
        states.set(op.output, r.state);
        break;
      }
      case 'clamp': {
        // The output range is at most [min, max]: rescale to it (with ReLU when min ≥ 0), then clamp.
        const input = materialize(op.name, op.input, op.min !== null && op.min >= 0, op.output);
        const r = quantizeClamp(op.name, input, op.output, op.min, op.max, states.get(input)!);
        ops.push(r.op);
        states.set(op.output, r.state);
        break;
      }
      case 'leakyRelu': {
        const input = materialize(op.name, op.input, false, op.input);
        const r = quantizeLeakyRelu(op.name, input, op.output, op.alpha, wb, states.get(input)!);
        ops.push(r.op);
        states.set(op.output, r.state);
        break;
      }
      case 'unary': {
        const input = tableInput(op.name, op.input);
        const r = quantizeTable(op.name, input, op.output, op, states.get(input)!, stats(samples, op.output), bitsOf(op.name), (c) => d.int(op.name, 'frac', c, FRAC_BOUNDS.min, FRAC_BOUNDS.max));
        ops.push(r.op);
        states.set(op.output, r.state);
        break;
      }
      case 'binary':
      case 'where':
      case 'divConst': {
        const r = op.kind === 'binary' ? quantizeBinary(op, states) : op.kind === 'where' ? quantizeWhere(op, states, chooseFrac(maxAbsConst(op), 2 ** (ab - 1) - 1)) : quantizeDivConst(op, states.get(op.input)!);
        ops.push(r.op);
        states.set(op.output, r.state);
        break;
      }
      case 'permute': {
        const r = quantizePermute(op.name, op.input, op.output, op.perm, op.fill, states.get(op.input)!);
        ops.push(r.op);
        states.set(op.output, r.state);
        if (productAccs.has(op.input)) productAccs.add(op.output);
        break;
      }
      case 'softmax': {
        const input = tableInput(op.name, op.input);
        const r = quantizeSoftmax(op, input, states.get(input)!, ab);
        ops.push(r.op);
        states.set(op.output, r.state);
        break;
      }
      case 'product':
      case 'divide': {
        const a = materialize(op.name, op.input, false, op.input);
        const b = op.other === op.input ? a : materialize(op.name, op.other, false, op.other, 'other');
        const r = op.kind === 'product' ? quantizeProduct(op, a, b, states.get(a)!, states.get(b)!) : quantizeDivide(op, a, b, states.get(a)!, states.get(b)!);
        if (op.kind === 'product') productAccs.add(op.output);
        ops.push(r.op);
        states.set(op.output, r.state);
        break;
      }
      case 'concat': {
        const r = quantizeConcat(op.name, op.input, op.others, op.output, [op.input, ...op.others].map((t) => states.get(t)!));
        ops.push(r.op);
        states.set(op.output, r.state);
        break;
      }
    }
  }
  const out = states.get(graph.output.name)!;
  let outLo = Infinity;
  let outHi = -Infinity;
  for (let i = 0; i < out.lo.length; i++) {
    outLo = Math.min(outLo, out.lo[i]!);
    outHi = Math.max(outHi, out.hi[i]!);
  }
  return {
    formatVersion: 1,
    input: {
      name: graph.input.name,
      shape: graph.input.shape,
      frac: inFrac,
      bits: ib,
      lo: Math.min(...parts.map((p) => p.lo)),
      hi: Math.max(...parts.map((p) => p.hi)),
      // Only a model with several inputs or an integer one records its parts (older readers ignore them).
      ...(parts.length > 1 || parts.some(isIntegerInput) ? { parts } : {}),
    },
    output: { name: graph.output.name, shape: graph.output.shape, frac: out.frac, lo: outLo, hi: outHi },
    ops,
    ...(graph.droppedFinal ? { droppedFinal: graph.droppedFinal } : {}),
  };
}
