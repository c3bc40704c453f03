/**
 * The job kinds a queue worker can run, by name. A kind is one function that runs in a worker
 * thread of `zkinfer worker` with the worker's build directory and one job's payload, and
 * returns the result that travels back through the queue (keep it to a few hundred KB: it is
 * stored as jsonb).
 *
 * Adding a kind (as `accuracy-chunk` was, chunk-job.ts) takes three steps:
 * 1. write `run(ctx, payload)` (throw {@link UserError} for a bad payload: the job then fails at
 *    once with that line; any other error is retried, at most `retryLimit` times);
 * 2. add it to {@link JOB_KINDS} below (workers then poll its queue too);
 * 3. on the submitting side, call `enqueueJobs(boss, 'your-kind', keyHash, specs)` and read
 *    results with `jobStates` / `jobOutputs` (src/queue/job-queue.ts), or reuse
 *    `waitForJobs` (src/queue/wait-jobs.ts), verifying whatever comes back before trusting it.
 */
import type { JobKind } from './job-kind.js';
import { proveJobKind } from './prove-job.js';
import { chunkJobKind } from './chunk-job.js';

/**
 * A job that does nothing and echoes its payload: what the bench uses to measure the queue's
 * own cost per job (fetch, thread hand-off, storing the result), separate from proving.
 */
export const noopJobKind: JobKind<unknown, { echo: unknown }> = {
  kind: 'noop',
  label: () => 'noop',
  run: async (_ctx, payload) => ({ result: { echo: payload }, line: 'nothing to do' }),
};

/** Every kind a worker serves, by name. */
export const JOB_KINDS: Readonly<Record<string, JobKind<unknown, unknown>>> = {
  [proveJobKind.kind]: proveJobKind,
  [noopJobKind.kind]: noopJobKind,
  [chunkJobKind.kind]: chunkJobKind as JobKind<unknown, unknown>,
};
