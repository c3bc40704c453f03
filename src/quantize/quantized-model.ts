/**
 * The quantized model: integer weights, power-of-two scales and the integer reference
 * executor that defines, bit for bit, what the circuit must compute.
 */
import type { DroppedFinal, MaxPoolOp } from './float-ir.js';
import { applyDroppedFinal } from './float-ir.js';
import type { LinearSpec } from './linear-spec.js';
import { linearTerms } from './linear-spec.js';

/** Linear layer with integer weights; the output is an accumulator at frac(input)+weightFrac. */
export interface QLinear {
  readonly kind: 'linear';
  readonly name: string;
  readonly input: string;
  readonly output: string;
  readonly spec: LinearSpec;
  readonly weightFrac: number;
  readonly weight: number[];
  /** Bias at the accumulator's scale. */
  readonly bias: number[];
}

/** y = clamp(floor(x / 2^shift), −lowerOffset, 2^outBits − 1 − lowerOffset): rescale + ReLU/clamp. */
export interface QRequantize {
  readonly kind: 'requantize';
  readonly name: string;
  readonly input: string;
  readonly output: string;
  readonly shift: number;
  readonly outBits: number;
  /** 0 = ReLU, 2^(outBits−1) = signed clamp. */
  readonly lowerOffset: number;
  /** Per-element decomposition width, from the worst-case accumulator range. */
  readonly accBits: number[];
}

/** Shape-only op. */
export interface QReshape {
  readonly kind: 'reshape';
  readonly name: string;
  readonly input: string;
  readonly output: string;
}

/** Window maximum; `cmpBits` has one comparator width per comparison, windows in order. */
export interface QMaxPool extends MaxPoolOp {
  readonly cmpBits: number[];
}

/** y = inputScale · x + otherScale · other (two tensors aligned to one scale). */
export interface QAdd {
  readonly kind: 'add';
  readonly name: string;
  readonly input: string;
  readonly other: string;
  readonly output: string;
  readonly inputScale: number;
  readonly otherScale: number;
}

/** y = min(max(x, lo), hi); a null bound is absent. Comparator widths per element. */
export interface QClamp {
  readonly kind: 'clamp';
  readonly name: string;
  readonly input: string;
  readonly output: string;
  readonly lo: number | null;
  readonly hi: number | null;
  readonly loBits: number[];
  readonly hiBits: number[];
}

/** y = x · 2^shift if x ≥ 0 else alpha · x; the output scale is the input's plus `shift`. */
export interface QLeakyRelu {
  readonly kind: 'leakyRelu';
  readonly name: string;
  readonly input: string;
  readonly output: string;
  readonly shift: number;
  /** alpha · 2^shift, rounded. */
  readonly alpha: number;
  readonly signBits: number[];
}

/** y[i] = x[perm[i]]. */
export interface QPermute {
  readonly kind: 'permute';
  readonly name: string;
  readonly input: string;
  readonly output: string;
  readonly perm: number[];
}

/** Any quantized op. */
export type QOp = QLinear | QRequantize | QReshape | QMaxPool | QAdd | QClamp | QLeakyRelu | QPermute;

/** The quantized tensor interface of the model. */
export interface QuantizedModel {
  readonly formatVersion: 1;
  readonly input: { name: string; shape: number[]; frac: number; bits: number; lo: number; hi: number };
  /** Output scale and the worst-case integer range of any output element. */
  readonly output: { name: string; shape: number[]; frac: number; lo: number; hi: number };
  readonly ops: QOp[];
  /** Softmax/LogSoftmax removed from the end of the graph; applied outside the circuit. */
  readonly droppedFinal?: DroppedFinal;
}

/** Quantizes a float input: round half away from zero to the input scale, then clamp. */
export function quantizeInput(model: Pick<QuantizedModel, 'input'>, x: ArrayLike<number>): number[] {
  return quantizeInputReport(model, x).values;
}

/**
 * {@link quantizeInput}, also counting the values clamped into [lo, hi]: a clamped input is not
 * what the float model saw, so provers and verifiers report the count instead of hiding it.
 */
export function quantizeInputReport(model: Pick<QuantizedModel, 'input'>, x: ArrayLike<number>): { values: number[]; clamped: number } {
  const { frac, lo, hi } = model.input;
  const values: number[] = new Array(x.length);
  let clamped = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]! * 2 ** frac;
    const r = Math.sign(v) * Math.round(Math.abs(v));
    if (r < lo || r > hi) clamped++;
    values[i] = r < lo ? lo : r > hi ? hi : r;
  }
  return { values, clamped };
}

/** Dequantizes the model output. */
export function dequantizeOutput(model: QuantizedModel, y: ArrayLike<number | bigint>): number[] {
  return Array.from(y, (v) => Number(v) / 2 ** model.output.frac);
}

/** Index of the largest value (first on ties). */
export function argmax(v: ArrayLike<number | bigint>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

function checkSafe(v: number, op: string): number {
  if (!Number.isSafeInteger(v)) throw new Error(`integer overflow in op "${op}": ${v}`);
  return v;
}

/** The exact integer semantics of {@link QRequantize}. */
export function requantizeNumber(x: number, shift: number, outBits: number, lowerOffset: number): number {
  // Division by a power of two is exact in binary floating point, so floor is exact for safe integers.
  const q = Math.floor(x / 2 ** shift);
  const lo = 0 - lowerOffset; // not -lowerOffset: that is -0 for ReLU, which strict equality tells apart from 0
  const hi = 2 ** outBits - 1 - lowerOffset;
  return q < lo ? lo : q > hi ? hi : q;
}

/**
 * The integer reference executor. Returns every tensor by name; the circuit must reproduce
 * the output exactly.
 */
export function runIntegerModel(model: QuantizedModel, xq: number[]): Map<string, number[]> {
  const values = new Map<string, number[]>([[model.input.name, xq]]);
  for (const op of model.ops) {
    const x = values.get(op.input)!;
    switch (op.kind) {
      case 'linear': {
        const t = linearTerms(op.spec);
        const y: number[] = new Array(t.nOut);
        for (let j = 0; j < t.nOut; j++) {
          let acc = op.bias[t.biasIndex[j]!]!;
          for (let k = t.offsets[j]!; k < t.offsets[j + 1]!; k++) acc += op.weight[t.weightIndex[k]!]! * x[t.inputIndex[k]!]!;
          y[j] = checkSafe(acc, op.name);
        }
        values.set(op.output, y);
        break;
      }
      case 'requantize':
        values.set(op.output, x.map((v) => requantizeNumber(v, op.shift, op.outBits, op.lowerOffset)));
        break;
      case 'reshape':
        values.set(op.output, x);
        break;
      case 'maxpool': {
        const y: number[] = new Array(op.offsets.length - 1);
        for (let j = 0; j < y.length; j++) {
          let m = x[op.index[op.offsets[j]!]!]!;
          for (let k = op.offsets[j]! + 1; k < op.offsets[j + 1]!; k++) m = Math.max(m, x[op.index[k]!]!);
          y[j] = m;
        }
        values.set(op.output, y);
        break;
      }
      case 'add': {
        const o = values.get(op.other)!;
        values.set(op.output, x.map((v, i) => checkSafe(op.inputScale * v + op.otherScale * o[i]!, op.name)));
        break;
      }
      case 'clamp':
        values.set(op.output, x.map((v) => clampNumber(v, op.lo, op.hi)));
        break;
      case 'leakyRelu':
        values.set(op.output, x.map((v) => checkSafe(v >= 0 ? v * 2 ** op.shift : op.alpha * v, op.name)));
        break;
      case 'permute':
        values.set(op.output, op.perm.map((i) => x[i]!));
        break;
    }
  }
  return values;
}

/** The exact integer semantics of {@link QClamp}: max with lo first, then min with hi. */
export function clampNumber(v: number, lo: number | null, hi: number | null): number {
  const a = lo !== null && v < lo ? lo : v;
  return hi !== null && a > hi ? hi : a;
}

/**
 * The dequantized output as the ONNX model reports it: with a dropped final Softmax or
 * LogSoftmax applied (outside the circuit, to the proven logits). `note` says so.
 */
export function reportedOutput(model: Pick<QuantizedModel, 'output' | 'droppedFinal'>, values: readonly number[]): { values: number[]; note?: string } {
  const d = model.droppedFinal;
  if (!d) return { values: [...values] };
  return { values: applyDroppedFinal(d, model.output.shape, values), note: `the circuit proves the logits; ${d.op} (axis ${d.axis}) was applied outside it` };
}
