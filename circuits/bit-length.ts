/**
 * Exact bit widths on bigints. Every width that decides a range check, a packing slot or a
 * decomposition is computed here: floating-point logarithms round (log2(2^49 + 1) is exactly 49
 * in doubles), and a width one bit short lets values spill between packed slots.
 */

/** Bits needed to write n ≥ 0 in binary, at least 1: the smallest b with n < 2^b. */
export function bitLength(n: bigint | number): number {
  const v = BigInt(n);
  if (v < 0n) throw new Error(`bit length of a negative number ${v}`);
  return v === 0n ? 1 : v.toString(2).length;
}

/** The smallest k ≥ 0 with 2^k ≥ n, for n ≥ 1. */
export function ceilLog2(n: bigint | number): number {
  const v = BigInt(n);
  if (v < 1n) throw new Error(`ceilLog2 of ${v}`);
  return v === 1n ? 0 : (v - 1n).toString(2).length;
}

/** Width of the unsigned encoding of every integer in [lo, hi] after subtracting lo. */
export function rangeBits(lo: bigint | number, hi: bigint | number): number {
  const l = BigInt(lo);
  const h = BigInt(hi);
  if (h < l) throw new Error(`empty range [${l}, ${h}]`);
  return bitLength(h - l);
}
