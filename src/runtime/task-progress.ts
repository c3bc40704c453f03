/**
 * Progress of one long task (hashing a ptau file, a phase-2 contribution, a verification) on
 * stderr. On a terminal a line redrawn in place; elsewhere nothing, so logs and the JSON
 * output of scripts stay clean.
 */

/** Receives progress of one task. */
export interface TaskProgress {
  /** `done` of `total` units of the current step, e.g. bytes hashed or points processed. */
  update(step: string, done: number, total: number): void;
  /** Ends the line. */
  finish(): void;
}

/** A reporter drawing on `stream` when it is a terminal (or `tty` says so), silent otherwise. */
export function createTaskProgress(label: string, opts: { stream?: NodeJS.WriteStream; tty?: boolean } = {}): TaskProgress {
  const stream = opts.stream ?? process.stderr;
  const tty = opts.tty ?? Boolean(stream.isTTY);
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
      stream.write(`\r${label}: ${step} ${pct}% (${secs} s)\x1b[K`);
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
export function snarkjsProgressLogger(progress: TaskProgress): Record<'debug' | 'info' | 'warn' | 'error', (msg: string) => void> {
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
