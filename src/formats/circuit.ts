/**
 * Schema of `circuit.json` (written by `compile`): constraint counts, public-signal layout
 * and the hashes that tie the circuit to its quantized model.
 */
import { z } from 'zod';
import type { DatasetEncoding } from './dataset.js';
import {
  dimsSchema,
  droppedFinalSchema,
  fracSchema,
  bitsSchema,
  indexSchema,
  safeIntSchema,
  sha256Schema,
  visibilitySchema,
} from './common.js';

const slot = z.object({ visibility: visibilitySchema, offset: indexSchema, count: indexSchema });

/** The weight commitment W of a hashed-weights circuit: one public signal. */
const weightsSlot = z.object({ visibility: z.literal('hashed'), offset: indexSchema, count: z.literal(1) });

/** Where outputs, inputs and (hashed weights only) the weight commitment sit in the public signals. */
export const layoutSchema = z.object({
  output: slot,
  input: slot,
  weights: weightsSlot.optional(),
  nPublic: indexSchema,
});

/**
 * Hashed weights (issue 21): every linear layer's weights and biases are private witnesses and
 * the circuit exposes their commitment W; `values` is how many integers W commits to. Absent for
 * fixed weights, where the circuit's constants are the weights.
 */
export const weightsInfoSchema = z.strictObject({
  mode: z.literal('hashed'),
  values: indexSchema,
  /** Constraints of the values' range checks and W's Poseidon chain (products are their ops'). */
  constraints: indexSchema.optional(),
});

/**
 * What an accuracy chunk circuit's circuit.json and verification key say about it. The dataset
 * encoding is checked only as an object here (checking its fields would refuse files accepted
 * until now); its type is what src/accuracy/chunk-keys.ts writes.
 */
const accuracyCircuitSchema = z.looseObject({
  kind: z.literal('accuracy-chunk'),
  chunkSize: z.number().int().min(1),
  constraintsPerSample: z.number().int().min(0),
  quantizedSha256: sha256Schema,
  encoding: z.record(z.string(), z.unknown()),
});

/**
 * One op of the quantized model and the constraints it adds (written by `compile` since issue
 * 24; optional, so older circuit.json files still read). The input's range checks and
 * commitment and the exposure of the output are not ops: they are nConstraints minus the sum.
 */
const opCostSchema = z.object({ name: z.string(), kind: z.string(), constraints: indexSchema });

/** The proof systems: standard Groth16 (snarkjs-compatible) and the two-round one with lookups. */
export const PROOF_SYSTEMS = ['groth16', 'ultragroth'] as const;

/** A proof system's name (what `compile --proof-system` chooses). */
export type ProofSystem = (typeof PROOF_SYSTEMS)[number];

/** zod schema of a proof system's name. */
export const proofSystemSchema = z.enum(PROOF_SYSTEMS);

/**
 * The LogUp lookups of an ultragroth circuit (iden3 wire indices): round-1 wires end at
 * round2Start, the challenge is the last public signal's wire, and each table's size and uses.
 */
export const lookupInfoSchema = z.strictObject({
  limbBits: z.number().int().min(1).max(24),
  round2Start: indexSchema,
  challengeWire: indexSchema,
  nLookups: indexSchema,
  tables: z.array(z.strictObject({ name: z.string(), size: indexSchema, lookups: indexSchema })),
});

/** The lookup part of circuit.json. */
export type LookupInfoJson = z.infer<typeof lookupInfoSchema>;

/** A circuit's proof system: `proofSystem` of circuit.json or a key's metadata, absent meaning groth16. */
export function proofSystemOf(info: { readonly proofSystem?: ProofSystem }): ProofSystem {
  return info.proofSystem ?? 'groth16';
}

/** `circuit.json`. */
export const circuitInfoSchema = z
  .object({
    zkinfer: z.string(),
    modelId: sha256Schema,
    quantizedSha256: sha256Schema,
    r1csSha256: sha256Schema,
    nConstraints: z
      .number()
      .int()
      .min(0)
      .max(2 ** 28),
    nWires: z
      .number()
      .int()
      .min(1)
      .max(2 ** 28),
    nPublic: indexSchema,
    power: z.number().int().min(1).max(28),
    layout: layoutSchema,
    input: z.object({
      name: z.string(),
      shape: dimsSchema,
      frac: fracSchema,
      bits: bitsSchema(1, 32),
      lo: safeIntSchema,
      hi: safeIntSchema,
    }),
    output: z.object({ name: z.string(), shape: dimsSchema, frac: fracSchema, lo: safeIntSchema, hi: safeIntSchema }),
    droppedFinal: droppedFinalSchema.optional(),
    /** Hashed weights: what W commits to (absent for fixed weights). */
    weights: weightsInfoSchema.optional(),
    /** Where the constraints go, op by op (what `zkinfer inspect BUILD` shows). */
    opCosts: z.array(opCostSchema).optional(),
    /** Accuracy chunk circuits (src/accuracy/chunk-keys.ts): chunk size, dataset encoding, quantized-model hash. */
    accuracy: accuracyCircuitSchema.optional(),
    /** The proof system the circuit is for (absent: groth16, files written before issue 20). */
    proofSystem: proofSystemSchema.optional(),
    /** ultragroth only: the lookups, the challenge wire and where round 2 starts. */
    lookup: lookupInfoSchema.optional(),
  })
  .refine((c) => (c.proofSystem === 'ultragroth') === (c.lookup !== undefined), {
    message: 'lookup must be present exactly when proofSystem is ultragroth',
    path: ['lookup'],
  })
  .meta({ id: 'zkinfer-circuit', title: 'zkinfer circuit.json', description: 'Written by `zkinfer compile`.' });

/** One op's share of the constraints in circuit.json. */
export type OpCost = z.infer<typeof opCostSchema>;

/** The accuracy part of circuit.json (chunk circuits only), with the dataset encoding typed. */
export type AccuracyCircuitMeta = z.infer<typeof accuracyCircuitSchema> & { readonly encoding: DatasetEncoding };

/** `circuit.json`: the schema's type, the accuracy part's encoding typed. */
export type CircuitInfo = Omit<z.infer<typeof circuitInfoSchema>, 'accuracy'> & {
  readonly accuracy?: AccuracyCircuitMeta;
};
