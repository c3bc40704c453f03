/**
 * The resume rule shared by batch proving, queue submission and accuracy proving: an output file
 * that exists and still checks out is kept, anything else (missing, truncated, stale, invalid) is
 * made again. Reruns are therefore cheap and safe. What "checks out" means and how an output is
 * made belong to each stage and are passed in.
 */
import { existsSync } from 'node:fs';

/**
 * The result an existing output at `path` stands for, or undefined when there is none or it does
 * not check out. `check` returns undefined for an output to redo; a throw from it (an unreadable
 * or truncated file) counts the same.
 */
export async function existingOutput<R>(path: string, check: () => Promise<R | undefined>): Promise<R | undefined> {
  if (!existsSync(path)) return undefined;
  try {
    return await check();
  } catch {
    // Unreadable, truncated or foreign: make it again.
    return undefined;
  }
}

/** What {@link resumeOrMake} did for one item. */
export interface Resumed<R> {
  /** True when the existing output was kept. */
  readonly skipped: boolean;
  readonly result: R;
}

/** Keeps the output at `path` when it checks out (see {@link existingOutput}); otherwise makes it. */
export async function resumeOrMake<R>(
  path: string,
  check: () => Promise<R | undefined>,
  make: () => Promise<R>,
): Promise<Resumed<R>> {
  const kept = await existingOutput(path, check);
  return kept !== undefined ? { skipped: true, result: kept } : { skipped: false, result: await make() };
}
