/**
 * worker_threads entry of the development setup: owns one {@link FixedBaseEngine}, builds its
 * window tables as soon as it starts (while the main thread is still evaluating the QAP), then
 * turns each batch of scalars it receives into affine points.
 *
 * Protocol: workerData `{ wasm, g1Count, g2Count }` carries the curve code and sizes the tables; the worker posts `{ ready: true }`
 * once they exist. Each request `{ id, group, scalars }` is answered with `{ id, points }` (the
 * buffer is transferred) or `{ id, error }`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FixedBaseEngine, type Bn128Wasm, type GroupName } from './fixed-base.js';

/** The compiled curve code plus the sizes the worker's tables are optimised for. */
export interface WorkerInit {
  readonly wasm: Bn128Wasm;
  readonly g1Count: number;
  readonly g2Count: number;
}

/** One multiplication batch. */
export interface WorkerRequest {
  readonly id: number;
  readonly group: GroupName;
  readonly scalars: Uint8Array;
}

/** The answer to a {@link WorkerRequest}, or the ready signal. */
export type WorkerReply =
  | { readonly ready: true }
  | { readonly id: number; readonly points: Uint8Array }
  | { readonly id: number; readonly error: string };

async function main(): Promise<void> {
  if (!parentPort) throw new Error('dev-setup-worker must run inside a worker thread');
  const port = parentPort;
  const init = workerData as WorkerInit;
  const engine = await FixedBaseEngine.create(init.wasm);
  if (init.g1Count > 0) engine.prepare('G1', init.g1Count);
  if (init.g2Count > 0) engine.prepare('G2', init.g2Count);
  port.on('message', (req: WorkerRequest) => {
    try {
      const points = engine.mulGenerator(req.group, req.scalars);
      const reply: WorkerReply = { id: req.id, points };
      port.postMessage(reply, [points.buffer as ArrayBuffer]);
    } catch (e) {
      const reply: WorkerReply = { id: req.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
      port.postMessage(reply);
    } finally {
      // The scalars are functions of the toxic waste; wipe this thread's copy.
      req.scalars.fill(0);
    }
  });
  const ready: WorkerReply = { ready: true };
  port.postMessage(ready);
}

await main();
