/**
 * Quantization of products of two activations, divisions and softmax rows. Every choice is
 * calibration-free: the output scales follow from the operands' scales and worst-case ranges,
 * and the operands themselves are materialized by QuantizeContext's helpers (quantize-context.ts).
 */
import { quote, UserError } from '../core/errors.js';
import { comparatorBits } from '../../circuits/max.js';
import { widthOf } from '../../circuits/divide.js';
import type { DivideOp, ProductOp, SoftmaxOp } from './products-float.js';
import type { TensorState } from './quantize-ops.js';
import { quantizeMaxPool } from './quantize-ops.js';
import { maxOf, minOf } from './quantize-table.js';
import type { QDivide, QProduct, QSoftmax } from '../formats/quantized-products.js';
import { divideNumber } from './quantized-products.js';

function safe(v: number, name: string): number {
  if (!Number.isSafeInteger(v))
    throw new UserError(`node ${quote(name)}: integer range exceeds 2^53; use fewer --activation-bits`);
  return v;
}

/** Range of u·v for u ∈ [ul, uh], v ∈ [vl, vh]; a square (same element) is never negative. */
function productRange(ul: number, uh: number, vl: number, vh: number, square: boolean): [number, number] {
  if (square) {
    const lo = ul <= 0 && uh >= 0 ? 0 : Math.min(ul * ul, uh * uh);
    return [lo, Math.max(ul * ul, uh * uh)];
  }
  const c = [ul * vl, ul * vh, uh * vl, uh * vh];
  return [Math.min(...c), Math.max(...c)];
}

/** Products of two activations: an accumulator at frac(a) + frac(b), bounded term by term. */
export function quantizeProduct(
  op: ProductOp,
  input: string,
  other: string,
  a: TensorState,
  b: TensorState,
): { op: QProduct; state: TensorState } {
  const lo: number[] = [];
  const hi: number[] = [];
  const sameTensor = input === other;
  for (let j = 0; j + 1 < op.offsets.length; j++) {
    let l = 0;
    let h = 0;
    // Every term and every partial sum must be exact in float64 too (the bounds here and the
    // integer reference add in that order): large terms that cancel would otherwise round, and
    // the bounds (hence the requantize widths) and the reference would disagree with the circuit.
    let abs = 0;
    for (let k = op.offsets[j]!; k < op.offsets[j + 1]!; k++) {
      const [i, m] = [op.aIndex[k]!, op.bIndex[k]!];
      const [pl, ph] = productRange(a.lo[i]!, a.hi[i]!, b.lo[m]!, b.hi[m]!, sameTensor && i === m);
      l += pl;
      h += ph;
      abs = safe(abs + Math.max(Math.abs(pl), Math.abs(ph)), op.name);
    }
    lo.push(safe(l, op.name));
    hi.push(safe(h, op.name));
  }
  const q: QProduct = {
    kind: 'product',
    name: op.name,
    input,
    other,
    output: op.output,
    offsets: op.offsets,
    aIndex: op.aIndex,
    bIndex: op.bIndex,
  };
  return { op: q, state: { frac: a.frac + b.frac, kind: 'acc', lo, hi } };
}

/**
 * Division of two activations (QDivide): the quotient gains ⌈log2 max d⌉ fractional bits so it
 * keeps the numerator's precision, as a constant division does. Calibration-free: the shift
 * and every width follow from the worst-case ranges.
 */
export function quantizeDivide(
  op: DivideOp,
  input: string,
  other: string,
  a: TensorState,
  b: TensorState,
): { op: QDivide; state: TensorState } {
  const dl = op.bIndex.map((i) => b.lo[i]!);
  const dh = op.bIndex.map((i) => b.hi[i]!);
  const sign: 1 | -1 | 0 = dl.every((v) => v >= 0) ? 1 : dh.every((v) => v <= 0) ? -1 : 0;
  // The range of the divided denominator sign·b (|b| for a per-element sign) before the clamp.
  const uLo = dl.map((l, j) =>
    sign === 1 ? l : sign === -1 ? -dh[j]! : l <= 0 && dh[j]! >= 0 ? 0 : Math.min(Math.abs(l), Math.abs(dh[j]!)),
  );
  const dHi = dl.map((l, j) =>
    Math.max(1, sign === 1 ? dh[j]! : sign === -1 ? -l : Math.max(Math.abs(l), Math.abs(dh[j]!))),
  );
  const dLo = uLo.map((v) => Math.max(v, 1));
  const maxD = Math.max(...dHi);
  const shift = Math.max(0, Math.ceil(Math.log2(maxD)));
  const clamp = uLo.map((v) => v < 1);
  const signBits = sign === 0 ? dl.map((l, j) => comparatorBits(l, dh[j]!)) : undefined;
  const lo: number[] = [];
  const hi: number[] = [];
  const qBits: number[] = [];
  const rBits: number[] = [];
  op.aIndex.forEach((i, j) => {
    // floor(n / d) is monotonic in n and in d: its extremes are at the corners (both signs of n for
    // a per-element sign).
    const nEnds = sign === 0 ? [a.lo[i]!, a.hi[i]!, -a.lo[i]!, -a.hi[i]!] : [a.lo[i]!, a.hi[i]!];
    const ends = nEnds.flatMap((x) =>
      [dLo[j]!, dHi[j]!].map((d) => divideNumber(x, sign === 0 ? d : sign * d, sign, shift)),
    );
    lo.push(safe(Math.min(...ends), op.name));
    hi.push(safe(Math.max(...ends), op.name));
    qBits.push(widthOf(BigInt(hi[j]! - lo[j]!)));
    rBits.push(widthOf(BigInt(dHi[j]! - 1)));
  });
  const q: QDivide = {
    kind: 'divide',
    name: op.name,
    input,
    other,
    output: op.output,
    aIndex: op.aIndex,
    bIndex: op.bIndex,
    sign,
    ...(signBits ? { signBits } : {}),
    shift,
    clamp,
    qOffset: lo,
    qBits,
    rBits,
  };
  return { op: q, state: { frac: a.frac - b.frac + shift, kind: 'act', lo, hi } };
}

/** Widest log-sum-exp table index (1024 entries, per row). */
export const LOG_TABLE_BITS = 10;

/**
 * Softmax rows of an activation spanning at most 2^8 values (quantize-context.ts saturates the
 * input first). Calibration-free: the exponentials carry `bits` fractional bits (e(0) = 2^bits),
 * the probabilities `bits` as well; LogSoftmax keeps the input's scale.
 */
export function quantizeSoftmax(
  op: SoftmaxOp,
  input: string,
  s: TensorState,
  bits: number,
): { op: QSoftmax; state: TensorState } {
  if (s.kind !== 'act') throw new Error(`softmax input of "${op.name}" is not a materialized activation`);
  const cmpBits = quantizeMaxPool(op.name, input, op.output, op.offsets, op.index, s).op.cmpBits;
  const expBits = widthOf(BigInt(maxOf(s.hi) - minOf(s.lo)));
  const expLo = 1 - 2 ** expBits;
  const expTable = Array.from({ length: 2 ** expBits }, (_, u) =>
    Math.round(Math.exp((u + expLo) * 2 ** -s.frac) * 2 ** bits),
  );
  const one = 2 ** bits;
  let n = 1;
  for (let r = 0; r + 1 < op.offsets.length; r++) n = Math.max(n, op.offsets[r + 1]! - op.offsets[r]!);
  const base = {
    kind: 'softmax' as const,
    name: op.name,
    input,
    output: op.output,
    offsets: op.offsets,
    index: op.index,
    log: op.log,
    cmpBits,
    expBits,
    expTable,
  };
  if (!op.log) {
    const q: QSoftmax = { ...base, outFrac: bits, sumBits: widthOf(BigInt(n * one - 1)), logShift: 0, logTable: [] };
    return { op: q, state: { frac: bits, kind: 'act', lo: s.lo.map(() => 0), hi: s.hi.map(() => one) } };
  }
  const sumBits = widthOf(BigInt((n - 1) * one));
  const logShift = Math.max(0, sumBits - LOG_TABLE_BITS);
  // Each entry is the log of its bucket's midpoint of S, at the input's scale.
  const logTable = Array.from({ length: 2 ** (sumBits - logShift) }, (_, u) =>
    Math.round(Math.log((one + u * 2 ** logShift + (2 ** logShift - 1) / 2) / one) * 2 ** s.frac),
  );
  const maxL = Math.max(...logTable);
  const q: QSoftmax = { ...base, outFrac: s.frac, sumBits, logShift, logTable };
  return { op: q, state: { frac: s.frac, kind: 'act', lo: s.lo.map(() => expLo - maxL), hi: s.hi.map(() => 0) } };
}
