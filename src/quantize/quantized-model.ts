/**
 * The quantized model: integer weights, power-of-two scales and the integer reference
 * executor that defines, bit for bit, what the circuit must compute.
 */
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

/** Any quantized op. */
export type QOp = QLinear | QRequantize | QReshape;

/** The quantized tensor interface of the model. */
export interface QuantizedModel {
  readonly formatVersion: 1;
  readonly input: { name: string; shape: number[]; frac: number; bits: number; lo: number; hi: number };
  /** Output scale and the worst-case integer range of any output element. */
  readonly output: { name: string; shape: number[]; frac: number; lo: number; hi: number };
  readonly ops: QOp[];
  /** Softmax/LogSoftmax removed from the end of the graph; reported outside the circuit. */
  readonly droppedFinal?: string;
}

/** Quantizes a float input: round half away from zero to the input scale, then clamp. */
export function quantizeInput(model: QuantizedModel, x: ArrayLike<number>): number[] {
  const { frac, lo, hi } = model.input;
  const out: number[] = new Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]! * 2 ** frac;
    const r = Math.sign(v) * Math.round(Math.abs(v));
    out[i] = r < lo ? lo : r > hi ? hi : r;
  }
  return out;
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
  const lo = -lowerOffset;
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
    }
  }
  return values;
}
