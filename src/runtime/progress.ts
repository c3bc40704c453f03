/**
 * Progress on stderr, one reporter module for the two shapes of long work:
 * - a batch of items (proofs): on a terminal a bar redrawn in place (done/total, proofs per
 *   second, ETA); elsewhere (CI logs, pipes) plain lines, at most one per interval or per 10% of
 *   the items, so logs stay short ({@link createProgressReporter}, fed by {@link createBatchTally});
 * - one long task (hashing a ptau file, a phase-2 contribution, a verification): on a terminal a
 *   line redrawn in place; elsewhere nothing, so logs and the JSON output of scripts stay clean
 *   ({@link createTaskProgress}).
 * Both draw on a terminal the same way: {@link redrawLine}. Whether that is a terminal, and whether
 * --quiet silences them, is decided in one place: src/runtime/terminal.ts.
 */
import { isInteractive, isQuiet } from './terminal.js';

/** Redraws the current terminal line: \r + erase-to-end-of-line, so it updates in place without scrolling. */
function redrawLine(stream: NodeJS.WriteStream, text: string): void {
  stream.write(`\r${text}\x1b[K`);
}

/** A snapshot of a running batch, passed to `onProgress`. */
export interface BatchProgress {
  /** Items finished (proved, skipped or failed). */
  readonly done: number;
  readonly total: number;
  readonly proved: number;
  readonly skipped: number;
  readonly failed: number;
  /** Seconds since the batch started. */
  readonly seconds: number;
}

/** Options of {@link createProgressReporter}. */
export interface ProgressReporterOptions {
  /** Where to draw (default process.stderr). */
  readonly stream?: NodeJS.WriteStream;
  /** Draw a bar redrawn in place (default: whether the stream is a terminal). */
  readonly tty?: boolean;
  /** Minimum milliseconds between plain lines (default 5000). */
  readonly intervalMs?: number;
}

/** Receives progress snapshots and draws them; `finish()` ends the bar's line. */
export interface ProgressReporter {
  update(p: BatchProgress): void;
  finish(): void;
}

/** Proofs per second: items actually proved, since skipped ones cost only a verification. */
function rate(p: BatchProgress): number {
  return p.seconds > 0 ? p.proved / p.seconds : 0;
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '--';
  const t = Math.round(s);
  return t >= 60 ? `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s` : `${t}s`;
}

function eta(p: BatchProgress): number {
  // Rate over all finished items: skipped items finish fast, so this is the honest estimate of what is left.
  return p.done > 0 ? ((p.total - p.done) * p.seconds) / p.done : Infinity;
}

/** One line describing `p`, without a bar: `12/32 (37%) 2.41 proofs/s ETA 8s, 1 failed`. */
export function formatProgress(p: BatchProgress): string {
  const pct = p.total > 0 ? Math.floor((100 * p.done) / p.total) : 100;
  const extra = [p.skipped ? `${p.skipped} skipped` : '', p.failed ? `${p.failed} failed` : '']
    .filter(Boolean)
    .join(', ');
  const tail = p.done < p.total ? ` ETA ${formatSeconds(eta(p))}` : ` in ${formatSeconds(p.seconds)}`;
  return `${p.done}/${p.total} (${pct}%) ${rate(p).toFixed(2)} proofs/s${tail}${extra ? `, ${extra}` : ''}`;
}

/** Counts of a running batch; see {@link createBatchTally}. */
export interface BatchTally {
  readonly counts: { proved: number; skipped: number; failed: number };
  /** Records one finished item and reports the new snapshot. */
  finish(status: 'proved' | 'skipped' | 'failed'): void;
  /** Seconds since the tally started. */
  seconds(): number;
}

/**
 * Counts the finished items of a batch of `total` and passes each new snapshot to `onProgress`;
 * `t0` (a performance.now() value, default now) is when the batch started.
 */
export function createBatchTally(
  total: number,
  onProgress?: (p: BatchProgress) => void,
  t0 = performance.now(),
): BatchTally {
  const counts = { proved: 0, skipped: 0, failed: 0 };
  const seconds = (): number => (performance.now() - t0) / 1000;
  return {
    counts,
    seconds,
    finish(status) {
      counts[status]++;
      onProgress?.({ done: counts.proved + counts.skipped + counts.failed, total, ...counts, seconds: seconds() });
    },
  };
}

/** Creates a reporter for a terminal bar or plain periodic lines. */
export function createProgressReporter(opts: ProgressReporterOptions = {}): ProgressReporter {
  const stream = opts.stream ?? process.stderr;
  const tty = opts.tty ?? isInteractive(stream);
  const intervalMs = opts.intervalMs ?? 5000;
  let lastLineAt = 0;
  let lastDecile = 0;
  let drawn = false;
  let last: BatchProgress | undefined;
  return {
    update(p) {
      if (isQuiet()) return;
      last = p;
      if (tty) {
        const width = 24;
        const filled = p.total > 0 ? Math.round((width * p.done) / p.total) : width;
        redrawLine(stream, `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${formatProgress(p)}`);
        drawn = true;
        return;
      }
      const decile = p.total > 0 ? Math.floor((10 * p.done) / p.total) : 10;
      const now = p.seconds * 1000;
      if (p.done === p.total || decile > lastDecile || now - lastLineAt >= intervalMs) {
        lastDecile = decile;
        lastLineAt = now;
        stream.write(`progress ${formatProgress(p)}\n`);
      }
    },
    finish() {
      if (tty && drawn) stream.write('\n');
      else if (!tty && last && last.done < last.total) stream.write(`progress ${formatProgress(last)}\n`);
    },
  };
}

/** Receives progress of one task. */
export interface TaskProgress {
  /** `done` of `total` units of the current step, e.g. bytes hashed or points processed. */
  update(step: string, done: number, total: number): void;
  /** Ends the line. */
  finish(): void;
}

/** A reporter drawing on `stream` when it is a terminal (or `tty` says so), silent otherwise. */
export function createTaskProgress(
  label: string,
  opts: { stream?: NodeJS.WriteStream; tty?: boolean } = {},
): TaskProgress {
  const stream = opts.stream ?? process.stderr;
  const tty = opts.tty ?? isInteractive(stream);
  const started = performance.now();
  let drawn = false;
  let lastDraw = 0;
  return {
    update(step, done, total) {
      if (!tty) return;
      const now = performance.now();
      // Redrawing more than ~10 times a second costs more than it shows.
      if (now - lastDraw < 100 && done < total) return;
      lastDraw = now;
      const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
      const secs = ((now - started) / 1000).toFixed(0);
      redrawLine(stream, `${label}: ${step} ${pct}% (${secs} s)`);
      drawn = true;
    },
    finish() {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}

/**
 * A snarkjs logger that turns its `debug` lines of the form `… name: i/n` (how snarkjs reports
 * progress inside contributions and verifications) into progress updates. Other messages are
 * dropped: zkinfer reports outcomes itself.
 */
export function snarkjsProgressLogger(
  progress: TaskProgress,
): Record<'debug' | 'info' | 'warn' | 'error', (msg: string) => void> {
  const silent = (): void => {};
  return {
    debug: (msg: string) => {
      const m = /^(.*?):?\s*(\d+)\/(\d+)\s*$/.exec(msg);
      if (m) progress.update(m[1]!.trim(), Number(m[2]), Number(m[3]));
    },
    info: silent,
    warn: silent,
    error: silent,
  };
}
