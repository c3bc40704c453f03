/**
 * The one atomic file writer: every artifact, bundle, key and contract file goes through a
 * temp file in the same directory and a rename, so no reader (and no crash) ever sees half a
 * file. Temp names are `<path>.tmp-<pid>-<hex>`, which src/prove/batch.ts sweeps after killed runs.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/** A temp file name next to `path` (same directory, so the rename never crosses file systems). */
function tempPathFor(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Writes a file atomically: a temp file in the same directory, then rename. */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode?: number): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    // The mode is set at creation, so a private file is never readable by others, not even briefly.
    writeFileSync(tmp, data, mode === undefined ? {} : { mode });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
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
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
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
