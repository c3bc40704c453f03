/**
 * Checks a chain of phase-2 contributions from their public keys alone, as snarkjs's
 * `zkey verify` does before it compares point sections: each contribution signs the circuit
 * hash and every earlier key (its transcript), proves knowledge of its secret (same ratio in
 * G1 and G2), and moves δ by exactly that secret; beacons must expand from their published
 * seed. The last δ must be the verification key's. What this cannot check without the ptau
 * and the r1cs is that the circuit hash belongs to this circuit: ceremony verify and the
 * verifier's --trust-ptau FILE recompute it.
 */
import { createHash } from 'node:crypto';
import { utils } from 'ffjavascript';
import type { ContributionRecord } from '../../formats/ceremony.js';
import { bn128, sameRatio, snarkjsInternals } from '../snarkjs-internals.js';
import { verifyUltragrothRecords } from './ultragroth-records.js';

/** Outcome of {@link verifyContributionChain}. */
export type ChainVerdict =
  { readonly ok: true } | { readonly ok: false; readonly index?: number; readonly detail: string };

/** Options of {@link verifyContributionChain}. */
export interface ChainInput {
  readonly csHash: string;
  readonly contributions: readonly ContributionRecord[];
  /** The verification key's δ in G2 (snarkjs JSON `vk_delta_2`); when given, the chain must end there. */
  readonly vkDelta2?: unknown;
  /**
   * An ultragroth verification key's δ₁ (`vk_delta1_2`): when given (or when a record carries a
   * δ₁ part) the chain is checked as an ultragroth one, both δ and δ₁ (ultragroth-records.ts).
   */
  readonly vkDelta1_2?: unknown;
}

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

/** Who a contribution is, for messages: `contribution 2 ("bob")`. */
export function describeContribution(c: Pick<ContributionRecord, 'index' | 'name' | 'kind'>): string {
  return `${c.kind} ${c.index}${c.name ? ` ("${c.name}")` : ''}`;
}

/** Verifies the chain; the first broken link is named. */
export async function verifyContributionChain(input: ChainInput): Promise<ChainVerdict> {
  if (input.vkDelta1_2 !== undefined || input.contributions.some((c) => c.delta1Key)) {
    if (input.vkDelta1_2 === undefined && input.vkDelta2 !== undefined)
      return { ok: false, detail: 'the ceremony moved δ₁ (an ultragroth key) but the verification key has no δ₁' };
    return verifyUltragrothRecords({ ...input, vkDelta1_2: input.vkDelta1_2 });
  }
  const curve = await bn128();
  const { hashToG2, rngFromBeaconParams } = await snarkjsInternals();
  const acc = createHash('blake2b512').update(hex(input.csHash));
  let delta = curve.G1.g;
  for (const c of input.contributions) {
    const fail = (why: string): ChainVerdict => ({
      ok: false,
      index: c.index,
      detail: `${describeContribution(c)}: ${why}`,
    });
    let g1S, g1Sx, g2Spx, deltaAfter;
    try {
      g1S = curve.G1.fromRprUncompressed(hex(c.key.g1S), 0);
      g1Sx = curve.G1.fromRprUncompressed(hex(c.key.g1Sx), 0);
      g2Spx = curve.G2.fromRprUncompressed(hex(c.key.g2Spx), 0);
      deltaAfter = curve.G1.fromRprUncompressed(hex(c.key.deltaAfter), 0);
    } catch {
      return fail('public key is not a valid curve point');
    }
    const mine = acc.copy().update(hex(c.key.g1S)).update(hex(c.key.g1Sx)).digest('hex');
    if (mine !== c.key.transcript)
      return fail('transcript hash does not follow from the earlier contributions (altered or reordered)');
    const g2Sp = hashToG2(curve, hex(c.key.transcript));
    if (!(await sameRatio(curve, g1S, g1Sx, g2Sp, g2Spx)))
      return fail('public key does not prove knowledge of its secret (G1 and G2 ratios differ)');
    if (!(await sameRatio(curve, delta, deltaAfter, g2Sp, g2Spx)))
      return fail('δ after this contribution does not follow from its public key');
    if (c.kind === 'beacon') {
      if (!c.beacon) return fail('beacon without its seed');
      const rng = await rngFromBeaconParams(hex(c.beacon.hash), c.beacon.iterationsExp);
      const k = curve.Fr.fromRng(rng);
      const s = curve.G1.toAffine(curve.G1.fromRng(rng));
      if (!curve.G1.eq(s, g1S) || !curve.G1.eq(curve.G1.toAffine(curve.G1.timesFr(s, k)), g1Sx))
        return fail('beacon key does not expand from the published beacon seed');
    }
    const h = createHash('blake2b512');
    for (const f of [c.key.deltaAfter, c.key.g1S, c.key.g1Sx, c.key.g2Spx, c.key.transcript]) {
      acc.update(hex(f));
      h.update(hex(f));
    }
    if (h.digest('hex') !== c.hash) return fail('recorded contribution hash does not match its public key');
    delta = deltaAfter;
  }
  if (input.vkDelta2 !== undefined) {
    // A verification key holds δ only in G2: the chain's last δ (in G1) must have the same discrete log.
    let vkDelta2;
    try {
      vkDelta2 = curve.G2.fromObject(utils.unstringifyBigInts(input.vkDelta2));
    } catch {
      return { ok: false, detail: "the verification key's δ is not a G2 point" };
    }
    if (!(await sameRatio(curve, curve.G1.g, delta, curve.G2.g, vkDelta2)))
      return {
        ok: false,
        detail: `the verification key's δ is not the δ the ${input.contributions.length} recorded contribution(s) produce`,
      };
  }
  return { ok: true };
}
