/**
 * The ceremony transcript: one JSON file that says which circuit (model id, r1cs hash, snarkjs
 * circuit hash), which powers of tau (name, power, blake2b-512, recognised) and which ordered
 * phase-2 contributions (name, contribution hash, public key, file) made a key. `ceremony
 * verify` checks it against the zkeys, the r1cs and the ptau; `ceremony finalize` embeds the
 * verified transcript and its hash in vkey.json, so every bundle carries it to the verifier.
 */
import { existsSync } from 'node:fs';
import { canonicalJson, sha256Hex } from '../../core/hash.js';
import { writeJsonAtomic } from '../../core/atomic-write.js';
import { UserError } from '../../core/errors.js';
import { readJsonFile } from '../../core/json.js';
import { TRANSCRIPT_FORMAT, type CeremonyTranscript } from '../../formats/ceremony.js';

/** sha256 of a transcript's canonical JSON. */
export function transcriptHash(t: CeremonyTranscript): string {
  return sha256Hex(canonicalJson(t));
}

/** Reads and shape-checks a transcript file. */
export function readTranscript(path: string): CeremonyTranscript {
  if (!existsSync(path)) throw new UserError(`${path}: ceremony transcript not found`);
  const t = readJsonFile(path, 'ceremony transcript') as CeremonyTranscript;
  assertTranscriptShape(t, path);
  return t;
}

/** Throws a {@link UserError} naming the first malformed field. */
export function assertTranscriptShape(t: unknown, where: string): asserts t is CeremonyTranscript {
  const bad = (f: string): UserError => new UserError(`${where}: malformed ceremony transcript: field "${f}"`);
  const o = t as Record<string, unknown> | null;
  if (!o || typeof o !== 'object' || o['format'] !== TRANSCRIPT_FORMAT) throw bad('format');
  if (o['formatVersion'] !== 1) throw bad('formatVersion');
  const c = o['circuit'] as Record<string, unknown> | undefined;
  if (!c || typeof c['modelId'] !== 'string' || typeof c['r1csSha256'] !== 'string' || typeof c['csHash'] !== 'string')
    throw bad('circuit');
  const p = o['ptau'] as Record<string, unknown> | undefined;
  if (!p || typeof p['blake2b'] !== 'string' || typeof p['name'] !== 'string' || typeof p['power'] !== 'number')
    throw bad('ptau');
  if (!Array.isArray(o['contributions'])) throw bad('contributions');
  const discarded = o['discarded'];
  if (
    discarded !== undefined &&
    (!Array.isArray(discarded) || !discarded.every((h) => typeof h === 'string' && /^[0-9a-f]+$/.test(h)))
  )
    throw bad('discarded');
  for (const [i, k] of (o['contributions'] as Array<Record<string, unknown>>).entries()) {
    const key = k?.['key'] as Record<string, unknown> | undefined;
    if (
      !k ||
      typeof k['name'] !== 'string' ||
      typeof k['hash'] !== 'string' ||
      !key ||
      !['deltaAfter', 'g1S', 'g1Sx', 'g2Spx', 'transcript'].every(
        (f) => typeof key[f] === 'string' && /^[0-9a-f]+$/.test(key[f] as string),
      )
    )
      throw bad(`contributions[${i}]`);
  }
}

/** The first contribution of `hashes` (a key's chain) that the transcript lists as discarded by `ceremony init --force`. */
export function discardedIn(t: CeremonyTranscript, hashes: readonly string[]): string | undefined {
  const discarded = new Set(t.discarded ?? []);
  return hashes.find((h) => discarded.has(h));
}

/** Writes a transcript atomically. */
export function writeTranscript(path: string, t: CeremonyTranscript): void {
  writeJsonAtomic(path, t);
}
