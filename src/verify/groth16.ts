/**
 * The Groth16 check every zkinfer verifier runs: snarkjs's pairing check, preceded by the
 * group-membership check snarkjs leaves out.
 *
 * snarkjs only checks that the proof's points lie on their curves. On BN254 that is enough for
 * G1 (cofactor 1), but the G2 twist has a cofactor of about 2^254: a point can be on the twist
 * and outside the order-r subgroup the pairing's bilinearity is proven for. Ethereum's pairing
 * precompile (EIP-197) refuses such a point, so without this check the local verdict and the
 * on-chain verdict could differ, and no soundness argument covers the local one.
 */
import * as snarkjs from 'snarkjs';
import { verifyUltragroth } from './ultragroth.js';

interface G2Group {
  fromObject(o: unknown): Uint8Array;
  isValid(p: Uint8Array): boolean;
  isZero(p: Uint8Array): boolean;
  timesScalar(p: Uint8Array, s: bigint): Uint8Array;
}

interface Bn128 {
  readonly r: bigint;
  readonly G2: G2Group;
}

/**
 * Why `proof.pi_b` is not a point of the order-r subgroup of G2, or undefined when it is. Uses
 * the curve snarkjs itself uses in this thread (a single-threaded one inside workers).
 */
export async function g2MembershipError(proof: { readonly pi_b?: unknown }): Promise<string | undefined> {
  const curve = (await snarkjs.curves.getCurveFromName('bn128')) as unknown as Bn128;
  let p: Uint8Array;
  try {
    // Like snarkjs, read the decimal coordinates as integers (fromObject misreads strings).
    const coords = (proof.pi_b as unknown[][]).map((pair) => pair.map((v) => BigInt(v as string)));
    if (coords.length !== 3 || coords.some((pair) => pair.length !== 2)) return 'pi_b is not a G2 point';
    p = curve.G2.fromObject(coords);
  } catch {
    return 'pi_b is not a G2 point';
  }
  if (!curve.G2.isValid(p)) return 'pi_b is not on the G2 twist curve';
  // [r]P is the identity exactly for points of the order-r subgroup (r is prime).
  if (!curve.G2.isZero(curve.G2.timesScalar(p, curve.r)))
    return 'pi_b is on the G2 twist but outside its order-r subgroup';
  return undefined;
}

/** A verdict and, when it is negative, the check that failed. */
export interface ProofVerdict {
  readonly ok: boolean;
  /** `proof-system`: the proof's protocol is not the key's; `challenge`/`pairing`: see src/verify/ultragroth.ts. */
  readonly failed?: 'proof-system' | 'challenge' | 'pairing';
  /** For `proof-system`: both protocols, named. */
  readonly detail?: string;
}

const protocolOf = (x: unknown): string =>
  typeof x === 'object' && x !== null && typeof (x as { protocol?: unknown }).protocol === 'string'
    ? (x as { protocol: string }).protocol
    : 'groth16';

/**
 * Verifies a proof of either system, dispatching on `vkey.protocol` ('groth16' or 'ultragroth';
 * a missing field reads as 'groth16'). A proof whose `protocol` is not the key's, or a key of
 * another system, fails `proof-system`, naming both. Never throws.
 */
export async function verifyProof(vkey: unknown, publicSignals: readonly string[], proof: unknown): Promise<ProofVerdict> {
  const [keySystem, proofSystem] = [protocolOf(vkey), protocolOf(proof)];
  if (keySystem !== proofSystem || (keySystem !== 'groth16' && keySystem !== 'ultragroth'))
    return {
      ok: false,
      failed: 'proof-system',
      detail: `the proof is ${proofSystem} but the verification key is ${keySystem}`,
    };
  if (keySystem === 'ultragroth') return verifyUltragroth(vkey, publicSignals, proof);
  return (await verifyGroth16Only(vkey, publicSignals, proof)) ? { ok: true } : { ok: false, failed: 'pairing' };
}

/** {@link verifyProof}'s yes/no: a proof of either system against its own kind of key. */
export async function verifyGroth16(vkey: unknown, publicSignals: readonly string[], proof: unknown): Promise<boolean> {
  return (await verifyProof(vkey, publicSignals, proof)).ok;
}

/** The full Groth16 verdict: subgroup membership, then snarkjs's pairing check; malformed input is false, never a throw. */
async function verifyGroth16Only(vkey: unknown, publicSignals: readonly string[], proof: unknown): Promise<boolean> {
  try {
    if (await g2MembershipError(proof as { pi_b?: unknown })) return false;
    return await snarkjs.groth16.verify(
      vkey as Record<string, unknown>,
      publicSignals as string[],
      proof as Record<string, unknown>,
    );
  } catch {
    return false;
  }
}
