/**
 * The proof-system choice of a build (issue 20): `groth16`, the standard system every verifier
 * with snarkjs can check, or `ultragroth`, the two-round Groth16 whose challenge lets the circuit
 * range-check by LogUp lookups over limbs instead of one constraint per bit. This module turns the
 * user's flags into the builder's lookup option and a built circuit into circuit.json's `lookup`.
 */
import type { BuilderOptions, BuiltCircuit } from '../../circuits/builder.js';
import {
  completeLookupWitness,
  DEFAULT_LIMB_BITS,
  LookupChallengeError,
  MAX_LIMB_BITS,
  MIN_LIMB_BITS,
} from '../../circuits/lookup.js';
import { FIELD_PRIME } from '../core/bn254.js';
import { sha256Hex } from '../core/hash.js';
import { quote, UserError } from '../core/errors.js';
import { PROOF_SYSTEMS, type LookupInfoJson, type ProofSystem } from '../formats/circuit.js';

/** The proof-system flags of compile, run and demo. */
export interface ProofSystemChoice {
  /** `--proof-system` (default groth16). */
  readonly proofSystem?: ProofSystem;
  /** `--limb-bits` (ultragroth only; default {@link DEFAULT_LIMB_BITS}). */
  readonly limbBits?: number;
}

/** The checked choice: the system, and for ultragroth the builder's lookup option. */
export interface ResolvedProofSystem {
  readonly proofSystem: ProofSystem;
  readonly lookup?: NonNullable<BuilderOptions['lookup']>;
}

/**
 * Checks the flags (UserError naming the flag: an unknown system, `--limb-bits` with groth16, a
 * width out of range) and returns the builder option they select.
 */
export function resolveProofSystem(choice: ProofSystemChoice): ResolvedProofSystem {
  const proofSystem = choice.proofSystem ?? 'groth16';
  if (!PROOF_SYSTEMS.includes(proofSystem))
    throw new UserError(`--proof-system must be one of ${PROOF_SYSTEMS.join(', ')}, got ${quote(proofSystem)}`);
  if (proofSystem !== 'ultragroth') {
    // An option that does not apply is an error, never ignored.
    if (choice.limbBits !== undefined)
      throw new UserError('--limb-bits applies to --proof-system ultragroth only (groth16 has no lookups)');
    return { proofSystem };
  }
  const limbBits = choice.limbBits ?? DEFAULT_LIMB_BITS;
  // A table of 2^K entries costs 2^K constraints: the builder's bounds.
  if (!Number.isInteger(limbBits) || limbBits < MIN_LIMB_BITS || limbBits > MAX_LIMB_BITS)
    throw new UserError(
      `--limb-bits must be an integer from ${MIN_LIMB_BITS} to ${MAX_LIMB_BITS}, got ${quote(String(limbBits))}`,
    );
  return { proofSystem, lookup: { limbBits } };
}

/**
 * The proof-system choice a key's metadata records (`zkinfer.proofSystem`, `limbBits`), for a
 * verifier recompiling the circuit from --model: the same choice gives the same r1cs and model id.
 */
export function keyProofSystem(meta: { readonly proofSystem?: string; readonly limbBits?: number }): ProofSystemChoice {
  return meta.proofSystem === 'ultragroth'
    ? { proofSystem: 'ultragroth', ...(meta.limbBits !== undefined ? { limbBits: meta.limbBits } : {}) }
    : {};
}

/** The builder's lookup option for a compiled circuit (its circuit.json), so witnesses match the r1cs. */
export function lookupOptionOf(circuit: {
  readonly lookup?: { readonly limbBits: number };
}): ResolvedProofSystem['lookup'] {
  return circuit.lookup ? { limbBits: circuit.lookup.limbBits } : undefined;
}

/**
 * The built circuit with its witness complete, for checks that evaluate every constraint (compile's
 * determinism check): an ultragroth build's round-2 wires are filled in for a fixed challenge
 * derived from a label (a prover draws it from C₁; any challenge off the tables gives a valid
 * witness, and the check's verdict is about the structure). Groth16 builds are returned as they are.
 */
export function withCompleteWitness(circuit: BuiltCircuit): BuiltCircuit {
  if (!circuit.lookup) return circuit;
  for (let i = 0; ; i++) {
    const challenge = BigInt(`0x${sha256Hex(`zkinfer compile-time challenge ${i}`)}`) % FIELD_PRIME;
    try {
      return { ...circuit, witness: completeLookupWitness(circuit, challenge) };
    } catch (e) {
      // A challenge equal to a table entry: the next label (2^-240 odds per try).
      if (!(e instanceof LookupChallengeError) || i >= 8) throw e;
    }
  }
}

/** circuit.json's `proofSystem` and `lookup` fields of a built circuit (none for groth16). */
export function proofSystemFields(
  resolved: ResolvedProofSystem,
  circuit: BuiltCircuit,
): { proofSystem?: ProofSystem; lookup?: LookupInfoJson } {
  if (resolved.proofSystem !== 'ultragroth') return {};
  const l = circuit.lookup;
  if (!l) throw new Error('an ultragroth build produced no lookup info');
  return {
    proofSystem: 'ultragroth',
    lookup: {
      limbBits: l.limbBits,
      round2Start: l.round2Start,
      challengeWire: l.challengeWire,
      nLookups: l.nLookups,
      tables: l.tables.map((t) => ({ name: t.name, size: t.size, lookups: t.lookups })),
    },
  };
}
