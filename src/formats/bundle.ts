/**
 * The proof bundle: one JSON file holding a Groth16 proof together with everything needed to
 * check what it claims — which model (model id, vkey hash, the vkey itself), which setup, the
 * public signals and their decoded meaning.
 *
 * The shape is a zod schema (the same one exported as JSON Schema), strict at every level:
 * an unknown field is a format error, so no field can ride along unchecked. Which fields the
 * verifier derives and compares, and which it reports as the prover's unverified word, is
 * listed in {@link UNVERIFIED_FIELDS} and in the README.
 */
import { z } from 'zod';
import { BASE_FIELD_PRIME, FIELD_PRIME } from '../core/bn254.js';
import { UserError, quoteName } from '../core/errors.js';

/** Bundle format identifier and version (2: blinded commitments, strict fields). */
export const BUNDLE_FORMAT = 'zkinfer-proof-bundle';
export const BUNDLE_VERSION = 2;

/** A canonical decimal: no sign, no leading zeros, no hex, below `bound`. */
export function canonicalDecimal(bound: bigint, what: string) {
  const pattern = /^(0|[1-9][0-9]{0,79})$/;
  // zod runs the refinement even after the regex failed: BigInt must only ever see a decimal
  // ("1.5" or "x" would throw out of safeParse instead of failing it).
  return z
    .string()
    .regex(pattern, `${what} must be a canonical decimal`)
    .refine((s) => !pattern.test(s) || BigInt(s) < bound, `${what} must be below the field modulus`);
}

const coord = canonicalDecimal(BASE_FIELD_PRIME, 'coordinate');
const signal = canonicalDecimal(FIELD_PRIME, 'public signal');
const signedInt = z.string().regex(/^(0|-?[1-9][0-9]{0,79})$/, 'must be a canonical signed decimal integer');
const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');
const visibility = z.enum(['public', 'hashed', 'packed']);
const finite = z.number().finite();
const count = z.number().int().nonnegative();

const g1Point = z.tuple([coord, coord, z.literal('1')]);
const proofPoints = {
  pi_a: g1Point,
  pi_b: z.tuple([z.tuple([coord, coord]), z.tuple([coord, coord]), z.tuple([z.literal('1'), z.literal('0')])]),
  pi_c: g1Point,
  curve: z.literal('bn128'),
};

/**
 * Affine points only (z = 1), so every point has exactly one accepted encoding. A standard
 * Groth16 proof (snarkjs's shape) or an ultragroth one, which adds the round-1 commitment C₁
 * (`pi_c1`) the challenge is hashed from.
 */
export const proofSchema = z.discriminatedUnion('protocol', [
  z.strictObject({ ...proofPoints, protocol: z.literal('groth16') }),
  z.strictObject({ ...proofPoints, pi_c1: g1Point, protocol: z.literal('ultragroth') }),
]);

const layoutPart = z.strictObject({ visibility, offset: count, count });
/** The weight commitment's slot (hashed weights only). */
const weightsPart = z.strictObject({ visibility: z.literal('hashed'), offset: count, count: z.literal(1) });

/** The bundle schema. */
export const bundleSchema = z.strictObject({
  format: z.literal(BUNDLE_FORMAT),
  formatVersion: z.literal(BUNDLE_VERSION),
  /** The proof system (the proof's own `protocol` must say the same; verify's `proof-system` check). */
  protocol: z.enum(['groth16', 'ultragroth']),
  curve: z.literal('bn128'),
  proof: proofSchema,
  publicSignals: z.array(signal).max(100_000),
  layout: z.strictObject({ output: layoutPart, input: layoutPart, weights: weightsPart.optional(), nPublic: count }),
  output: z.strictObject({
    visibility,
    shape: z.array(count).max(16),
    frac: z.number().int(),
    /** Signed integers and dequantized values: absent for a hashed output (they are in the opening). */
    integers: z.array(signedInt).optional(),
    values: z.array(finite).optional(),
    commitment: signal.optional(),
    softmax: z.array(finite).optional(),
    note: z.string().max(500).optional(),
  }),
  /** Argmax of the output, when the output is a vector of class scores and not hashed. */
  prediction: count.optional(),
  input: z.strictObject({
    visibility,
    commitment: signal.optional(),
    frac: z.number().int(),
    lo: z.number().int(),
    hi: z.number().int(),
    source: z.string().max(4096).optional(),
    /** Input values the prover clamped into [lo, hi] before proving (its own report). */
    clamped: count,
  }),
  /**
   * Hashed weights: the weight commitment W (the public signal at `layout.weights.offset`, as a
   * decimal). The model id is then the architecture id; (model id, W) names the model.
   */
  weights: z.strictObject({ visibility: z.literal('hashed'), commitment: signal }).optional(),
  modelId: hex64,
  vkeyHash: hex64,
  vkey: z.record(z.string(), z.unknown()),
  /** Which setup made the key; for ptau keys, which powers of tau (recognised: in the published table). */
  setup: z.strictObject({
    kind: z.enum(['dev', 'ptau']),
    warning: z.string().max(1000).optional(),
    ptau: z
      .strictObject({
        name: z.string().max(200),
        power: count,
        blake2b: z.string().regex(/^[0-9a-f]{128}$/),
        recognised: z.boolean(),
      })
      .optional(),
  }),
  quantization: z.strictObject({
    weightBits: count,
    activationBits: count,
    inputFrac: z.number().int(),
    outputFrac: z.number().int(),
  }),
  // The prover's float check (unverified): onnxruntime's output for the same input, or why it could not run.
  fidelity: z
    .union([
      z.strictObject({ floatOutput: z.array(finite), floatPrediction: count, maxAbsError: finite }),
      z.strictObject({
        unavailable: z
          .string()
          .max(1000)
          .describe('why there is no float check ("onnxruntime refused the model: …"); the proof is unaffected'),
      }),
    ])
    .optional(),
  tool: z.strictObject({ name: z.literal('zkinfer'), version: z.string().max(100), snarkjs: z.string().max(100) }),
  createdAt: z.string().max(100),
});

/** The bundle written by `prove` and `run`. */
export type ProofBundle = z.infer<typeof bundleSchema>;

/** A snarkjs Groth16 proof as bundles hold it. */
export type Groth16Proof = ProofBundle['proof'];

/**
 * Fields that are the prover's word only: nothing in the proof or the pinned key fixes them, so
 * the verifier reports them as unverified instead of silently passing them on. Every other field
 * is derived from the pinned key and the public signals (or the opening) and compared.
 */
export const UNVERIFIED_FIELDS = ['input.source', 'input.clamped', 'fidelity', 'tool', 'createdAt'] as const;

/** The path of the first problem zod found, as `output.integers[3]`. */
function issuePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
    '',
  );
}

/** Throws a {@link UserError} naming the first malformed field. */
export function assertBundleShape(v: unknown, where: string): asserts v is ProofBundle {
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw new UserError(`${where}: not a proof bundle (expected a JSON object)`);
  const b = v as Record<string, unknown>;
  if (b['format'] !== BUNDLE_FORMAT)
    throw new UserError(`${where}: not a proof bundle (format is not "${BUNDLE_FORMAT}")`);
  if (b['formatVersion'] !== BUNDLE_VERSION)
    throw new UserError(
      `${where}: proof bundle formatVersion ${quoteName(String(b['formatVersion']))} is not supported (this zkinfer reads ${BUNDLE_VERSION}); prove again`,
    );
  const r = bundleSchema.safeParse(v);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const detail =
      issue.code === 'unrecognized_keys'
        ? `unknown field(s) ${issue.keys.map((k) => quoteName(k)).join(', ')}`
        : issue.message;
    throw new UserError(`${where}: malformed proof bundle: field "${issuePath(issue.path) || '(root)'}": ${detail}`);
  }
}
