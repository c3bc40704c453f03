/**
 * The verification key, vkey.json: its types, zkinfer's metadata inside it (`zkinfer`), the
 * key hash, and the two checks every key passes before anything uses it.
 * - {@link validateVkey} (verify, export-verifier, prove's self-check): protocol groth16 and
 *   curve bn128 first (anything else is refused at once: a bls12381 key must not reach snarkjs,
 *   which would try to build that curve), then every coordinate a canonical decimal field element
 *   below p, every point affine (z = 1) and on its curve. A key that passes cannot smuggle text
 *   into the Solidity template (src/chain/verifier-contract.ts).
 * - {@link assertVerificationKey} (the verifier, the trusted-key store, accuracy claims): a
 *   zkinfer key, strict, with the metadata fields the verifier reads, IC sized to nPublic and
 *   the layout inside the public signals. Keys are user files: a key that fails either is a
 *   format error (exit 2).
 */
import { z } from 'zod';
import { BASE_FIELD_PRIME } from '../core/bn254.js';
import { quote, UserError } from '../core/errors.js';
import { canonicalJson, sha256Hex } from '../core/hash.js';
import { readJsonFile, validate } from '../core/json.js';
import { canonicalDecimal } from './bundle.js';
import type { CeremonyMeta } from './ceremony.js';
import { proofSystemSchema, type AccuracyCircuitMeta, type CircuitInfo } from './circuit.js';
import { visibilitySchema } from './common.js';
import type { PtauProvenance } from './setup.js';

/** A Groth16 verification key as exported by snarkjs (`verification_key.json`). */
export interface Groth16VerificationKey {
  readonly protocol: string;
  readonly curve: string;
  readonly nPublic: number;
  readonly vk_alpha_1: readonly string[];
  readonly vk_beta_2: readonly (readonly string[])[];
  readonly vk_gamma_2: readonly (readonly string[])[];
  readonly vk_delta_2: readonly (readonly string[])[];
  readonly IC: readonly (readonly string[])[];
  /** ultragroth keys only: δ₁ in G2, the round-1 commitment's pairing partner. */
  readonly vk_delta1_2?: readonly (readonly string[])[];
  /** ultragroth keys only: which public signal is the challenge, and how it is hashed. */
  readonly challenge?: { readonly index: number; readonly hash: 'keccak256' };
}

/** The verification-key protocols zkinfer reads. */
const KEY_PROTOCOLS = ['groth16', 'ultragroth'] as const;

/** The ultragroth challenge descriptor: the last public signal, keccak256. */
const challengeSchema = z.strictObject({ index: z.number().int().min(0), hash: z.literal('keccak256') });

/** Whether a key's protocol-specific fields fit its protocol (δ₁ and the challenge exactly for ultragroth, last signal). */
function protocolFieldsFit(k: {
  protocol: string;
  nPublic: number;
  vk_delta1_2?: unknown;
  challenge?: { index: number };
}): boolean {
  if (k.protocol !== 'ultragroth') return k.vk_delta1_2 === undefined && k.challenge === undefined;
  return k.vk_delta1_2 !== undefined && k.challenge !== undefined && k.challenge.index === k.nPublic - 1;
}
const protocolFieldsMessage = {
  message: 'vk_delta1_2 and challenge (index nPublic - 1) are required for ultragroth keys and refused otherwise',
  path: ['vk_delta1_2'],
};

/** Hash identifying a verification key (over the whole vkey.json, metadata included). */
export function vkeyHash(vkey: unknown): string {
  return sha256Hex(canonicalJson(vkey));
}

/** Text attached to every dev-setup key and bundle. */
export const DEV_SETUP_WARNING =
  'dev setup: single party, toxic waste held in one process; anyone who kept it could forge proofs. Use `zkinfer setup --ptau FILE` for deployments.';

/** Canonical decimal: no sign, no leading zeros, no hex, at most 78 digits. */
const DECIMAL = /^(0|[1-9][0-9]{0,77})$/;

const coord = z.string().regex(DECIMAL, 'not a canonical decimal number');
const g1 = z.tuple([coord, coord, coord]);
const fp2 = z.tuple([coord, coord]);
const g2 = z.tuple([fp2, fp2, fp2]);

/** Structure of a snarkjs Groth16 verification key (zkinfer's `zkinfer` metadata is optional). */
export const vkeySchema = z
  .looseObject({
    protocol: z.enum(KEY_PROTOCOLS),
    curve: z.literal('bn128'),
    nPublic: z.number().int().min(0).max(100_000),
    vk_alpha_1: g1,
    vk_beta_2: g2,
    vk_gamma_2: g2,
    vk_delta_2: g2,
    vk_alphabeta_12: z
      .array(z.array(z.array(coord).length(2)).length(3))
      .length(2)
      .optional(),
    IC: z.array(g1).min(1).max(100_001),
    vk_delta1_2: g2.optional(),
    challenge: challengeSchema.optional(),
  })
  .refine(protocolFieldsFit, protocolFieldsMessage)
  .meta({
    id: 'zkinfer-vkey',
    title: 'Groth16 verification key (bn128)',
    description:
      'snarkjs verification_key.json; every coordinate a canonical decimal below p, points affine and on the curve.',
  });

const mod = (a: bigint) => ((a % BASE_FIELD_PRIME) + BASE_FIELD_PRIME) % BASE_FIELD_PRIME;
type Fp2 = [bigint, bigint];
const f2mul = ([a, b]: Fp2, [c, d]: Fp2): Fp2 => [mod(a * c - b * d), mod(a * d + b * c)];
const f2add = ([a, b]: Fp2, [c, d]: Fp2): Fp2 => [mod(a + c), mod(b + d)];
/** b' = 3 / (9 + u), the constant of the sextic twist E': y² = x³ + b' that holds G2. */
const TWIST_B: Fp2 = [
  19485874751759354771024239261021720505790618469301721065564631296452457478373n,
  266929791119991161246907387137283842545076965332900288569378510910307636690n,
];

function onG1(x: bigint, y: bigint): boolean {
  return mod(y * y) === mod(x * x * x + 3n);
}

function onG2(x: Fp2, y: Fp2): boolean {
  const lhs = f2mul(y, y);
  const rhs = f2add(f2mul(f2mul(x, x), x), TWIST_B);
  return lhs[0] === rhs[0] && lhs[1] === rhs[1];
}

/**
 * Validates a parsed verification key and returns it typed. Throws {@link UserError}:
 * `<where>: malformed verification key: field IC[2][0]: …`.
 */
export function validateVkey(value: unknown, where: string): Groth16VerificationKey {
  // Protocol and curve first, on their own, so an unsupported key is named as such at once.
  const head = value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  if (!KEY_PROTOCOLS.includes(head['protocol'] as never))
    throw new UserError(
      `${where}: verification key protocol ${quote(head['protocol'])} is not supported (expected groth16 or ultragroth)`,
    );
  if (head['curve'] !== 'bn128')
    throw new UserError(`${where}: verification key curve ${quote(head['curve'])} is not supported (expected bn128)`);
  const vk = validate(vkeySchema, value, where, 'verification key');
  const fail = (field: string, msg: string) =>
    new UserError(`${where}: malformed verification key: field ${field}: ${msg}`);
  const fe = (s: string, field: string): bigint => {
    const v = BigInt(s);
    if (v >= BASE_FIELD_PRIME) throw fail(field, 'not a field element (≥ p)');
    return v;
  };
  const point1 = (p: readonly string[], field: string) => {
    const [x, y, z] = p.map((c, i) => fe(c, `${field}[${i}]`)) as [bigint, bigint, bigint];
    if (z !== 1n) throw fail(field, 'not affine (z must be 1)');
    if (!onG1(x, y)) throw fail(field, 'not a point on the bn128 curve (G1)');
  };
  const point2 = (p: readonly (readonly string[])[], field: string) => {
    const c = p.map((pair, i) => pair.map((s, j) => fe(s, `${field}[${i}][${j}]`)) as Fp2);
    if (c[2]![0] !== 1n || c[2]![1] !== 0n) throw fail(field, 'not affine (z must be [1, 0])');
    if (!onG2(c[0]!, c[1]!)) throw fail(field, 'not a point on the bn128 twist (G2)');
  };
  point1(vk.vk_alpha_1, 'vk_alpha_1');
  point2(vk.vk_beta_2, 'vk_beta_2');
  point2(vk.vk_gamma_2, 'vk_gamma_2');
  point2(vk.vk_delta_2, 'vk_delta_2');
  if (vk.vk_delta1_2) point2(vk.vk_delta1_2, 'vk_delta1_2');
  if (vk.IC.length !== vk.nPublic + 1)
    throw fail('IC', `has ${vk.IC.length} points for nPublic ${vk.nPublic} (needs ${vk.nPublic + 1})`);
  vk.IC.forEach((p, i) => point1(p, `IC[${i}]`));
  vk.vk_alphabeta_12?.forEach((a, i) =>
    a.forEach((b, j) => b.forEach((s, k) => fe(s, `vk_alphabeta_12[${i}][${j}][${k}]`))),
  );
  return vk as unknown as Groth16VerificationKey;
}

// The verifier's check has its own leaf schemas: its messages ("coordinate must be a canonical
// decimal") are part of its output and differ from validateVkey's.
const keyCoord = canonicalDecimal(BASE_FIELD_PRIME, 'coordinate');
const keyG1 = z.tuple([keyCoord, keyCoord, z.literal('1')]);
const keyG2 = z.tuple([
  z.tuple([keyCoord, keyCoord]),
  z.tuple([keyCoord, keyCoord]),
  z.tuple([z.literal('1'), z.literal('0')]),
]);
const count = z.number().int().nonnegative();
const layoutPart = z.strictObject({ visibility: visibilitySchema, offset: count, count });
/** The weight commitment's slot (hashed weights only). */
const weightsPart = z.strictObject({ visibility: z.literal('hashed'), offset: count, count: z.literal(1) });
/** Tensor dimensions: positive, so a shape's size bounds every loop over it (a zero dim would let the other dims be anything). */
const shape = z.array(z.number().int().positive()).max(16);
/** A scale exponent: 2^frac must be a finite, non-zero double, or quantizing 0 gives NaN. */
const frac = z.number().int().min(-1000).max(1000);
const keyDroppedFinal = z.strictObject({ op: z.enum(['Softmax', 'LogSoftmax']), axis: count, coerce2d: z.boolean() });

/** zkinfer's metadata inside vkey.json; fields a later zkinfer adds are allowed (the key hash covers them). */
export const vkeyMetaSchema = z
  .looseObject({
    modelId: z.string().regex(/^[0-9a-f]{64}$/),
    setup: z.enum(['dev', 'ptau']),
    layout: z.strictObject({ output: layoutPart, input: layoutPart, weights: weightsPart.optional(), nPublic: count }),
    input: z.looseObject({ name: z.string(), shape, frac, bits: count, lo: z.number().int(), hi: z.number().int() }),
    output: z.looseObject({ name: z.string(), shape, frac, lo: z.number().int(), hi: z.number().int() }),
    quantization: z.strictObject({ weightBits: count, activationBits: count }),
    droppedFinal: keyDroppedFinal.optional(),
    /** Hashed weights: how many integers the commitment W covers (absent for fixed weights). */
    weights: z.strictObject({ mode: z.literal('hashed'), values: count }).optional(),
    /** The proof system the key is for (absent: groth16, keys made before issue 20). */
    proofSystem: proofSystemSchema.optional(),
    /** ultragroth keys: the limb width of the range-check lookups (what a recompile needs). */
    limbBits: count.optional(),
  })
  .refine((m) => m.droppedFinal === undefined || m.droppedFinal.axis < Math.max(m.output.shape.length, 1), {
    message: 'droppedFinal.axis must name an output dimension',
    path: ['droppedFinal', 'axis'],
  });

/**
 * zkinfer's metadata stored inside vkey.json, next to snarkjs's fields: what the verifier
 * checks ({@link vkeyMetaSchema}), plus what setup records for other checks (ptau provenance,
 * the ceremony transcript, the accuracy chunk circuit), which those checks examine themselves.
 */
export type VkeyMeta = z.infer<typeof vkeyMetaSchema> & {
  /** Which powers of tau the key was made from (ptau keys). */
  readonly ptau?: PtauProvenance;
  /** The verified ceremony transcript (keys from `zkinfer ceremony finalize`). */
  readonly ceremony?: CeremonyMeta;
  /** Accuracy chunk circuits only: chunk size, dataset encoding, the model they run. */
  readonly accuracy?: AccuracyCircuitMeta;
};

/** A verification key that passed {@link assertVerificationKey}. */
export type ZkinferVkey = Record<string, unknown> & { nPublic: number; zkinfer: VkeyMeta };

/** A zkinfer verification key as the verifier accepts it: strict, with zkinfer's metadata. */
const zkinferVkeySchema = z
  .strictObject({
    protocol: z.enum(KEY_PROTOCOLS),
    curve: z.literal('bn128'),
    nPublic: count.max(100_000),
    vk_alpha_1: keyG1,
    vk_beta_2: keyG2,
    vk_gamma_2: keyG2,
    vk_delta_2: keyG2,
    vk_alphabeta_12: z.unknown().optional(),
    IC: z.array(keyG1),
    vk_delta1_2: keyG2.optional(),
    challenge: challengeSchema.optional(),
    zkinfer: vkeyMetaSchema,
  })
  .refine(protocolFieldsFit, protocolFieldsMessage)
  .refine((k) => k.IC.length === k.nPublic + 1, { message: 'IC must hold nPublic + 1 points', path: ['IC'] })
  // The verifier slices the public signals by this layout: every part must lie inside them.
  .refine(
    (k) => {
      const l = k.zkinfer.layout;
      return (
        l.nPublic === k.nPublic &&
        l.output.offset + l.output.count <= k.nPublic &&
        l.input.offset + l.input.count <= k.nPublic &&
        (l.weights === undefined || l.weights.offset + l.weights.count <= k.nPublic)
      );
    },
    { message: 'layout must lie within the nPublic public signals', path: ['zkinfer', 'layout'] },
  );

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
export function assertVerificationKey(v: unknown, where: string): asserts v is ZkinferVkey {
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw new UserError(`${where}: not a verification key (expected a JSON object)`);
  const k = v as Record<string, unknown>;
  if (!KEY_PROTOCOLS.includes(k['protocol'] as never))
    throw new UserError(
      `${where}: unsupported proof protocol "${String(k['protocol']).slice(0, 40)}" (zkinfer verifies groth16 and ultragroth)`,
    );
  if (k['curve'] !== 'bn128')
    throw new UserError(`${where}: unsupported curve "${String(k['curve']).slice(0, 40)}" (zkinfer verifies bn128)`);
  // The metadata admits fields a later zkinfer adds; hashing the key (JSON.stringify, recursive)
  // must not overflow the stack on a hostile one nested 100,000 deep. Real keys nest 4 deep.
  if (nestingDepth(v, 32) > 32)
    throw new UserError(`${where}: malformed verification key: nested more than 32 levels deep`);
  const r = zkinferVkeySchema.safeParse(v);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const detail = issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : issue.message;
    throw new UserError(`${where}: malformed verification key: field "${issue.path.join('.') || '(root)'}": ${detail}`);
  }
}

/** Reads and validates a verification key file. */
export function readVerificationKey(path: string): ZkinferVkey {
  const raw = readJsonFile(path, 'verification key');
  assertVerificationKey(raw, path);
  return raw;
}

/** The circuit-describing part of a key's metadata: what a verifier recompiles and compares. */
export type CircuitKeyMeta = Omit<VkeyMeta, 'setup' | 'ptau' | 'ceremony'>;

/**
 * The metadata setup writes into a key for `circuit` (setup kind, ptau provenance and ceremony
 * are added by the caller). One function, so the verifier's recompile produces exactly what the
 * owner's setup wrote, and any label edited afterwards shows as a difference.
 */
export function circuitKeyMeta(
  circuit: CircuitInfo,
  quantization: { readonly weightBits: number; readonly activationBits: number },
): CircuitKeyMeta {
  return {
    modelId: circuit.modelId,
    layout: circuit.layout,
    input: circuit.input,
    output: circuit.output,
    quantization: { weightBits: quantization.weightBits, activationBits: quantization.activationBits },
    ...(circuit.droppedFinal ? { droppedFinal: circuit.droppedFinal } : {}),
    ...(circuit.weights ? { weights: { mode: circuit.weights.mode, values: circuit.weights.values } } : {}),
    ...(circuit.accuracy ? { accuracy: circuit.accuracy } : {}),
    // Written for ultragroth keys only, so groth16 keys stay byte-identical to earlier ones.
    ...(circuit.proofSystem === 'ultragroth'
      ? { proofSystem: 'ultragroth', ...(circuit.lookup ? { limbBits: circuit.lookup.limbBits } : {}) }
      : {}),
  } as CircuitKeyMeta;
}

/** The fields of {@link CircuitKeyMeta} in which two metadata differ (canonically compared). */
export function circuitMetaDifferences(key: VkeyMeta, recompiled: CircuitKeyMeta): string[] {
  const fields = [
    'modelId',
    'layout',
    'input',
    'output',
    'quantization',
    'droppedFinal',
    'weights',
    'accuracy',
    'proofSystem',
    'limbBits',
  ] as const;
  // An absent proof system is groth16 (keys made before issue 20).
  const value = (m: Record<string, unknown>, f: string) => m[f] ?? (f === 'proofSystem' ? 'groth16' : null);
  return fields.filter(
    (f) =>
      canonicalJson(value(key as Record<string, unknown>, f)) !==
      canonicalJson(value(recompiled as Record<string, unknown>, f)),
  );
}
