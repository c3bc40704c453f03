/**
 * Chunk proving for `zkinfer accuracy`: streams the dataset chunk by chunk to a pool of worker
 * threads (each reusing a chunk proof under OUT/chunks/ that still verifies, so an interrupted
 * run resumes), computes the unverified float and integer references of every chunk, and
 * checks the circuit's predictions against the integer reference.
 */
import { join } from 'node:path';
import { artifactPath } from '../formats/paths.js';
import { chunkBlinding, chunkCommitment, quantizeChunk, toHex } from './dataset-commitment.js';
import { DatasetEncoding } from '../formats/dataset.js';
import { chunked, readDataset, Sample } from './read-dataset.js';
import { runOnnxRuntime } from '../quantize/onnx-runtime.js';
import { argmax, QuantizedModel, runIntegerModel } from '../quantize/quantized-model.js';
import { quantizeInput } from '../quantize/quantize-input.js';
import type { ChunkTask, ChunkTaskResult } from './chunk-worker.js';
import { withWorkerPool } from '../runtime/pool.js';
import { createBatchTally, type BatchProgress } from '../runtime/progress.js';

/** The options {@link proveChunks} reads: the subset of `ProveAccuracyOptions` it needs. */
export interface ProveChunksOptions {
  readonly buildDir: string;
  readonly dataset: string;
  readonly outDir: string;
  /** Receives progress lines (one per finished chunk unless `onChunk` is given). */
  readonly onProgress?: (msg: string) => void;
  /**
   * Receives a snapshot after every finished chunk (chunks done of total, samples done of
   * total), for a progress reporter; only called when the sample count is known beforehand.
   */
  readonly onChunk?: (p: BatchProgress) => void;
}

/** Float (onnxruntime) and integer-reference predictions of a chunk: the unverified side of the claim. */
export async function referencePredictions(
  buildDir: string,
  model: QuantizedModel,
  samples: readonly Sample[],
): Promise<{ float: number[]; quantized: number[] }> {
  const floats = await runOnnxRuntime(
    artifactPath(buildDir, 'model'),
    model.input.name,
    model.input.shape,
    samples.map((s) => s.input),
  );
  return {
    float: floats.map((f) => argmax(f)),
    quantized: samples.map((s) =>
      argmax(runIntegerModel(model, quantizeInput(model, s.input)).get(model.output.name)!),
    ),
  };
}

/** The reference side of one chunk: what float and integer models predict, and the labels. */
export interface ChunkReference {
  readonly float: number[];
  readonly quantized: number[];
  readonly labels: number[];
}

/** What proving the chunks gave: per-chunk results and commitments, in dataset order. */
export interface ProvenChunks {
  readonly done: ChunkTaskResult[];
  readonly commitments: bigint[];
  readonly refs: ChunkReference[];
  readonly samples: number;
}

/** Streams the dataset chunk by chunk to a pool of provers; each worker reuses a chunk proof that still verifies. */
export async function proveChunks(
  opts: ProveChunksOptions,
  model: QuantizedModel,
  enc: DatasetEncoding,
  chunkSize: number,
  blinding: bigint,
  keyDir: string,
  workers: number,
  totalSamples?: number,
): Promise<ProvenChunks> {
  const commitments: bigint[] = [];
  const progress = chunkProgress(opts, chunkSize, totalSamples);
  const results: Array<Promise<ChunkTaskResult>> = [];
  const refs: ChunkReference[] = [];
  let samples = 0;
  await withWorkerPool<ChunkTask, ChunkTaskResult, void>(
    { filename: new URL('./chunk-worker.js', import.meta.url), name: 'proveChunk', workers },
    async (pool) => {
      const inFlight = new Set<Promise<unknown>>();
      try {
        for await (const chunk of chunked(readDataset(opts.dataset, enc), chunkSize)) {
          const index = commitments.length;
          samples += chunk.length;
          const q = quantizeChunk(enc, chunk, chunkSize);
          const r = await chunkBlinding(blinding, index);
          const c = await chunkCommitment(enc, q, r);
          commitments.push(c);
          refs.push({
            ...(await referencePredictions(opts.buildDir, model, chunk)),
            labels: chunk.map((s) => s.label),
          });
          const task: ChunkTask = {
            buildDir: opts.buildDir,
            keyDir,
            index,
            chunk: q,
            blinding: r.toString(),
            commitment: toHex(c),
            proofPath: join(opts.outDir, 'chunks', `chunk-${String(index).padStart(6, '0')}.json`),
          };
          const p = pool.run(task, (e) => ({
            status: 'failed',
            error: `chunk ${index}: worker failed (${e.message.split('\n')[0]})`,
          }));
          p.then((res) => progress(res, chunk.length, index));
          results.push(p);
          // Back-pressure: keep the stream at most two chunks per worker ahead of the provers.
          inFlight.add(p);
          void p.finally(() => inFlight.delete(p));
          while (inFlight.size >= 2 * workers) await Promise.race(inFlight);
        }
      } finally {
        await Promise.allSettled(results);
      }
    },
  );
  return { done: await Promise.all(results), commitments, refs, samples };
}

/** What to do when a chunk is finished: a snapshot to `onChunk` or, without it, a line to `onProgress`. */
function chunkProgress(
  opts: ProveChunksOptions,
  chunkSize: number,
  totalSamples: number | undefined,
): (res: ChunkTaskResult, samples: number, index: number) => void {
  if (opts.onChunk && totalSamples !== undefined) {
    const total = { chunks: Math.ceil(totalSamples / chunkSize), samples: totalSamples };
    let samplesDone = 0;
    const tally = createBatchTally(total.chunks, (p) =>
      opts.onChunk!({ ...p, samples: { done: samplesDone, total: total.samples } }),
    );
    return (res, samples) => {
      samplesDone += samples;
      tally.finish(res.status);
    };
  }
  return (res, _samples, index) =>
    opts.onProgress?.(
      `chunk ${index}: ${res.status}${res.proof ? `, ${res.proof.count}/${res.proof.samples} correct` : ''}`,
    );
}

/** Counts correct predictions of the references and checks the circuit against the integer reference. */
export function compareWithReferences(
  done: readonly ChunkTaskResult[],
  refs: readonly ChunkReference[],
): { floatCorrect: number; quantCorrect: number } {
  refs.forEach((ref, i) => {
    ref.labels.forEach((_label, j) => {
      // The circuit must reproduce the integer reference bit for bit; anything else is a bug, never a claim.
      if (done[i]!.predictions![j] !== ref.quantized[j])
        throw new Error(
          `chunk ${i} sample ${j}: circuit predicts ${done[i]!.predictions![j]}, the integer reference ${ref.quantized[j]}`,
        );
    });
  });
  return referenceCounts(refs);
}

/** Correct predictions of the float (onnxruntime) and integer references: the claim's unverified side. */
export function referenceCounts(refs: readonly ChunkReference[]): { floatCorrect: number; quantCorrect: number } {
  let floatCorrect = 0;
  let quantCorrect = 0;
  for (const ref of refs)
    ref.labels.forEach((label, j) => {
      if (ref.float[j] === label) floatCorrect++;
      if (ref.quantized[j] === label) quantCorrect++;
    });
  return { floatCorrect, quantCorrect };
}
