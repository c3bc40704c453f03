/**
 * The proof-system choice of a build (issue 20): `groth16`, the standard system every verifier
 * with snarkjs can check, or `ultragroth`, the two-round Groth16 whose challenge lets the circuit
 * range-check by LogUp lookups over limbs instead of one constraint per bit. This module turns the
 * user's flags into the builder's lookup option and a built circuit into circuit.json's `lookup`.
 */
import type { BuilderOptions, BuiltCircuit } from '../../circuits/builder.js';
import { DEFAULT_LIMB_BITS } from '../../circuits/lookup.js';
import { quote, UserError } from '../core/errors.js';
import { PROOF_SYSTEMS, type LookupInfoJson, type ProofSystem } from '../formats/circuit.js';

/** Limb widths `--limb-bits` accepts: a table of 2^K entries must stay small next to the circuit. */
export const LIMB_BITS_RANGE = { min: 2, max: 16 } as const;

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
  if (!Number.isInteger(limbBits) || limbBits < LIMB_BITS_RANGE.min || limbBits > LIMB_BITS_RANGE.max)
    throw new UserError(
      `--limb-bits must be an integer from ${LIMB_BITS_RANGE.min} to ${LIMB_BITS_RANGE.max}, got ${quote(String(limbBits))}`,
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
