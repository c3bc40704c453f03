/**
 * Ctrl-C and SIGTERM during long commands. Node's default is to die without a word; a batch
 * stopped that way leaves the user guessing what was done and how to go on. A command that can
 * be resumed installs a handler that says so, and exits the way shells report a signal.
 */
import { constants } from 'node:os';
import type { BatchProgress } from '../runtime/progress.js';

/** The exit code of a command stopped by `signal`: 128 + its number, as shells report it (130 for Ctrl-C). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/**
 * Runs `body` with SIGINT and SIGTERM handled by `onSignal` (called once per signal received)
 * instead of Node's default; the handlers are removed when `body` ends.
 */
export async function withInterruptHandler<T>(
  onSignal: (signal: NodeJS.Signals, count: number) => void,
  body: () => Promise<T>,
): Promise<T> {
  let count = 0;
  const handler = (signal: NodeJS.Signals): void => onSignal(signal, ++count);
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  try {
    return await body();
  } finally {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  }
}

/** `2/10 proven` (and failures, when any) from the last progress snapshot of a batch. */
export function provenSoFar(p: BatchProgress | undefined): string {
  if (!p) return 'nothing proven yet';
  return `${p.proved + p.skipped}/${p.total} proven${p.failed ? `, ${p.failed} failed` : ''}`;
}

/**
 * Quotes an argument for a POSIX shell when it needs it, so a printed command can be pasted as
 * it is (paths with spaces, URLs with `&` or `?`).
 */
export function shellArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
