/**
 * Comparisons and maxima. The primitive is the sign of a difference: d + 2^(n−1) is
 * decomposed into n bits (n from the worst-case range of d), and its top bit is 1 exactly
 * when d ≥ 0. max(a, c) = c + s·(a − c) then costs one product on top: n + 2 constraints.
 * The operands are often long accumulators (pooling before ReLU), so d is bound by a sum
 * constraint (C side) and the product uses d's short bit form, keeping the prover's A and B
 * matrices small (see range-check.ts).
 * A window maximum is a left fold of those; min and clamps are maxima of negations.
 */
import { R1csBuilder, Signal } from './builder.js';
import { rangeSegments, rangeSegmentsCost } from './range-check.js';
import type { LookupConfig } from './lookup.js';

/** Smallest n ≥ 1 with −2^(n−1) ≤ lo and hi ≤ 2^(n−1) − 1: the comparator width for d ∈ [lo, hi]. */
export function comparatorBits(lo: number | bigint, hi: number | bigint): number {
  const l = BigInt(lo);
  const h = BigInt(hi);
  let n = 1;
  while (l < -(1n << BigInt(n - 1)) || h > (1n << BigInt(n - 1)) - 1n) n++;
  return n;
}

/** The segments of d + 2^(bits−1): the low bits and the sign bit. */
function signWidths(bits: number): number[] {
  return bits === 1 ? [1] : [bits - 1, 1];
}

/** Constraints of {@link isNonNegative} (`lookup`: the builder's lookup configuration). */
export function isNonNegativeCost(bits: number, lookup?: LookupConfig): number {
  return rangeSegmentsCost(signWidths(bits), { sumConstraint: true }, lookup);
}

/** Constraints of {@link max2}. */
export function max2Cost(bits: number, lookup?: LookupConfig): number {
  return isNonNegativeCost(bits, lookup) + 1;
}

/**
 * Range-checks d + 2^(bits−1) for d in [−2^(bits−1), 2^(bits−1)) as a low segment and the sign
 * bit (bits, or limbs with lookups); returns [d ≥ 0] and d rebuilt from the segments (a short
 * combination equal to d). {@link isNonNegativeCost} constraints: bits + 1 without lookups.
 */
export function signOf(b: R1csBuilder, d: Signal, bits: number): { s: Signal; short: Signal } {
  const half = 1n << BigInt(bits - 1);
  const x = b.linear([[d, 1n]], half);
  const seg = rangeSegments(b, x, signWidths(bits), { sumConstraint: true });
  const s = seg[seg.length - 1]!;
  const terms: Array<[Signal, bigint]> =
    seg.length === 1
      ? [[s, 1n]]
      : [
          [seg[0]!, 1n],
          [s, half],
        ];
  return { s, short: b.linear(terms, -half) };
}

/** Returns the boolean [d ≥ 0] for d in [−2^(bits−1), 2^(bits−1)); {@link isNonNegativeCost} constraints. */
export function isNonNegative(b: R1csBuilder, d: Signal, bits: number): Signal {
  return signOf(b, d, bits).s;
}

/** max(a, c) where a − c fits `bits` signed bits; {@link max2Cost} constraints (bits + 2 without lookups). */
export function max2(b: R1csBuilder, a: Signal, c: Signal, bits: number): Signal {
  const { s, short } = signOf(b, b.sub(a, c), bits);
  const m = b.wire(a.value >= c.value ? a.value : c.value);
  // s · (a − c) = m − c: m = a when a ≥ c, else m = c.
  b.assertMul(s, short, b.sub(m, c));
  return m;
}

/** min(a, c) = −max(−a, −c); bits + 1 constraints. */
export function min2(b: R1csBuilder, a: Signal, c: Signal, bits: number): Signal {
  const m = max2(b, b.linear([[a, -1n]]), b.linear([[c, -1n]]), bits);
  return b.linear([[m, -1n]]);
}

/** Maximum of `xs` folded left to right; `bits[k]` is the width of comparison k (xs.length − 1 of them). */
export function windowMax(b: R1csBuilder, xs: readonly Signal[], bits: readonly number[]): Signal {
  if (xs.length === 0) throw new Error('maximum of an empty window');
  if (bits.length !== xs.length - 1)
    throw new Error(`window of ${xs.length} needs ${xs.length - 1} comparator widths, got ${bits.length}`);
  let m = xs[0]!;
  for (let k = 1; k < xs.length; k++) m = max2(b, xs[k]!, m, bits[k - 1]!);
  return m;
}

/** min(max(x, lo), hi) with constant bounds (null = absent), comparator widths given per side. */
export function clamp(
  b: R1csBuilder,
  x: Signal,
  lo: bigint | null,
  hi: bigint | null,
  loBits: number,
  hiBits: number,
): Signal {
  const m = lo === null ? x : max2(b, x, b.constant(lo), loBits);
  return hi === null ? m : min2(b, m, b.constant(hi), hiBits);
}

/** Max-pooling: output j is the maximum of x[index[offsets[j] .. offsets[j+1])], widths consumed in order. */
export function poolMax(
  b: R1csBuilder,
  x: readonly Signal[],
  offsets: readonly number[],
  index: readonly number[],
  cmpBits: readonly number[],
): Signal[] {
  const out: Signal[] = [];
  let c = 0;
  for (let j = 0; j + 1 < offsets.length; j++) {
    const w = index.slice(offsets[j], offsets[j + 1]).map((i) => x[i]!);
    out.push(windowMax(b, w, cmpBits.slice(c, c + w.length - 1)));
    c += w.length - 1;
  }
  if (c !== cmpBits.length) throw new Error(`pooling used ${c} of ${cmpBits.length} comparator widths`);
  return out;
}
