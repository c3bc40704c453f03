/**
 * Schema of `setup.json` (written by `setup`): the setup kind and the sha256 of every file of
 * the build directory the keys were made from and for, which src/prove/build-consistency.ts
 * checks before proving.
 */
import { z } from 'zod';
import { sha256Schema } from './common.js';

/** Which kind of setup produced a key. */
export const setupKindSchema = z.enum(['dev', 'ptau']);

/** Which kind of setup produced a key. */
export type SetupKind = z.infer<typeof setupKindSchema>;

/** A powers-of-tau file's identity and provenance (src/setup/ptau/ptau-file.ts identifies it). */
export const ptauProvenanceSchema = z.object({
  /** The published name when recognised by hash, otherwise the file's own name. */
  name: z.string(),
  /** Power of the file (from its header): it supports circuits up to 2^power rows. */
  power: z.number().int().min(0).max(28),
  /** blake2b-512, lower-case hex. */
  blake2b: z.string().regex(/^[0-9a-f]{128}$/),
  /** In the published table (or named by the user as trusted). */
  recognised: z.boolean(),
  /** `published` (the table), `trusted` (named with --trust-ptau) or `unrecognised`. */
  source: z.enum(['published', 'trusted', 'unrecognised']),
});

/** A powers-of-tau file's identity and provenance. */
export type PtauProvenance = z.infer<typeof ptauProvenanceSchema>;

/** sha256 of the build directory's files at setup time. */
export const setupHashesSchema = z.object({
  quantized: sha256Schema.describe('model.quant.json'),
  r1cs: sha256Schema.describe('circuit.r1cs'),
  zkey: sha256Schema.describe('circuit.zkey'),
  vkey: sha256Schema.describe('vkey.json, canonical JSON (same as vkeyHash)'),
});

/** `setup.json`. */
export const setupInfoSchema = z
  .object({
    kind: setupKindSchema,
    warning: z.string().optional(),
    ptau: z.object({ file: z.string(), ...ptauProvenanceSchema.shape }).optional(),
    ceremony: z.object({ transcriptSha256: sha256Schema, contributors: z.array(z.string()) }).optional(),
    modelId: sha256Schema,
    vkeyHash: sha256Schema,
    hashes: setupHashesSchema,
    seconds: z.number().min(0),
    zkinfer: z.string(),
    snarkjs: z.string(),
    createdAt: z.string(),
  })
  .meta({ id: 'zkinfer-setup', title: 'zkinfer setup.json', description: 'Written by `zkinfer setup`.' });

/** What setup.json records: the schema's type. */
export type SetupInfo = z.infer<typeof setupInfoSchema>;
