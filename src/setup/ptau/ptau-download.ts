/**
 * `zkinfer ptau get`: the published powers-of-tau file a circuit needs, downloaded once into
 * the user's cache. The file is hashed (blake2b-512) while it streams to a temporary file beside
 * its destination and moved into place only when the hash is the expected one — the published
 * hash for that power, whatever URL it came from, unless the caller names another hash — so a
 * corrupt or substituted download never lands where `setup --ptau` would find it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UserError } from '../../core/errors.js';
import { hashFileBlake2b, parsePtauHash, readPtauHeader } from './ptau-file.js';
import { MIN_PUBLISHED_POWER, PUBLISHED_PTAU_BASE_URL, publishedPtau } from './ptau-table.js';
import { ptauCacheDir } from './ptau-cache.js';

/** What `ptau get` would fetch, and where it would keep it. */
export interface PtauPlan {
  readonly power: number;
  /** The published file's name (`powersOfTau28_hez_final_NN.ptau`). */
  readonly name: string;
  readonly url: string;
  /** The blake2b-512 the download must have. */
  readonly blake2b: string;
  /** `published` (snarkjs's table) or `given` (the caller's own hash, for a private file). */
  readonly hashSource: 'published' | 'given';
  /** Where the verified file goes. */
  readonly path: string;
}

/** Options of {@link planPtau}. */
export interface PtauPlanOptions {
  /** The power wanted; below 8 the 2^8 file (the smallest published) is used. */
  readonly power: number;
  /** Base URL the file name is appended to (default: the published location, or `$ZKINFER_PTAU_URL`). */
  readonly baseUrl?: string;
  /** The expected blake2b-512 (hex) instead of the published one: for a file that is not the published one. */
  readonly blake2b?: string;
  /** Destination file (default: the cache, under the published name). */
  readonly outPath?: string;
}

/** The file, URL, expected hash and destination for `opts.power`. */
export function planPtau(opts: PtauPlanOptions): PtauPlan {
  const power = Math.max(opts.power, MIN_PUBLISHED_POWER);
  const published = publishedPtau(power);
  if (!published)
    throw new UserError(`power ${opts.power}: no published powers-of-tau file (they cover 2^8..2^28 rows)`);
  const given = opts.blake2b === undefined ? undefined : parsePtauHash(opts.blake2b);
  if (opts.blake2b !== undefined && !given)
    throw new UserError(`--blake2b ${opts.blake2b}: not a blake2b-512 hash (128 hex digits)`);
  const base = opts.baseUrl ?? (process.env['ZKINFER_PTAU_URL'] || PUBLISHED_PTAU_BASE_URL);
  const blake2b = given ?? published.blake2b;
  const own = blake2b !== published.blake2b;
  // A file that is not the published one never takes the published name: identifyPtau would refuse it.
  const cacheName = own ? `ptau-${power}-${blake2b.slice(0, 16)}.ptau` : published.name;
  return {
    power,
    name: published.name,
    url: new URL(published.name, base.endsWith('/') ? base : `${base}/`).href,
    blake2b,
    hashSource: own ? 'given' : 'published',
    path: opts.outPath ?? join(ptauCacheDir(), cacheName),
  };
}

/** Options of {@link getPtau}. */
export interface GetPtauOptions extends PtauPlanOptions {
  /** Bytes received so far and the total (undefined when the server sends no length). */
  readonly onProgress?: (done: number, total: number | undefined) => void;
  /** Called before hashing a file already at the destination (it may take seconds). */
  readonly onCheckExisting?: (path: string) => void;
}

/** What {@link getPtau} did. */
export interface GetPtauResult extends PtauPlan {
  /** False when a file with the right hash was already there. */
  readonly downloaded: boolean;
  readonly bytes: number;
}

/**
 * Makes sure the verified file is at the plan's destination: kept when already there with the
 * right hash, else downloaded and checked.
 * @throws UserError on an HTTP or network error, or a hash mismatch (nothing is left behind).
 */
export async function getPtau(opts: GetPtauOptions): Promise<GetPtauResult> {
  const plan = planPtau(opts);
  if (existsSync(plan.path)) {
    if (!statSync(plan.path).isFile()) throw new UserError(`${plan.path}: exists and is not a file`);
    opts.onCheckExisting?.(plan.path);
    if ((await hashFileBlake2b(plan.path)) === plan.blake2b)
      return { ...plan, downloaded: false, bytes: statSync(plan.path).size };
    // The cache is ours to repair; a file the user named is not ours to overwrite.
    if (opts.outPath !== undefined)
      throw new UserError(
        `${plan.path}: exists with another blake2b-512 than ${plan.name}'s; remove it or choose another --out`,
      );
  }
  mkdirSync(dirname(plan.path), { recursive: true });
  const tmp = `${plan.path}.download-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const { blake2b, bytes } = await download(plan.url, tmp, opts.onProgress);
    if (blake2b !== plan.blake2b)
      throw new UserError(
        `${plan.url}: the download's blake2b-512 ${blake2b} differs from the ${plan.hashSource === 'published' ? `published hash of ${plan.name}` : 'hash given by --blake2b'} ${plan.blake2b}; nothing was kept`,
      );
    const header = readPtauHeader(tmp);
    if (header.power < plan.power)
      throw new UserError(
        `${plan.url}: a powers-of-tau file for 2^${header.power}, not 2^${plan.power}; nothing was kept`,
      );
    renameSync(tmp, plan.path);
    return { ...plan, downloaded: true, bytes };
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Streams `url` into `path`, hashing on the way. */
async function download(
  url: string,
  path: string,
  onProgress: GetPtauOptions['onProgress'],
): Promise<{ blake2b: string; bytes: number }> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message ?? (e as Error).message;
    throw new UserError(`${url}: download failed (${cause})`);
  }
  if (!res.ok || !res.body) throw new UserError(`${url}: HTTP ${res.status} ${res.statusText}`.trimEnd());
  const length = Number(res.headers.get('content-length'));
  const total = Number.isFinite(length) && length > 0 ? length : undefined;
  const hash = createHash('blake2b512');
  let done = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      done += chunk.length;
      onProgress?.(done, total);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(
      Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
      tap,
      createWriteStream(path),
    );
  } catch (e) {
    throw new UserError(`${url}: download interrupted after ${done} bytes (${(e as Error).message})`);
  }
  if (total !== undefined && done !== total)
    throw new UserError(`${url}: download ended after ${done} of ${total} bytes`);
  return { blake2b: hash.digest('hex'), bytes: done };
}
