/**
 * Which keys a `zkinfer worker` serves, found in its build directory: the build's own key (the
 * `prove` and `noop` queues) and every accuracy chunk key under `BUILD/accuracy/chunk-C/` (the
 * `accuracy-chunk` queue of each). Every key directory is checked as a build directory is before
 * proving (proving key ↔ vkey.json ↔ r1cs ↔ model), and a chunk key must be for the build's own
 * quantized model: a worker never proves with keys that do not belong together.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { artifactPath } from '../formats/paths.js';
import { sha256Hex } from '../core/hash.js';
import { readQuantizedModel } from '../compile/compile-circuit.js';
import { checkBuildConsistency } from '../prove/build-consistency.js';
import { vkeyHash } from '../formats/vkey.js';
import { UserError } from '../core/errors.js';

/** One queue a worker serves: a job kind, the key hash it is for, and the directory holding that key. */
export interface ServedKey {
  readonly kind: string;
  readonly keyHash: string;
  readonly keyDir: string;
}

/**
 * The key hash a build directory proves for, after checking that its files belong together
 * (proving key matching vkey.json and so on): a worker with a broken build directory refuses to
 * start rather than failing every job it takes.
 */
export function buildKeyHash(buildDir: string): string {
  if (!existsSync(buildDir)) throw new UserError(`${buildDir}: no such build directory`);
  return vkeyHash(checkBuildConsistency(buildDir).vkey);
}

/** The build's own key, or undefined when the build has no keys yet (an accuracy-only build). */
export function buildKey(buildDir: string): string | undefined {
  if (!existsSync(artifactPath(buildDir, 'vkey'))) return undefined;
  return vkeyHash(checkBuildConsistency(buildDir).vkey);
}

/** The chunk-key directories of a build, `BUILD/accuracy/chunk-C`, that hold a verification key. */
function chunkKeyDirs(buildDir: string): string[] {
  const root = join(buildDir, 'accuracy');
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^chunk-[1-9][0-9]*$/.test(d.name))
    .map((d) => join(root, d.name))
    .filter((d) => existsSync(artifactPath(d, 'vkey')) && existsSync(artifactPath(d, 'zkey')));
}

/**
 * The accuracy chunk keys of a build that check out, and a line for each that does not (skipped:
 * a half-written or stale chunk key must not stop the worker from serving the others).
 */
export function chunkKeys(buildDir: string): { keys: ServedKey[]; skipped: string[] } {
  const keys: ServedKey[] = [];
  const skipped: string[] = [];
  const dirs = chunkKeyDirs(buildDir);
  if (dirs.length === 0) return { keys, skipped };
  const quantizedSha256 = sha256Hex(readQuantizedModel(buildDir).bytes);
  for (const dir of dirs) {
    try {
      const c = checkBuildConsistency(dir, { floatModel: false });
      if (c.circuit.accuracy?.quantizedSha256 !== quantizedSha256) {
        skipped.push(`${dir}: chunk keys for another model than ${buildDir}'s; not served`);
        continue;
      }
      keys.push({ kind: 'accuracy-chunk', keyHash: vkeyHash(c.vkey), keyDir: dir });
    } catch (e) {
      skipped.push(`${(e as Error).message.split('\n')[0]}; not served`);
    }
  }
  return { keys, skipped };
}
