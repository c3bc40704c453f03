/**
 * `zkinfer worker`: a long-running process that takes jobs from the queue for the keys of its
 * build directory — the build's own key (`prove`) and its accuracy chunk keys (`accuracy-chunk`,
 * worker-keys.ts; chunk keys made after the worker started are picked up within
 * KEY_RESCAN_SECONDS, worker-rescan.ts) — and runs them on worker threads.
 *
 * Each of `concurrency` slots fetches one job at a time (pg-boss: SELECT … FOR UPDATE SKIP
 * LOCKED, so any number of workers on any number of machines never take the same job), runs it
 * on its own thread and stores the result as the job's output. If the process dies, its jobs
 * stay active until their expiry, then pg-boss hands them to another worker. When the database
 * goes away, fetching just finds nothing and storing a result is retried until the database is
 * back (pg's pool opens fresh connections), so a restart loses no work.
 */
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { availableParallelism } from 'node:os';
import type PgBoss from 'pg-boss';
import Tinypool from 'tinypool';
import { oneLine, UserError } from '../core/errors.js';
import { connectQueue, disconnectQueue, ensureQueue, JobEnvelope, JobOutput } from './job-queue.js';
import { JOB_KINDS } from './job-kinds.js';
import type { ThreadOutcome, ThreadTask } from './job-thread.js';
import { buildKey, chunkKeyCache, chunkKeys, wanted } from './worker-keys.js';
import { type RescanState, type ServedQueue, startRescans } from './worker-rescan.js';

/** Options of {@link startQueueWorker}. */
export interface QueueWorkerOptions {
  /** A build directory with keys: the worker proves for its vkey.json and its accuracy chunk keys only. */
  readonly buildDir: string;
  /** Postgres URL of the queue. */
  readonly url: string;
  /** Jobs run at once, one thread each (default: available cores). */
  readonly concurrency?: number;
  /** Seconds between polls of an empty queue (default 1). */
  readonly pollingIntervalSeconds?: number;
  /** pg-boss maintenance interval of this client, seconds (default 10). */
  readonly maintenanceIntervalSeconds?: number;
  /** Job kinds to serve (default: all of {@link JOB_KINDS}). */
  readonly kinds?: readonly string[];
  readonly onEvent?: (e: WorkerEvent) => void;
}

/** What the worker reports as it goes. */
export type WorkerEvent =
  | {
      readonly type: 'job';
      readonly kind: string;
      readonly jobId: string;
      readonly label: string;
      readonly status: 'done' | 'failed' | 'retry' | 'released' | 'discarded';
      readonly line: string;
      readonly seconds: number;
      readonly attempt: number;
    }
  | { readonly type: 'start'; readonly jobId: string; readonly label: string }
  | { readonly type: 'connection'; readonly message: string }
  /** A key directory found (or skipped) after the start: a new chunk key, or one that does not check out. */
  | { readonly type: 'keys'; readonly message: string };

/** Counts of a worker's jobs. */
export interface WorkerStats {
  /** Jobs completed with a result. */
  readonly done: number;
  /** Jobs completed with a final error (bad input) or failed for a retry. */
  readonly failed: number;
  /** Jobs handed back unfinished on a forced stop. */
  readonly released: number;
}

/** A running worker. */
export interface QueueWorker {
  /** The build's own key hash, or the first chunk key's when the build has no keys of its own. */
  readonly keyHash: string;
  /** The queues served (grows when new chunk keys appear). */
  readonly queues: readonly string[];
  /** Jobs running right now. */
  busy(): number;
  stats(): WorkerStats;
  /**
   * Stops taking jobs and waits for the running ones to finish; with `release`, aborts them
   * instead and hands them back to the queue (they count as one failed attempt).
   */
  stop(opts?: { release?: boolean }): Promise<WorkerStats>;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = (): void => (clearTimeout(t), resolve());
    const t = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

/** What the pieces of a running worker share. */
interface WorkerState extends RescanState {
  readonly pool: Tinypool;
  readonly emit: (e: WorkerEvent) => void;
  /** Running jobs by id, each with the controller that releases it. */
  readonly running: Map<string, AbortController>;
  readonly counts: { done: number; failed: number; released: number };
}

/** Retries a queue write while the database is unreachable, until the job would have expired anyway. */
async function settle(w: WorkerState, what: () => Promise<unknown>, deadline: number): Promise<number | undefined> {
  for (let delay = 250; ; delay = Math.min(delay * 2, 4000)) {
    try {
      // pg-boss 10 returns { affected } from complete/fail, though its typings say void.
      return ((await what()) as { affected: number }).affected;
    } catch (e) {
      if (Date.now() > deadline) return undefined;
      w.emit({
        type: 'connection',
        message: `queue database: ${(e as Error).message.split('\n')[0]} (retrying to store a result)`,
      });
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** Runs a job on a thread; `released` when a stopping worker aborted it. */
async function runOnThread(
  w: WorkerState,
  q: ServedQueue,
  job: PgBoss.JobWithMetadata<JobEnvelope>,
): Promise<ThreadOutcome | 'released'> {
  const env = job.data;
  const abort = new AbortController();
  w.running.set(job.id, abort);
  try {
    if (env?.keyHash !== q.keyHash || env?.kind !== q.kind) {
      return {
        ok: false,
        final: true,
        error: `job is a ${String(env?.kind)} job for key ${String(env?.keyHash).slice(0, 16)}…, this queue serves ${q.kind} for key ${q.keyHash.slice(0, 16)}…`,
        seconds: 0,
      };
    }
    const task: ThreadTask = {
      kind: env.kind,
      buildDir: w.buildDir,
      keyDir: q.keyDir,
      keyHash: q.keyHash,
      payload: env.payload,
    };
    return (await w.pool.run(task, { signal: abort.signal })) as ThreadOutcome;
  } catch (e) {
    if (abort.signal.aborted) return 'released';
    // The thread itself died (out of memory, native crash); tinypool replaces it.
    return {
      ok: false,
      final: false,
      error: `worker thread failed (${(e as Error).message.split('\n')[0]})`,
      seconds: 0,
    };
  } finally {
    w.running.delete(job.id);
  }
}

/** Stores a job's outcome: a result, a final error, or a failed attempt for pg-boss to retry. */
async function storeOutcome(
  w: WorkerState,
  queue: string,
  job: PgBoss.JobWithMetadata<JobEnvelope>,
  outcome: ThreadOutcome,
  deadline: number,
): Promise<{ affected?: number; status: 'done' | 'failed' | 'retry' }> {
  if (outcome.ok)
    return {
      affected: await settle(
        w,
        () => w.boss.complete(queue, job.id, { ok: true, result: outcome.result } satisfies JobOutput),
        deadline,
      ),
      status: 'done',
    };
  // Completed with the error: a bad input fails once, with its line, and is never retried.
  if (outcome.final)
    return {
      affected: await settle(
        w,
        () => w.boss.complete(queue, job.id, { ok: false, error: outcome.error } satisfies JobOutput),
        deadline,
      ),
      status: 'failed',
    };
  const affected = await settle(w, () => w.boss.fail(queue, job.id, { message: outcome.error }), deadline);
  return { affected, status: job.retryCount + 1 > job.retryLimit ? 'failed' : 'retry' };
}

/** Runs one fetched job and reports it. */
async function handle(w: WorkerState, q: ServedQueue, job: PgBoss.JobWithMetadata<JobEnvelope>): Promise<void> {
  const queue = q.queue;
  const env = job.data;
  // Own properties only: a job of kind "constructor" must not find Object's.
  const kind = typeof env?.kind === 'string' && Object.hasOwn(JOB_KINDS, env.kind) ? JOB_KINDS[env.kind] : undefined;
  // Labels come from the payload: one line, whatever a job's writer put there.
  const label = oneLine(kind ? String(kind.label(env.payload)) : String(env?.kind));
  const attempt = job.retryCount + 1;
  const deadline = Date.now() + Number(job.expireInSeconds) * 1000;
  w.emit({ type: 'start', jobId: job.id, label });
  const outcome = await runOnThread(w, q, job);
  if (outcome === 'released') {
    w.counts.released++;
    await settle(w, () => w.boss.fail(queue, job.id, { message: 'released by a stopping worker' }), deadline);
    w.emit({
      type: 'job',
      kind: String(env?.kind),
      jobId: job.id,
      label,
      status: 'released',
      line: 'released (stopping)',
      seconds: 0,
      attempt,
    });
    return;
  }
  const { affected, status } = await storeOutcome(w, queue, job, outcome, deadline);
  if (!affected) {
    w.emit({
      type: 'job',
      kind: String(env?.kind),
      jobId: job.id,
      label,
      status: 'discarded',
      line: 'result discarded: the job expired and went to another worker',
      seconds: outcome.seconds,
      attempt,
    });
    return;
  }
  if (status === 'done') w.counts.done++;
  else w.counts.failed++;
  const line = outcome.ok
    ? outcome.line
    : `${status === 'retry' ? 'failed, will be retried' : 'failed'}: ${outcome.error}`;
  w.emit({
    type: 'job',
    kind: String(env?.kind),
    jobId: job.id,
    label,
    status,
    line: oneLine(line),
    seconds: outcome.seconds,
    attempt,
  });
}

/** One fetch loop: takes a job from the first queue that has one, runs it, and again, until stopped. */
async function slot(w: WorkerState, pollingMs: number, stopping: AbortSignal): Promise<void> {
  while (!stopping.aborted) {
    let taken: { q: ServedQueue; job: PgBoss.JobWithMetadata<JobEnvelope> } | undefined;
    // A copy: a rescan may append queues while this pass fetches.
    for (const q of [...w.served]) {
      // pg-boss's fetch returns [] when the database is unreachable; the loop just polls again.
      const [job] = await w.boss.fetch<JobEnvelope>(q.queue, { batchSize: 1, includeMetadata: true });
      if (job) {
        taken = { q, job };
        break;
      }
    }
    if (!taken) {
      await sleep(pollingMs, stopping);
      continue;
    }
    // A stop requested while fetching: run it anyway (it is ours now), then leave.
    try {
      await handle(w, taken.q, taken.job);
    } catch (e) {
      // Whatever a job's data does to the worker, it fails that job, never the worker process.
      const message = `worker could not handle the job: ${oneLine((e as Error).message ?? String(e))}`;
      await w.boss.fail(taken.q.queue, taken.job.id, { message }).catch(() => undefined);
      w.emit({ type: 'connection', message: `job ${taken.job.id.slice(0, 8)}: ${message}` });
    }
  }
}

/** Connects, creates the queues of this build's keys if needed and starts the fetch loops. */
export async function startQueueWorker(opts: QueueWorkerOptions): Promise<QueueWorker> {
  if (!existsSync(opts.buildDir)) throw new UserError(`${opts.buildDir}: no such build directory`);
  const own = buildKey(opts.buildDir);
  const concurrency = opts.concurrency ?? availableParallelism();
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new UserError(`--concurrency must be a positive integer, got ${concurrency}`);
  const kinds = opts.kinds ?? Object.keys(JOB_KINDS);
  for (const k of kinds) if (!Object.hasOwn(JOB_KINDS, k)) throw new UserError(`unknown job kind "${k}"`);
  const keyCache = chunkKeyCache();
  const found = chunkKeys(opts.buildDir, keyCache);
  const initial = wanted(own, opts.buildDir, found.keys, kinds);
  if (initial.length === 0)
    throw new UserError(
      `${opts.buildDir}: no keys to serve (${relative('.', opts.buildDir) || '.'}/vkey.json from \`zkinfer setup\` for prove jobs, accuracy/chunk-C/ from \`zkinfer accuracy\` for accuracy-chunk jobs)`,
    );
  const emit = (e: WorkerEvent): void => opts.onEvent?.(e);
  let lastConnMessage = 0;
  const boss = await connectQueue({
    url: opts.url,
    maintenanceIntervalSeconds: opts.maintenanceIntervalSeconds,
    poolSize: concurrency + 2,
    onError: (e) => {
      // A restart produces a burst of identical errors; one line per 10 s is enough.
      if (Date.now() - lastConnMessage > 10_000)
        emit({ type: 'connection', message: `queue database: ${e.message.split('\n')[0]} (retrying)` });
      lastConnMessage = Date.now();
    },
  });
  // One at a time: concurrent queue creation can deadlock inside pg-boss (see ensureQueue).
  const served: ServedQueue[] = [];
  for (const k of initial) served.push({ ...k, queue: await ensureQueue(boss, k.kind, k.keyHash) });
  const pool = new Tinypool({
    filename: new URL('./job-thread.js', import.meta.url).href,
    name: 'runJob',
    teardown: 'teardown',
    minThreads: concurrency,
    maxThreads: concurrency,
  });
  const w: WorkerState = {
    buildDir: opts.buildDir,
    served,
    keyCache,
    boss,
    pool,
    emit,
    running: new Map(),
    counts: { done: 0, failed: 0, released: 0 },
  };
  const rescans = startRescans(w, kinds, found.skipped);
  const stopping = new AbortController();
  const loops = Promise.all(
    Array.from({ length: concurrency }, () => slot(w, (opts.pollingIntervalSeconds ?? 1) * 1000, stopping.signal)),
  );
  let stopped: Promise<WorkerStats> | undefined;
  return {
    keyHash: own ?? served[0]!.keyHash,
    get queues() {
      return served.map((q) => q.queue);
    },
    busy: () => w.running.size,
    stats: () => ({ ...w.counts }),
    stop(o = {}) {
      if (o.release) for (const a of w.running.values()) a.abort();
      stopped ??= (async () => {
        stopping.abort();
        await loops;
        await rescans.stop();
        await pool.destroy();
        await disconnectQueue(boss);
        return { ...w.counts };
      })();
      return stopped;
    },
  };
}
