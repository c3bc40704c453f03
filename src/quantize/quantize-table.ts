/**
 * Quantization of a univariate function as an exact table (circuits/table-lookup.ts).
 *
 * The input is an activation whose worst-case integer range spans at most
 * {@link TABLE_INPUT_BITS} bits (quantize-context.ts saturates wider inputs into that many bits
 * with a requantize first, so the integer reference and the circuit agree bit for bit). The
 * domain is [min lo, min lo + 2^n) with n the width of that range; the table holds
 * round(f(x · 2^−inFrac) · 2^outFrac), saturated to the output's `outBits` range, for every x
 * of the domain. NaN (Log or Sqrt of a negative, 0^−1 …) becomes 0; ±∞ saturates.
 * The output is signed unless f is non-negative on the whole domain; its scale comes from the
 * calibration range of the float output (the domain range when calibration saw only zeros).
 */
import type { QTable } from './quantized-model.js';
import type { TensorState } from './quantize-ops.js';
import { evalUnary, UnaryAttrs, UnaryFn } from './unary-functions.js';

/** Widest table index: 256 entries, ≤ 38 constraints per lookup after the 8-bit decomposition. */
export const TABLE_INPUT_BITS = 8;

/** Bits of the unsigned index covering [lo, hi]. */
export function domainBits(lo: number, hi: number): number {
  return Math.max(1, Math.ceil(Math.log2(hi - lo + 1)));
}

/** Smallest element (no spread: tensors may be large). */
export function minOf(v: readonly number[]): number {
  let m = Infinity;
  for (const x of v) if (x < m) m = x;
  return m;
}

/** Largest element. */
export function maxOf(v: readonly number[]): number {
  let m = -Infinity;
  for (const x of v) if (x > m) m = x;
  return m;
}

/** What {@link quantizeTable} needs to know about the function. */
export interface TableFunction {
  readonly fn: UnaryFn;
  readonly attrs: UnaryAttrs;
  /** Per-element constant (Pow's exponent, PRelu's slope). */
  readonly param?: Float64Array;
}

function roundAway(v: number): number {
  // `|| 0` turns −0 into 0: table entries are integers, and −0 would differ from 0 under Object.is.
  return Math.sign(v) * Math.round(Math.abs(v)) || 0;
}

/**
 * Builds the table op for `f` on input state `s` (an activation of ≤ TABLE_INPUT_BITS bits);
 * `outStats` is the calibration range of the float output, `outBits` the output width.
 * `decideFrac` makes (or, replaying published settings, replaces) the calibration-dependent
 * choice of the output scale (quantize-kinds.ts routes it through the context's CalibrationDecisions).
 */
export function quantizeTable(
  name: string,
  input: string,
  output: string,
  f: TableFunction,
  s: TensorState,
  outStats: { min: number; max: number },
  outBits: number,
  decideFrac: (calibrate: () => number) => number = (c) => c(),
): { op: QTable; state: TensorState } {
  if (s.kind !== 'act') throw new Error(`table input of "${name}" is not a materialized activation`);
  const domainLo = minOf(s.lo);
  const bits = domainBits(domainLo, maxOf(s.hi));
  if (bits > TABLE_INPUT_BITS) throw new Error(`table input of "${name}" spans ${bits} bits`);
  const n = 2 ** bits;
  // One float table per distinct per-element constant.
  const keys = new Map<number, number>();
  const tableOf = s.lo.map((_, i) => {
    const p = f.param?.[i] ?? 0;
    if (!keys.has(p)) keys.set(p, keys.size);
    return keys.get(p)!;
  });
  const floats = [...keys.keys()].map((p) =>
    Array.from({ length: n }, (_, u) => evalUnary(f.fn, (domainLo + u) * 2 ** -s.frac, f.attrs, p)),
  );
  const unsigned = floats.every((t) => t.every((v) => Number.isNaN(v) || v >= 0));
  const limit = unsigned ? 2 ** outBits - 1 : 2 ** (outBits - 1) - 1;
  const lo = unsigned ? 0 : -(2 ** (outBits - 1));
  const frac = decideFrac(() => {
    let maxAbs = Math.max(Math.abs(outStats.min), Math.abs(outStats.max));
    if (!Number.isFinite(maxAbs) || maxAbs === 0) {
      maxAbs = 0;
      for (const t of floats) for (const v of t) if (Number.isFinite(v)) maxAbs = Math.max(maxAbs, Math.abs(v));
    }
    return maxAbs > 0 ? Math.min(24, Math.floor(Math.log2(limit / maxAbs))) : 0;
  });
  const tables = floats.map((t) =>
    t.map((v) => {
      if (Number.isNaN(v)) return 0;
      const q = roundAway(v * 2 ** frac);
      return q < lo ? lo : q > limit ? limit : q;
    }),
  );
  const outLo: number[] = [];
  const outHi: number[] = [];
  s.lo.forEach((l, i) => {
    const t = tables[tableOf[i]!]!;
    let mn = Infinity;
    let mx = -Infinity;
    for (let v = l; v <= s.hi[i]!; v++) {
      mn = Math.min(mn, t[v - domainLo]!);
      mx = Math.max(mx, t[v - domainLo]!);
    }
    outLo.push(mn);
    outHi.push(mx);
  });
  return {
    op: { kind: 'table', name, input, output, fn: f.fn, domainLo, bits, tables, tableOf },
    state: { frac, kind: 'act', lo: outLo, hi: outHi },
  };
}
