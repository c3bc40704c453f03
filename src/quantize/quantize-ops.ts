/**
 * Range bookkeeping for the quantizer's non-linear ops other than requantize: max-pooling,
 * sums of two tensors, clamps, LeakyRelu and permutations. Every function maps the
 * worst-case per-element integer ranges of its inputs to those of its output and fixes the
 * comparator widths the circuit needs, so every input in range stays provable.
 */
import { quote, UserError } from '../core/errors.js';
import { comparatorBits } from '../../circuits/max.js';
import type { QAdd, QClamp, QConcat, QLeakyRelu, QMaxPool, QPermute } from './quantized-model.js';

/** Quantizer state of one tensor. */
export interface TensorState {
  frac: number;
  /** Accumulators are unmaterialized sums; activations are range-checked integers. */
  kind: 'act' | 'acc';
  lo: number[];
  hi: number[];
}

function safe(v: number, name: string): number {
  if (!Number.isSafeInteger(v))
    throw new UserError(
      `node ${quote(name)}: integer range exceeds 2^53; use fewer --weight-bits or --activation-bits`,
    );
  return v;
}

/** Window maxima: comparisons fold left to right, m ← max(m, next). */
export function quantizeMaxPool(
  name: string,
  input: string,
  output: string,
  offsets: number[],
  index: number[],
  state: TensorState,
  min = false,
): { op: QMaxPool; state: TensorState } {
  // A window minimum is −max(−x): the same comparisons on the negated ranges.
  const s = min ? { ...state, lo: state.hi.map((v) => -v), hi: state.lo.map((v) => -v) } : state;
  const cmpBits: number[] = [];
  const lo: number[] = [];
  const hi: number[] = [];
  for (let j = 0; j + 1 < offsets.length; j++) {
    let mlo = s.lo[index[offsets[j]!]!]!;
    let mhi = s.hi[index[offsets[j]!]!]!;
    for (let k = offsets[j]! + 1; k < offsets[j + 1]!; k++) {
      const i = index[k]!;
      cmpBits.push(comparatorBits(s.lo[i]! - mhi, s.hi[i]! - mlo));
      mlo = Math.max(mlo, s.lo[i]!);
      mhi = Math.max(mhi, s.hi[i]!);
    }
    lo.push(mlo);
    hi.push(mhi);
  }
  const op: QMaxPool = { kind: 'maxpool', name, input, output, offsets, index, cmpBits, ...(min ? { min } : {}) };
  return {
    op,
    state: { frac: s.frac, kind: s.kind, lo: min ? hi.map((v) => -v) : lo, hi: min ? lo.map((v) => -v) : hi },
  };
}

/** Sum of two tensors: the one with fewer fractional bits is shifted up to the other's scale. */
export function quantizeAdd(
  name: string,
  input: string,
  other: string,
  output: string,
  sign: 1 | -1,
  a: TensorState,
  b: TensorState,
): { op: QAdd; state: TensorState } {
  const frac = Math.max(a.frac, b.frac);
  const inputScale = 2 ** (frac - a.frac);
  const otherScale = sign * 2 ** (frac - b.frac);
  const lo = a.lo.map((v, i) => safe(inputScale * v + Math.min(otherScale * b.lo[i]!, otherScale * b.hi[i]!), name));
  const hi = a.hi.map((v, i) => safe(inputScale * v + Math.max(otherScale * b.lo[i]!, otherScale * b.hi[i]!), name));
  return {
    op: { kind: 'add', name, input, other, output, inputScale, otherScale },
    state: { frac, kind: 'acc', lo, hi },
  };
}

/** Clamp of an activation to integer bounds; a bound no element can cross is dropped. */
export function quantizeClamp(
  name: string,
  input: string,
  output: string,
  min: number | null,
  max: number | null,
  s: TensorState,
): { op: QClamp; state: TensorState } {
  const q = (v: number | null) => (v === null ? null : Math.round(v * 2 ** s.frac));
  let lo = q(min);
  let hi = q(max);
  if (lo !== null && s.lo.every((v) => v >= lo!)) lo = null;
  if (hi !== null && (lo === null || lo <= hi) && s.hi.every((v) => v <= hi!)) hi = null;
  const loBits = lo === null ? [] : s.lo.map((v, i) => comparatorBits(v - lo!, s.hi[i]! - lo!));
  const mlo = s.lo.map((v) => (lo !== null ? Math.max(v, lo) : v));
  const mhi = s.hi.map((v) => (lo !== null ? Math.max(v, lo) : v));
  const hiBits = hi === null ? [] : mlo.map((v, i) => comparatorBits(hi! - mhi[i]!, hi! - v));
  const cap = (v: number) => (hi !== null ? Math.min(v, hi) : v);
  return {
    op: { kind: 'clamp', name, input, output, lo, hi, loBits, hiBits },
    state: { frac: s.frac, kind: s.kind, lo: mlo.map(cap), hi: mhi.map(cap) },
  };
}

/** LeakyRelu of an activation; alpha gets `alphaBits` signed bits of precision. */
export function quantizeLeakyRelu(
  name: string,
  input: string,
  output: string,
  alpha: number,
  alphaBits: number,
  s: TensorState,
): { op: QLeakyRelu; state: TensorState } {
  const limit = 2 ** (alphaBits - 1) - 1;
  const shift = alpha === 0 ? 0 : Math.max(0, Math.min(24, Math.floor(Math.log2(limit / Math.abs(alpha)))));
  const a = Math.round(alpha * 2 ** shift);
  const f = (v: number) => (v >= 0 ? v * 2 ** shift : a * v);
  const lo: number[] = [];
  const hi: number[] = [];
  s.lo.forEach((l, i) => {
    const h = s.hi[i]!;
    // f is piecewise linear with a kink at 0: its extremes are at the ends or at 0.
    const c = [f(l), f(h), ...(l < 0 && h > 0 ? [0, f(-1)] : [])];
    lo.push(safe(Math.min(...c), name));
    hi.push(safe(Math.max(...c), name));
  });
  const signBits = s.lo.map((l, i) => comparatorBits(l, s.hi[i]!));
  return {
    op: { kind: 'leakyRelu', name, input, output, shift, alpha: a, signBits },
    state: { frac: s.frac + shift, kind: 'acc', lo, hi },
  };
}

/**
 * Data movement: outputs read inputs by index, or a constant fill rounded to the input's
 * scale. The result stays a range-checked activation unless a fill falls outside the input's
 * range, in which case it is treated as an accumulator (requantized before the next layer).
 */
export function quantizePermute(
  name: string,
  input: string,
  output: string,
  perm: number[],
  fill: number[] | undefined,
  s: TensorState,
): { op: QPermute; state: TensorState } {
  const qfill = fill?.map((v, k) => (perm[k]! < 0 ? safe(Math.round(v * 2 ** s.frac), name) : 0));
  const lo = perm.map((i, k) => (i < 0 ? qfill![k]! : s.lo[i]!));
  const hi = perm.map((i, k) => (i < 0 ? qfill![k]! : s.hi[i]!));
  let inLo = Infinity;
  let inHi = -Infinity;
  for (let i = 0; i < s.lo.length; i++) {
    inLo = Math.min(inLo, s.lo[i]!);
    inHi = Math.max(inHi, s.hi[i]!);
  }
  const outside = qfill?.some((v, k) => perm[k]! < 0 && (v < inLo || v > inHi)) ?? false;
  const op: QPermute = { kind: 'permute', name, input, output, perm, ...(qfill ? { fill: qfill } : {}) };
  return { op, state: { frac: s.frac, kind: outside ? 'acc' : s.kind, lo, hi } };
}

/**
 * Concatenation: every part is shifted up to the largest scale (an exact multiplication by
 * a power of two, free in the circuit). Unscaled activations stay activations.
 */
export function quantizeConcat(
  name: string,
  input: string,
  others: string[],
  output: string,
  parts: TensorState[],
): { op: QConcat; state: TensorState } {
  const frac = Math.max(...parts.map((p) => p.frac));
  const scales = parts.map((p) => 2 ** (frac - p.frac));
  const lo = parts.flatMap((p, k) => p.lo.map((v) => safe(v * scales[k]!, name)));
  const hi = parts.flatMap((p, k) => p.hi.map((v) => safe(v * scales[k]!, name)));
  const act = parts.every((p, k) => p.kind === 'act' && scales[k] === 1);
  return {
    op: { kind: 'concat', name, input, others, output, scales },
    state: { frac, kind: act ? 'act' : 'acc', lo, hi },
  };
}
