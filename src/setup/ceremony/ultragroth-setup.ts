/**
 * Glue between a build directory and the ultragroth ceremony modules: the round split a build
 * records (circuit.json `lookup.round2Start` / `challengeWire`, written by the plumbing's
 * compile), and `setup --ptau` for an ultragroth build (initial key from the ptau plus one local
 * random contribution moving δ and δ₁, as the Groth16 route does with snarkjs).
 */
import type { CircuitInfo } from '../../formats/circuit.js';
import { contributeUltragroth } from './ultragroth-contribute.js';
import { ultragrothInitKey, ultragrothVerificationKey } from './ultragroth-key.js';

/** The round split of an ultragroth build, or undefined for a Groth16 one. */
export function buildRound1(circuit: CircuitInfo): { round2Start: number; challengeWire: number } | undefined {
  const l = circuit.lookup;
  return circuit.proofSystem === 'ultragroth' && l
    ? { round2Start: l.round2Start, challengeWire: l.challengeWire }
    : undefined;
}

/**
 * An ultragroth key from a powers-of-tau file and one local random contribution.
 * @returns the key's bytes (chunks) and its verification key (the contract's JSON).
 */
export async function ultragrothPtauSetup(o: {
  r1csPath: string;
  ptauPath: string;
  round1: { round2Start: number; challengeWire: number };
}): Promise<{ zkey: Uint8Array[]; vkeyCore: Record<string, unknown> }> {
  const init = await ultragrothInitKey({ r1cs: o.r1csPath, ptau: o.ptauPath, round1: o.round1 });
  const step = await contributeUltragroth(Buffer.concat(init.zkey), {
    kind: 'contribution',
    name: 'zkinfer local contribution',
  });
  return { zkey: step.zkey, vkeyCore: await ultragrothVerificationKey(Buffer.concat(step.zkey)) };
}
