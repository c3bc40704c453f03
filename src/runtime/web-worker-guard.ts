/**
 * Must be the first import of a worker-thread entry that loads snarkjs. snarkjs's ffjavascript
 * loads the `web-worker` package, which, evaluated in any worker thread, assumes it is one of
 * its own web-worker threads: it reads `{ mod }` from worker_threads' workerData and require()s
 * it. Under tinypool `mod` is undefined, so it prints a TypeError stack to stderr (the same
 * confusion is why snarkjs's multi-threaded curve cannot start inside a worker thread). While it
 * loads we hand it an empty `data:` script instead; {@link restoreWorkerData} puts the real
 * workerData back. Tinypool is unaffected: it read its workerData through its own ESM import.
 */
import { createRequire } from 'node:module';

const threads = createRequire(import.meta.url)('node:worker_threads') as { isMainThread: boolean; workerData: unknown };
const original = threads.workerData;
if (!threads.isMainThread) threads.workerData = { mod: 'data:,', name: 'zkinfer-worker' };

/** Puts worker_threads' real workerData back, once `web-worker` has been evaluated. */
export function restoreWorkerData(): void {
  threads.workerData = original;
}
