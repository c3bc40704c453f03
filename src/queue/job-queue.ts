/**
 * The generic job queue on Postgres, built on pg-boss (SKIP LOCKED fetching, retries, expiry of
 * jobs whose worker died). zkinfer adds three things on top:
 *
 * - one queue per job kind AND verification key (`zkinfer_<kind>_<vkey hash>`), so a worker only
 *   ever fetches jobs for the key it holds;
 * - deterministic job ids (a UUID derived from kind + key hash + the job's own key, e.g. the hash
 *   of the quantized input), so enqueueing the same work twice — a rerun, a second submitter —
 *   finds the existing job instead of proving again;
 * - batches: a small manifest table (`zkinfer.queue_batch`) naming the jobs of one submission, so
 *   `queue status` / `queue collect` can find them later from any machine.
 *
 * Results travel back in the job's output (pg-boss stores it as jsonb), so workers need no
 * shared disk.
 */
// A type only at load time: pg-boss (and pg) load on the first connection, so commands that never
// touch a queue (and `prove --queue`'s flag checks) do not pay for them at start-up.
import type PgBoss from 'pg-boss';
import { sha256Hex } from '../core/hash.js';
import { UserError } from '../core/errors.js';
import { ensureBatchTable } from './batch-manifest.js';

/** pg-boss's schema (its default); zkinfer's own batch table lives in schema `zkinfer`. */
const BOSS_SCHEMA = 'pgboss';

/** What every job carries: its kind, the key hash it must be proven with, and the kind's payload. */
export interface JobEnvelope<P = unknown> {
  readonly kind: string;
  readonly keyHash: string;
  readonly payload: P;
}

/**
 * What a worker stores as a completed job's output. `ok: false` is a final failure that retrying
 * cannot fix (a bad input): the job is completed with the error so nobody proves it again.
 */
export type JobOutput<R = unknown> =
  { readonly ok: true; readonly result: R } | { readonly ok: false; readonly error: string };

/** Delivery settings of enqueued jobs. */
export interface JobDelivery {
  /** Seconds a worker may hold a job before it counts as dead and the job is retried (default 600). */
  readonly expireInSeconds?: number;
  /** Retries after the first attempt (default 2: a job is tried at most 3 times, then reported failed). */
  readonly retryLimit?: number;
  /** Seconds before a failed attempt is retried (default 1). */
  readonly retryDelaySeconds?: number;
}

/** Options of {@link connectQueue}. */
export interface QueueConnectOptions {
  /** A Postgres connection URL, `postgres://user:password@host:port/database`. */
  readonly url: string;
  /**
   * How often this client runs pg-boss maintenance (expiring jobs of dead workers, archiving),
   * in seconds (default 10). Any one connected client doing it is enough.
   */
  readonly maintenanceIntervalSeconds?: number;
  /** Connection pool size (default 4). */
  readonly poolSize?: number;
  /** Called on connection errors (e.g. the database restarted); pg-boss reconnects by itself. */
  readonly onError?: (e: Error) => void;
  /** Seconds to wait for a server that is down or restarting (default {@link CONNECT_RETRY_SECONDS}). */
  readonly retrySeconds?: number;
}

/** A URL without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/^(\w+:\/\/[^:/@]*):[^@]*@/, '$1:***@');
}

/**
 * Refuses anything but a postgres:// (or postgresql://) URL with one line, before any work is
 * done: callers check it first, so `--queue mysql://…` never waits for inputs to be read.
 */
export function checkQueueUrl(url: string): void {
  if (!/^postgres(ql)?:\/\//i.test(url))
    throw new UserError(
      `--queue ${redactUrl(url)}: expected a postgres:// URL (postgres://user:password@host:port/database)`,
    );
}

/** Where a queue URL points, for messages: `host:port/database`, never the user or password. */
export function queueLocation(url: string): string {
  try {
    const u = new URL(url);
    const db = decodeURIComponent(u.pathname.replace(/^\//, '')) || '(default database)';
    return `${u.host || 'localhost'}/${db}`;
  } catch {
    return redactUrl(url);
  }
}

/** Errors of a server that is down, shutting down or starting up: worth a retry. */
const RESTARTING = new Set(['57P01', '57P02', '57P03', 'ECONNRESET', 'ECONNREFUSED']);

/** Seconds {@link connectQueue} waits for a server that is down or restarting. */
export const CONNECT_RETRY_SECONDS = 15;

/**
 * Connects to the queue database, installing or migrating pg-boss's schema when needed. A
 * server that is down or restarting is waited for (up to {@link CONNECT_RETRY_SECONDS}, saying
 * so once through `onError`); anything else (bad password, unknown host) fails at once.
 */
export async function connectQueue(opts: QueueConnectOptions): Promise<PgBoss> {
  checkQueueUrl(opts.url);
  const budget = opts.retrySeconds ?? CONNECT_RETRY_SECONDS;
  const end = Date.now() + budget * 1000;
  let retried = false;
  for (;;) {
    try {
      return await connectOnce(opts);
    } catch (e) {
      const code = (e as { code?: string }).code ?? '';
      const reason = code || (e as Error).message.split('\n')[0];
      if (!RESTARTING.has(code))
        throw new UserError(`--queue ${redactUrl(opts.url)}: cannot use the queue database (${reason})`);
      if (Date.now() >= end)
        throw new UserError(
          `--queue ${redactUrl(opts.url)}: queue database not reachable (${reason}) after retrying for ${budget} s; is Postgres running there?`,
        );
      // One line for the whole wait: a retry every 500 ms is not news.
      if (!retried)
        opts.onError?.(new Error(`${queueLocation(opts.url)} not reachable (${code}); retrying for up to ${budget} s`));
      retried = true;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function connectOnce(opts: QueueConnectOptions): Promise<PgBoss> {
  const { default: PgBossClass } = await import('pg-boss');
  const boss = new PgBossClass({
    connectionString: opts.url,
    schema: BOSS_SCHEMA,
    schedule: false,
    max: opts.poolSize ?? 4,
    maintenanceIntervalSeconds: opts.maintenanceIntervalSeconds ?? 10,
    // Results must stay collectable for a while after a submitter went away.
    archiveCompletedAfterSeconds: 7 * 24 * 3600,
    application_name: 'zkinfer',
  });
  // An EventEmitter without an error listener would crash the process on a dropped connection.
  // Errors while starting are thrown by start() itself (and retried by connectQueue): reporting
  // them here too would print each failed attempt twice.
  let started = false;
  boss.on('error', (e: Error) => void (started && opts.onError?.(e)));
  try {
    await boss.start();
    await ensureBatchTable(boss);
    started = true;
  } catch (e) {
    await boss.stop({ graceful: false }).catch(() => undefined);
    throw e;
  }
  return boss;
}

/** Stops a connection; jobs this client is still working on are left to expire. */
export async function disconnectQueue(boss: PgBoss): Promise<void> {
  await boss.stop({ graceful: false, wait: true, close: true }).catch(() => undefined);
}

/** The queue of one job kind for one verification key. */
export function queueName(kind: string, keyHash: string): string {
  if (!/^[a-z][a-z0-9-]*$/.test(kind))
    throw new Error(`job kind "${kind}" must be lower-case letters, digits and hyphens`);
  if (!/^[0-9a-f]{64}$/.test(keyHash)) throw new Error(`key hash "${keyHash}" is not a sha256 hex digest`);
  return `zkinfer_${kind}_${keyHash}`;
}

/** Postgres's deadlock_detected: the server aborted this transaction to let another finish. */
const DEADLOCK = '40P01';

/**
 * Creates the queue of `kind` for `keyHash` if it does not exist yet.
 *
 * pg-boss 10 creates a queue without its advisory lock: `create_queue()` inserts the queue row,
 * then creates the queue's partition with a foreign key to that table, which needs a lock that
 * conflicts with the other inserter's row lock. Two clients creating queues at once (two workers
 * starting together, or one worker creating its `prove` and `noop` queues) can therefore
 * deadlock; Postgres aborts one of them with 40P01 after deadlock_timeout. The survivor's queue
 * then exists, so the loser simply asks again.
 */
export async function ensureQueue(boss: PgBoss, kind: string, keyHash: string): Promise<string> {
  const name = queueName(kind, keyHash);
  for (let attempt = 1; !(await boss.getQueue(name)); attempt++) {
    try {
      await boss.createQueue(name);
    } catch (e) {
      // Another client created it between our check and our insert: the loop's check sees it.
      if ((e as { code?: string }).code === DEADLOCK && attempt < 5) {
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 200));
        continue;
      }
      if (!(await boss.getQueue(name))) throw e;
    }
  }
  return name;
}

/** The job id of a piece of work: the same kind, key and job key always give the same UUID. */
export function jobIdFor(kind: string, keyHash: string, jobKey: string): string {
  const h = sha256Hex('zkinfer-job\0', kind, '\0', keyHash, '\0', jobKey);
  // Shaped like a version-5 (name-based) UUID, which is what Postgres's uuid column accepts.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** One job to enqueue. */
export interface JobSpec<P> {
  /** What makes this job unique within its kind and key (e.g. a hash of the input). */
  readonly jobKey: string;
  readonly payload: P;
}

/** The outcome of enqueueing one {@link JobSpec}. */
export interface EnqueuedJob<P> {
  readonly jobId: string;
  /** False when the job already existed (enqueued before, by anyone): nothing new will be proven. */
  readonly created: boolean;
  /** The payload the queue holds: the existing job's, when it already existed. */
  readonly payload: P;
}

const CHUNK = 500;

/**
 * Enqueues jobs of `kind` for `keyHash`, idempotently: a job whose id exists (pending, done or
 * archived) is not added again, and its stored payload is returned instead.
 */
export async function enqueueJobs<P>(
  boss: PgBoss,
  kind: string,
  keyHash: string,
  specs: readonly JobSpec<P>[],
  delivery: JobDelivery = {},
): Promise<EnqueuedJob<P>[]> {
  const name = await ensureQueue(boss, kind, keyHash);
  const out: EnqueuedJob<P>[] = [];
  for (let at = 0; at < specs.length; at += CHUNK) {
    const chunk = specs.slice(at, at + CHUNK).map((s) => ({ ...s, jobId: jobIdFor(kind, keyHash, s.jobKey) }));
    const ids = chunk.map((c) => c.jobId);
    const existing = await storedPayloads<P>(boss, name, ids);
    const fresh = chunk.filter((c) => !existing.has(c.jobId));
    if (fresh.length > 0) {
      await boss.insert(
        fresh.map((c) => ({
          id: c.jobId,
          name,
          data: { kind, keyHash, payload: c.payload } satisfies JobEnvelope<P>,
          expireInSeconds: delivery.expireInSeconds ?? 600,
          retryLimit: delivery.retryLimit ?? 2,
          retryDelay: delivery.retryDelaySeconds ?? 1,
        })),
      );
    }
    // Another submitter may have inserted some of them in between: read back what the queue holds.
    const stored = fresh.length > 0 ? await storedPayloads<P>(boss, name, ids) : existing;
    for (const c of chunk) {
      const p = stored.get(c.jobId);
      if (p === undefined) throw new Error(`job ${c.jobId} was not stored in queue ${name}`);
      out.push({ jobId: c.jobId, created: !existing.has(c.jobId), payload: p });
    }
  }
  return out;
}

async function storedPayloads<P>(boss: PgBoss, name: string, ids: string[]): Promise<Map<string, P>> {
  const sql = `SELECT id::text, data FROM ${BOSS_SCHEMA}.job WHERE name = $1 AND id = ANY($2::uuid[])
    UNION ALL SELECT id::text, data FROM ${BOSS_SCHEMA}.archive WHERE name = $1 AND id = ANY($2::uuid[])`;
  const { rows } = await boss.getDb().executeSql(sql, [name, ids]);
  return new Map(rows.map((r: { id: string; data: JobEnvelope<P> }) => [r.id, r.data.payload]));
}

/**
 * Deletes jobs from the queue and from pg-boss's archive (where finished jobs move after a
 * while): `deleteJob` alone leaves the archived row, which an idempotent re-enqueue would then
 * find and adopt instead of adding the job afresh.
 */
export async function removeJobs(boss: PgBoss, name: string, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  for (const table of ['job', 'archive'])
    await boss
      .getDb()
      .executeSql(`DELETE FROM ${BOSS_SCHEMA}.${table} WHERE name = $1 AND id = ANY($2::uuid[])`, [name, ids]);
}

/** Where a job stands. `done`: completed (with an ok or final-error output); `failed`: out of retries. */
export interface JobState {
  readonly jobId: string;
  readonly state: 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed';
  /** Attempts started so far. */
  readonly attempts: number;
  readonly retryLimit: number;
}

/** States of the given jobs of one queue (a missing id is a job deleted by retention). */
export async function jobStates(boss: PgBoss, name: string, ids: readonly string[]): Promise<Map<string, JobState>> {
  const cols = 'id::text AS id, state::text AS state, retry_count, retry_limit, started_on IS NOT NULL AS started';
  const sql = `SELECT ${cols} FROM ${BOSS_SCHEMA}.job WHERE name = $1 AND id = ANY($2::uuid[])
    UNION ALL SELECT ${cols} FROM ${BOSS_SCHEMA}.archive WHERE name = $1 AND id = ANY($2::uuid[])`;
  const { rows } = await boss.getDb().executeSql(sql, [name, ids]);
  const out = new Map<string, JobState>();
  for (const r of rows as Array<{
    id: string;
    state: JobState['state'];
    retry_count: number;
    retry_limit: number;
    started: boolean;
  }>) {
    // pg-boss counts retries, not attempts: the first attempt leaves retry_count at 0.
    out.set(r.id, {
      jobId: r.id,
      state: r.state,
      attempts: r.started ? r.retry_count + 1 : 0,
      retryLimit: r.retry_limit,
    });
  }
  return out;
}

/** The stored envelope and output of finished jobs. */
export async function jobOutputs<P, R>(
  boss: PgBoss,
  name: string,
  ids: readonly string[],
): Promise<Map<string, { data: JobEnvelope<P>; output: JobOutput<R> | { value?: { message?: string } } | null }>> {
  const cols = 'id::text AS id, data, output';
  const sql = `SELECT ${cols} FROM ${BOSS_SCHEMA}.job WHERE name = $1 AND id = ANY($2::uuid[])
    UNION ALL SELECT ${cols} FROM ${BOSS_SCHEMA}.archive WHERE name = $1 AND id = ANY($2::uuid[])`;
  const { rows } = await boss.getDb().executeSql(sql, [name, ids]);
  return new Map(
    rows.map((r: { id: string; data: JobEnvelope<P>; output: JobOutput<R> | null }) => [
      r.id,
      { data: r.data, output: r.output },
    ]),
  );
}

/** One line out of a failed job's output, whatever shape pg-boss or the worker gave it. */
export function failureMessage(output: unknown): string {
  const o = output as { ok?: boolean; error?: string; message?: string; value?: { message?: string } } | null;
  const msg = o?.error ?? o?.message ?? o?.value?.message ?? (o ? JSON.stringify(o) : 'no error recorded');
  return String(msg).split('\n')[0]!;
}
