/**
 * The tinypool worker of batch proving. Each worker thread loads the build directory (proving
 * key, r1cs, model) once and keeps it; every task computes one input's witness, proves and
 * writes the bundle atomically, so the proving work runs in parallel across workers. Reading the
 * input and the resume check (is there a valid bundle already?) happen before, in batch.ts.
 */
import { restoreWorkerData } from '../runtime/web-worker-guard.js';
import type { BatchInput } from './batch-inputs.js';
import { shutdown } from '../runtime/curve.js';
import { createProver, Prover, writeBundle } from './prover.js';

/** One unit of work sent to a worker. */
export interface BatchTask {
  readonly buildDir: string;
  readonly item: BatchInput;
  /** The input's values, read by the caller (model layout, flattened). */
  readonly input: Float64Array;
  readonly bundlePath: string;
  /** Compare the proven output with onnxruntime's float output. */
  readonly fidelity: boolean;
  /** Refuse inputs that need clamping. */
  readonly strictRange?: boolean;
}

/** What a worker reports for one task; errors come back as data, so one bad input never aborts the pool. */
export interface BatchTaskResult {
  readonly status: 'proved' | 'skipped' | 'failed';
  readonly prediction?: number;
  /** Input values clamped into the quantized range. */
  readonly clamped?: number;
  readonly error?: string;
}

restoreWorkerData();

let cached: { key: string; prover: Prover } | undefined;

function proverFor(task: BatchTask): Prover {
  const key = `${task.buildDir}\0${task.fidelity}`;
  if (cached?.key !== key)
    cached = { key, prover: createProver({ buildDir: task.buildDir, fidelity: task.fidelity, singleThread: true }) };
  return cached.prover;
}

/** Proves one batch item and writes its bundle. */
export async function proveItem(task: BatchTask): Promise<BatchTaskResult> {
  try {
    const prover = proverFor(task);
    const result = await prover.prove(task.input, { source: task.item.source, strictRange: task.strictRange ?? false });
    writeBundle(task.bundlePath, result);
    const { bundle } = result;
    return {
      status: 'proved',
      ...(bundle.prediction !== undefined ? { prediction: bundle.prediction } : {}),
      clamped: bundle.input.clamped,
    };
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
