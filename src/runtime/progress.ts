/**
 * Progress of a batch on stderr: on a terminal a bar redrawn in place (done/total, proofs per
 * second, ETA); elsewhere (CI logs, pipes) plain lines, at most one per interval or per 10% of
 * the items, so logs stay short.
 */

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
  const extra = [p.skipped ? `${p.skipped} skipped` : '', p.failed ? `${p.failed} failed` : ''].filter(Boolean).join(', ');
  const tail = p.done < p.total ? ` ETA ${formatSeconds(eta(p))}` : ` in ${formatSeconds(p.seconds)}`;
  return `${p.done}/${p.total} (${pct}%) ${rate(p).toFixed(2)} proofs/s${tail}${extra ? `, ${extra}` : ''}`;
}

/** Creates a reporter for a terminal bar or plain periodic lines. */
export function createProgressReporter(opts: ProgressReporterOptions = {}): ProgressReporter {
  const stream = opts.stream ?? process.stderr;
  const tty = opts.tty ?? Boolean(stream.isTTY);
  const intervalMs = opts.intervalMs ?? 5000;
  let lastLineAt = 0;
  let lastDecile = 0;
  let drawn = false;
  let last: BatchProgress | undefined;
  return {
    update(p) {
      last = p;
      if (tty) {
        const width = 24;
        const filled = p.total > 0 ? Math.round((width * p.done) / p.total) : width;
        // \r + erase-to-end-of-line redraws in place without scrolling the terminal.
        stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${formatProgress(p)}\x1b[K`);
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
