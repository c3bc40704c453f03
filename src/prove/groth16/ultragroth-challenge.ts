/**
 * The Fiat–Shamir challenge of a two-round ("ultragroth") proof, computed identically by the
 * prover, the local verifier and the Solidity verifier (docs/security.md):
 *
 *   c = keccak256(C₁.x ‖ C₁.y ‖ pub_0 ‖ … ‖ pub_{n−2}) mod r,
 *
 * every item a 32-byte big-endian word, C₁ in affine coordinates, pub_j the public signals in
 * order without the last one (the challenge's own slot). Hashing every other public signal, not
 * only C₁, binds the challenge to the whole statement.
 */
import { keccak256 } from 'viem';
import { BASE_FIELD_PRIME, FIELD_PRIME } from '../../core/bn254.js';

function word(v: bigint, bound: bigint, what: string): Uint8Array {
  if (v < 0n || v >= bound) throw new Error(`${what} is not a canonical field element`);
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

/**
 * The challenge for commitment `c1` (affine x, y as decimal strings) and `publicSignals`, the
 * proof's whole list of public signals (nPublic entries; the last, the challenge slot, is not
 * hashed). Throws on a coordinate ≥ q or a signal ≥ r (callers reject such proofs first).
 */
export function ultragrothChallenge(c1: readonly [string, string], publicSignals: readonly string[]): bigint {
  if (publicSignals.length < 1) throw new Error('an ultragroth proof has at least the challenge as public signal');
  const items = [
    word(BigInt(c1[0]), BASE_FIELD_PRIME, 'C₁.x'),
    word(BigInt(c1[1]), BASE_FIELD_PRIME, 'C₁.y'),
    ...publicSignals.slice(0, -1).map((s, j) => word(BigInt(s), FIELD_PRIME, `public signal ${j}`)),
  ];
  const bytes = new Uint8Array(32 * items.length);
  items.forEach((w, i) => bytes.set(w, 32 * i));
  return BigInt(keccak256(bytes)) % FIELD_PRIME;
}
