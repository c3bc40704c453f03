/**
 * The forgery a prover who knows an ultragroth key's δ₁ and γ can make: a proof of a FALSE
 * statement that passes both of the verifier's checks. (For keys derived from snarkjs's
 * `zkey new` — the ceremony's — γ is the G2 generator, γ = 1: knowing δ₁ alone suffices.)
 *
 * How: prove an honest statement x' (a witness that satisfies the circuit), but before the
 * challenge is drawn move the difference of the public inputs into C₁:
 *   C₁ = C₁(x') + Σ_j (x'_j − x_j)·(γ/δ₁)·IC_{j+1},
 * so e(IC(x), γ)·e(C₁, δ₁) = e(IC(x'), γ)·e(C₁(x'), δ₁). The challenge is then hashed over
 * the forged C₁ and the claimed signals x, as the verifier will, and round 2 is completed for it.
 * Only the challenge's slot is out of reach (c depends on C₁), so every other public signal —
 * outputs, inputs, commitments — can be claimed freely. That is why only keys whose δ₁ came from
 * a verified ceremony are trusted (`--require-trusted-setup`).
 */
import { utils } from 'ffjavascript';
import { FIELD_PRIME, fieldInv } from '../../circuits/field.js';
import type { Groth16Prover, UltragrothProofResult } from '../../src/prove/groth16/groth16-prover.js';
import { ultragrothChallenge } from '../../src/prove/groth16/ultragroth-challenge.js';
import { bn128 } from '../../src/setup/snarkjs-internals.js';

/** What {@link forgeUltragroth} needs. */
export interface UltragrothForgery {
  /** A prover on the key (its two rounds are driven separately here). */
  readonly prover: Groth16Prover;
  /** The key's verification key (its IC points). */
  readonly vkey: { readonly IC: readonly unknown[] };
  /** A round-1 witness of a TRUE statement x'. */
  readonly honestRound1: readonly bigint[];
  /** Completes that witness for a challenge (round-2 wires). */
  readonly completeRound2: (challenge: bigint) => bigint[];
  /** The claimed public signals, all but the last (the challenge's slot). */
  readonly claimed: readonly bigint[];
  /** The key's trapdoor: δ₁ and γ (γ = 1 for ceremony keys). */
  readonly delta1: bigint;
  readonly gamma: bigint;
}

/** A proof of `claimed` (plus the challenge) made with δ₁ and γ; see the module comment. */
export async function forgeUltragroth(f: UltragrothForgery): Promise<UltragrothProofResult> {
  const curve = (await bn128()) as any;
  const { G1 } = curve;
  const commitment = await f.prover.commitRound1(f.honestRound1);
  const factor = (f.gamma * fieldInv(f.delta1)) % FIELD_PRIME;
  let point = commitment.point;
  f.claimed.forEach((x, j) => {
    const diff = (((f.honestRound1[j + 1]! - x) % FIELD_PRIME) + FIELD_PRIME) % FIELD_PRIME;
    if (diff === 0n) return;
    const ic = G1.fromObject(utils.unstringifyBigInts(f.vkey.IC[j + 1]));
    point = G1.add(point, G1.timesScalar(ic, (diff * factor) % FIELD_PRIME));
  });
  const [x, y] = (G1.toObject(G1.toAffine(point)) as bigint[]).map(String) as [string, string];
  const signals = [...f.claimed.map(String), '0'];
  const challenge = ultragrothChallenge([x, y], signals);
  const full = f.completeRound2(challenge);
  const forged = await f.prover.proveRound2(full, { ...commitment, point, c1: [x, y], challenge });
  return { proof: forged.proof, publicSignals: [...f.claimed.map(String), String(challenge)] };
}
