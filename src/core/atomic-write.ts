/**
 * The one atomic file writer: every artifact, bundle, key and contract file goes through a
 * temp file in the same directory and a rename, so no reader (and no crash) ever sees half a
 * file. Temp names are `<path>.tmp-<pid>-<hex>`, which src/prove/batch.ts sweeps after killed runs.
 *
 * Two more duties live here because every write passes through: file-system errors the user
 * causes become one-line UserErrors naming the path (fs-errors.ts), and inside
 * {@link cleanupOnFailure} every file and directory a write creates is recorded, so a command
 * that fails removes what it wrote in this run and never what existed before.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fsUserError } from './fs-errors.js';

/** What writes created inside one {@link cleanupOnFailure} scope, in creation order. */
interface CreatedPaths {
  readonly files: string[];
  readonly dirs: string[];
}

const scope = new AsyncLocalStorage<CreatedPaths>();

function recordCreated(kind: keyof CreatedPaths, path: string | undefined): void {
  if (path !== undefined) scope.getStore()?.[kind].push(resolve(path));
}

/** Removes what a failed scope created: files, then directories (newest first; a created directory held only this run's files). */
function removeCreated(c: CreatedPaths): void {
  for (const f of [...c.files].reverse()) rmSync(f, { force: true });
  for (const d of [...c.dirs].reverse()) rmSync(d, { recursive: true, force: true });
}

/**
 * Runs `work`; when it throws, removes every file and directory that writes through this module
 * created while it ran (files that existed before and were replaced stay). Scopes nest: a scope
 * that succeeds hands what it created to the enclosing one. Outside any scope nothing is recorded.
 * Resumable outputs (batch bundles, accuracy chunks) are written outside a scope on purpose.
 */
export async function cleanupOnFailure<T>(work: () => Promise<T>): Promise<T> {
  const mine: CreatedPaths = { files: [], dirs: [] };
  const outer = scope.getStore();
  let result: T;
  try {
    result = await scope.run(mine, work);
  } catch (e) {
    removeCreated(mine);
    throw e;
  }
  outer?.files.push(...mine.files);
  outer?.dirs.push(...mine.dirs);
  return result;
}

/** {@link cleanupOnFailure} for synchronous work. */
export function cleanupOnFailureSync<T>(work: () => T): T {
  const mine: CreatedPaths = { files: [], dirs: [] };
  const outer = scope.getStore();
  let result: T;
  try {
    result = scope.run(mine, work);
  } catch (e) {
    removeCreated(mine);
    throw e;
  }
  outer?.files.push(...mine.files);
  outer?.dirs.push(...mine.dirs);
  return result;
}

/** Creates directory `dir` and its missing parents (recorded for cleanup); errors name `dir`. */
export function ensureDir(dir: string): void {
  try {
    recordCreated('dirs', mkdirSync(dir, { recursive: true }));
  } catch (e) {
    throw fsUserError(e, dir, 'create directory');
  }
}

/** Removes a temp file if it is there; never throws (the write's own error is the one to report). */
function removeTemp(tmp: string): void {
  try {
    rmSync(tmp, { force: true });
  } catch {
    // e.g. ENAMETOOLONG: the temp file was never created either.
  }
}

/** A temp file name next to `path` (same directory, so the rename never crosses file systems). */
function tempPathFor(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Puts the finished temp file in place, recording `path` when it is new. */
function commit(tmp: string, path: string): void {
  const existed = existsSync(path);
  renameSync(tmp, path);
  if (!existed) recordCreated('files', path);
}

/** writeFileSync refuses one write of 2 GiB or more (a GAN-sized r1cs is larger): such data goes in slices. */
const WRITE_SLICE = 2 ** 30;

function writeSlices(path: string, data: Uint8Array, mode?: number): void {
  const fd = openSync(path, 'w', mode ?? 0o666);
  try {
    for (let o = 0; o < data.byteLength;) o += writeSync(fd, data, o, Math.min(WRITE_SLICE, data.byteLength - o));
  } finally {
    closeSync(fd);
  }
}

/** Writes a file atomically: a temp file in the same directory, then rename. */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode?: number): void {
  ensureDir(dirname(path));
  const tmp = tempPathFor(path);
  try {
    // The mode is set at creation, so a private file is never readable by others, not even briefly.
    if (typeof data !== 'string' && data.byteLength > WRITE_SLICE) writeSlices(tmp, data, mode);
    else writeFileSync(tmp, data, mode === undefined ? {} : { mode });
    commit(tmp, path);
  } catch (e) {
    removeTemp(tmp);
    throw fsUserError(e, path);
  }
}

/** Copies `from` to `path` atomically (a temp copy, then rename). */
export function copyFileAtomic(from: string, path: string): void {
  ensureDir(dirname(path));
  const tmp = tempPathFor(path);
  try {
    copyFileSync(from, tmp);
    commit(tmp, path);
  } catch (e) {
    removeTemp(tmp);
    throw fsUserError(e, path);
  }
}

/**
 * Moves a finished file `from` (in the same file system, e.g. a staging directory inside the
 * destination's directory) to `path` by one rename, recording `path` when it is new.
 */
export function moveFileAtomic(from: string, path: string): void {
  try {
    commit(from, path);
  } catch (e) {
    throw fsUserError(e, path);
  }
}

/**
 * Writes `chunks` to `path` atomically without joining them first (a dev-setup zkey runs to
 * hundreds of megabytes), synced to disk before the rename.
 */
export async function writeChunksAtomic(path: string, chunks: Iterable<Uint8Array>): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    const fh = await open(tmp, 'w');
    try {
      for (const chunk of chunks) {
        for (let off = 0; off < chunk.length;) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    const existed = existsSync(path);
    await rename(tmp, path);
    if (!existed) recordCreated('files', path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw fsUserError(e, path);
  }
}

/** The bytes {@link writeJsonAtomic} writes: pretty-printed JSON and a newline (model ids hash them). */
export function jsonBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value, null, 2) + '\n', 'utf8');
}

/** Writes JSON atomically, pretty-printed; `mode` (e.g. 0o600) applies from creation on. */
export function writeJsonAtomic(path: string, value: unknown, mode?: number): void {
  writeFileAtomic(path, jsonBytes(value), mode);
}
