/**
 * Arithmetic in the BN254 scalar field, the field every Groth16 circuit of zkinfer lives in.
 * Integers of the quantized model are signed; they are embedded as `v mod p` and read back
 * with {@link toSigned}, which is only meaningful for values far smaller than p/2.
 */

import { FIELD_PRIME } from '../src/core/bn254.js';

/** The BN254 (alt_bn128) scalar field modulus, defined once in src/core/bn254.ts. */
export { FIELD_PRIME };

/** Reduces any bigint into [0, p). */
export function fieldMod(v: bigint): bigint {
  const r = v % FIELD_PRIME;
  return r < 0n ? r + FIELD_PRIME : r;
}

/** Multiplicative inverse in the field (p is prime, so a^(p-2)); throws on zero. */
export function fieldInv(a: bigint): bigint {
  const x = fieldMod(a);
  if (x === 0n) throw new Error('inverse of zero');
  // Extended Euclid is much faster than exponentiation for one-off inverses.
  let [r0, r1] = [FIELD_PRIME, x];
  let [t0, t1] = [0n, 1n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  return fieldMod(t0);
}

/** Interprets a field element as a signed integer in (-p/2, p/2]. */
export function toSigned(v: bigint): bigint {
  const x = fieldMod(v);
  return x > FIELD_PRIME / 2n ? x - FIELD_PRIME : x;
}
