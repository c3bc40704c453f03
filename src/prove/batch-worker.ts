/**
 * The tinypool worker of batch proving. Each worker thread loads the build directory (proving
 * key, r1cs, model) once and keeps it; every task reads one input, checks whether a valid bundle
 * already exists, and otherwise computes the witness, proves and writes the bundle atomically —
 * so all per-input work, file I/O included, runs in parallel across workers.
 */
import { restoreWorkerData } from './web-worker-guard.js';
import { existsSync } from 'node:fs';
import { artifactPath } from '../artifacts.js';
import { verifyBundle } from '../verify/verify-bundle.js';
import { BatchInput, readBatchInput } from './batch-inputs.js';
import { createProver, Prover, shutdown, useSingleThreadCurve, writeBundle } from './prover.js';

/** One unit of work sent to a worker. */
export interface BatchTask {
  readonly buildDir: string;
  readonly item: BatchInput;
  readonly bundlePath: string;
  /** Compare the proven output with onnxruntime's float output. */
  readonly fidelity: boolean;
}

/** What a worker reports for one task; errors come back as data, so one bad input never aborts the pool. */
export interface BatchTaskResult {
  readonly status: 'proved' | 'skipped' | 'failed';
  readonly prediction?: number;
  readonly error?: string;
}

restoreWorkerData();

let cached: { key: string; prover: Prover } | undefined;

function proverFor(task: BatchTask): Prover {
  const key = `${task.buildDir}\0${task.fidelity}`;
  if (cached?.key !== key) cached = { key, prover: createProver({ buildDir: task.buildDir, fidelity: task.fidelity, singleThread: true }) };
  return cached.prover;
}

async function existingValid(task: BatchTask): Promise<number | undefined> {
  if (!existsSync(task.bundlePath)) return undefined;
  // Verification goes through snarkjs too; it must find the single-threaded curve, not start the multi-threaded one.
  await useSingleThreadCurve();
  try {
    const report = await verifyBundle({ bundlePath: task.bundlePath, vkeyPath: artifactPath(task.buildDir, 'vkey') });
    return report.valid ? report.prediction : undefined;
  } catch {
    // Unreadable or not JSON (a truncated file): prove it again.
    return undefined;
  }
}

/** Proves one batch item, or skips it when its bundle already exists and verifies. */
export async function proveItem(task: BatchTask): Promise<BatchTaskResult> {
  try {
    const prover = proverFor(task);
    const skipped = await existingValid(task);
    if (skipped !== undefined) return { status: 'skipped', prediction: skipped };
    const input = readBatchInput(task.item, prover.model.input);
    const bundle = await prover.prove(input, { source: task.item.source });
    writeBundle(task.bundlePath, bundle);
    return { status: 'proved', prediction: bundle.prediction };
  } catch (e) {
    const line = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
    // Input errors already start with the input's name; anything else gets it, so every failure line says which input.
    return { status: 'failed', error: line.startsWith(task.item.source) ? line : `${task.item.source}: ${line}` };
  }
}

/** Tinypool calls this on `destroy()`: releases the curve and the loaded keys so the thread can exit. */
export async function teardown(): Promise<void> {
  cached = undefined;
  await shutdown();
}
