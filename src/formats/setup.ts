/**
 * Schema of `setup.json` (written by `setup`): the setup kind and the sha256 of every file of
 * the build directory the keys were made from and for, which src/prove/build-consistency.ts
 * checks before proving.
 */
import { z } from 'zod';
import { sha256Schema } from './common.js';

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
    kind: z.enum(['dev', 'ptau']),
    warning: z.string().optional(),
    ptau: z.object({
      file: z.string(),
      name: z.string(),
      power: z.number().int().min(0).max(28),
      blake2b: z.string().regex(/^[0-9a-f]{128}$/),
      recognised: z.boolean(),
      source: z.enum(['published', 'trusted', 'unrecognised']),
    }).optional(),
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
