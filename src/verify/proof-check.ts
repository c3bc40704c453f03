/**
 * The proof check of either proof system, chosen by the key (never by the proof): a groth16 key
 * runs snarkjs's pairing check behind the G2 subgroup check (groth16.ts); an ultragroth key first
 * recomputes the challenge from the proof's round-1 commitment C₁ and the other public signals
 * (check `challenge`), then runs the pairing check with the extra e(C₁, δ₁) (check `pairing`),
 * in src/verify/ultragroth.ts. A proof of the other system never reaches either: its protocol
 * must be the key's ({@link proofSystemMismatch}, verify's `proof-system` check).
 */
import { g2MembershipError, verifyGroth16 } from './groth16.js';
import { verifyUltragroth } from './ultragroth.js';

/** The verdict of {@link checkProof}: which part failed, and why. */
export type ProofVerdict =
  | { readonly ok: true; readonly detail: string }
  | { readonly ok: false; readonly failed: 'challenge' | 'pairing'; readonly detail: string };

/** The proof system a key is for: its snarkjs-style `protocol` field. */
export function keyProtocol(vkey: unknown): string {
  return String((vkey as { protocol?: unknown } | undefined)?.protocol);
}

/**
 * Why a proof cannot be checked under a key of another proof system (naming both), or undefined.
 * `keySystem` is the key's zkinfer metadata (`zkinfer.proofSystem`, absent = groth16), which must
 * agree with the key's own protocol too.
 */
export function proofSystemMismatch(
  vkey: { readonly protocol?: unknown; readonly zkinfer?: { readonly proofSystem?: string } },
  proofProtocols: { readonly bundle?: string; readonly proof: string },
): string | undefined {
  const keySide = keyProtocol(vkey);
  const meta = vkey.zkinfer?.proofSystem ?? 'groth16';
  if (meta !== keySide)
    return `the key's protocol is ${keySide} but its zkinfer.proofSystem says ${meta}: a mislabelled key`;
  if (proofProtocols.bundle !== undefined && proofProtocols.bundle !== proofProtocols.proof)
    return `the bundle says protocol ${proofProtocols.bundle} but its proof says ${proofProtocols.proof}`;
  if (proofProtocols.proof !== keySide)
    return `the proof's protocol is ${proofProtocols.proof}, the key's is ${keySide}`;
  return undefined;
}

/** Checks a proof under `vkey` with the verifier of the key's protocol; malformed input fails, never throws. */
export async function checkProof(
  vkey: unknown,
  publicSignals: readonly string[],
  proof: unknown,
): Promise<ProofVerdict> {
  const protocol = keyProtocol(vkey);
  if (protocol !== 'ultragroth') {
    const pointError = await g2MembershipError(proof as { pi_b?: unknown });
    if (pointError) return { ok: false, failed: 'pairing', detail: pointError };
    return (await verifyGroth16(vkey, publicSignals, proof))
      ? { ok: true, detail: 'Groth16 pairing check passed' }
      : { ok: false, failed: 'pairing', detail: 'Groth16 pairing check failed' };
  }
  // The challenge first (its own check), then the points and the pairing.
  let r: { ok: boolean; failed?: 'challenge' | 'pairing' };
  try {
    r = await verifyUltragroth(vkey as never, publicSignals as string[], proof as never);
  } catch {
    return { ok: false, failed: 'pairing', detail: 'ultragroth proof malformed' };
  }
  if (!r.ok && r.failed === 'challenge')
    return {
      ok: false,
      failed: 'challenge',
      detail: "the proof's challenge (last public signal) is not the hash of its C₁ and the other public signals",
    };
  const pointError = await g2MembershipError(proof as { pi_b?: unknown });
  if (pointError) return { ok: false, failed: 'pairing', detail: pointError };
  return r.ok
    ? { ok: true, detail: 'challenge recomputed from C₁; ultragroth pairing check passed' }
    : { ok: false, failed: 'pairing', detail: 'ultragroth pairing check failed' };
}

/** Whether a proof verifies under `vkey` (its protocol's verifier). */
export async function proofVerifies(vkey: unknown, publicSignals: readonly string[], proof: unknown): Promise<boolean> {
  return (await checkProof(vkey, publicSignals, proof)).ok;
}
