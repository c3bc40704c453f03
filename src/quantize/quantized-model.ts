/**
 * The quantized model: integer weights, power-of-two scales and the integer reference
 * executor that defines, bit for bit, what the circuit must compute.
 */
import type { DroppedFinal, MaxPoolOp } from './float-ir.js';
import { applyDroppedFinal } from './float-ir.js';
import type { LinearSpec } from './linear-spec.js';
import { linearTerms } from './linear-spec.js';
import { floorDiv } from '../../circuits/div-const.js';
import type { QDivide, QProduct, QSoftmax } from './quantized-products.js';
import { divideNumbers, productNumbers, softmaxNumbers } from './quantized-products.js';

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

/** y[i] = x[perm[i]], or the integer fill[i] where perm[i] is negative. */
export interface QPermute {
  readonly kind: 'permute';
  readonly name: string;
  readonly input: string;
  readonly output: string;
  readonly perm: number[];
  readonly fill?: number[];
}

/** Flat concatenation of [input, ...others], tensor k multiplied by scales[k] (aligning scales). */
export interface QConcat {
  readonly kind: 'concat';
  readonly name: string;
  readonly input: string;
  readonly others: string[];
  readonly output: string;
  readonly scales: number[];
}

/**
 * y[i] = tables[tableOf[i]][x[i] − domainLo]: a univariate function as an exact table over the
 * 2^bits input values of the domain (circuits/table-lookup.ts). x always lies in the domain.
 */
export interface QTable {
  readonly kind: 'table';
  readonly name: string;
  readonly input: string;
  readonly output: string;
  /** The ONNX op the table samples (documentation and settings.json). */
  readonly fn: string;
  readonly domainLo: number;
  readonly bits: number;
  readonly tables: number[][];
  /** Per element, which table; one table for all elements is the common case. */
  readonly tableOf: number[];
}

/** An operand aligned to the op's scale: a tensor times a power of two, or one integer per output element. */
export type QOperand = { readonly tensor: string; readonly scale: number } | { readonly constant: number[] };

/** Elementwise max/min (the result) or comparison (0/1) of two aligned operands; `bits` are comparator widths per element. */
export interface QBinary {
  readonly kind: 'binary';
  readonly name: string;
  readonly input: string;
  readonly output: string;
  readonly op: 'max' | 'min' | 'eq' | 'lt' | 'le' | 'gt' | 'ge';
  readonly a: QOperand;
  readonly b: QOperand;
  readonly bits: number[];
}

/** cond ? x : y with cond a 0/1 tensor or constant, x and y aligned operands. */
export interface QWhere {
  readonly kind: 'where';
  readonly name: string;
  readonly input: string;
  readonly output: string;
  readonly cond: QOperand;
  readonly x: QOperand;
  readonly y: QOperand;
}

/**
 * y = floor(sign(d) · x · 2^shift / |d|) per element (circuits/div-const.ts); with `trunc`
 * (integer Div) y = trunc(x / d) at shift 0, where `divisor` already includes the input scale.
 */
export interface QDivConst {
  readonly kind: 'divConst';
  readonly name: string;
  readonly input: string;
  readonly output: string;
  readonly shift: number;
  /** Signed integer divisors, d ≠ 0 (|d| = 1 is a free sign change). */
  readonly divisor: number[];
  /** Per element: the numerator offset, a multiple of |d| (circuits/div-const.ts). */
  readonly offset: number[];
  /** Per element: the width of the shifted numerator. */
  readonly numeratorBits: number[];
  readonly trunc?: boolean;
  /** With `trunc`: per element, the signed width of the numerator (0: never negative). */
  readonly signBits?: number[];
}

/** Any quantized op. */
export type QOp = QLinear | QRequantize | QReshape | QMaxPool | QAdd | QClamp | QLeakyRelu | QPermute | QConcat | QTable | QBinary | QWhere | QDivConst | QProduct | QDivide | QSoftmax;

/**
 * One graph input of a model with several inputs or an integer input: a consecutive slice of
 * the flat input vector, with its own scale (frac 0 for integers) and accepted range.
 */
export interface InputPart {
  readonly name: string;
  readonly shape: number[];
  /** ONNX element type name: FLOAT and DOUBLE are quantized, the others proven as integers. */
  readonly elemType: string;
  readonly frac: number;
  readonly lo: number;
  readonly hi: number;
}

/** The quantized tensor interface of the model. */
export interface QuantizedModel {
  readonly formatVersion: 1;
  /**
   * The flat input vector the circuit, commitment and verifier see. With several graph inputs
   * (or an integer one) `parts` lists them in order; `lo`/`hi` then span every part's range.
   */
  readonly input: { name: string; shape: number[]; frac: number; bits: number; lo: number; hi: number; parts?: InputPart[] };
  /** Output scale and the worst-case integer range of any output element. */
  readonly output: { name: string; shape: number[]; frac: number; lo: number; hi: number };
  readonly ops: QOp[];
  /** Softmax/LogSoftmax removed from the end of the graph; applied outside the circuit. */
  readonly droppedFinal?: DroppedFinal;
}

import { eachInputPart } from './quantize-input.js';

export { eachInputPart, quantizeInput, quantizeInputReport } from './quantize-input.js';

/** Dequantizes the model output. */
export function dequantizeOutput(model: QuantizedModel, y: ArrayLike<number | bigint>): number[] {
  return Array.from(y, (v) => Number(v) / 2 ** model.output.frac);
}

/**
 * Whether an output of this shape is a vector of class scores: exactly one axis longer than 1
 * (e.g. [1, 10]). Only then is its argmax a prediction; a scalar, a regression vector of
 * length 1 or a map (segmentation, several heads) has none.
 */
export function isClassScoreVector(shape: readonly number[]): boolean {
  return shape.filter((d) => d > 1).length === 1;
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
  eachInputPart(model, xq, (name, part) => values.set(name, part));
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
          for (let k = op.offsets[j]! + 1; k < op.offsets[j + 1]!; k++) m = op.min ? Math.min(m, x[op.index[k]!]!) : Math.max(m, x[op.index[k]!]!);
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
        values.set(op.output, op.perm.map((i, k) => (i < 0 ? op.fill![k]! : x[i]!)));
        break;
      case 'table':
        values.set(op.output, x.map((v, i) => tableNumber(op, i, v)));
        break;
      case 'binary': {
        const a = operandNumbers(values, op.a);
        const b = operandNumbers(values, op.b);
        values.set(op.output, a.map((v, i) => binaryNumber(op.op, v, b[i]!)));
        break;
      }
      case 'where': {
        const [c, xs, ys] = [op.cond, op.x, op.y].map((o) => operandNumbers(values, o)) as [number[], number[], number[]];
        values.set(op.output, c.map((v, i) => (v !== 0 ? xs[i]! : ys[i]!)));
        break;
      }
      case 'divConst':
        values.set(op.output, x.map((v, i) => divConstNumber(v, op.shift, op.divisor[i]!, op.trunc)));
        break;
      case 'product':
        values.set(op.output, productNumbers(op, x, values.get(op.other)!));
        break;
      case 'divide':
        values.set(op.output, divideNumbers(op, x, values.get(op.other)!));
        break;
      case 'softmax':
        values.set(op.output, softmaxNumbers(op, x));
        break;
      case 'concat': {
        const parts = [x, ...op.others.map((o) => values.get(o)!)];
        values.set(op.output, parts.flatMap((p, k) => p.map((v) => checkSafe(v * op.scales[k]!, op.name))));
        break;
      }
    }
  }
  return values;
}

/** The exact integer semantics of {@link QTable} for element i; throws outside the domain. */
export function tableNumber(op: QTable, i: number, v: number): number {
  const y = op.tables[op.tableOf[i]!]![v - op.domainLo];
  if (y === undefined) throw new Error(`op "${op.name}": input ${v} outside the table domain [${op.domainLo}, ${op.domainLo + 2 ** op.bits - 1}]`);
  return y;
}

/** The integers of an aligned operand (exact: scales are powers of two, checked to stay safe). */
export function operandNumbers(values: Map<string, number[]>, o: QOperand): number[] {
  return 'tensor' in o ? values.get(o.tensor)!.map((v) => checkSafe(v * o.scale, o.tensor)) : o.constant;
}

/** The exact integer semantics of {@link QBinary}. */
export function binaryNumber(op: QBinary['op'], a: number, b: number): number {
  switch (op) {
    case 'max': return a > b ? a : b;
    case 'min': return a < b ? a : b;
    case 'eq': return a === b ? 1 : 0;
    case 'lt': return a < b ? 1 : 0;
    case 'le': return a <= b ? 1 : 0;
    case 'gt': return a > b ? 1 : 0;
    case 'ge': return a >= b ? 1 : 0;
  }
}

/** The exact integer semantics of {@link QDivConst}: floor(sign(d) · x · 2^shift / |d|), or toward zero with `trunc`. */
export function divConstNumber(x: number, shift: number, d: number, trunc = false): number {
  const n = checkSafe(Math.sign(d) * x * 2 ** shift, 'divConst');
  // BigInt: a float quotient can round across an integer when |n| is near 2^53.
  return Number(trunc ? BigInt(n) / BigInt(Math.abs(d)) : floorDiv(BigInt(n), BigInt(Math.abs(d)))) || 0;
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
