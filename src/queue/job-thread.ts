/**
 * The worker-thread side of `zkinfer worker`: runs one job of any registered kind. Errors come
 * back as data, marked final (a bad payload: retrying cannot help) or not (anything else: the
 * queue retries the job, possibly on another machine).
 */
import { restoreWorkerData } from '../runtime/web-worker-guard.js';
import { UserError } from '../core/errors.js';
import { shutdown } from '../runtime/curve.js';
import { JOB_KINDS } from './job-kinds.js';
import { releaseProveJobState } from './prove-job.js';
import { releaseChunkKeys } from '../accuracy/chunk-prover.js';

/** One job handed to a thread. */
export interface ThreadTask {
  readonly kind: string;
  readonly buildDir: string;
  /** The directory of the keys the job's queue is for (see JobContext). */
  readonly keyDir: string;
  readonly keyHash: string;
  readonly payload: unknown;
}

/** What a thread reports for one job. */
export type ThreadOutcome =
  | { readonly ok: true; readonly result: unknown; readonly line: string; readonly seconds: number }
  | { readonly ok: false; readonly final: boolean; readonly error: string; readonly seconds: number };

restoreWorkerData();

/** Runs one job. */
export async function runJob(task: ThreadTask): Promise<ThreadOutcome> {
  const t0 = performance.now();
  const seconds = (): number => (performance.now() - t0) / 1000;
  const kind = Object.hasOwn(JOB_KINDS, task.kind) ? JOB_KINDS[task.kind] : undefined;
  if (!kind)
    return {
      ok: false,
      final: true,
      error: `unknown job kind "${task.kind}" (this worker runs ${Object.keys(JOB_KINDS).join(', ')})`,
      seconds: seconds(),
    };
  try {
    const { result, line } = await kind.run(
      { buildDir: task.buildDir, keyDir: task.keyDir, keyHash: task.keyHash },
      task.payload,
    );
    return { ok: true, result, line, seconds: seconds() };
  } catch (e) {
    const error = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
    return { ok: false, final: e instanceof UserError, error, seconds: seconds() };
  }
}

/** Tinypool calls this on `destroy()`: releases keys and the curve so the thread can exit. */
export async function teardown(): Promise<void> {
  releaseProveJobState();
  releaseChunkKeys();
  await shutdown();
}
