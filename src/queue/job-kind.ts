/**
 * What a job kind is: the contract between the registry (job-kinds.ts) and each kind's own file
 * (e.g. prove-job.ts). Kept apart so a kind's file never imports the registry that lists it.
 */

/** Context every job gets: the worker's build directory, and the directory of the keys its queue is for. */
export interface JobContext {
  readonly buildDir: string;
  /**
   * The keys the job's queue serves: `buildDir` itself for `prove`, `BUILD/accuracy/chunk-C` for an
   * accuracy chunk of C samples (the worker finds these directories; see queue-worker.ts).
   */
  readonly keyDir: string;
  /** The key hash of the job's queue: what the keys in `keyDir` must hash to. */
  readonly keyHash: string;
}

/** A job kind. `line` is what the worker prints for the finished job (after its name). */
export interface JobKind<P, R> {
  readonly kind: string;
  /** A short label for the job, for the worker's log line (e.g. the input's name). */
  label(payload: P): string;
  run(ctx: JobContext, payload: P): Promise<{ result: R; line: string }>;
}
