/**
 * The weight commitment files of a hashed-weights build (`zkinfer weights commit BUILD`):
 * - `weights.json` (public): the commitment W the model owner publishes next to the key;
 * - `weights.opening.json` (private, mode 0600): the same and the blinding. Whoever holds the
 *   opening and the ONNX file can recompute W (`verify --model m.onnx --weights-opening FILE`);
 *   the prover needs it to make proofs whose W is the published one.
 * W is a blinded Poseidon commitment (circuits/weight-commitment.ts): without the blinding it
 * reveals nothing about the weights, so it cannot confirm a guessed model.
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { FIELD_PRIME } from '../core/bn254.js';
import { UserError } from '../core/errors.js';
import { readJsonFile } from '../core/json.js';
import { writeJsonAtomic } from '../core/atomic-write.js';
import { canonicalDecimal } from './bundle.js';
import { sha256Schema } from './common.js';

/** Format identifiers and version. */
export const WEIGHTS_COMMITMENT_FORMAT = 'zkinfer-weights-commitment';
export const WEIGHTS_OPENING_FORMAT = 'zkinfer-weights-opening';
export const WEIGHTS_VERSION = 1;

const hexElement = z
  .string()
  .regex(/^0x[0-9a-f]{64}$/, 'must be 0x and 64 lower-case hex digits')
  .refine((s) => !/^0x[0-9a-f]{64}$/.test(s) || BigInt(s) < FIELD_PRIME, 'must be below the field modulus')
  .meta({ description: 'a BN254 scalar-field element, 0x + 64 lower-case hex digits' });

/** `weights.json`: the public weight commitment. */
export const weightsCommitmentSchema = z
  .strictObject({
    format: z.literal(WEIGHTS_COMMITMENT_FORMAT),
    formatVersion: z.literal(WEIGHTS_VERSION),
    /** The architecture id (the build's model id): the key this commitment goes with. */
    modelId: sha256Schema,
    /** W, the public signal every proof of this model carries. */
    commitment: hexElement,
  })
  .meta({
    id: 'zkinfer-weights',
    title: 'zkinfer weights.json',
    description: 'The weight commitment W of a hashed-weights build, written by `zkinfer weights commit`. Publish it.',
  });

/** `weights.opening.json`: W and its blinding (private). */
export const weightsOpeningSchema = z
  .strictObject({
    format: z.literal(WEIGHTS_OPENING_FORMAT),
    formatVersion: z.literal(WEIGHTS_VERSION),
    modelId: sha256Schema,
    commitment: hexElement,
    blinding: canonicalDecimal(FIELD_PRIME, 'blinding'),
  })
  .meta({
    id: 'zkinfer-weights-opening',
    title: 'zkinfer weights.opening.json',
    description:
      'The blinding of a weight commitment, written by `zkinfer weights commit`. Private: with the ONNX file it confirms W.',
  });

/** The public weight commitment file. */
export type WeightsCommitmentFile = z.infer<typeof weightsCommitmentSchema>;
/** The private weight opening file. */
export type WeightsOpeningFile = z.infer<typeof weightsOpeningSchema>;

/** A field element as 0x + 64 hex digits (how W is published). */
export function weightsHex(v: bigint): string {
  return `0x${v.toString(16).padStart(64, '0')}`;
}

/**
 * Parses W given as 0x-hex (up to 64 digits), 64 bare hex digits, or a decimal; `what` names it
 * in errors. Throws {@link UserError} for anything else, or a value not below the field prime.
 */
export function parseWeightsCommitment(text: string, what: string): bigint {
  const t = text.trim();
  const v = /^0x[0-9a-f]{1,64}$/i.test(t)
    ? BigInt(t)
    : /^[0-9a-f]{64}$/i.test(t)
      ? BigInt(`0x${t}`)
      : /^\d{1,78}$/.test(t)
        ? BigInt(t)
        : undefined;
  if (v === undefined || v >= FIELD_PRIME)
    throw new UserError(`${what}: "${text.slice(0, 80)}" is not a field element (0x + 64 hex digits, or decimal)`);
  return v;
}

function parseWith<T>(schema: z.ZodType<T>, path: string, what: string): T {
  const r = schema.safeParse(readJsonFile(path, what));
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new UserError(`${path}: malformed ${what}: field "${issue.path.join('.') || '(root)'}": ${issue.message}`);
  }
  return r.data;
}

/** Reads and validates `weights.json`; a malformed file is a {@link UserError} naming the field. */
export function readWeightsCommitment(path: string): WeightsCommitmentFile {
  return parseWith(weightsCommitmentSchema, path, 'weight commitment');
}

/** Reads and validates `weights.opening.json`; a malformed file is a {@link UserError} naming the field. */
export function readWeightsOpening(path: string): WeightsOpeningFile {
  return parseWith(weightsOpeningSchema, path, 'weight opening');
}

/** Writes the pair: the opening first (mode 0600: it confirms the weights), then the public file. */
export function writeWeightsFiles(
  paths: { commitmentPath: string; openingPath: string },
  v: { modelId: string; commitment: bigint; blinding: bigint },
): WeightsCommitmentFile {
  const pub: WeightsCommitmentFile = {
    format: WEIGHTS_COMMITMENT_FORMAT,
    formatVersion: WEIGHTS_VERSION,
    modelId: v.modelId,
    commitment: weightsHex(v.commitment),
  };
  const opening: WeightsOpeningFile = {
    format: WEIGHTS_OPENING_FORMAT,
    formatVersion: WEIGHTS_VERSION,
    modelId: v.modelId,
    commitment: pub.commitment,
    blinding: String(v.blinding),
  };
  writeJsonAtomic(paths.openingPath, opening, 0o600);
  writeJsonAtomic(paths.commitmentPath, pub);
  return pub;
}

/**
 * A `--weights-commitment` argument: W as 0x-hex or decimal, or the path of the model owner's
 * weights.json (then its `commitment`, and the model id it names). One parser for bundles and
 * claims, so both accept the same forms.
 */
export function readWeightsPin(arg: string): { readonly value: bigint; readonly modelId?: string } {
  const looksLikeValue = /^(0x)?[0-9a-f]+$/i.test(arg.trim());
  if (!looksLikeValue && existsSync(arg)) {
    const f = readWeightsCommitment(arg);
    return { value: BigInt(f.commitment), modelId: f.modelId };
  }
  return { value: parseWeightsCommitment(arg, '--weights-commitment') };
}
