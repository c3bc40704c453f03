/**
 * `zkinfer accuracy`: proves, chunk by chunk on a pool of worker threads, that the model of a
 * build predicts the label on exactly K of the N samples of a dataset, and writes one claim
 * file. The dataset is streamed (at most a few chunks in flight); chunk proofs are written
 * atomically to OUT/chunks/ and a rerun reuses every proof that verifies for the same chunk
 * (same opening, so the same commitment), so a run killed with kill -9 is simply restarted.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { accuracyOpeningPath, artifactPath, claimPath as claimPathIn } from '../formats/paths.js';
import { readArtifact } from '../formats/artifacts.js';
import { VERSIONS } from '../core/versions.js';
import { writeJsonAtomic } from '../core/atomic-write.js';
import { CircuitInfo } from '../formats/circuit.js';
import { readQuantizedModel } from '../compile/compile-circuit.js';
import { combineChunkCommitments, datasetEncoding, newBlinding, readOpening, toHex } from './dataset-commitment.js';
import { DatasetEncoding, DatasetOpeningFile } from '../formats/dataset.js';
import { datasetFormat, readDataset } from './read-dataset.js';
import { readJsonFile } from '../core/json.js';
import { UserError } from '../core/errors.js';
import { QuantizedModel } from '../quantize/quantized-model.js';
import { chooseChunkSize } from './chunk-circuit.js';
import { ensureChunkKeys } from './chunk-keys.js';
import { compareWithReferences, proveChunks } from './prove-chunks.js';
import { AccuracyClaim, CLAIM_FORMAT, CLAIM_VERSION, ChunkProof } from '../formats/claim.js';
import type { BatchProgress } from '../runtime/progress.js';
import { CHUNK_WEIGHTS_OFFSET, assertChunkWeightsOpen, chunkWeightsFor, type ChunkWeights } from './chunk-weights.js';

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
  /** Replace existing ptau or ceremony chunk keys by another setup route instead of refusing. */
  readonly force?: boolean;
  /** Receives progress lines (one per finished chunk unless `onChunk` is given). */
  readonly onProgress?: (msg: string) => void;
  /**
   * Receives a snapshot after every finished chunk: chunks and samples done of their totals, and
   * the seconds since proving started (feed it to createProgressReporter with unit 'chunks').
   * The totals come from counting the dataset first; a dataset that is not a regular file or a
   * directory (a pipe) cannot be read twice, so it is not counted and `onProgress` gets a line
   * per chunk instead.
   */
  readonly onChunk?: (p: BatchProgress) => void;
  /** Receives warnings (e.g. the notice when `force` replaced chunk keys). */
  readonly onWarning?: (msg: string) => void;
}

/** What {@link proveAccuracy} returns (and `zkinfer accuracy --json` prints). */
export interface AccuracySummary {
  readonly claim: string;
  readonly samples: number;
  readonly correct: number;
  readonly accuracy: number;
  readonly datasetCommitment: string;
  /** Hashed weights only: the weights commitment W every chunk proves (the claim's `weights.commitment`). */
  readonly weightsCommitment?: string;
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

/**
 * The number of samples, counted by reading the dataset once before proving (under a second for
 * 10,000 JSON lines; it also refuses a bad sample before any key is made), or undefined for a
 * dataset that cannot be read twice (a named pipe): that one is streamed once, uncounted.
 */
export async function countSamples(dataset: string, enc: DatasetEncoding): Promise<number | undefined> {
  datasetFormat(dataset); // a missing or unreadable path is a one-line error naming it
  const st = statSync(dataset);
  if (!st.isFile() && !st.isDirectory()) return undefined;
  let n = 0;
  for await (const _s of readDataset(dataset, enc)) n++;
  return n;
}

function openingFor(opts: ProveAccuracyOptions, chunkSize: number): bigint {
  if (opts.opening) return readOpening(opts.opening);
  const path = accuracyOpeningPath(opts.outDir);
  if (existsSync(path)) return readOpening(path);
  const blinding = newBlinding();
  writeJsonAtomic(path, {
    format: 'zkinfer-dataset-opening',
    formatVersion: 1,
    commitment: '',
    blinding: toHex(blinding),
    // The chunk size fixes D with the blinding: recorded now, so an interrupted run's opening reuses as is.
    chunkSize,
  } satisfies DatasetOpeningFile);
  return blinding;
}

/** The chunk size to use and why, and the opening file's contents when one was given. */
async function chooseChunking(
  opts: ProveAccuracyOptions,
  model: QuantizedModel,
  n: number | undefined,
): Promise<{ chunkSize: number; chunkChoice: string; committed?: Partial<DatasetOpeningFile> }> {
  // An opening from `dataset commit` fixes the chunk size: another one would give another D.
  if (opts.opening) readOpening(opts.opening); // a missing or malformed opening is a one-line error
  const committed = opts.opening
    ? (readJsonFile(opts.opening, 'dataset opening') as Partial<DatasetOpeningFile>)
    : undefined;
  if (opts.chunkSize !== undefined && committed?.chunkSize !== undefined && opts.chunkSize !== committed.chunkSize) {
    throw new UserError(
      `--chunk ${opts.chunkSize}: ${opts.opening} was committed with chunks of ${committed.chunkSize}; another chunk size gives another dataset commitment`,
    );
  }
  const chunkSize = opts.chunkSize ?? committed?.chunkSize;
  const chunkChoice =
    opts.chunkSize === undefined && committed?.chunkSize !== undefined
      ? `${committed.chunkSize} samples per chunk, as in ${opts.opening}`
      : 'given';
  if (chunkSize !== undefined && (!Number.isInteger(chunkSize) || chunkSize < 1))
    throw new UserError(`--chunk must be a positive integer, got ${chunkSize}`);
  if (chunkSize !== undefined) return { chunkSize, chunkChoice, ...(committed ? { committed } : {}) };
  if (n === undefined)
    throw new UserError(
      `${opts.dataset}: not a regular file or directory, so it can be read only once; give --chunk N (choosing a chunk size needs the sample count)`,
    );
  const c = chooseChunkSize(model, n);
  return {
    chunkSize: c.chunkSize,
    chunkChoice: `${c.chunkSize} samples per chunk: ${c.perSample} constraints per sample + ${c.fixed} per chunk fill a 2^${c.power} domain, the least estimated proving work for ${n} samples`,
    ...(committed ? { committed } : {}),
  };
}

/** Everything the claim file states. */
interface ClaimParts {
  readonly buildDir: string;
  readonly keys: Awaited<ReturnType<typeof ensureChunkKeys>>;
  readonly datasetCommitment: string;
  readonly weights?: ChunkWeights;
  readonly enc: DatasetEncoding;
  readonly samples: number;
  readonly chunkSize: number;
  readonly chunks: ChunkProof[];
  readonly correct: number;
  readonly floatCorrect: number;
  readonly quantCorrect: number;
}

function buildClaim(p: ClaimParts): AccuracyClaim {
  const { keys, samples, correct } = p;
  const circuit = keys.circuit as CircuitInfo;
  const base = existsSync(artifactPath(p.buildDir, 'circuit'))
    ? readArtifact<CircuitInfo>(p.buildDir, 'circuit', 'compile')
    : undefined;
  return {
    format: CLAIM_FORMAT,
    formatVersion: CLAIM_VERSION,
    // The chunk keys' proof system (the build's): every chunk proof is of it.
    protocol: keys.vkey['protocol'] === 'ultragroth' ? 'ultragroth' : 'groth16',
    curve: 'bn128',
    modelId: circuit.modelId,
    quantizedSha256: circuit.quantizedSha256,
    ...(base ? { baseModelId: base.modelId } : {}),
    ...(p.weights ? { weights: { commitment: p.weights.commitment } } : {}),
    vkeyHash: keys.setup.vkeyHash,
    vkey: keys.vkey,
    dataset: {
      commitment: p.datasetCommitment,
      samples,
      chunkSize: p.chunkSize,
      chunks: p.chunks.length,
      encoding: p.enc,
    },
    result: { samples, correct, accuracy: correct / samples },
    chunks: p.chunks,
    circuit: {
      constraints: circuit.nConstraints,
      constraintsPerSample: circuit.accuracy!.constraintsPerSample,
      power: circuit.power,
    },
    setup: {
      kind: keys.setup.kind,
      ...(keys.setup.warning ? { warning: keys.setup.warning } : {}),
      ...(keys.setup.ptau ? { ptau: keys.setup.ptau } : {}),
    },
    unverified: {
      note: 'measured by the prover on the same data without proof; `zkinfer verify` does not check these',
      float: { correct: p.floatCorrect, accuracy: p.floatCorrect / samples },
      quantized: { correct: p.quantCorrect, accuracy: p.quantCorrect / samples },
    },
    tool: { name: 'zkinfer', version: VERSIONS.zkinfer, snarkjs: VERSIONS.snarkjs },
    createdAt: new Date().toISOString(),
  };
}

/** An opening from `dataset commit` names its D: proving other data (or other chunks) under it is an error. */
export function checkCommittedDataset(
  opts: ProveAccuracyOptions,
  committed: Partial<DatasetOpeningFile> | undefined,
  datasetCommitment: string,
  chunkSize: number,
): void {
  if (committed?.commitment && committed.commitment !== datasetCommitment) {
    throw new UserError(
      `${opts.dataset}: gives dataset commitment ${datasetCommitment.slice(0, 18)}… with chunks of ${chunkSize}, but ${opts.opening} opens ${committed.commitment.slice(0, 18)}…${committed.chunkSize !== undefined && committed.chunkSize !== chunkSize ? ` (made with chunks of ${committed.chunkSize})` : ' (different data)'}`,
    );
  }
}

/** Records the commitment this opening opened, so the opening file is self-describing (only OUT's own opening). */
function recordOpenedCommitment(opts: ProveAccuracyOptions, datasetCommitment: string, chunkSize: number): void {
  const openingPath = opts.opening ?? accuracyOpeningPath(opts.outDir);
  const opening = readJsonFile(openingPath, 'dataset opening') as DatasetOpeningFile;
  // The chunk size too, as `dataset commit` writes it: reusing this opening (--opening) then gives the same D.
  if (!opts.opening && (opening.commitment !== datasetCommitment || opening.chunkSize !== chunkSize))
    writeJsonAtomic(openingPath, { ...opening, commitment: datasetCommitment, chunkSize });
}

/** What both proving routes (local threads, the queue) settle before proving: chunking, opening, keys. */
export interface AccuracyRun {
  readonly t0: number;
  readonly model: QuantizedModel;
  readonly enc: DatasetEncoding;
  /** Samples in the dataset, counted before proving (undefined for a named pipe, which can be read once only). */
  readonly samples?: number;
  readonly chunkSize: number;
  readonly chunkChoice: string;
  readonly committed?: Partial<DatasetOpeningFile>;
  /** The dataset blinding r of the opening. */
  readonly blinding: bigint;
  /** The build's weights opening, with hashed weights: every chunk proof must expose its W. */
  readonly weights?: ChunkWeights;
  readonly keys: Awaited<ReturnType<typeof ensureChunkKeys>>;
  readonly keySeconds: number;
}

/** Chooses the chunking, reads (or makes) the opening and makes sure the chunk keys exist. */
export async function prepareAccuracy(opts: ProveAccuracyOptions): Promise<AccuracyRun> {
  const t0 = performance.now();
  if (!existsSync(opts.buildDir)) throw new UserError(`${opts.buildDir}: no such build directory`);
  const { model } = readQuantizedModel(opts.buildDir);
  // Hashed weights: no opening, no proof; said before any key is made or any sample read.
  const weights = chunkWeightsFor(opts.buildDir, model);
  if (weights) await assertChunkWeightsOpen(opts.buildDir, model, weights);
  const enc = datasetEncoding(model);
  const n = await countSamples(opts.dataset, enc);
  const { chunkSize, chunkChoice, committed } = await chooseChunking(opts, model, n);
  mkdirSync(join(opts.outDir, 'chunks'), { recursive: true });
  const blinding = openingFor(opts, chunkSize);
  const tk = performance.now();
  const keys = await ensureChunkKeys({
    buildDir: opts.buildDir,
    chunkSize,
    ptauPath: opts.ptauPath,
    force: opts.force,
    onProgress: opts.onProgress,
    onWarning: opts.onWarning,
  });
  const keySeconds = (performance.now() - tk) / 1000;
  opts.onProgress?.(
    `${chunkChoice === 'given' ? `${chunkSize} samples per chunk` : chunkChoice}; ${keys.circuit.nConstraints} constraints per chunk`,
  );
  return {
    t0,
    model,
    enc,
    ...(n !== undefined ? { samples: n } : {}),
    chunkSize,
    chunkChoice,
    ...(committed ? { committed } : {}),
    blinding,
    ...(weights ? { weights } : {}),
    keys,
    keySeconds,
  };
}

/** What a proving route hands back: every chunk proof in order and the unverified reference counts. */
export interface ProvenAccuracy {
  readonly chunks: ChunkProof[];
  readonly commitments: readonly bigint[];
  readonly samples: number;
  readonly floatCorrect: number;
  readonly quantCorrect: number;
  readonly proved: number;
  readonly skipped: number;
  readonly proveSeconds: number;
}

/** Checks the dataset commitment against a committed opening, writes OUT/claim.json and sums up the run. */
export async function finishAccuracy(
  opts: ProveAccuracyOptions,
  run: AccuracyRun,
  p: ProvenAccuracy,
): Promise<AccuracySummary> {
  const { keys, chunkSize } = run;
  const correct = p.chunks.reduce((a, c) => a + c.count, 0);
  if (correct !== p.quantCorrect)
    throw new Error(`proven count ${correct} differs from the integer reference's ${p.quantCorrect}`);
  const w = run.weights ? BigInt(run.weights.commitment).toString() : undefined;
  const otherW = p.chunks.find((c) => c.publicSignals[CHUNK_WEIGHTS_OFFSET] !== w);
  if (otherW)
    throw new Error(`chunk ${otherW.index}: proven under other weights than ${opts.buildDir}/weights.opening.json's`);
  const datasetCommitment = toHex(await combineChunkCommitments(p.samples, chunkSize, p.commitments));
  checkCommittedDataset(opts, run.committed, datasetCommitment, chunkSize);
  const claim = buildClaim({
    buildDir: opts.buildDir,
    keys,
    datasetCommitment,
    ...(run.weights ? { weights: run.weights } : {}),
    enc: run.enc,
    samples: p.samples,
    chunkSize,
    chunks: p.chunks,
    correct,
    floatCorrect: p.floatCorrect,
    quantCorrect: p.quantCorrect,
  });
  const claimPath = claimPathIn(opts.outDir);
  writeJsonAtomic(claimPath, claim);
  recordOpenedCommitment(opts, datasetCommitment, chunkSize);
  const circuit = keys.circuit as CircuitInfo;
  return {
    claim: claimPath,
    samples: p.samples,
    correct,
    accuracy: correct / p.samples,
    datasetCommitment,
    ...(run.weights ? { weightsCommitment: run.weights.commitment } : {}),
    chunkSize,
    chunkChoice: run.chunkChoice,
    chunks: p.chunks.length,
    proved: p.proved,
    skipped: p.skipped,
    constraintsPerChunk: circuit.nConstraints,
    constraintsPerSample: circuit.accuracy!.constraintsPerSample,
    power: circuit.power,
    vkeyHash: keys.setup.vkeyHash,
    keyDir: keys.dir,
    unverified: claim.unverified,
    seconds: { keys: run.keySeconds, prove: p.proveSeconds, total: (performance.now() - run.t0) / 1000 },
  };
}

/** Proves the accuracy of the build's model on the dataset on local worker threads and writes OUT/claim.json. */
export async function proveAccuracy(opts: ProveAccuracyOptions): Promise<AccuracySummary> {
  const workers = opts.workers ?? availableParallelism();
  if (!Number.isInteger(workers) || workers < 1)
    throw new UserError(`--workers must be a positive integer, got ${workers}`);
  const run = await prepareAccuracy(opts);
  const tp = performance.now();
  const { done, commitments, refs, samples } = await proveChunks(
    opts,
    run.model,
    run.enc,
    run.chunkSize,
    run.blinding,
    run.keys.dir,
    workers,
    run.samples,
  );
  const failed = done.find((r) => r.status === 'failed');
  if (failed) throw new Error(failed.error);
  const chunks = done.map((r) => r.proof!) as ChunkProof[];
  const { floatCorrect, quantCorrect } = compareWithReferences(done, refs);
  return finishAccuracy(opts, run, {
    chunks,
    commitments,
    samples,
    floatCorrect,
    quantCorrect,
    proved: done.filter((r) => r.status === 'proved').length,
    skipped: done.filter((r) => r.status === 'skipped').length,
    proveSeconds: (performance.now() - tp) / 1000,
  });
}
