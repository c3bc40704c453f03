/**
 * Proving with zkinfer's own prover for either proof system. A groth16 witness is complete when
 * the circuit is built; an ultragroth one is not: the builder computes the round-1 witness (every
 * wire the model pass allocates plus the LogUp multiplicities), the prover commits to it (C₁),
 * hashes the challenge from C₁ and the public signals, and only then can the round-2 wires (the
 * LogUp inverses, which depend on the challenge) be filled in by completeLookupWitness. The
 * completed witness is checked against the r1cs here: the own prover does not check witnesses,
 * and a proof of an unsatisfied witness must never become a bundle.
 */
import { findViolatedConstraint, type BuiltCircuit, type Constraint } from '../../circuits/builder.js';
import { completeLookupWitness } from '../../circuits/lookup.js';
import type { Groth16Prover } from './groth16/groth16-prover.js';
import type { ProofBundle } from '../formats/bundle.js';

/** A proof and its public signals, as bundles and chunk files hold them. */
export interface MadeProof {
  readonly proof: ProofBundle['proof'];
  readonly publicSignals: string[];
}

/** What {@link proveWitness} needs besides the built circuit. */
export interface ProveWitnessOptions {
  /** The own prover of the key (made once per key and kept). */
  readonly prover: Groth16Prover;
  /** Whether the key is an ultragroth key (the circuit was built with lookups). */
  readonly ultragroth: boolean;
  /** The constraints of the key's r1cs, which the completed witness must satisfy. */
  readonly constraints: readonly Constraint[];
  /** Makes the error thrown for a witness that violates a constraint (a bug, never a user error). */
  readonly violation: (message: string) => Error;
}

/**
 * Proves a built circuit's witness. Groth16: the witness as built (the caller checked it against
 * the r1cs). ultragroth: the round-1 witness, completed by the prover's challenge, and the
 * completed witness checked against `constraints` before the proof is returned.
 */
export async function proveWitness(circuit: BuiltCircuit, o: ProveWitnessOptions): Promise<MadeProof> {
  if (!o.ultragroth) {
    const { proof, publicSignals } = await o.prover.prove(circuit.witness);
    return { proof, publicSignals };
  }
  if (!circuit.lookup) throw new Error('an ultragroth key, but the circuit was built without lookups');
  let completed: bigint[] | undefined;
  const { proof, publicSignals } = await o.prover.prove(circuit.witness, {
    completeRound2: (challenge: bigint) => (completed = completeLookupWitness(circuit, challenge)),
  });
  if (!completed) throw new Error('the prover made an ultragroth proof without completing round 2');
  const bad = findViolatedConstraint(o.constraints, completed);
  if (bad >= 0) throw o.violation(`the completed (round-2) witness violates constraint ${bad}`);
  const challenge = completed[circuit.lookup.challengeWire]!;
  if (publicSignals[publicSignals.length - 1] !== challenge.toString())
    throw new Error("the proof's last public signal is not the challenge its round-2 wires were computed for");
  return { proof, publicSignals };
}
