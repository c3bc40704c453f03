/**
 * Range check by bit decomposition: proves 0 ≤ x < 2^n and returns the bits.
 *
 * Two layouts, both sound, chosen by the caller (never by the values, so compile and
 * witness-only runs allocate the same wires):
 * - compact (default, n constraints): the top bit is a linear combination (x minus the lower
 *   bits, divided by 2^(n−1)) rather than a wire, so there is no separate sum constraint. x
 *   then appears in the A and B sides of that bit's boolean constraint.
 * - `sumConstraint` (n + 1 constraints): every bit is a wire and one constraint
 *   1 · Σ bit_i 2^i = x binds them, with x on the C side. snarkjs's prover evaluates only the
 *   A and B matrices (C follows as A∘B), so a long x — an accumulator of hundreds of terms —
 *   costs the prover nothing there, and every later use can go through the short bit sum.
 */
import { R1csBuilder, Signal } from './builder.js';
import { fieldInv } from './field.js';
import { rangeBits } from './bit-length.js';
import { WitnessRangeError } from './witness-error.js';
import { LookupConfig, rangeCheckCost } from './lookup.js';

export { WitnessRangeError } from './witness-error.js';

/** Layout options of {@link bitDecompose}. */
export interface BitDecomposeOptions {
  /** Bind x with a separate sum constraint (x on the C side); see the module comment. */
  readonly sumConstraint?: boolean;
}

/** Cost of {@link bitDecompose} in constraints. */
export function bitDecomposeCost(nBits: number, options: BitDecomposeOptions = {}): number {
  return nBits + (options.sumConstraint ? 1 : 0);
}

/**
 * Decomposes `x` into `nBits` boolean signals, least significant first, constraining
 * `x = Σ bit_i · 2^i` and every bit to {0, 1}.
 */
export function bitDecompose(b: R1csBuilder, x: Signal, nBits: number, options: BitDecomposeOptions = {}): Signal[] {
  if (!Number.isInteger(nBits) || nBits < 1 || nBits > 250) throw new Error(`bit width ${nBits} out of range 1..250`);
  const v = x.value;
  if (v < 0n || v >= 1n << BigInt(nBits)) {
    throw new WitnessRangeError(`value ${v} does not fit in ${nBits} unsigned bits`);
  }
  const bits: Signal[] = [];
  if (options.sumConstraint) {
    for (let i = 0; i < nBits; i++) {
      const bit = b.wire((v >> BigInt(i)) & 1n);
      b.assertBool(bit);
      bits.push(bit);
    }
    b.assertMul(b.constant(1n), bitsToValue(b, bits, 0, nBits), x);
    return bits;
  }
  const lowTerms: Array<[Signal, bigint]> = [[x, 1n]];
  for (let i = 0; i < nBits - 1; i++) {
    const bit = b.wire((v >> BigInt(i)) & 1n);
    b.assertBool(bit);
    bits.push(bit);
    lowTerms.push([bit, -(1n << BigInt(i))]);
  }
  // top = (x − Σ_{i<n−1} bit_i 2^i) / 2^(n−1): the division is a field multiplication by a constant.
  const rest = b.linear(lowTerms);
  const top = b.linear([[rest, fieldInv(1n << BigInt(nBits - 1))]]);
  const topValue = (v >> BigInt(nBits - 1)) & 1n;
  const topSignal: Signal = { lc: top.lc, value: topValue };
  b.assertBool(topSignal);
  bits.push(topSignal);
  return bits;
}

/** Σ bits[i] · 2^(i − from) over i in [from, to): a free linear combination. */
export function bitsToValue(b: R1csBuilder, bits: readonly Signal[], from: number, to: number): Signal {
  const terms: Array<[Signal, bigint]> = [];
  for (let i = from; i < to; i++) terms.push([bits[i]!, 1n << BigInt(i - from)]);
  return b.linear(terms);
}

/** A value's range check cut into segments (see {@link rangeSegments}). */
export interface RangeSegments {
  /** One signal per segment, least significant first: x = Σ seg_k·2^(Σ_{j<k} w_j). */
  readonly segments: Signal[];
  /** Without lookups, the bits the segments are made of (least significant first). */
  readonly bits?: Signal[];
}

/** Constraints {@link rangeSegments} emits: the segments' range checks, plus the sum constraint. */
export function rangeSegmentsCost(
  widths: readonly number[],
  options: BitDecomposeOptions = {},
  lookup?: LookupConfig,
): number {
  if (!lookup) return bitDecomposeCost(sumWidths(widths), options);
  return widths.reduce((s, w) => s + rangeCheckCost(w, lookup), 0) + (options.sumConstraint ? 1 : 0);
}

function sumWidths(widths: readonly number[]): number {
  if (widths.length === 0 || widths.some((w) => !Number.isInteger(w) || w < 1))
    throw new Error(`segment widths [${widths.join(', ')}] must be positive integers`);
  return widths.reduce((s, w) => s + w, 0);
}

/**
 * Proves 0 ≤ x < 2^(Σ w) and cuts x into segments, x = Σ seg_k·2^(Σ_{j<k} w_j), each proven in
 * [0, 2^(w_k)) — by bits when the builder has no lookups (exactly {@link bitDecompose}, so those
 * circuits are unchanged), by limbs of the builder's lookup width when it has. The layouts are as
 * bitDecompose's: with `sumConstraint` every limb is a wire and one constraint 1·Σ = x binds them
 * (x on the C side); without it, the last segment's top limb is x minus the rest (no wire).
 * Cost: {@link rangeSegmentsCost}.
 */
export function rangeSegments(
  b: R1csBuilder,
  x: Signal,
  widths: readonly number[],
  options: BitDecomposeOptions = {},
): Signal[] {
  return rangeSegmentsDetailed(b, x, widths, options).segments;
}

/** {@link rangeSegments}, also returning the bits when there are no lookups. */
export function rangeSegmentsDetailed(
  b: R1csBuilder,
  x: Signal,
  widths: readonly number[],
  options: BitDecomposeOptions = {},
): RangeSegments {
  const total = sumWidths(widths);
  const offsets = widths.map((_, k) => widths.slice(0, k).reduce((s, w) => s + w, 0));
  if (!b.lookup) {
    const bits = bitDecompose(b, x, total, options);
    return { segments: widths.map((w, k) => bitsToValue(b, bits, offsets[k]!, offsets[k]! + w)), bits };
  }
  const v = x.value;
  if (total > 250) throw new Error(`bit width ${total} out of range 1..250`);
  if (v < 0n || v >= 1n << BigInt(total))
    throw new WitnessRangeError(`value ${v} does not fit in ${total} unsigned bits`);
  const k = b.lookup.limbBits;
  const segments: Signal[] = [];
  const terms: Array<[Signal, bigint]> = [];
  widths.forEach((w, s) => {
    const last = s === widths.length - 1 && !options.sumConstraint;
    const value = (v >> BigInt(offsets[s]!)) & ((1n << BigInt(w)) - 1n);
    if (last) {
      // (x − Σ earlier segments)/2^offset, proven by lookupRange's compact layout.
      const rest = b.linear([
        [
          b.linear([[x, 1n], ...terms.map(([t, c]) => [t, -c] as [Signal, bigint])]),
          fieldInv(1n << BigInt(offsets[s]!)),
        ],
      ]);
      const seg = { lc: rest.lc, value };
      b.lookupRange(seg, w);
      segments.push(seg);
      return;
    }
    const limbs: Array<[Signal, bigint]> = [];
    for (let off = 0; off < w; off += k) {
      const lw = Math.min(k, w - off);
      const limb = b.wire((value >> BigInt(off)) & ((1n << BigInt(lw)) - 1n));
      b.lookupRange(limb, lw);
      limbs.push([limb, 1n << BigInt(off)]);
    }
    const seg = limbs.length === 1 ? limbs[0]![0] : b.linear(limbs);
    segments.push(seg);
    terms.push([seg, 1n << BigInt(offsets[s]!)]);
  });
  if (options.sumConstraint) b.assertMul(b.constant(1n), b.linear(terms), x);
  return { segments };
}

/**
 * Constrains lo ≤ x ≤ hi exactly. x − lo is range-checked to w = bitLength(hi − lo) bits (by
 * bits, or by limbs when the builder has lookups); when the range is not exactly 2^w wide that
 * alone would also admit (hi, lo + 2^w), so hi − x is checked as well. Cost: {@link intervalCheckCost}.
 */
export function assertInInterval(b: R1csBuilder, x: Signal, lo: bigint, hi: bigint): void {
  const w = rangeBits(lo, hi);
  rangeSegments(b, b.linear([[x, 1n]], -lo), [w]);
  if (hi - lo + 1n !== 1n << BigInt(w)) rangeSegments(b, b.linear([[x, -1n]], hi), [w]);
}

/** Constraints {@link assertInInterval} emits for [lo, hi] (`lookup`: the builder's lookup configuration). */
export function intervalCheckCost(lo: bigint, hi: bigint, lookup?: LookupConfig): number {
  const w = rangeBits(lo, hi);
  return (hi - lo + 1n === 1n << BigInt(w) ? 1 : 2) * rangeCheckCost(w, lookup);
}
