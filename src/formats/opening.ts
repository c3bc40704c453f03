/**
 * The opening of a bundle's commitments: the committed integers and the random blinding values.
 * It is written next to the bundle (`NAME.opening.json` beside `NAME.proof.json`) and never
 * inside it: whoever holds the opening can show what was committed (`verify --opening`), and
 * whoever holds only the bundle learns nothing about a hashed input or output.
 */
import { randomBytes } from 'node:crypto';
import { readJsonFile } from '../core/json.js';
import { z } from 'zod';
import { FIELD_PRIME } from '../../circuits/field.js';
import { writeJsonAtomic } from '../core/atomic-write.js';
import { UserError } from '../core/errors.js';
import { canonicalDecimal } from './bundle.js';

/** Opening format identifier and version. */
export const OPENING_FORMAT = 'zkinfer-opening';
export const OPENING_VERSION = 1;

const blinding = canonicalDecimal(FIELD_PRIME, 'blinding');
const part = z.strictObject({
  integers: z
    .array(z.string().regex(/^(0|-?[1-9][0-9]{0,79})$/, 'must be a canonical signed decimal integer'))
    .max(10_000_000),
  blinding,
});

/** The opening schema. */
export const openingSchema = z.strictObject({
  format: z.literal(OPENING_FORMAT),
  formatVersion: z.literal(OPENING_VERSION),
  /** The key the bundle was proven with, so an opening is never paired with another model's bundle by accident. */
  vkeyHash: z.string().regex(/^[0-9a-f]{64}$/),
  input: part.optional(),
  output: part.optional(),
});

/** An opening file's content. */
export type Opening = z.infer<typeof openingSchema>;

/** A uniformly random field element (512 random bits reduced mod p: bias below 2^-250). */
export function randomBlinding(): bigint {
  return BigInt(`0x${randomBytes(64).toString('hex')}`) % FIELD_PRIME;
}

/** Writes an opening atomically, readable and writable by its owner only (mode 0600): it reveals the hidden input. */
export function writeOpening(path: string, opening: Opening): void {
  writeJsonAtomic(path, opening, 0o600);
}

/** Reads and validates an opening file; a malformed one is a {@link UserError} naming the field. */
export function readOpening(path: string): Opening {
  const raw = readJsonFile(path, 'opening');
  const r = openingSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new UserError(`${path}: malformed opening: field "${issue.path.join('.') || '(root)'}": ${issue.message}`);
  }
  return r.data;
}
