/**
 * A pool of worker threads for a stage's per-item work (batch proofs, accuracy chunks). Each
 * worker module keeps its keys loaded between tasks and exports `teardown`, called on destroy to
 * release them and the curve so the threads can exit.
 */
import Tinypool from 'tinypool';

/** Options of {@link withWorkerPool}. */
export interface WorkerPoolOptions {
  /** The worker module (its URL, e.g. `new URL('./batch-worker.js', import.meta.url)`). */
  readonly filename: URL;
  /** The exported function each task calls. */
  readonly name: string;
  /** Threads, all started up front (the keys load once per thread). */
  readonly workers: number;
}

/** Runs tasks on the pool's threads. */
export interface WorkerPool<T, R> {
  /**
   * Runs one task. Workers report errors as data; a worker that dies (out of memory, native
   * crash) is replaced by the pool and its task yields `onCrash(error)`, so the batch goes on.
   */
  run(task: T, onCrash: (e: Error) => R): Promise<R>;
}

/** Starts a pool, hands it to `body` and destroys it afterwards, whatever `body` does. */
export async function withWorkerPool<T, R, X>(
  opts: WorkerPoolOptions,
  body: (pool: WorkerPool<T, R>) => Promise<X>,
): Promise<X> {
  const pool = new Tinypool({
    filename: opts.filename.href,
    name: opts.name,
    teardown: 'teardown',
    minThreads: opts.workers,
    maxThreads: opts.workers,
  });
  try {
    return await body({ run: (task, onCrash) => (pool.run(task) as Promise<R>).catch((e: Error) => onCrash(e)) });
  } finally {
    await pool.destroy();
  }
}

/** The first line of an error's message, as failure lines show it. */
export function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}
