/**
 * `zkinfer accuracy`: proves, chunk by chunk on a pool of worker threads, that the model of a
 * build predicts the label on exactly K of the N samples of a dataset, and writes one claim
 * file. The dataset is streamed (at most a few chunks in flight); chunk proofs are written
 * atomically to OUT/chunks/ and a rerun reuses every proof that verifies for the same chunk
 * (same opening, so the same commitment), so a run killed with kill -9 is simply restarted.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import Tinypool from 'tinypool';
import { accuracyOpeningPath, artifactPath, claimPath as claimPathIn } from '../formats/paths.js';
import { readArtifact } from '../formats/artifacts.js';
import { VERSIONS } from '../core/versions.js';
import { writeJsonAtomic } from '../core/atomic-write.js';
import { CircuitInfo } from '../formats/circuit.js';
import { readQuantizedModel } from '../compile/compile-circuit.js';
import { chunkBlinding, chunkCommitment, combineChunkCommitments, datasetEncoding, newBlinding, quantizeChunk, readOpening, toHex } from './dataset-commitment.js';
import { DatasetEncoding, DatasetOpeningFile } from '../formats/dataset.js';
import { chunked, readDataset, Sample } from './read-dataset.js';
import { UserError } from '../core/errors.js';
import { runOnnxRuntime } from '../quantize/onnx-runtime.js';
import { argmax, quantizeInput, QuantizedModel, runIntegerModel } from '../quantize/quantized-model.js';
import { chooseChunkSize } from './chunk-circuit.js';
import { ensureChunkKeys } from './chunk-keys.js';
import type { ChunkTask, ChunkTaskResult } from './chunk-worker.js';
import { AccuracyClaim, CLAIM_FORMAT, CLAIM_VERSION, ChunkProof } from '../formats/claim.js';

/** Options of {@link proveAccuracy}. */
export interface ProveAccuracyOptions {
  readonly buildDir: string;
  readonly dataset: string;
  readonly outDir: string;
  /** Samples per chunk proof (default: chosen from the per-sample cost, see chooseChunkSize). */
  readonly chunkSize?: number;
  readonly workers?: number;
  /** A dataset opening file (from `zkinfer dataset commit`); default OUT/dataset.opening.json, created when missing. */
  readonly opening?: string;
  /** A powers-of-tau file for new chunk keys (default: the build's own setup route). */
  readonly ptauPath?: string;
  /** Receives progress lines. */
  readonly onProgress?: (msg: string) => void;
}

/** What {@link proveAccuracy} returns (and `zkinfer accuracy --json` prints). */
export interface AccuracySummary {
  readonly claim: string;
  readonly samples: number;
  readonly correct: number;
  readonly accuracy: number;
  readonly datasetCommitment: string;
  readonly chunkSize: number;
  /** Why this chunk size (default choice) or "given". */
  readonly chunkChoice: string;
  readonly chunks: number;
  readonly proved: number;
  readonly skipped: number;
  readonly constraintsPerChunk: number;
  readonly constraintsPerSample: number;
  readonly power: number;
  readonly vkeyHash: string;
  readonly keyDir: string;
  readonly unverified: AccuracyClaim['unverified'];
  readonly seconds: { readonly keys: number; readonly prove: number; readonly total: number };
}

async function countSamples(dataset: string, enc: DatasetEncoding): Promise<number> {
  let n = 0;
  for await (const _s of readDataset(dataset, enc)) n++;
  return n;
}

function openingFor(opts: ProveAccuracyOptions): bigint {
  if (opts.opening) return readOpening(opts.opening);
  const path = accuracyOpeningPath(opts.outDir);
  if (existsSync(path)) return readOpening(path);
  const blinding = newBlinding();
  writeJsonAtomic(path, { format: 'zkinfer-dataset-opening', formatVersion: 1, commitment: '', blinding: toHex(blinding) } satisfies DatasetOpeningFile);
  return blinding;
}

/** Float (onnxruntime) and integer-reference predictions of a chunk: the unverified side of the claim. */
async function referencePredictions(buildDir: string, model: QuantizedModel, samples: readonly Sample[]): Promise<{ float: number[]; quantized: number[] }> {
  const floats = await runOnnxRuntime(artifactPath(buildDir, 'model'), model.input.name, model.input.shape, samples.map((s) => s.input));
  return {
    float: floats.map((f) => argmax(f)),
    quantized: samples.map((s) => argmax(runIntegerModel(model, quantizeInput(model, s.input)).get(model.output.name)!)),
  };
}

/** Proves the accuracy of the build's model on the dataset and writes OUT/claim.json. */
export async function proveAccuracy(opts: ProveAccuracyOptions): Promise<AccuracySummary> {
  const t0 = performance.now();
  if (!existsSync(opts.buildDir)) throw new UserError(`${opts.buildDir}: no such build directory`);
  const { model } = readQuantizedModel(opts.buildDir);
  const enc = datasetEncoding(model);
  const requested = opts.workers ?? availableParallelism();
  if (!Number.isInteger(requested) || requested < 1) throw new UserError(`--workers must be a positive integer, got ${requested}`);
  // An opening from `dataset commit` fixes the chunk size: another one would give another D.
  if (opts.opening) readOpening(opts.opening); // a missing or malformed opening is a one-line error
  const committed = opts.opening ? (JSON.parse(readFileSync(opts.opening, 'utf8')) as Partial<DatasetOpeningFile>) : undefined;
  if (opts.chunkSize !== undefined && committed?.chunkSize !== undefined && opts.chunkSize !== committed.chunkSize) {
    throw new UserError(`--chunk ${opts.chunkSize}: ${opts.opening} was committed with chunks of ${committed.chunkSize}; another chunk size gives another dataset commitment`);
  }
  let chunkSize = opts.chunkSize ?? committed?.chunkSize;
  let chunkChoice = opts.chunkSize === undefined && committed?.chunkSize !== undefined ? `${committed.chunkSize} samples per chunk, as in ${opts.opening}` : 'given';
  if (chunkSize !== undefined && (!Number.isInteger(chunkSize) || chunkSize < 1)) throw new UserError(`--chunk must be a positive integer, got ${chunkSize}`);
  if (chunkSize === undefined) {
    const n = await countSamples(opts.dataset, enc);
    const c = chooseChunkSize(model, n);
    chunkSize = c.chunkSize;
    chunkChoice = `${chunkSize} samples per chunk: ${c.perSample} constraints per sample + ${c.fixed} per chunk fill a 2^${c.power} domain, the least estimated proving work for ${n} samples`;
  }
  mkdirSync(join(opts.outDir, 'chunks'), { recursive: true });
  const blinding = openingFor(opts);
  const tk = performance.now();
  const keys = await ensureChunkKeys({ buildDir: opts.buildDir, chunkSize, ptauPath: opts.ptauPath, onProgress: opts.onProgress });
  const keySeconds = (performance.now() - tk) / 1000;
  opts.onProgress?.(`${chunkChoice === 'given' ? `${chunkSize} samples per chunk` : chunkChoice}; ${keys.circuit.nConstraints} constraints per chunk`);

  const workers = requested;
  const pool = new Tinypool({ filename: new URL('./chunk-worker.js', import.meta.url).href, name: 'proveChunk', teardown: 'teardown', minThreads: workers, maxThreads: workers });
  const tp = performance.now();
  const commitments: bigint[] = [];
  const results: Array<Promise<ChunkTaskResult>> = [];
  const refs: Array<{ float: number[]; quantized: number[]; labels: number[] }> = [];
  let samples = 0;
  const inFlight = new Set<Promise<unknown>>();
  try {
    for await (const chunk of chunked(readDataset(opts.dataset, enc), chunkSize)) {
      const index = commitments.length;
      samples += chunk.length;
      const q = quantizeChunk(enc, chunk, chunkSize);
      const r = await chunkBlinding(blinding, index);
      const c = await chunkCommitment(enc, q, r);
      commitments.push(c);
      refs.push({ ...(await referencePredictions(opts.buildDir, model, chunk)), labels: chunk.map((s) => s.label) });
      const task: ChunkTask = { buildDir: opts.buildDir, keyDir: keys.dir, index, chunk: q, blinding: r.toString(), commitment: toHex(c), proofPath: join(opts.outDir, 'chunks', `chunk-${String(index).padStart(6, '0')}.json`) };
      const p = (pool.run(task) as Promise<ChunkTaskResult>).catch((e: Error) => ({ status: 'failed', error: `chunk ${index}: worker failed (${e.message.split('\n')[0]})` }) as ChunkTaskResult);
      p.then((res) => opts.onProgress?.(`chunk ${index}: ${res.status}${res.proof ? `, ${res.proof.count}/${res.proof.samples} correct` : ''}`));
      results.push(p);
      // Back-pressure: keep the stream at most two chunks per worker ahead of the provers.
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      while (inFlight.size >= 2 * workers) await Promise.race(inFlight);
    }
  } finally {
    await Promise.allSettled(results);
    await pool.destroy();
  }
  const done = await Promise.all(results);
  const failed = done.find((r) => r.status === 'failed');
  if (failed) throw new Error(failed.error);
  const proveSeconds = (performance.now() - tp) / 1000;
  const chunks = done.map((r) => r.proof!) as ChunkProof[];
  const correct = chunks.reduce((a, c) => a + c.count, 0);
  let floatCorrect = 0;
  let quantCorrect = 0;
  refs.forEach((ref, i) => {
    ref.labels.forEach((label, j) => {
      if (ref.float[j] === label) floatCorrect++;
      if (ref.quantized[j] === label) quantCorrect++;
      // The circuit must reproduce the integer reference bit for bit; anything else is a bug, never a claim.
      if (done[i]!.predictions![j] !== ref.quantized[j]) throw new Error(`chunk ${i} sample ${j}: circuit predicts ${done[i]!.predictions![j]}, the integer reference ${ref.quantized[j]}`);
    });
  });
  if (correct !== quantCorrect) throw new Error(`proven count ${correct} differs from the integer reference's ${quantCorrect}`);
  const datasetCommitment = toHex(await combineChunkCommitments(samples, chunkSize, commitments));
  if (committed?.commitment && committed.commitment !== datasetCommitment) {
    throw new UserError(`${opts.dataset}: gives dataset commitment ${datasetCommitment.slice(0, 18)}… with chunks of ${chunkSize}, but ${opts.opening} opens ${committed.commitment.slice(0, 18)}…${committed.chunkSize !== undefined && committed.chunkSize !== chunkSize ? ` (made with chunks of ${committed.chunkSize})` : ' (different data)'}`);
  }
  const circuit = keys.circuit as CircuitInfo;
  const base = existsSync(artifactPath(opts.buildDir, 'circuit')) ? readArtifact<CircuitInfo>(opts.buildDir, 'circuit', 'compile') : undefined;
  const claim: AccuracyClaim = {
    format: CLAIM_FORMAT,
    formatVersion: CLAIM_VERSION,
    protocol: 'groth16',
    curve: 'bn128',
    modelId: circuit.modelId,
    quantizedSha256: circuit.quantizedSha256,
    ...(base ? { baseModelId: base.modelId } : {}),
    vkeyHash: keys.setup.vkeyHash,
    vkey: keys.vkey,
    dataset: { commitment: datasetCommitment, samples, chunkSize, chunks: chunks.length, encoding: enc },
    result: { samples, correct, accuracy: correct / samples },
    chunks,
    circuit: { constraints: circuit.nConstraints, constraintsPerSample: circuit.accuracy!.constraintsPerSample, power: circuit.power },
    setup: { kind: keys.setup.kind, ...(keys.setup.warning ? { warning: keys.setup.warning } : {}), ...(keys.setup.ptau ? { ptau: keys.setup.ptau } : {}) },
    unverified: {
      note: 'measured by the prover on the same data without proof; `zkinfer verify` does not check these',
      float: { correct: floatCorrect, accuracy: floatCorrect / samples },
      quantized: { correct: quantCorrect, accuracy: quantCorrect / samples },
    },
    tool: { name: 'zkinfer', version: VERSIONS.zkinfer, snarkjs: VERSIONS.snarkjs },
    createdAt: new Date().toISOString(),
  };
  const claimPath = claimPathIn(opts.outDir);
  writeJsonAtomic(claimPath, claim);
  // Record the commitment this opening opened, so the opening file is self-describing.
  const openingPath = opts.opening ?? accuracyOpeningPath(opts.outDir);
  const opening = JSON.parse(readFileSync(openingPath, 'utf8')) as DatasetOpeningFile;
  if (!opts.opening && opening.commitment !== datasetCommitment) writeJsonAtomic(openingPath, { ...opening, commitment: datasetCommitment });
  return {
    claim: claimPath,
    samples,
    correct,
    accuracy: correct / samples,
    datasetCommitment,
    chunkSize,
    chunkChoice,
    chunks: chunks.length,
    proved: done.filter((r) => r.status === 'proved').length,
    skipped: done.filter((r) => r.status === 'skipped').length,
    constraintsPerChunk: circuit.nConstraints,
    constraintsPerSample: circuit.accuracy!.constraintsPerSample,
    power: circuit.power,
    vkeyHash: keys.setup.vkeyHash,
    keyDir: keys.dir,
    unverified: claim.unverified,
    seconds: { keys: keySeconds, prove: proveSeconds, total: (performance.now() - t0) / 1000 },
  };
}
