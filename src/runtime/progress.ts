/**
 * Progress on stderr, one reporter module for the two shapes of long work:
 * - a batch of items (proofs): on a terminal a cli-progress bar redrawn in place (done/total,
 *   proofs per second, ETA); elsewhere (CI logs, pipes) plain lines, at most one per interval or
 *   per 10% of the items, so logs stay short ({@link createProgressReporter}, fed by
 *   {@link createBatchTally});
 * - one long task (hashing a ptau file, a phase-2 contribution, a verification): on a terminal a
 *   line redrawn in place; elsewhere nothing, so logs and the JSON output of scripts stay clean
 *   ({@link createTaskProgress}).
 * Whether a stream is a terminal, and whether --quiet silences them, is decided in one place:
 * src/runtime/terminal.ts. The task line is drawn with {@link redrawLine}.
 */
import cliProgress from 'cli-progress';
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
  /** Samples in the finished items, when an item holds several (accuracy chunks). */
  readonly samples?: { readonly done: number; readonly total: number };
}

/** What the items are, for the rate: proofs per second, or accuracy chunks per minute (a chunk takes seconds). */
export type ProgressUnit = 'proofs' | 'chunks';

/** Options of {@link createProgressReporter}. */
export interface ProgressReporterOptions {
  /** Where to draw (default process.stderr). */
  readonly stream?: NodeJS.WriteStream;
  /** Draw a bar redrawn in place (default: whether the stream is a terminal). */
  readonly tty?: boolean;
  /** What the items are (default 'proofs'). */
  readonly unit?: ProgressUnit;
  /** Minimum milliseconds between plain lines (default 5000). */
  readonly intervalMs?: number;
  /**
   * Off a terminal, milliseconds without any line after which a {@link ProgressReporter.status}
   * is printed (default 30000): a long wait shows up in a log now and then, not every poll.
   */
  readonly heartbeatMs?: number;
}

/** Receives progress snapshots and draws them; `finish()` ends the bar's line. */
export interface ProgressReporter {
  update(p: BatchProgress): void;
  /**
   * What the batch is waiting on (e.g. "1 active, 3 waiting for a worker"): shown after the
   * counts on a terminal; elsewhere printed with them when no line was printed for a while.
   */
  status(text: string): void;
  /** A message line (a notice) that does not break the bar. */
  log(line: string): void;
  /** Stops drawing; the terminal's cursor is then at the start of a fresh line. */
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

/**
 * One line describing `p`, without a bar: `12/32 (37%) 2.41 proofs/s ETA 8s, 1 failed`, or for
 * chunks `12/500 chunks (2%), 252/10000 samples, 14.2 chunks/min ETA 33m10s`.
 */
export function formatProgress(p: BatchProgress, unit: ProgressUnit = 'proofs'): string {
  const pct = p.total > 0 ? Math.floor((100 * p.done) / p.total) : 100;
  const extra = [p.skipped ? `${p.skipped} skipped` : '', p.failed ? `${p.failed} failed` : '']
    .filter(Boolean)
    .join(', ');
  const tail = p.done < p.total ? ` ETA ${formatSeconds(eta(p))}` : ` in ${formatSeconds(p.seconds)}`;
  if (unit === 'chunks') {
    const samples = p.samples ? `, ${p.samples.done}/${p.samples.total} samples` : '';
    return `${p.done}/${p.total} chunks (${pct}%)${samples}, ${(60 * rate(p)).toFixed(1)} chunks/min${tail}${extra ? `, ${extra}` : ''}`;
  }
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

/** Creates a reporter for a terminal bar (cli-progress) or plain periodic lines. */
export function createProgressReporter(opts: ProgressReporterOptions = {}): ProgressReporter {
  const stream = opts.stream ?? process.stderr;
  // --quiet: no progress at all; notices (log) still reach the user.
  if (isQuiet()) return quietReporter(stream);
  return (opts.tty ?? isInteractive(stream)) ? terminalReporter(stream, opts.unit) : lineReporter(stream, opts);
}

/** With --quiet: nothing drawn, no progress lines; notices (`log`) still printed. */
function quietReporter(stream: NodeJS.WriteStream): ProgressReporter {
  return {
    update() {},
    status() {},
    log: (line) => void stream.write(`${line}\n`),
    finish() {},
  };
}

/** A snapshot whose `seconds` runs on between updates, so the ETA of a long wait moves. */
function aged(p: BatchProgress, at: number): BatchProgress {
  return { ...p, seconds: p.seconds + (performance.now() - at) / 1000 };
}

/** The bar, redrawn in place by cli-progress (its timer refreshes the ETA between updates). */
function terminalReporter(stream: NodeJS.WriteStream, unit: ProgressUnit | undefined): ProgressReporter {
  let last: { p: BatchProgress; at: number; status: string } | undefined;
  const bars = new cliProgress.MultiBar({
    stream,
    fps: 4,
    barsize: 24,
    barCompleteChar: '#',
    barIncompleteChar: '-',
    hideCursor: null,
    // The commands handle Ctrl-C themselves (they print how to resume); see src/cli/interrupt.ts.
    gracefulExit: false,
    format: (options, params) => {
      const bar = (options.formatBar ?? cliProgress.Format.BarFormat)(params.progress, options);
      const l = last!;
      return `[${bar}] ${formatProgress(aged(l.p, l.at), unit)}${l.status ? `; ${l.status}` : ''}`;
    },
  });
  let bar: cliProgress.SingleBar | undefined;
  let finished = false;
  return {
    update(p) {
      // After finish() (e.g. on Ctrl-C, with the interrupt lines printed), results still arriving draw nothing.
      if (finished) return;
      last = { p, at: performance.now(), status: last?.status ?? '' };
      if (!bar) bar = bars.create(p.total, p.done);
      else bar.update(p.done);
    },
    status(text) {
      if (last) last = { ...last, status: text };
    },
    log(line) {
      if (bar) bars.log(`${line}\n`);
      else stream.write(`${line}\n`);
    },
    finish() {
      if (bar) bars.stop();
      bar = undefined;
      finished = true;
    },
  };
}

/** Plain lines: at most one per interval or per 10% of the items, and a heartbeat in long waits. */
function lineReporter(stream: NodeJS.WriteStream, opts: ProgressReporterOptions): ProgressReporter {
  const intervalMs = opts.intervalMs ?? 5000;
  const heartbeatMs = opts.heartbeatMs ?? 30_000;
  let lastLineAt = performance.now();
  let lastDecile = 0;
  let last: { p: BatchProgress; at: number } | undefined;
  let finished = false;
  const line = (text: string): void => {
    lastLineAt = performance.now();
    stream.write(`${text}\n`);
  };
  return {
    update(p) {
      if (finished) return;
      last = { p, at: performance.now() };
      const decile = p.total > 0 ? Math.floor((10 * p.done) / p.total) : 10;
      const milestone = p.done === p.total || decile > lastDecile;
      if (milestone || (p.done > 0 && performance.now() - lastLineAt >= intervalMs)) {
        lastDecile = decile;
        line(`progress ${formatProgress(p, opts.unit)}`);
      }
    },
    status(text) {
      if (last && performance.now() - lastLineAt >= heartbeatMs)
        line(`progress ${formatProgress(aged(last.p, last.at), opts.unit)}; ${text}`);
    },
    log: line,
    finish() {
      if (last && last.p.done < last.p.total) line(`progress ${formatProgress(aged(last.p, last.at), opts.unit)}`);
      last = undefined;
      finished = true;
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
