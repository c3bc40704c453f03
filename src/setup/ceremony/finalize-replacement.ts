/**
 * What `ceremony finalize` may replace. Finalize installs the ceremony's key over the build's
 * keys, and every proof made with the old key then fails `vkey`, so it follows the rule of
 * src/setup/existing-keys.ts (never silently) with the ceremony's own flow in mind: the
 * documented flow is `run`/`setup` (a dev key) → `ceremony init` → contribute → `finalize`, so
 * replacing a dev key is expected (with a notice); finalizing the key that is already there, or
 * a longer chain of the very ceremony already installed (more contributions on top of it), is
 * allowed too. Anything else — a ptau key, or the key of another ceremony (another chain that a
 * kept copy of the circuit could have been run through) — is refused unless `force`.
 */
import { existsSync } from 'node:fs';
import { artifactPath } from '../../formats/paths.js';
import { readJsonFile } from '../../core/json.js';
import type { CeremonyTranscript } from '../../formats/ceremony.js';
import { existingKeys, keyReplacementRefusal, type ExistingKeys } from '../existing-keys.js';
import { assertTranscriptShape } from './ceremony-transcript.js';

/** The transcript of the ceremony whose key vkey.json holds, when it holds one. */
function installedTranscript(buildDir: string): CeremonyTranscript | undefined {
  const path = artifactPath(buildDir, 'vkey');
  if (!existsSync(path)) return undefined;
  try {
    const vkey = readJsonFile(path, 'verification key') as { zkinfer?: { ceremony?: { transcript?: unknown } } };
    const t = vkey.zkinfer?.ceremony?.transcript;
    assertTranscriptShape(t, path);
    return t;
  } catch {
    return undefined; // unreadable: not provably the same ceremony, so refused like any other key
  }
}

/** Whether `next` extends `old`: the same circuit and ptau, and `old`'s contributions are the first of `next`'s. */
export function extendsChain(old: CeremonyTranscript, next: CeremonyTranscript): boolean {
  return (
    old.circuit.csHash === next.circuit.csHash &&
    old.ptau.blake2b === next.ptau.blake2b &&
    old.contributions.length <= next.contributions.length &&
    old.contributions.every((c, i) => c.hash === next.contributions[i]!.hash)
  );
}

/** Options of {@link checkFinalizeReplacement}. */
export interface FinalizeReplacementOptions {
  readonly buildDir: string;
  /** The transcript of the key being installed. */
  readonly transcript: CeremonyTranscript;
  /** Its vkey hash. */
  readonly vkeyHash: string;
  readonly force?: boolean;
}

/**
 * Checks that finalize may install its key in `buildDir` (see the file comment): returns the
 * keys it replaces (for the notice), undefined when there are none or they are the same key,
 * and throws the one-line refusal otherwise.
 */
export function checkFinalizeReplacement(o: FinalizeReplacementOptions): ExistingKeys | undefined {
  const old = existingKeys(o.buildDir);
  if (!old || old.hash === o.vkeyHash) return undefined;
  if (o.force) return old;
  if (old.setup?.kind === 'dev' && !old.setup.ceremony) return old;
  const installed = old.setup?.ceremony ? installedTranscript(o.buildDir) : undefined;
  if (installed && extendsChain(installed, o.transcript)) return old;
  throw keyReplacementRefusal(o.buildDir, old, 'ceremony finalize');
}
