/**
 * `zkinfer accuracy BUILD --dataset … --queue URL`: the accuracy proof with its chunks proven by
 * `zkinfer worker` processes (src/queue/queue-accuracy.ts). Ctrl-C stops waiting and says how to
 * go on: the jobs stay queued, workers go on proving them, and rerunning the same command collects
 * them and writes the claim.
 */
import { UserError } from '../core/errors.js';
import { createProgressReporter, type BatchProgress } from '../runtime/progress.js';
import { checkQueueUrl, redactUrl } from '../queue/job-queue.js';
import { type EnqueuedChunks, type QueueAccuracyResult, submitAccuracy } from '../queue/queue-accuracy.js';
import type { AccuracySummary } from '../accuracy/prove-accuracy.js';
import type { QueueAccuracyRoute } from '../audit/gate.js';
import { provenSoFar, signalExitCode, withInterruptHandler } from './interrupt.js';
import { printJson } from './options.js';
import { info, warn } from './output.js';

const err = (s: string): void => void process.stderr.write(s + '\n');

/** Flags of `accuracy … --queue URL`. */
export interface QueueAccuracyFlags {
  readonly dataset: string;
  readonly out: string;
  readonly queue: string;
  readonly chunk?: number;
  readonly workers?: number;
  readonly opening?: string;
  readonly ptau?: string;
  readonly force?: boolean;
  readonly jobTimeout?: number;
  readonly json?: boolean;
}

function enqueuedLine(b: EnqueuedChunks): string {
  const earlier = b.created < b.jobs ? ` (${b.jobs - b.created} already there from an earlier run)` : '';
  const reused = b.reused > 0 ? `; ${b.reused} chunk proofs reused from the output directory` : '';
  if (b.jobs === 0) return `all ${b.chunks} chunks already proven${reused}`;
  return `enqueued ${b.jobs} chunk jobs on ${b.location}${earlier}${reused}; waiting for \`zkinfer worker\` processes`;
}

/** Runs the queue route and reports it; `print` writes the local route's summary lines. */
export async function queueAccuracyCommand(
  dir: string,
  f: QueueAccuracyFlags,
  print: (s: AccuracySummary) => void,
): Promise<void> {
  checkQueueUrl(f.queue);
  if (f.workers !== undefined)
    throw new UserError(
      '--workers applies to local proving; with --queue, start `zkinfer worker BUILD --queue URL` processes instead',
    );
  if (f.jobTimeout !== undefined && f.jobTimeout < 1)
    throw new UserError(`--job-timeout must be at least 1 second, got ${f.jobTimeout}`);
  const progress = f.json ? undefined : createProgressReporter({ unit: 'chunks' });
  const abort = new AbortController();
  let last: BatchProgress | undefined;
  let enqueued = false;
  let stoppedBy: NodeJS.Signals | undefined;
  let res: QueueAccuracyResult;
  try {
    res = await withInterruptHandler(
      (signal, count) => {
        progress?.finish();
        if (!enqueued || count > 1) {
          err('interrupted; rerun the same command to resume (chunk proofs already written are kept)');
          process.exit(signalExitCode(signal));
        }
        err(`interrupted: ${provenSoFar(last)} chunks; the jobs stay in the queue and workers go on proving them`);
        err('rerun the same command to collect them and write the claim');
        stoppedBy = signal;
        abort.abort();
      },
      () =>
        submitAccuracy({
          buildDir: dir,
          dataset: f.dataset,
          outDir: f.out,
          url: f.queue,
          chunkSize: f.chunk,
          opening: f.opening,
          ptauPath: f.ptau,
          force: f.force,
          ...(f.jobTimeout !== undefined ? { delivery: { expireInSeconds: f.jobTimeout } } : {}),
          signal: abort.signal,
          onProgress: f.json ? undefined : (m) => (progress ? progress.log(m) : info(m)),
          onWarning: warn,
          onNotice: (m) => (progress ? progress.log(m) : err(m)),
          onEnqueued: (b) => {
            enqueued = true;
            const line = enqueuedLine(b);
            if (progress) progress.log(line);
          },
          onChunk: (p) => {
            last = p;
            progress?.update(p);
          },
          onWaiting: (o) =>
            progress?.status(o.active + o.pending > 0 ? `${o.active} active, ${o.pending} waiting for a worker` : ''),
        }),
    );
  } finally {
    progress?.finish();
  }
  report(res, f, print, stoppedBy);
}

function report(
  res: QueueAccuracyResult,
  f: QueueAccuracyFlags,
  print: (s: AccuracySummary) => void,
  stoppedBy: NodeJS.Signals | undefined,
): void {
  const queue = { batchId: res.batchId, queue: res.queue, url: redactUrl(f.queue), reused: res.reused };
  if (res.summary) {
    if (f.json) return printJson({ ...res.summary, queue });
    return print(res.summary);
  }
  for (const x of res.failed) err(`failed: ${x.error}`);
  const why =
    res.failed.length > 0
      ? `${res.failed.length} of ${res.chunks} chunks failed; no claim written, rerun the same command to prove them again`
      : `${res.pending} of ${res.chunks} chunks still in the queue; no claim written yet, rerun the same command to collect them`;
  process.exitCode = stoppedBy ? signalExitCode(stoppedBy) : 1;
  if (f.json)
    return printJson(
      { ...queue, chunks: res.chunks, proved: res.proved, failed: res.failed, pending: res.pending },
      { failure: why },
    );
  err(`zkinfer: ${why}`);
}

/**
 * The gate's queue route (config field `queue`): the same submitter, waiting until every chunk is
 * proven; failed chunks are the gate's error, named, and a rerun of the gate proves them again.
 */
export const gateQueueRoute: QueueAccuracyRoute = async (opts, url) => {
  const { workers: _local, ...rest } = opts;
  const res = await submitAccuracy({ ...rest, url });
  if (res.summary) return res.summary;
  const first = res.failed[0];
  throw new UserError(
    `accuracy on the queue: ${res.failed.length} of ${res.chunks} chunks failed${first ? ` (${first.error})` : ''}; rerun the gate to prove them again`,
  );
};
