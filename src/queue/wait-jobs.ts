/**
 * Waiting for enqueued jobs, for any job kind: polls the states of the jobs still open (one
 * query per poll, however many jobs), reads each finished job's output once and hands it to the
 * caller, who verifies and stores it. A database restart only makes a poll fail; the next one
 * goes on.
 */
import type PgBoss from 'pg-boss';
import { failureMessage, JobEnvelope, JobOutput, jobOutputs, JobState, jobStates } from './job-queue.js';

/** How one job ended. */
export type JobEnding<P, R> =
  | { readonly ok: true; readonly jobId: string; readonly payload: P; readonly result: R; readonly attempts: number }
  | {
      readonly ok: false;
      readonly jobId: string;
      readonly payload?: P;
      readonly error: string;
      readonly attempts: number;
    };

/** Options of {@link waitForJobs}. */
export interface WaitOptions<P, R> {
  /** Keep polling until every job has ended (false: one pass, collect what is done). */
  readonly wait: boolean;
  /** Milliseconds between polls (default 500). */
  readonly pollMs?: number;
  /** Called once per ended job, in the order they are seen. */
  readonly onEnded: (e: JobEnding<P, R>) => Promise<void>;
  /**
   * Called when polls start failing (e.g. the database is restarting): once per outage, not
   * once per poll; `onPollRecovered` is called when a poll succeeds again.
   */
  readonly onPollError?: (e: Error) => void;
  readonly onPollRecovered?: () => void;
  /** Called after each successful poll with how many of the open jobs wait and run. */
  readonly onPoll?: (open: OpenJobs) => void;
  /** Stops waiting: the jobs still open are returned as they are (nothing is cancelled). */
  readonly signal?: AbortSignal;
}

/** The jobs not ended yet, after a poll: waiting for a worker (or a retry), and running. */
export interface OpenJobs {
  readonly pending: number;
  readonly active: number;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => (clearTimeout(t), signal?.removeEventListener('abort', done), resolve());
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** How a job that left the open states ended, from its state and stored row. */
function ending<P, R>(
  id: string,
  s: JobState | undefined,
  row: { data: unknown; output: unknown } | undefined,
): JobEnding<P, R> {
  const attempts = s?.attempts ?? 0;
  const payload = (row?.data as JobEnvelope<P> | undefined)?.payload;
  const out = row?.output as JobOutput<R> | null | undefined;
  if (!s || !row)
    return {
      ok: false,
      jobId: id,
      error: 'job no longer in the queue (deleted by retention); submit it again',
      attempts,
    };
  if (s.state === 'completed' && out && out.ok === true)
    return { ok: true, jobId: id, payload: payload!, result: out.result, attempts };
  if (s.state === 'completed') return { ok: false, jobId: id, payload, error: failureMessage(out), attempts };
  if (s.state === 'cancelled') return { ok: false, jobId: id, payload, error: 'job was cancelled', attempts };
  return {
    ok: false,
    jobId: id,
    payload,
    error: `failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${failureMessage(out)}`,
    attempts,
  };
}

/** Waits for `ids` in queue `name`; returns the ids still open (empty when `wait`). */
export async function waitForJobs<P, R>(
  boss: PgBoss,
  name: string,
  ids: readonly string[],
  opts: WaitOptions<P, R>,
): Promise<string[]> {
  let open = [...ids];
  let failing = false;
  for (;;) {
    // Only the database calls are retried: an error from `onEnded` (the caller's own, say a full
    // disk) ends the wait instead of passing for an outage and handling the same job again.
    let endings: Array<JobEnding<P, R>> = [];
    try {
      const states = await jobStates(boss, name, open);
      if (failing) opts.onPollRecovered?.();
      failing = false;
      const ended = open.filter((id) => {
        const s = states.get(id);
        return !s || s.state === 'completed' || s.state === 'failed' || s.state === 'cancelled';
      });
      const outputs = ended.length > 0 ? await jobOutputs<P, R>(boss, name, ended) : new Map();
      endings = ended.map((id) => ending<P, R>(id, states.get(id), outputs.get(id)));
      const done = new Set(ended);
      open = open.filter((id) => !done.has(id));
      const active = open.filter((id) => states.get(id)?.state === 'active').length;
      opts.onPoll?.({ pending: open.length - active, active });
    } catch (e) {
      if (!failing) opts.onPollError?.(e as Error);
      failing = true;
    }
    for (const end of endings) await opts.onEnded(end);
    if (!opts.wait || open.length === 0 || opts.signal?.aborted) return open;
    await pause(opts.pollMs ?? 500, opts.signal);
    if (opts.signal?.aborted) return open;
  }
}
