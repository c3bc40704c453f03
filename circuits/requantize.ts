/**
 * Requantize: rescale an accumulator by a power of two (floor), then clamp into the output's
 * integer range, optionally with ReLU — all from ONE bit decomposition of the accumulator.
 *
 * Semantics (also the integer reference): y = clamp(floor(acc / 2^s), −L, 2^a − 1 − L), where
 * L = 0 gives ReLU into [0, 2^a − 1] and L = 2^(a−1) gives a signed a-bit value.
 *
 * Circuit: x = acc + 2^(B−1) + L·2^s is decomposed into B bits (B from the worst-case
 * accumulator range, so every input in range is provable). Bits [0, s) are the remainder,
 * [s, s+a) the value t = y + L, [s+a, B−1) overflow, bit B−1 says "not below the range".
 * With g = isZero(overflowSum + 1 − top): t = g·low + (top − g)·(2^a − 1).
 * The decomposition binds the (long) accumulator in a sum constraint of its own, on the C side,
 * so the prover never multiplies through it (see range-check.ts). With lookups the segments
 * [remainder, value, overflow, top] are range-checked by limbs instead of bits (rangeSegments).
 * Cost: B booleans (or the segments' limbs) + 1 sum, plus 4 when overflow bits exist, else 1.
 */
import { R1csBuilder, Signal } from './builder.js';
import { rangeSegmentsCost, rangeSegmentsDetailed } from './range-check.js';
import type { LookupConfig } from './lookup.js';
import { isZero, IS_ZERO_COST } from './is-zero.js';

/** Parameters of one requantization, fixed at compile time. */
export interface RequantizeParams {
  /** Right shift s ≥ 0 (fractional bits dropped). */
  readonly shift: number;
  /** Output width a in bits. */
  readonly outBits: number;
  /** Lower offset L: 0 for ReLU, 2^(a−1) for a signed output. */
  readonly lowerOffset: bigint;
  /** Decomposition width B, from {@link requantizeAccBits}. */
  readonly accBits: number;
}

/** The exact integer semantics of the gadget. */
export function requantizeValue(acc: bigint, p: Pick<RequantizeParams, 'shift' | 'outBits' | 'lowerOffset'>): bigint {
  const q = acc >> BigInt(p.shift); // BigInt >> is an arithmetic shift: floor division.
  const lo = -p.lowerOffset;
  const hi = (1n << BigInt(p.outBits)) - 1n - p.lowerOffset;
  return q < lo ? lo : q > hi ? hi : q;
}

/** Smallest B such that acc + 2^(B−1) + L·2^s stays in [0, 2^B) for every acc in [lo, hi]. */
export function requantizeAccBits(
  lo: bigint,
  hi: bigint,
  p: Pick<RequantizeParams, 'shift' | 'outBits' | 'lowerOffset'>,
): number {
  const off = p.lowerOffset << BigInt(p.shift);
  let bits = p.shift + 2;
  while (!(lo + off >= -(1n << BigInt(bits - 1)) && hi + off <= (1n << BigInt(bits - 1)) - 1n)) bits++;
  return bits;
}

/** The decomposition's segments [remainder, value, overflow, top] (absent ones: −1) and widths. */
function requantizeSegments(p: RequantizeParams): {
  widths: number[];
  at: Record<'rem' | 'val' | 'over' | 'top', number>;
} {
  const s = p.shift;
  const valueEnd = Math.min(s + p.outBits, p.accBits - 1);
  const parts: Array<['rem' | 'val' | 'over' | 'top', number]> = [
    ['rem', s],
    ['val', valueEnd - s],
    ['over', p.accBits - 1 - valueEnd],
    ['top', 1],
  ];
  const at = { rem: -1, val: -1, over: -1, top: -1 };
  const widths: number[] = [];
  for (const [name, w] of parts) {
    if (w <= 0) continue;
    at[name] = widths.length;
    widths.push(w);
  }
  return { widths, at };
}

/** Constraints {@link requantize} emits (`lookup`: the builder's lookup configuration). */
export function requantizeCost(p: RequantizeParams, lookup?: LookupConfig): number {
  const { widths, at } = requantizeSegments(p);
  return rangeSegmentsCost(widths, { sumConstraint: true }, lookup) + (at.over >= 0 ? IS_ZERO_COST + 1 : 1);
}

/** Emits the requantization of `acc` and returns the output signal (a fresh wire or a combination). */
export function requantize(b: R1csBuilder, acc: Signal, p: RequantizeParams): Signal {
  const B = p.accBits;
  const s = p.shift;
  if (B < s + 2) throw new Error(`accumulator width ${B} too small for shift ${s}`);
  const offset = (1n << BigInt(B - 1)) + (p.lowerOffset << BigInt(s));
  const x = b.linear([[acc, 1n]], offset);
  const { widths, at } = requantizeSegments(p);
  const { segments, bits } = rangeSegmentsDetailed(b, x, widths, { sumConstraint: true });
  const top = segments[at.top]!;
  const low = segments[at.val]!;
  const expected = requantizeValue(acc.value, p) + p.lowerOffset;
  let t: Signal;
  if (at.over >= 0) {
    // Zero exactly when every overflow bit is: the plain bit sum without lookups (the circuits
    // stay as they were), the segment's value with them (both < 2^253, so neither wraps).
    const overflow = bits
      ? b.linear(bits.slice(s + p.outBits, B - 1).map((bit) => [bit, 1n] as [Signal, bigint]))
      : segments[at.over]!;
    const g = isZero(
      b,
      b.linear(
        [
          [overflow, 1n],
          [top, -1n],
        ],
        1n,
      ),
    );
    const max = (1n << BigInt(p.outBits)) - 1n;
    // g·low = t − (top − g)·max, with t a fresh wire.
    t = b.wire(expected);
    b.assertMul(
      g,
      low,
      b.linear([
        [t, 1n],
        [top, -max],
        [g, max],
      ]),
    );
  } else {
    t = b.mul(top, low);
  }
  if (t.value !== expected) throw new Error(`requantize witness mismatch: ${t.value} vs ${expected}`);
  return b.linear([[t, 1n]], -p.lowerOffset);
}
