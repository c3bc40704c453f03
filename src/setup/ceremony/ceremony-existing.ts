/**
 * A ceremony already started in a directory, and what `ceremony init` does about it: an
 * initial key for the same circuit and ptau with no contribution yet is kept as it is (init is
 * deterministic: it would write the same key again); anything else — contributions made, or
 * another circuit or ptau — is refused unless `force`; then the new initial key and transcript
 * replace the old ones and the old contributions' keys are removed, so that `finalize` can
 * never pick up a key of the old chain.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../core/errors.js';
import type { CeremonyTranscript } from '../../formats/ceremony.js';
import { readTranscript } from './ceremony-transcript.js';
import { hashFileBlake2b } from '../ptau/ptau-file.js';
import { readZkeyMpc } from './zkey-mpc.js';

/** The ceremony keys of a directory: 0000-init.zkey, 0001-NAME.zkey, … */
const CEREMONY_KEY = /^\d{4}-.+\.zkey$/;

/** A ceremony found in a directory. */
export interface ExistingCeremony {
  /** In words: "ceremony initial key", "2-contribution ceremony (alice, bob)". */
  readonly kind: string;
  /** The latest contribution hash, else the initial key's blake2b-512 (`unknown` without a readable transcript). */
  readonly hash: string;
  readonly transcript?: CeremonyTranscript;
  /** The ceremony key files in the directory. */
  readonly keys: readonly string[];
}

/** The ceremony in `dir` (its transcript and key files), or undefined when there is none. */
export function existingCeremony(dir: string, transcriptFile: string): ExistingCeremony | undefined {
  const keys = existsSync(dir) ? readdirSync(dir).filter((f) => CEREMONY_KEY.test(f)) : [];
  const tPath = join(dir, transcriptFile);
  if (keys.length === 0 && !existsSync(tPath)) return undefined;
  let transcript: CeremonyTranscript | undefined;
  try {
    transcript = readTranscript(tPath);
  } catch {
    // Missing or unreadable: the key files alone are still a ceremony in progress.
  }
  const n = transcript?.contributions.length ?? keys.length - 1;
  const names = transcript?.contributions.map((c) => c.name).join(', ');
  const kind =
    n > 0 ? `${n}-contribution ceremony${names ? ` (${names})` : ''}` : 'ceremony initial key (no contribution yet)';
  const last = transcript?.contributions.at(-1);
  return {
    kind,
    hash: last ? last.hash : (transcript?.init.blake2b ?? 'unknown'),
    ...(transcript ? { transcript } : {}),
    keys,
  };
}

/** Whether `c` could be what init would write (only the initial key, for this r1cs): the ptau decides. */
export function mayBeSameInit(c: ExistingCeremony, initFile: string, r1csSha256: string): boolean {
  const t = c.transcript;
  return (
    !!t &&
    t.contributions.length === 0 &&
    c.keys.length === 1 &&
    c.keys[0] === initFile &&
    t.circuit.r1csSha256 === r1csSha256
  );
}

/**
 * Whether `c` is exactly what init would write: the same circuit and ptau, only the initial
 * key, unchanged since (its blake2b as the transcript records it).
 */
export async function sameInit(
  c: ExistingCeremony,
  dir: string,
  initFile: string,
  r1csSha256: string,
  ptauBlake2b: string,
): Promise<boolean> {
  if (!mayBeSameInit(c, initFile, r1csSha256) || c.transcript!.ptau.blake2b !== ptauBlake2b) return false;
  return (await hashFileBlake2b(join(dir, initFile))) === c.transcript!.init.blake2b;
}

/** The one-line refusal to start a ceremony over `c`. */
export function ceremonyReplacementRefusal(dir: string, c: ExistingCeremony): UserError {
  return new UserError(
    `${dir}: already holds a ${c.kind} (${c.transcript?.contributions.length ? 'latest contribution hash' : 'key blake2b'} ${c.hash}) that ceremony init would replace; pass --force to replace it`,
  );
}

/**
 * Removes the old ceremony's keys but `keep` (the new initial key, written over the old one)
 * once a new ceremony replaced it (with `force`): `finalize` must never pick up a key of the
 * old chain, which no longer extends the new transcript.
 */
export function removeCeremonyKeys(dir: string, c: ExistingCeremony, keep: string): void {
  for (const f of c.keys) if (f !== keep) rmSync(join(dir, f), { force: true });
}

/**
 * Every contribution hash of the ceremony `c` in `dir` that `init --force` discards: those its
 * transcript lists or had already discarded, and those inside its key files (contributions made
 * elsewhere that never joined the transcript), so that none of them can come back.
 */
export async function discardedHashes(dir: string, c: ExistingCeremony): Promise<string[]> {
  const all = new Set([...(c.transcript?.discarded ?? []), ...(c.transcript?.contributions ?? []).map((x) => x.hash)]);
  for (const f of c.keys) {
    try {
      for (const x of (await readZkeyMpc(join(dir, f))).contributions) all.add(x.hash);
    } catch {
      // Not a readable zkey: it holds no contribution anyone could continue from.
    }
  }
  return [...all];
}
