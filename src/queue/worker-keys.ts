/**
 * Which keys a `zkinfer worker` serves, found in its build directory: the build's own key (the
 * `prove` and `noop` queues) and every accuracy chunk key under `BUILD/accuracy/chunk-C/` (the
 * `accuracy-chunk` queue of each). Every key directory is checked as a build directory is before
 * proving (proving key ↔ vkey.json ↔ r1cs ↔ model), and a chunk key must be for the build's own
 * quantized model: a worker never proves with keys that do not belong together.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { artifactPath } from '../formats/paths.js';
import { readQuantizedModel } from '../compile/compile-circuit.js';
import { checkBuildConsistency } from '../prove/build-consistency.js';
import { vkeyHash } from '../formats/vkey.js';
import { UserError } from '../core/errors.js';
import { chunkQuantizedSha256 } from '../accuracy/chunk-weights.js';

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

/** A key directory's verdict, valid while its files keep the same sizes and modification times. */
interface Checked {
  readonly stamp: string;
  readonly verdict: { key: ServedKey } | { skipped: string };
}

/**
 * The sizes and modification times of the files a key directory's check reads: checking hashes
 * the proving key (tens of MB), too much to repeat every few seconds for directories that did not change.
 */
function stampOf(buildDir: string, dir: string): string {
  const files = [
    artifactPath(buildDir, 'quantized'),
    ...(['vkey', 'zkey', 'r1cs', 'setup', 'circuit', 'quantized'] as const).map((n) => artifactPath(dir, n)),
  ];
  return files
    .map((f) => {
      try {
        const st = statSync(f);
        return `${st.size}:${st.mtimeMs}`;
      } catch {
        return '-';
      }
    })
    .join('|');
}

/** One key directory checked as a build directory is, and for the build's own quantized model. */
function checkChunkKeyDir(buildDir: string, dir: string, quantizedSha256: string): Checked['verdict'] {
  try {
    const c = checkBuildConsistency(dir, { floatModel: false });
    // circuit.quantizedSha256 is checked against the directory's model.quant.json bytes; the accuracy label is not.
    if (c.circuit.quantizedSha256 !== quantizedSha256 || c.circuit.accuracy?.kind !== 'accuracy-chunk')
      return { skipped: `${dir}: chunk keys for another model than ${buildDir}'s; not served` };
    return { key: { kind: 'accuracy-chunk', keyHash: vkeyHash(c.vkey), keyDir: dir } };
  } catch (e) {
    return { skipped: `${(e as Error).message.split('\n')[0]}; not served` };
  }
}

/**
 * The accuracy chunk keys of a build that check out, and a line for each that does not (skipped:
 * a half-written or stale chunk key must not stop the worker from serving the others). With a
 * `cache` (a worker's rescans), a directory whose files did not change keeps its last verdict.
 */
export function chunkKeys(
  buildDir: string,
  cache: Map<string, Checked> = new Map(),
): { keys: ServedKey[]; skipped: string[] } {
  const keys: ServedKey[] = [];
  const skipped: string[] = [];
  const dirs = chunkKeyDirs(buildDir);
  if (dirs.length === 0) return { keys, skipped };
  let quantizedSha256: string | undefined;
  for (const dir of dirs) {
    const stamp = stampOf(buildDir, dir);
    let checked = cache.get(dir);
    if (checked?.stamp !== stamp) {
      if (quantizedSha256 === undefined) {
        const { model, bytes } = readQuantizedModel(buildDir);
        quantizedSha256 = chunkQuantizedSha256(model, bytes);
      }
      checked = { stamp, verdict: checkChunkKeyDir(buildDir, dir, quantizedSha256) };
      cache.set(dir, checked);
    }
    if ('key' in checked.verdict) keys.push(checked.verdict.key);
    else skipped.push(checked.verdict.skipped);
  }
  return { keys, skipped };
}

/** A cache for {@link chunkKeys}: one per worker. */
export function chunkKeyCache(): Map<string, Checked> {
  return new Map();
}

/** The job kind of accuracy chunk keys (the build's own key serves every other kind). */
export const CHUNK_KIND = 'accuracy-chunk';

/** The (kind, key) pairs to serve: the build's key for every kind but accuracy-chunk, and each chunk key. */
export function wanted(
  own: string | undefined,
  buildDir: string,
  chunks: ServedKey[],
  kinds: readonly string[],
): ServedKey[] {
  const out: ServedKey[] = [];
  if (own) for (const k of kinds) if (k !== CHUNK_KIND) out.push({ kind: k, keyHash: own, keyDir: buildDir });
  if (kinds.includes(CHUNK_KIND)) out.push(...chunks);
  return out;
}
