/**
 * Schema of `circuit.json` (written by `compile`): constraint counts, public-signal layout
 * and the hashes that tie the circuit to its quantized model.
 */
import { z } from 'zod';
import { dimsSchema, droppedFinalSchema, fracSchema, bitsSchema, indexSchema, safeIntSchema, sha256Schema, visibilitySchema } from './common.js';

const slot = z.object({ visibility: visibilitySchema, offset: indexSchema, count: indexSchema });

/** Where outputs and inputs sit in the public signals. */
export const layoutSchema = z.object({ output: slot, input: slot, nPublic: indexSchema });

/** `circuit.json`. */
export const circuitInfoSchema = z
  .object({
    zkinfer: z.string(),
    modelId: sha256Schema,
    quantizedSha256: sha256Schema,
    r1csSha256: sha256Schema,
    nConstraints: z.number().int().min(0).max(2 ** 28),
    nWires: z.number().int().min(1).max(2 ** 28),
    nPublic: indexSchema,
    power: z.number().int().min(1).max(28),
    layout: layoutSchema,
    input: z.object({ name: z.string(), shape: dimsSchema, frac: fracSchema, bits: bitsSchema(1, 32), lo: safeIntSchema, hi: safeIntSchema }),
    output: z.object({ name: z.string(), shape: dimsSchema, frac: fracSchema, lo: safeIntSchema, hi: safeIntSchema }),
    droppedFinal: droppedFinalSchema.optional(),
    /** Accuracy chunk circuits (src/accuracy/chunk-keys.ts): chunk size, dataset encoding, quantized-model hash. */
    accuracy: z.looseObject({ kind: z.literal('accuracy-chunk'), chunkSize: z.number().int().min(1), constraintsPerSample: z.number().int().min(0), quantizedSha256: sha256Schema, encoding: z.record(z.string(), z.unknown()) }).optional(),
  })
  .meta({ id: 'zkinfer-circuit', title: 'zkinfer circuit.json', description: 'Written by `zkinfer compile`.' });
