/**
 * Batch proving: many inputs, one bundle each, on a pool of worker threads that each keep the
 * proving key loaded. Reruns are cheap and safe: a bundle that exists and verifies is skipped,
 * anything else (missing, truncated, invalid) is proved again, and bundles are only ever
 * renamed into place, so a killed run leaves at most stray temp files, which the next run removes.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { checkBuildConsistency } from './build-consistency.js';
import { UserError } from '../core/errors.js';
import { artifactPath, bundlePathNamed, proofsDir } from '../formats/paths.js';
import { BatchInput, listBatchInputs, readBatchInput } from './batch-inputs.js';
import type { BatchTask, BatchTaskResult } from './batch-worker.js';
import { createBatchTally, type BatchProgress } from '../runtime/progress.js';
import { firstLine, withWorkerPool, type WorkerPool } from '../runtime/pool.js';
import { resumeOrMake } from '../runtime/resume.js';
import type { QuantizedModel } from '../quantize/quantized-model.js';

/** Options of {@link proveBatch}. */
export interface ProveBatchOptions {
  /** A build directory with keys (what `zkinfer run --out DIR` or `setup` leaves). */
  readonly buildDir: string;
  /** A directory of `.json` / `.pb` input files, or a JSON-lines file of inputs. */
  readonly inputs: string;
  /** Where bundles go, as `<name>.proof.json` (default `<buildDir>/proofs`). */
  readonly outDir?: string;
  /** Worker threads (default os.availableParallelism(), at most one per input). */
  readonly workers?: number;
  /** Compare each proven output with onnxruntime's float output (default true). */
  readonly fidelity?: boolean;
  /** Refuse inputs with values outside the quantized range instead of clamping them. */
  readonly strictRange?: boolean;
  /** Called after each finished item. */
  readonly onProgress?: (p: BatchProgress) => void;
  /**
   * The resume check: the prediction an existing bundle stands for (-1: hidden), or undefined to
   * prove the input (again). Verifying a bundle is the verify room's job, above this one, so the
   * caller passes it (the CLI and the library pass `existingBundlePrediction`); without it every
   * input is proved.
   */
  readonly existing?: ExistingBundleCheck;
}

/** See {@link ProveBatchOptions.existing}; `existingBundlePrediction` (src/verify/existing-bundle.ts) fits. */
export type ExistingBundleCheck = (
  bundlePath: string,
  vkeyPath: string,
  opts: {
    readonly input: { readonly values: ArrayLike<number>; readonly label: string };
    readonly strictRange: boolean;
  },
) => Promise<number | undefined>;

/** The outcome of one input. */
export interface BatchItem {
  /** The input's source: a file path, or `file:line` for JSON-lines items. */
  readonly input: string;
  /** Bundle path. */
  readonly bundle: string;
  /** `skipped`: a valid bundle already existed. */
  readonly status: 'proved' | 'skipped' | 'failed';
  readonly prediction?: number;
  /** Input values clamped into the quantized range before proving. */
  readonly clamped?: number;
  /** One line naming the input and what is wrong with it. */
  readonly error?: string;
}

/** What {@link proveBatch} returns (and `zkinfer prove --inputs --json` prints). */
export interface BatchSummary {
  readonly total: number;
  /** Items proved by this run. */
  readonly succeeded: number;
  /** Items whose existing bundle verified. */
  readonly skipped: number;
  readonly failed: number;
  readonly items: BatchItem[];
  readonly seconds: number;
  /** Proved items per second of wall time. */
  readonly proofsPerSecond: number;
  readonly workers: number;
}

/** Fails early, with one {@link UserError}, when the build directory cannot prove anything; returns its model. */
function checkBuildDir(buildDir: string): QuantizedModel {
  if (!existsSync(buildDir)) throw new UserError(`${buildDir}: no such build directory`);
  // The full cross-check (hashes, zkey ↔ vkey) once here, so a broken build dir is one exit-2 line
  // before any output exists, not one failed item per input.
  return checkBuildConsistency(buildDir).model;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temp files (`<bundle>.tmp-<pid>-<hex>`, see writeFileAtomic) left by killed runs. Files
 * of live processes are kept: another batch may be writing into the same directory right now.
 */
export function removeStaleTemps(outDir: string): void {
  for (const name of readdirSync(outDir)) {
    const m = /\.tmp-(\d+)-[0-9a-f]+$/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid !== process.pid && !isAlive(pid)) rmSync(join(outDir, name), { force: true });
  }
}

/** Creates the bundle directory (when missing) and clears stale temps; returns whether it was created. */
function prepareOutDir(outDir: string): boolean {
  // Created here only when missing, and removed again if no bundle lands in it.
  const created = !existsSync(outDir);
  try {
    mkdirSync(outDir, { recursive: true });
    removeStaleTemps(outDir);
  } catch (e) {
    throw new UserError(
      `${outDir}: cannot write bundles there (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  return created;
}

/** A failure line that names its input: input errors already start with it, anything else gets it. */
function failureLine(source: string, e: unknown): string {
  const line = firstLine(e);
  return line.startsWith(source) ? line : `${source}: ${line}`;
}

/** One input: its resume check in this thread, then, when it must be proved, a worker. */
async function batchItem(
  opts: ProveBatchOptions,
  model: QuantizedModel,
  item: BatchInput,
  bundle: string,
  pool: WorkerPool<BatchTask, BatchTaskResult>,
): Promise<BatchItem> {
  const strictRange = opts.strictRange ?? false;
  let input: Float64Array;
  try {
    input = readBatchInput(item, model.input);
  } catch (e) {
    return { input: item.source, bundle, status: 'failed', error: failureLine(item.source, e) };
  }
  const vkeyPath = artifactPath(opts.buildDir, 'vkey');
  const { skipped, result: r } = await resumeOrMake<BatchTaskResult>(
    bundle,
    async () => {
      const prediction = await opts.existing?.(bundle, vkeyPath, {
        input: { values: input, label: item.source },
        strictRange,
      });
      return prediction === undefined ? undefined : { status: 'skipped', ...(prediction >= 0 ? { prediction } : {}) };
    },
    () =>
      pool.run(
        { buildDir: opts.buildDir, item, input, bundlePath: bundle, fidelity: opts.fidelity ?? true, strictRange },
        // The worker itself died (out of memory, native crash); tinypool replaces it and the batch goes on.
        (e) => ({ status: 'failed', error: `${item.source}: worker failed (${firstLine(e)})` }),
      ),
  );
  const status = skipped ? 'skipped' : r.status;
  return {
    input: item.source,
    bundle,
    status,
    ...(r.prediction !== undefined ? { prediction: r.prediction } : {}),
    ...(r.clamped ? { clamped: r.clamped } : {}),
    ...(r.error ? { error: r.error } : {}),
  };
}

/**
 * Proves every input at `opts.inputs` on a pool of worker threads, one bundle per input, and
 * returns what happened to each. Throws {@link UserError} only when the build directory or the
 * inputs path is unusable; a bad input fails its own item and the others go on.
 */
export async function proveBatch(opts: ProveBatchOptions): Promise<BatchSummary> {
  const t0 = performance.now();
  // Arguments first: nothing is created for a call that cannot run.
  const requested = opts.workers ?? availableParallelism();
  if (!Number.isInteger(requested) || requested < 1)
    throw new UserError(`--workers must be a positive integer, got ${requested}`);
  const model = checkBuildDir(opts.buildDir);
  const inputs = listBatchInputs(opts.inputs);
  const outDir = opts.outDir ?? proofsDir(opts.buildDir);
  const created = prepareOutDir(outDir);
  const workers = Math.min(requested, inputs.length);
  const items: BatchItem[] = new Array(inputs.length);
  const tally = createBatchTally(inputs.length, opts.onProgress, t0);
  // 0/N before the workers load their keys (seconds): a bar appears at once, and an interrupted
  // run knows how many inputs there are.
  opts.onProgress?.({ done: 0, total: inputs.length, proved: 0, skipped: 0, failed: 0, seconds: tally.seconds() });
  // Two inputs with one stem (a.json and a.pb) would overwrite each other's bundle: only the first gets it.
  const owner = new Map<string, BatchInput>();
  try {
    await withWorkerPool<BatchTask, BatchTaskResult, void>(
      { filename: new URL('./batch-worker.js', import.meta.url), name: 'proveItem', workers },
      async (pool) => {
        await Promise.all(
          inputs.map(async (item, i) => {
            const bundle = bundlePathNamed(outDir, item.name);
            const first = owner.get(bundle);
            if (!first) owner.set(bundle, item);
            items[i] = first
              ? {
                  input: item.source,
                  bundle,
                  status: 'failed',
                  error: `${item.source}: same bundle name as ${first.source} (${bundle}); rename one of them`,
                }
              : await batchItem(opts, model, item, bundle, pool);
            tally.finish(items[i]!.status);
          }),
        );
      },
    );
  } finally {
    if (created && readdirSync(outDir).length === 0) rmSync(outDir, { recursive: true, force: true });
  }
  const seconds = (performance.now() - t0) / 1000;
  const { counts } = tally;
  return {
    total: inputs.length,
    succeeded: counts.proved,
    skipped: counts.skipped,
    failed: counts.failed,
    items,
    seconds,
    proofsPerSecond: seconds > 0 ? counts.proved / seconds : 0,
    workers,
  };
}
