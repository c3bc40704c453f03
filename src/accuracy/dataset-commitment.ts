/**
 * The dataset commitment: Poseidon over the quantized inputs and labels, chunk by chunk, then
 * one hash binding every chunk commitment in order, the chunk size and the sample count.
 *
 * Construction (recomputable with circomlibjs's `buildPoseidon` alone; `Poseidon(a, b, …)` is
 * circomlibjs's Poseidon of that many inputs, and `commit(values; bits, offset)` is the vector
 * commitment of circuits/commitment.ts, documented there and in the README):
 *
 * 1. quantize every input as the model's circuit does: round half away from zero of
 *    x · 2^frac, clamped to [lo, hi] (the input quantization in the commitment file);
 * 2. split the N samples into k = ceil(N / C) chunks of C; pad the last one with samples whose
 *    inputs are all min(max(0, lo), hi) and whose label code is 0; a real sample's label code
 *    is label + 1 (so padding can never count as a correct prediction);
 * 3. per chunk i:  hx_i = commit(all C inputs, concatenated; bits = bitlength(hi − lo), offset = −lo),
 *                  hy_i = commit(the C label codes; bits = bitlength(classes), offset = 0),
 *                  r_i  = Poseidon(r, i)   with r the 254-bit blinding of the opening file,
 *                  c_i  = Poseidon(hx_i, hy_i, r_i);
 * 4. D = the Poseidon chain of circuits/commitment.ts step 4 over [N, C, c_0, …, c_{k−1}]
 *    (first call up to 16 elements, each later call the previous hash plus up to 15, split by
 *    `commitmentChunkSizes`).
 *
 * The blinding makes every c_i (and so D) hiding: the chunk commitments are published in
 * accuracy claims, and without r_i a guessed test set cannot be checked against them. D is
 * printed as 0x + 64 hex digits.
 */
import { randomBytes } from 'node:crypto';
import { commitmentChunkSizes, CommitmentOptions, commitValues } from '../../circuits/commitment.js';
import { FIELD_PRIME } from '../../circuits/field.js';
import { poseidonHashValues } from '../../circuits/poseidon.js';
import { labelCode } from '../../circuits/count-matches.js';
import { VERSIONS } from '../core/versions.js';
import { writeJsonAtomic } from '../core/atomic-write.js';
import { datasetFilesFor, datasetsDir } from '../formats/paths.js';
import { inputCommitmentParams } from '../compile/build-circuit.js';
import { readQuantizedModel } from '../compile/compile-circuit.js';
import { readJsonFile } from '../core/json.js';
import { UserError } from '../core/errors.js';
import { QuantizedModel } from '../quantize/quantized-model.js';
import { quantizeInput } from '../quantize/quantize-input.js';
import { chunked, readDataset, Sample } from './read-dataset.js';
import type { DatasetCommitmentFile, DatasetEncoding, DatasetOpeningFile } from '../formats/dataset.js';

/** One chunk, quantized and padded to the chunk size: what the chunk circuit takes. */
export interface QuantizedChunk {
  /** C inputs of inputSize integers each. */
  readonly inputs: number[][];
  /** C label codes: label + 1, or 0 for padding. */
  readonly codes: number[];
  /** Real samples in this chunk. */
  readonly samples: number;
}

/** The encoding of datasets for `model`. */
export function datasetEncoding(model: QuantizedModel): DatasetEncoding {
  const classes = model.output.shape.reduce((a, b) => a * b, 1);
  const ic = inputCommitmentParams(model.input);
  return {
    inputSize: model.input.shape.reduce((a, b) => a * b, 1),
    classes,
    input: { frac: model.input.frac, lo: model.input.lo, hi: model.input.hi },
    inputCommitment: { bits: ic.bits, offset: String(ic.offset ?? 0n) },
    labelCommitment: { bits: Math.max(1, Math.ceil(Math.log2(classes + 1))), offset: '0' },
    padValue: Math.min(Math.max(0, model.input.lo), model.input.hi),
  };
}

/** Commitment options from their JSON form. */
export function commitmentOptions(o: DatasetEncoding['inputCommitment']): CommitmentOptions {
  return { bits: o.bits, offset: BigInt(o.offset) };
}

/** Quantizes a chunk's samples and pads it to `chunkSize` (step 1–2). */
export function quantizeChunk(enc: DatasetEncoding, samples: readonly Sample[], chunkSize: number): QuantizedChunk {
  // One float input of inputSize values, quantized with the encoding's scale and range (step 1).
  const q = { input: { name: 'input', shape: [enc.inputSize], bits: enc.inputCommitment.bits, ...enc.input } } as Pick<
    QuantizedModel,
    'input'
  >;
  const inputs: number[][] = [];
  const codes: number[] = [];
  for (let j = 0; j < chunkSize; j++) {
    const s = samples[j];
    inputs.push(s ? quantizeInput(q, s.input) : new Array<number>(enc.inputSize).fill(enc.padValue));
    codes.push(labelCode(s ? s.label : null));
  }
  return { inputs, codes, samples: samples.length };
}

/** r_i = Poseidon(r, i). */
export function chunkBlinding(blinding: bigint, index: number): Promise<bigint> {
  return poseidonHashValues([blinding, BigInt(index)]);
}

/** c_i of step 3, off-circuit. */
export async function chunkCommitment(
  enc: DatasetEncoding,
  chunk: QuantizedChunk,
  chunkBlindingValue: bigint,
): Promise<bigint> {
  const hx = await commitValues(chunk.inputs.flat().map(BigInt), commitmentOptions(enc.inputCommitment));
  const hy = await commitValues(chunk.codes.map(BigInt), commitmentOptions(enc.labelCommitment));
  return poseidonHashValues([hx, hy, chunkBlindingValue]);
}

/** D of step 4. */
export async function combineChunkCommitments(
  samples: number,
  chunkSize: number,
  chunks: readonly bigint[],
): Promise<bigint> {
  const elements = [BigInt(samples), BigInt(chunkSize), ...chunks];
  let hash: bigint | undefined;
  let at = 0;
  for (const c of commitmentChunkSizes(elements.length)) {
    const part = elements.slice(at, at + c);
    at += c;
    hash = await poseidonHashValues(hash === undefined ? part : [hash, ...part]);
  }
  return hash!;
}

/** A field element as 0x + 64 hex digits. */
export function toHex(v: bigint): string {
  return `0x${v.toString(16).padStart(64, '0')}`;
}

/** Parses a field element given as 0x-hex, 64 bare hex digits, or decimal; `what` names it in errors. */
export function parseFieldElement(text: string, what: string): bigint {
  const t = text.trim();
  const v = /^0x[0-9a-f]{1,64}$/i.test(t)
    ? BigInt(t)
    : /^[0-9a-f]{64}$/i.test(t)
      ? BigInt(`0x${t}`)
      : /^\d{1,78}$/.test(t)
        ? BigInt(t)
        : undefined;
  if (v === undefined || v >= FIELD_PRIME)
    throw new UserError(`${what}: "${text}" is not a field element (0x + 64 hex digits, or decimal)`);
  return v;
}

/** Reads an opening file and returns the blinding. */
export function readOpening(path: string): bigint {
  const json = (readJsonFile(path, 'dataset opening') ?? {}) as Partial<DatasetOpeningFile>;
  if (json.format !== 'zkinfer-dataset-opening' || typeof json.blinding !== 'string')
    throw new UserError(
      `${path}: not a zkinfer dataset opening file (format "zkinfer-dataset-opening" with a blinding)`,
    );
  return parseFieldElement(json.blinding, `${path}: blinding`);
}

/** A fresh 254-bit blinding, uniform mod p. */
export function newBlinding(): bigint {
  return BigInt(`0x${randomBytes(64).toString('hex')}`) % FIELD_PRIME;
}

/** Result of {@link computeDatasetCommitment}. */
export interface DatasetCommitmentResult {
  readonly commitment: bigint;
  readonly samples: number;
  readonly chunkSize: number;
  readonly chunkCommitments: bigint[];
}

/** Options of {@link datasetChunkCommitments} and {@link computeDatasetCommitment}. */
export interface DatasetCommitmentOptions {
  readonly dataset: string;
  readonly encoding: DatasetEncoding;
  readonly chunkSize: number;
  readonly blinding: bigint;
}

/** One chunk commitment c_i, as {@link datasetChunkCommitments} yields it. */
export interface ChunkCommitment {
  readonly index: number;
  readonly commitment: bigint;
  /** Real samples in the chunk (the chunk size, except perhaps for the last). */
  readonly samples: number;
}

/**
 * Streams the dataset and yields every chunk commitment c_i (steps 1–3) as soon as its chunk is
 * read: only one chunk of samples is held at a time, and a caller that stops early (a verifier
 * at the first chunk that differs) reads no further.
 */
export async function* datasetChunkCommitments(opts: DatasetCommitmentOptions): AsyncGenerator<ChunkCommitment> {
  const { encoding: enc, chunkSize } = opts;
  if (!Number.isInteger(chunkSize) || chunkSize < 1)
    throw new UserError(`--chunk must be a positive integer, got ${chunkSize}`);
  let index = 0;
  for await (const chunk of chunked(readDataset(opts.dataset, enc), chunkSize)) {
    const q = quantizeChunk(enc, chunk, chunkSize);
    const commitment = await chunkCommitment(enc, q, await chunkBlinding(opts.blinding, index));
    yield { index: index++, commitment, samples: chunk.length };
  }
}

/** Streams the dataset and computes every chunk commitment and D (steps 1–4); holds one chunk of samples at a time. */
export async function computeDatasetCommitment(opts: DatasetCommitmentOptions): Promise<DatasetCommitmentResult> {
  const chunkCommitments: bigint[] = [];
  let samples = 0;
  for await (const c of datasetChunkCommitments(opts)) {
    samples += c.samples;
    chunkCommitments.push(c.commitment);
  }
  return {
    commitment: await combineChunkCommitments(samples, opts.chunkSize, chunkCommitments),
    samples,
    chunkSize: opts.chunkSize,
    chunkCommitments,
  };
}

/** Options of {@link commitDataset}. */
export interface CommitDatasetOptions {
  readonly dataset: string;
  readonly buildDir: string;
  readonly chunkSize: number;
  /** Where to write `<stem>.commitment.json` and `<stem>.opening.json` (default `<buildDir>/datasets`). */
  readonly outDir?: string;
  /** Reuse this blinding (default: a fresh one). */
  readonly blinding?: bigint;
}

/** `zkinfer dataset commit`: computes D and writes the commitment and opening files. */
export async function commitDataset(
  opts: CommitDatasetOptions,
): Promise<{ file: DatasetCommitmentFile; commitmentPath: string; openingPath: string }> {
  const { model } = readQuantizedModel(opts.buildDir);
  const encoding = datasetEncoding(model);
  const blinding = opts.blinding ?? newBlinding();
  const res = await computeDatasetCommitment({ dataset: opts.dataset, encoding, chunkSize: opts.chunkSize, blinding });
  const dir = opts.outDir ?? datasetsDir(opts.buildDir);
  const file: DatasetCommitmentFile = {
    format: 'zkinfer-dataset-commitment',
    formatVersion: 1,
    commitment: toHex(res.commitment),
    samples: res.samples,
    chunkSize: res.chunkSize,
    chunkCommitments: res.chunkCommitments.map(toHex),
    encoding,
    source: { file: opts.dataset },
    tool: { name: 'zkinfer', version: VERSIONS.zkinfer },
    createdAt: new Date().toISOString(),
  };
  const { commitmentPath, openingPath } = datasetFilesFor(dir, opts.dataset);
  // The opening first: a commitment file without its opening could never be proven against.
  writeJsonAtomic(openingPath, {
    format: 'zkinfer-dataset-opening',
    formatVersion: 1,
    commitment: file.commitment,
    blinding: toHex(blinding),
    chunkSize: res.chunkSize,
  } satisfies DatasetOpeningFile);
  writeJsonAtomic(commitmentPath, file);
  return { file, commitmentPath, openingPath };
}
