/**
 * Structural validation of a Groth16 verification key before anything uses it: protocol and
 * curve known (an unknown curve is refused up front instead of sending snarkjs after a curve it
 * cannot build), every coordinate a canonical decimal below the base field modulus, points
 * affine, IC sized to nPublic, and zkinfer's metadata present with the fields the verifier
 * reads. Keys are user files: a key that fails this is a format error (exit 2).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { BASE_FIELD_PRIME, canonicalDecimal } from '../bundle/bundle.js';
import { UserError } from '../errors.js';
import type { VkeyMeta } from '../setup/setup-keys.js';

const coord = canonicalDecimal(BASE_FIELD_PRIME, 'coordinate');
const g1 = z.tuple([coord, coord, z.literal('1')]);
const g2 = z.tuple([z.tuple([coord, coord]), z.tuple([coord, coord]), z.tuple([z.literal('1'), z.literal('0')])]);
const count = z.number().int().nonnegative();
const visibility = z.enum(['public', 'hashed', 'packed']);
const layoutPart = z.strictObject({ visibility, offset: count, count });

/** zkinfer's metadata inside vkey.json; fields a later zkinfer adds are allowed (the key hash covers them). */
const metaSchema = z.looseObject({
  modelId: z.string().regex(/^[0-9a-f]{64}$/),
  setup: z.enum(['dev', 'ptau']),
  layout: z.strictObject({ output: layoutPart, input: layoutPart, nPublic: count }),
  input: z.looseObject({ name: z.string(), shape: z.array(count), frac: z.number().int(), bits: count, lo: z.number().int(), hi: z.number().int() }),
  output: z.looseObject({ name: z.string(), shape: z.array(count), frac: z.number().int(), lo: z.number().int(), hi: z.number().int() }),
  quantization: z.strictObject({ weightBits: count, activationBits: count }),
});

const vkeySchema = z
  .strictObject({
    protocol: z.literal('groth16'),
    curve: z.literal('bn128'),
    nPublic: count.max(100_000),
    vk_alpha_1: g1,
    vk_beta_2: g2,
    vk_gamma_2: g2,
    vk_delta_2: g2,
    vk_alphabeta_12: z.unknown().optional(),
    IC: z.array(g1),
    zkinfer: metaSchema,
  })
  .refine((k) => k.IC.length === k.nPublic + 1, { message: 'IC must hold nPublic + 1 points', path: ['IC'] });

/** Throws a {@link UserError} naming the first malformed field of a verification key. */
export function assertVerificationKey(v: unknown, where: string): asserts v is Record<string, unknown> & { nPublic: number; zkinfer: VkeyMeta } {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new UserError(`${where}: not a verification key (expected a JSON object)`);
  const k = v as Record<string, unknown>;
  if (k['protocol'] !== 'groth16') throw new UserError(`${where}: unsupported proof protocol "${String(k['protocol']).slice(0, 40)}" (zkinfer verifies groth16)`);
  if (k['curve'] !== 'bn128') throw new UserError(`${where}: unsupported curve "${String(k['curve']).slice(0, 40)}" (zkinfer verifies bn128)`);
  const r = vkeySchema.safeParse(v);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const detail = issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : issue.message;
    throw new UserError(`${where}: malformed verification key: field "${issue.path.join('.') || '(root)'}": ${detail}`);
  }
}

/** Reads and validates a verification key file. */
export function readVerificationKey(path: string): Record<string, unknown> & { nPublic: number; zkinfer: VkeyMeta } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UserError(`${path}: cannot read verification key (${(e as NodeJS.ErrnoException).code ?? (e as Error).message.split('\n')[0]})`);
  }
  assertVerificationKey(raw, path);
  return raw;
}
