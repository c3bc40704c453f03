/**
 * The local verifier of two-round ("ultragroth") proofs (docs/security.md):
 *
 * 1. `challenge`: c = keccak256(C₁.x ‖ C₁.y ‖ pub_0 ‖ … ‖ pub_{n−2}) mod r must equal the last
 *    public signal — the challenge was drawn after C₁ fixed the round-1 wires;
 * 2. `pairing`: e(A, B) = e(α, β)·e(IC(pub), γ)·e(C₁, δ₁)·e(C, δ), one pairing more than Groth16.
 *
 * Points are checked first (on their curves, B in the order-r subgroup of G2, C₁ not infinity,
 * coordinates canonical) and so are the signals (canonical, < r, as many as the key expects):
 * anything malformed fails `pairing`, never throws.
 */
import * as snarkjs from 'snarkjs';
import { BASE_FIELD_PRIME, FIELD_PRIME } from '../core/bn254.js';
import { ultragrothChallenge } from '../prove/groth16/ultragroth-challenge.js';

export { ultragrothChallenge };

/** The failed check of {@link verifyUltragroth}. */
export type UltragrothCheck = 'challenge' | 'pairing';

/** ffjavascript's curve as far as this verifier uses it (it ships no types). */
interface Group {
  fromObject(o: unknown): Uint8Array;
  isValid(p: Uint8Array): boolean;
  isZero(p: Uint8Array): boolean;
  neg(p: Uint8Array): Uint8Array;
  add(a: Uint8Array, b: Uint8Array): Uint8Array;
  timesScalar(p: Uint8Array, s: bigint): Uint8Array;
  readonly zero: Uint8Array;
}
interface Curve {
  readonly r: bigint;
  readonly G1: Group;
  readonly G2: Group;
  pairingEq(...args: Uint8Array[]): Promise<boolean>;
}

const CANONICAL = /^(0|[1-9][0-9]*)$/;

function integer(v: unknown, bound: bigint): bigint {
  if (typeof v !== 'string' || !CANONICAL.test(v)) throw new Error('not a canonical decimal');
  const n = BigInt(v);
  if (n >= bound) throw new Error('out of range');
  return n;
}

/** An affine G1 point [x, y, "1"] of the proof, on the curve and not infinity. */
function g1Point(curve: Curve, p: unknown): Uint8Array {
  const a = p as unknown[];
  if (!Array.isArray(a) || a.length !== 3 || a[2] !== '1') throw new Error('not an affine G1 point');
  const pt = curve.G1.fromObject([integer(a[0], BASE_FIELD_PRIME), integer(a[1], BASE_FIELD_PRIME), 1n]);
  if (!curve.G1.isValid(pt) || curve.G1.isZero(pt)) throw new Error('not a G1 point');
  return pt;
}

/**
 * The proof's B: an affine G2 point [[x0, x1], [y0, y1], ["1", "0"]] of the order-r subgroup
 * (the twist's cofactor is ~2^254; EIP-197 refuses points outside it, and so does this check).
 */
function g2Point(curve: Curve, p: unknown): Uint8Array {
  const a = p as unknown[][];
  if (!Array.isArray(a) || a.length !== 3 || !a.every((pair) => Array.isArray(pair) && pair.length === 2))
    throw new Error('not a G2 point');
  if (a[2]![0] !== '1' || a[2]![1] !== '0') throw new Error('not an affine G2 point');
  const coords = a.slice(0, 2).map((pair) => pair.map((v) => integer(v, BASE_FIELD_PRIME)));
  const pt = curve.G2.fromObject([...coords, [1n, 0n]]);
  if (!curve.G2.isValid(pt) || curve.G2.isZero(pt) || !curve.G2.isZero(curve.G2.timesScalar(pt, curve.r)))
    throw new Error('not in the order-r subgroup of G2');
  return pt;
}

/** A key point, as snarkjs reads vkeys: decimal strings to integers. */
function keyPoint(g: Group, p: unknown): Uint8Array {
  const big = (v: unknown): unknown => (Array.isArray(v) ? v.map(big) : BigInt(v as string));
  return g.fromObject(big(p));
}

interface UltragrothVkey {
  readonly protocol: string;
  readonly nPublic: number;
  readonly vk_alpha_1: unknown;
  readonly vk_beta_2: unknown;
  readonly vk_gamma_2: unknown;
  readonly vk_delta_2: unknown;
  readonly vk_delta1_2: unknown;
  readonly IC: unknown[];
  readonly challenge?: { readonly index?: unknown; readonly hash?: unknown };
}

/** Whether the vkey is shaped as the contract's ultragroth key (challenge last, keccak256). */
function vkeyShapeOk(vk: UltragrothVkey): boolean {
  return (
    vk.protocol === 'ultragroth' &&
    Number.isInteger(vk.nPublic) &&
    vk.nPublic >= 1 &&
    Array.isArray(vk.IC) &&
    vk.IC.length === vk.nPublic + 1 &&
    vk.challenge?.index === vk.nPublic - 1 &&
    vk.challenge?.hash === 'keccak256'
  );
}

/**
 * Verifies an ultragroth proof: `challenge` (the hash of C₁ and the other signals equals the last
 * signal), then `pairing` (including the point and signal checks). Never throws.
 */
export async function verifyUltragroth(
  vkey: unknown,
  publicSignals: readonly string[],
  proof: unknown,
): Promise<{ ok: boolean; failed?: UltragrothCheck }> {
  const fail = (failed: UltragrothCheck) => ({ ok: false, failed });
  try {
    const vk = vkey as UltragrothVkey;
    const pr = proof as { pi_a: unknown; pi_b: unknown; pi_c: unknown; pi_c1: unknown; protocol: unknown };
    if (!vkeyShapeOk(vk) || pr.protocol !== 'ultragroth' || publicSignals.length !== vk.nPublic)
      return fail('pairing');
    const curve = (await snarkjs.curves.getCurveFromName('bn128')) as unknown as Curve;
    const signals = publicSignals.map((s) => integer(s, FIELD_PRIME));
    const c1 = g1Point(curve, pr.pi_c1);
    const c1Coords = pr.pi_c1 as [string, string];
    if (ultragrothChallenge([c1Coords[0], c1Coords[1]], publicSignals) !== signals[signals.length - 1])
      return fail('challenge');
    const [a, c] = [g1Point(curve, pr.pi_a), g1Point(curve, pr.pi_c)];
    const b = g2Point(curve, pr.pi_b);
    let ic = keyPoint(curve.G1, vk.IC[0]);
    signals.forEach((s, i) => (ic = curve.G1.add(ic, curve.G1.timesScalar(keyPoint(curve.G1, vk.IC[i + 1]), s))));
    // e(−A, B)·e(α, β)·e(IC, γ)·e(C₁, δ₁)·e(C, δ) = 1
    const ok = await curve.pairingEq(
      curve.G1.neg(a),
      b,
      keyPoint(curve.G1, vk.vk_alpha_1),
      keyPoint(curve.G2, vk.vk_beta_2),
      ic,
      keyPoint(curve.G2, vk.vk_gamma_2),
      c1,
      keyPoint(curve.G2, vk.vk_delta1_2),
      c,
      keyPoint(curve.G2, vk.vk_delta_2),
    );
    return ok ? { ok: true } : fail('pairing');
  } catch {
    return fail('pairing');
  }
}
