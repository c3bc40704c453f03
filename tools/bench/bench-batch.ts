/**
 * Batch-proving throughput: sequential in-process proving (snarkjs's multi-threaded curve, warmed
 * up first) against the worker pool of {@link proveBatch} with several worker counts, all on the
 * same generated inputs in one run. Pool times are end to end: they include starting the
 * workers and each worker loading the keys, which is what a user of `prove --inputs` waits for.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundlePathNamed } from '../../src/formats/paths.js';
import { readQuantizedModel } from '../../src/compile/compile-circuit.js';
import { proveBatch } from '../../src/prove/batch.js';
import { listBatchInputs, readBatchInput } from '../../src/prove/batch-inputs.js';
import { createProver, writeBundle } from '../../src/prove/prover.js';
import { shutdown } from '../../src/runtime/curve.js';

/** Options of {@link benchBatch}. */
export interface BenchBatchOptions {
  /** A build directory with keys. */
  readonly buildDir: string;
  /** How many inputs to prove in each configuration (default 32). */
  readonly inputs?: number;
  /** Worker counts to try (default [1, 2, 4]). */
  readonly workers?: readonly number[];
}

/** One measured configuration. */
export interface BenchBatchRun {
  readonly seconds: number;
  readonly proofsPerSecond: number;
  /**
   * CPU seconds of this process (all its threads) per proof: unlike proofs/s, not skewed by
   * other load on the machine.
   */
  readonly cpuSecondsPerProof: number;
}

/** What {@link benchBatch} measured. */
export interface BenchBatchResult {
  readonly inputs: number;
  readonly sequential: BenchBatchRun;
  /** `speedup` is pool proofs/s over sequential proofs/s. */
  readonly pool: Array<BenchBatchRun & { workers: number; speedup: number }>;
}

/** Deterministic inputs spread over the model's input range, so every run proves the same work. */
function writeInputs(path: string, buildDir: string, n: number): void {
  const { model } = readQuantizedModel(buildDir);
  const size = model.input.shape.reduce((a, b) => a * b, 1);
  const lo = model.input.lo / 2 ** model.input.frac;
  const hi = model.input.hi / 2 ** model.input.frac;
  let seed = 0x2545f491;
  const next = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const lines = Array.from({ length: n }, () =>
    JSON.stringify(Array.from({ length: size }, () => Number((lo + (hi - lo) * next()).toFixed(4)))),
  );
  writeFileSync(path, lines.join('\n') + '\n');
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
}

/** Measures sequential vs pooled proving of the same inputs on `opts.buildDir`. */
export async function benchBatch(opts: BenchBatchOptions): Promise<BenchBatchResult> {
  const n = opts.inputs ?? 32;
  const dir = mkdtempSync(join(tmpdir(), 'zkinfer-bench-batch-'));
  try {
    const inputsPath = join(dir, 'bench.jsonl');
    writeInputs(inputsPath, opts.buildDir, n);
    const items = listBatchInputs(inputsPath);

    const prover = createProver({ buildDir: opts.buildDir });
    const shape = prover.model.input.shape;
    // Warm-up: builds snarkjs's multi-threaded curve and onnxruntime's session outside the timing.
    await prover.prove(readBatchInput(items[0]!, shape));
    let t0 = performance.now();
    let cpu0 = process.cpuUsage();
    for (const item of items)
      writeBundle(
        bundlePathNamed(join(dir, 'sequential'), item.name),
        await prover.prove(readBatchInput(item, shape), { source: item.source }),
      );
    const seqSeconds = (performance.now() - t0) / 1000;
    const sequential = {
      seconds: seqSeconds,
      proofsPerSecond: n / seqSeconds,
      cpuSecondsPerProof: cpuSeconds(cpu0) / n,
    };
    // The pool's workers use their own curves; release the main thread's before measuring them.
    await shutdown();

    const pool: BenchBatchResult['pool'] = [];
    for (const workers of opts.workers ?? [1, 2, 4]) {
      t0 = performance.now();
      cpu0 = process.cpuUsage();
      const summary = await proveBatch({
        buildDir: opts.buildDir,
        inputs: inputsPath,
        outDir: join(dir, `pool-${workers}`),
        workers,
      });
      const seconds = (performance.now() - t0) / 1000;
      if (summary.succeeded !== n)
        throw new Error(
          `bench: the pool with ${workers} workers proved ${summary.succeeded} of ${n} inputs: ${summary.items.find((i) => i.error)?.error ?? ''}`,
        );
      pool.push({
        workers,
        seconds,
        proofsPerSecond: n / seconds,
        cpuSecondsPerProof: cpuSeconds(cpu0) / n,
        speedup: n / seconds / sequential.proofsPerSecond,
      });
    }
    return { inputs: n, sequential, pool };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
