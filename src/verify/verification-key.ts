/**
 * Structural validation of a Groth16 verification key before anything uses it: protocol and
 * curve known (an unknown curve is refused up front instead of sending snarkjs after a curve it
 * cannot build), every coordinate a canonical decimal below the base field modulus, points
 * affine, IC sized to nPublic, and zkinfer's metadata present with the fields the verifier
 * reads. Keys are user files: a key that fails this is a format error (exit 2).
 */
import { readJsonFile } from '../core/json.js';
import { z } from 'zod';
import { canonicalDecimal } from '../formats/bundle.js';
import { BASE_FIELD_PRIME } from '../core/bn254.js';
import { UserError } from '../core/errors.js';
import type { VkeyMeta } from '../setup/setup-keys.js';

const coord = canonicalDecimal(BASE_FIELD_PRIME, 'coordinate');
const g1 = z.tuple([coord, coord, z.literal('1')]);
const g2 = z.tuple([z.tuple([coord, coord]), z.tuple([coord, coord]), z.tuple([z.literal('1'), z.literal('0')])]);
const count = z.number().int().nonnegative();
const visibility = z.enum(['public', 'hashed', 'packed']);
const layoutPart = z.strictObject({ visibility, offset: count, count });
/** Tensor dimensions: positive, so a shape's size bounds every loop over it (a zero dim would let the other dims be anything). */
const shape = z.array(z.number().int().positive()).max(16);
/** A scale exponent: 2^frac must be a finite, non-zero double, or quantizing 0 gives NaN. */
const frac = z.number().int().min(-1000).max(1000);
const droppedFinal = z.strictObject({ op: z.enum(['Softmax', 'LogSoftmax']), axis: count, coerce2d: z.boolean() });

/** zkinfer's metadata inside vkey.json; fields a later zkinfer adds are allowed (the key hash covers them). */
const metaSchema = z.looseObject({
  modelId: z.string().regex(/^[0-9a-f]{64}$/),
  setup: z.enum(['dev', 'ptau']),
  layout: z.strictObject({ output: layoutPart, input: layoutPart, nPublic: count }),
  input: z.looseObject({ name: z.string(), shape, frac, bits: count, lo: z.number().int(), hi: z.number().int() }),
  output: z.looseObject({ name: z.string(), shape, frac, lo: z.number().int(), hi: z.number().int() }),
  quantization: z.strictObject({ weightBits: count, activationBits: count }),
  droppedFinal: droppedFinal.optional(),
}).refine((m) => m.droppedFinal === undefined || m.droppedFinal.axis < Math.max(m.output.shape.length, 1), { message: 'droppedFinal.axis must name an output dimension', path: ['droppedFinal', 'axis'] });

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
  .refine((k) => k.IC.length === k.nPublic + 1, { message: 'IC must hold nPublic + 1 points', path: ['IC'] })
  // The verifier slices the public signals by this layout: every part must lie inside them.
  .refine((k) => {
    const l = k.zkinfer.layout;
    return l.nPublic === k.nPublic && l.output.offset + l.output.count <= k.nPublic && l.input.offset + l.input.count <= k.nPublic;
  }, { message: 'layout must lie within the nPublic public signals', path: ['zkinfer', 'layout'] });

/** Deepest nesting of arrays and objects in a JSON value, counted without recursion, stopping past `limit`. */
function nestingDepth(v: unknown, limit: number): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[v, 0]];
  while (stack.length > 0) {
    const [x, d] = stack.pop()!;
    if (!x || typeof x !== 'object') continue;
    deepest = Math.max(deepest, d + 1);
    if (deepest > limit) return deepest;
    for (const c of Object.values(x)) stack.push([c, d + 1]);
  }
  return deepest;
}

/** Throws a {@link UserError} naming the first malformed field of a verification key. */
export function assertVerificationKey(v: unknown, where: string): asserts v is Record<string, unknown> & { nPublic: number; zkinfer: VkeyMeta } {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new UserError(`${where}: not a verification key (expected a JSON object)`);
  const k = v as Record<string, unknown>;
  if (k['protocol'] !== 'groth16') throw new UserError(`${where}: unsupported proof protocol "${String(k['protocol']).slice(0, 40)}" (zkinfer verifies groth16)`);
  if (k['curve'] !== 'bn128') throw new UserError(`${where}: unsupported curve "${String(k['curve']).slice(0, 40)}" (zkinfer verifies bn128)`);
  // The metadata admits fields a later zkinfer adds; hashing the key (JSON.stringify, recursive)
  // must not overflow the stack on a hostile one nested 100,000 deep. Real keys nest 4 deep.
  if (nestingDepth(v, 32) > 32) throw new UserError(`${where}: malformed verification key: nested more than 32 levels deep`);
  const r = vkeySchema.safeParse(v);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const detail = issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : issue.message;
    throw new UserError(`${where}: malformed verification key: field "${issue.path.join('.') || '(root)'}": ${detail}`);
  }
}

/** Reads and validates a verification key file. */
export function readVerificationKey(path: string): Record<string, unknown> & { nPublic: number; zkinfer: VkeyMeta } {
  const raw = readJsonFile(path, 'verification key');
  assertVerificationKey(raw, path);
  return raw;
}
