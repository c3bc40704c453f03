/**
 * Identifying a powers-of-tau file: its blake2b-512 hash (streamed, so a 2^20 file of a
 * gigabyte never sits in memory) looked up in the table of published files, and what the file
 * claims to be — by its name (`powersOfTau28_hez_final_NN.ptau`) or by its header (ceremony
 * power 28, which only truncations of the perpetual 2^28 ceremony carry). A file that claims a
 * published power but does not hash to it is refused: it is either corrupt or an impostor.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { UserError } from '../../core/errors.js';
import type { PtauProvenance } from '../../formats/setup.js';
import { PUBLISHED_CEREMONY_POWER, PUBLISHED_PTAU } from './ptau-table.js';
import type { TaskProgress } from '../../runtime/progress.js';

/** Header fields of a ptau file. */
export interface PtauHeader {
  readonly power: number;
  readonly ceremonyPower: number;
}

/** Warning printed for files that are neither published nor trusted. */
export const UNRECOGNISED_PTAU_WARNING =
  'ptau: unrecognised — the file is not one of the published perpetual powers-of-tau files, so whoever made it may know its toxic waste; keys made from it are not trusted setups';

/**
 * The cheap check of a ptau file (it exists, is a file, has a readable ptau header), made before
 * anything is written: `run --ptau` fails here, not after quantizing and compiling.
 * @throws UserError naming the file.
 */
export function checkPtauFile(path: string, forBuild?: string): PtauHeader {
  if (!existsSync(path) || !statSync(path).isFile())
    throw new UserError(
      `${path}: powers-of-tau file not found; \`zkinfer ptau get ${forBuild ?? 'BUILD_DIR'}\` downloads the published one a build needs`,
    );
  return readPtauHeader(path);
}

/** Reads the header section of a ptau file (iden3 container "ptau": sections of u32 id, u64 size). */
export function readPtauHeader(path: string): PtauHeader {
  const fd = openSync(path, 'r');
  try {
    const size = statSync(path).size;
    const head = Buffer.alloc(12);
    if (readSync(fd, head, 0, 12, 0) !== 12 || head.toString('latin1', 0, 4) !== 'ptau')
      throw new UserError(`${path}: not a powers-of-tau file (no "ptau" magic)`);
    const nSections = head.readUInt32LE(8);
    let pos = 12;
    const sec = Buffer.alloc(12);
    for (let i = 0; i < nSections && pos + 12 <= size; i++) {
      readSync(fd, sec, 0, 12, pos);
      const id = sec.readUInt32LE(0);
      const len = Number(sec.readBigUInt64LE(4));
      if (id === 1) {
        const body = Buffer.alloc(Math.min(len, 64));
        readSync(fd, body, 0, body.length, pos + 12);
        const n8 = body.readUInt32LE(0);
        if (4 + n8 + 8 > body.length) break;
        return { power: body.readUInt32LE(4 + n8), ceremonyPower: body.readUInt32LE(8 + n8) };
      }
      pos += 12 + len;
    }
    throw new UserError(`${path}: powers-of-tau file has no readable header section`);
  } finally {
    closeSync(fd);
  }
}

/** blake2b-512 of a file, streamed; `progress` sees bytes done of the file size. */
export async function hashFileBlake2b(path: string, progress?: TaskProgress): Promise<string> {
  const total = statSync(path).size;
  const h = createHash('blake2b512');
  let done = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) {
    h.update(chunk as Buffer);
    done += (chunk as Buffer).length;
    progress?.update('blake2b-512', done, total);
  }
  progress?.finish();
  return h.digest('hex');
}

/** The published power a file name claims, if any. */
export function powerClaimedByName(path: string): number | undefined {
  const m = /^powersOfTau28_hez_final(?:_(\d{2}))?\.ptau$/.exec(basename(path));
  if (!m) return undefined;
  return m[1] === undefined ? PUBLISHED_CEREMONY_POWER : Number(m[1]);
}

/** Normalises a user-given blake2b-512 hash (hex, any case, optional `blake2b:` prefix). */
export function parsePtauHash(text: string): string | undefined {
  const h = text
    .trim()
    .toLowerCase()
    .replace(/^blake2b(-512)?:/, '');
  return /^[0-9a-f]{128}$/.test(h) ? h : undefined;
}

/** Options of {@link identifyPtau}. */
export interface IdentifyPtauOptions {
  /** Extra hashes the user trusts (private ceremonies, tests). */
  readonly trusted?: readonly string[];
  readonly progress?: TaskProgress;
  /** The build the file is for: a missing file's message then says how to get the one it needs. */
  readonly forBuild?: string;
}

/**
 * Hashes and identifies a ptau file.
 * @throws UserError when the file is missing or claims a published power (by name or header) but its hash differs.
 */
export async function identifyPtau(path: string, opts: IdentifyPtauOptions = {}): Promise<PtauProvenance> {
  const header = checkPtauFile(path, opts.forBuild);
  const blake2b = await hashFileBlake2b(path, opts.progress);
  const published = PUBLISHED_PTAU.find((p) => p.blake2b === blake2b);
  if (published)
    return { name: published.name, power: published.power, blake2b, recognised: true, source: 'published' };
  const byName = powerClaimedByName(path);
  const byHeader = header.ceremonyPower === PUBLISHED_CEREMONY_POWER ? header.power : undefined;
  for (const [claim, how] of [
    [byName, 'its name'],
    [byHeader, 'its header (ceremony power 28)'],
  ] as const) {
    if (claim === undefined) continue;
    const expected = PUBLISHED_PTAU.find((p) => p.power === claim);
    if (expected)
      throw new UserError(
        `${path}: claims by ${how} to be ${expected.name}, but its blake2b-512 ${blake2b.slice(0, 16)}… differs from the published ${expected.blake2b.slice(0, 16)}…; refusing it (corrupt download or impostor)`,
      );
  }
  const trusted = (opts.trusted ?? []).includes(blake2b);
  return {
    name: basename(path),
    power: header.power,
    blake2b,
    recognised: trusted,
    source: trusted ? 'trusted' : 'unrecognised',
  };
}

/** Whether a recorded provenance is recognised by the published table or a user-trusted hash. */
export function isRecognisedPtau(
  blake2b: string,
  trusted: readonly string[] = [],
): 'published' | 'trusted' | undefined {
  if (PUBLISHED_PTAU.some((p) => p.blake2b === blake2b)) return 'published';
  return trusted.includes(blake2b) ? 'trusted' : undefined;
}
