/**
 * The `accuracy-chunk` job kind: one chunk of an accuracy dataset → one chunk proof, for
 * `zkinfer accuracy BUILD --dataset … --queue URL`. The worker side runs in a thread of
 * `zkinfer worker`, with the chunk keys of its queue (`BUILD/accuracy/chunk-C/`, loaded once per
 * thread); the submitter side (queue-accuracy.ts) accepts a result only after checking that it is
 * a valid proof of exactly the chunk it sent, under its own chunk key.
 *
 * Privacy, as for prove jobs: the payload carries the chunk's quantized inputs, its label codes
 * and the chunk blinding r_i, so a worker sees the samples and labels of the chunks it proves (not
 * the dataset blinding r), and the database, which holds every chunk's payload until the
 * submitter removes the jobs after writing the claim, sees the whole dataset and could open every
 * c_i and D.
 */
import { FIELD_PRIME } from '../../circuits/field.js';
import { UserError } from '../core/errors.js';
import type { QuantizedChunk } from '../accuracy/dataset-commitment.js';
import { chunkWitness, loadChunkKeys, proveChunkWitness } from '../accuracy/chunk-prover.js';
import type { JobContext, JobKind } from './job-kind.js';

/** What an accuracy-chunk job carries. */
export interface ChunkJobPayload {
  /** The chunk's position in the dataset, from 0. */
  readonly index: number;
  /** The quantized, padded chunk: C inputs, C label codes, and how many samples are real. */
  readonly chunk: QuantizedChunk;
  /** r_i = Poseidon(r, i), decimal. */
  readonly blinding: string;
  /** c_i, 0x-hex, as the submitter computed it. */
  readonly commitment: string;
}

/**
 * What the job returns: the chunk proof as JSON text (jsonb would reorder its keys, and the local
 * and queue routes must write the same files). Not the per-sample predictions: the submitter has
 * its own reference, and the database need not hold them.
 */
export interface ChunkJobResult {
  readonly proofJson: string;
}

function bad(where: string, what: string): UserError {
  return new UserError(`${where}: job field ${what}`);
}

/** Checks the payload's shape; a malformed one is a final failure (retrying cannot help). */
function checkPayload(p: ChunkJobPayload): void {
  const where = `chunk ${Number.isInteger(p?.index) ? p.index : '?'}`;
  if (!Number.isInteger(p?.index) || p.index < 0) throw bad(where, '"index" is not a chunk index');
  const c = p.chunk;
  if (!c || !Array.isArray(c.inputs) || !Array.isArray(c.codes) || c.inputs.length !== c.codes.length)
    throw bad(where, '"chunk" needs as many inputs as label codes');
  if (!Number.isInteger(c.samples) || c.samples < 1 || c.samples > c.inputs.length)
    throw bad(where, '"chunk.samples" is not a sample count of the chunk');
  const ints = (xs: unknown[]): boolean => xs.every((v) => Number.isSafeInteger(v));
  if (!c.inputs.every((x) => Array.isArray(x) && ints(x)) || !ints(c.codes))
    throw bad(where, '"chunk" holds values that are not integers');
  if (typeof p.blinding !== 'string' || !/^(0|[1-9][0-9]{0,76})$/.test(p.blinding) || BigInt(p.blinding) >= FIELD_PRIME)
    throw bad(where, '"blinding" is not a canonical field element');
  if (typeof p.commitment !== 'string' || !/^0x[0-9a-f]{64}$/.test(p.commitment))
    throw bad(where, '"commitment" is not 0x + 64 hex digits');
}

/** The accuracy-chunk kind: proves the chunk with the queue's chunk keys. */
export const chunkJobKind: JobKind<ChunkJobPayload, ChunkJobResult> = {
  kind: 'accuracy-chunk',
  label: (p) => `chunk ${Number.isInteger(p?.index) ? p.index : '?'}`,
  async run(ctx: JobContext, payload: ChunkJobPayload) {
    checkPayload(payload);
    const keys = loadChunkKeys(ctx.buildDir, ctx.keyDir, ctx.keyHash);
    const size = keys.model.input.shape.reduce((a, b) => a * b, 1);
    const chunkSize = (keys.vkey['zkinfer'] as { accuracy?: { chunkSize?: number } } | undefined)?.accuracy?.chunkSize;
    if (payload.chunk.inputs.length !== chunkSize)
      throw bad(
        `chunk ${payload.index}`,
        `"chunk" has ${payload.chunk.inputs.length} samples, the key is for chunks of ${chunkSize}`,
      );
    if (payload.chunk.inputs.some((x) => x.length !== size))
      throw bad(`chunk ${payload.index}`, `"chunk.inputs" are not ${size} values each`);
    const w = chunkWitness(keys, payload);
    // proveChunkWitness refuses a witness that does not fit the keys or the commitment (plain Error: another
    // worker, with intact keys, may prove it).
    const proof = await proveChunkWitness(keys, payload, w);
    return {
      result: { proofJson: JSON.stringify(proof) },
      line: `${proof.count}/${proof.samples} correct`,
    };
  },
};
