/**
 * The user's cache of downloaded powers-of-tau files (`zkinfer ptau get`): the directory
 * `$ZKINFER_CACHE_DIR`, else the platform's cache directory for zkinfer (env-paths:
 * `~/.cache/zkinfer` on Linux), with the files in its `ptau/` folder under their published names.
 * `--ptau N` on `setup`, `run` and `ceremony` names the cached published file for power N.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import envPaths from 'env-paths';
import { UserError } from '../../core/errors.js';
import { publishedPtau, MIN_PUBLISHED_POWER, PUBLISHED_CEREMONY_POWER } from './ptau-table.js';

/** zkinfer's cache directory. */
export function cacheDir(): string {
  return process.env['ZKINFER_CACHE_DIR'] || envPaths('zkinfer', { suffix: '' }).cache;
}

/** The folder of cached ptau files. */
export function ptauCacheDir(): string {
  return join(cacheDir(), 'ptau');
}

/** Parses a power given on the command line (8..28). */
export function parsePower(text: string, flag: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < MIN_PUBLISHED_POWER || n > PUBLISHED_CEREMONY_POWER)
    throw new UserError(
      `${flag} ${text}: the published powers-of-tau files cover powers ${MIN_PUBLISHED_POWER}..${PUBLISHED_CEREMONY_POWER}`,
    );
  return n;
}

/**
 * What a `--ptau` argument names: an existing file as it is; a bare power N (8..28) the cached
 * published file for that power, which must have been fetched with `zkinfer ptau get`; anything
 * else as it is (the reader then says the file is missing, with the hint).
 */
export function resolvePtauArg(arg: string): string {
  if (existsSync(arg) || !/^\d{1,2}$/.test(arg)) return arg;
  const power = parsePower(arg, '--ptau');
  const path = join(ptauCacheDir(), publishedPtau(power)!.name);
  if (!existsSync(path))
    throw new UserError(
      `--ptau ${arg}: ${path} is not cached yet; \`zkinfer ptau get --power ${power}\` downloads and checks it`,
    );
  return path;
}
