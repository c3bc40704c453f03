/**
 * Argmax with the integer reference's tie-break (the first maximum wins, see `argmax` in
 * src/quantize/quantized-model.ts), as a left fold: for k = 1..n−1,
 *   s_k = [x_k > m_{k−1}]                (strictly greater: a later equal value never wins)
 *   m_k = m_{k−1} + s_k · (x_k − m_{k−1})
 *   i_k = i_{k−1} + s_k · (k − i_{k−1})
 * with m_0 = x_0, i_0 = 0. The strict comparison is the sign of d = x_k − m_{k−1} − 1 (so
 * s = [d ≥ 0]) from one bit decomposition of d + 2^(bits−1); every wire is then determined:
 * the bits by the decomposition, m_k and i_k by one product each. bits + 3 constraints per step
 * (with lookups the sign comes from limbs and a sign bit, circuits/max.ts: {@link argmaxCost}).
 */
import { R1csBuilder, Signal } from './builder.js';
import type { LookupConfig } from './lookup.js';
import { comparatorBits, isNonNegativeCost, signOf } from './max.js';

/** Comparator width for argmax over values in [lo, hi]: d = x − m − 1 lies in [lo − hi − 1, hi − lo − 1]. */
export function argmaxBits(lo: number | bigint, hi: number | bigint): number {
  const span = BigInt(hi) - BigInt(lo);
  return comparatorBits(-span - 1n, span - 1n);
}

/** Constraints of {@link argmax} over n values (`lookup`: the builder's lookup configuration; undefined = bits). */
export function argmaxCost(n: number, bits: number, lookup?: LookupConfig): number {
  return (n - 1) * (isNonNegativeCost(bits, lookup) + 2);
}

/** Result of {@link argmax}. */
export interface ArgmaxSignals {
  /** Index of the first maximum, 0..n−1. */
  readonly index: Signal;
  /** The maximum value. */
  readonly max: Signal;
}

/**
 * The index of the first largest of `xs`; every pairwise difference x_k − m must fit the signed
 * width `bits` (use {@link argmaxBits} with the values' range). Throws WitnessRangeError otherwise.
 */
export function argmax(b: R1csBuilder, xs: readonly Signal[], bits: number): ArgmaxSignals {
  if (xs.length === 0) throw new Error('argmax of no values');
  let m = xs[0]!;
  let index = b.constant(0n);
  for (let k = 1; k < xs.length; k++) {
    const x = xs[k]!;
    const { s, short } = signOf(
      b,
      b.linear(
        [
          [x, 1n],
          [m, -1n],
        ],
        -1n,
      ),
      bits,
    );
    const wins = s.value === 1n;
    const nextM = b.wire(wins ? x.value : m.value);
    // s · (x − m) = m' − m, with x − m taken from the short bit form (d + 1).
    b.assertMul(s, b.linear([[short, 1n]], 1n), b.sub(nextM, m));
    const nextIndex = b.wire(wins ? BigInt(k) : index.value);
    b.assertMul(s, b.linear([[index, -1n]], BigInt(k)), b.sub(nextIndex, index));
    m = nextM;
    index = nextIndex;
  }
  return { index, max: m };
}
