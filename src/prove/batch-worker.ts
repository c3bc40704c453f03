/**
 * The tinypool worker of batch proving. Each worker thread loads the build directory (proving
 * key, r1cs, model) once and keeps it; every task reads one input, checks whether a valid bundle
 * already exists, and otherwise computes the witness, proves and writes the bundle atomically —
 * so all per-input work, file I/O included, runs in parallel across workers.
 */
import { restoreWorkerData } from '../runtime/web-worker-guard.js';
import { existsSync } from 'node:fs';
import { artifactPath } from '../formats/artifacts.js';
import { verifyBundle } from '../verify/verify-bundle.js';
import { BatchInput, readBatchInput } from './batch-inputs.js';
import { openingPathFor } from '../formats/opening.js';
import { shutdown, useSingleThreadCurve } from '../runtime/curve.js';
import { createProver, Prover, writeBundle } from './prover.js';

/** One unit of work sent to a worker. */
export interface BatchTask {
  readonly buildDir: string;
  readonly item: BatchInput;
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
  if (cached?.key !== key) cached = { key, prover: createProver({ buildDir: task.buildDir, fidelity: task.fidelity, singleThread: true }) };
  return cached.prover;
}

/**
 * The prediction of an existing bundle that verifies with the build's key AND proves exactly the
 * current input (its public values, or its opening's committed integers): a bundle left from an
 * earlier content of the same file name is stale and proven again.
 */
async function existingValid(task: BatchTask, input: Float64Array): Promise<number | undefined> {
  if (!existsSync(task.bundlePath)) return undefined;
  // Verification goes through snarkjs too; it must find the single-threaded curve, not start the multi-threaded one.
  await useSingleThreadCurve();
  const opening = openingPathFor(task.bundlePath);
  try {
    const report = await verifyBundle({
      bundlePath: task.bundlePath,
      vkeyPath: artifactPath(task.buildDir, 'vkey'),
      inputValues: { values: input, label: task.item.source },
      ...(existsSync(opening) ? { openingPath: opening } : {}),
    });
    // Under --strict-range a bundle of a clamped input is not a result: prove again, which refuses it.
    if (task.strictRange && (report.inputClamped ?? 0) > 0) return undefined;
    return report.valid ? (report.prediction ?? -1) : undefined;
  } catch {
    // Unreadable or not JSON (a truncated file): prove it again.
    return undefined;
  }
}

/** Proves one batch item, or skips it when its bundle already exists and proves this very input. */
export async function proveItem(task: BatchTask): Promise<BatchTaskResult> {
  try {
    const prover = proverFor(task);
    const input = readBatchInput(task.item, prover.model.input);
    const skipped = await existingValid(task, input);
    if (skipped !== undefined) return { status: 'skipped', ...(skipped >= 0 ? { prediction: skipped } : {}) };
    const result = await prover.prove(input, { source: task.item.source, strictRange: task.strictRange ?? false });
    writeBundle(task.bundlePath, result);
    const { bundle } = result;
    return { status: 'proved', ...(bundle.prediction !== undefined ? { prediction: bundle.prediction } : {}), clamped: bundle.input.clamped };
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
