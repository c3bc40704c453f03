/**
 * Proving one accuracy chunk, shared by the two routes that do it: the local worker threads of
 * `zkinfer accuracy` (chunk-worker.ts) and the `accuracy-chunk` job of `zkinfer worker` on the
 * Postgres queue (src/queue/chunk-job.ts). The keys of a chunk size are loaded once per thread.
 *
 * Before proving, the witness is checked three ways, each of which catches a bug rather than an
 * attack (the submitter verifies every proof it is handed anyway): the circuit's commitment must
 * be the one computed off-circuit, the witness must fit the key's r1cs, and it must satisfy it.
 * With hashed weights the prover also needs the build's weights opening (chunk-weights.ts), and
 * the circuit's W must be the opening's: a stale opening fails here, not at the verifier.
 */
import { readFileSync } from 'node:fs';
import * as snarkjs from 'snarkjs';
import { findViolatedConstraint, type BuiltCircuit } from '../../circuits/builder.js';
import { artifactPath } from '../formats/paths.js';
import { readQuantizedModel } from '../compile/compile-circuit.js';
import { decodeR1cs, encodeWtns, R1csFile } from '../compile/r1cs-file.js';
import type { QuantizedChunk } from './dataset-commitment.js';
import { useSingleThreadCurve } from '../runtime/curve.js';
import type { QuantizedModel } from '../quantize/quantized-model.js';
import { buildChunkCircuit } from './chunk-circuit.js';
import { chunkProofSchema, type ChunkProof } from '../formats/claim.js';
import { proofVerifies } from '../verify/proof-check.js';
import { readCircuitInfo } from '../formats/build-dir.js';
import { lookupOptionOf } from '../compile/proof-system.js';
import { proverCurve } from '../prove/groth16/curve-api.js';
import { Groth16Prover } from '../prove/groth16/groth16-prover.js';
import { proveWitness, type MadeProof } from '../prove/two-round.js';
import { vkeyHash } from '../formats/vkey.js';
import { CHUNK_SIGNALS, CHUNK_WEIGHTS_OFFSET, chunkWeightsFor, type ChunkWeights } from './chunk-weights.js';
import { toHex } from './dataset-commitment.js';

/** One chunk to prove: where it sits in the dataset and what it commits to. */
export interface ChunkStatement {
  readonly index: number;
  readonly chunk: QuantizedChunk;
  /** r_i, decimal. */
  readonly blinding: string;
  /** c_i, 0x-hex, computed off-circuit by the submitter: the proof must commit to exactly this. */
  readonly commitment: string;
}

/** The keys and model of one chunk size, loaded once per thread. */
export interface LoadedChunkKeys {
  readonly buildDir: string;
  readonly keyDir: string;
  readonly model: QuantizedModel;
  readonly r1cs: R1csFile;
  readonly zkey: { type: 'mem'; data: Uint8Array };
  readonly vkey: Record<string, unknown>;
  /** The weights opening (hashed weights only), read again on every load: `weights commit --force` may replace it. */
  weights?: ChunkWeights;
  /** ultragroth chunk keys: the lookups the chunk circuit was compiled with (its circuit.json). */
  readonly lookup?: { readonly limbBits: number };
  /** ultragroth chunk keys: zkinfer's own prover of the key (snarkjs cannot make these proofs), made once. */
  own?: Promise<Groth16Prover>;
}

let cached: LoadedChunkKeys | undefined;

/**
 * The model of `buildDir` and the chunk keys in `keyDir`, cached for the thread. With `keyHash`,
 * keys that do not hash to it are read again (the directory's keys were replaced since) and
 * refused when they still differ.
 */
export function loadChunkKeys(buildDir: string, keyDir: string, keyHash?: string): LoadedChunkKeys {
  const stale = (): boolean => keyHash !== undefined && vkeyHash(cached!.vkey) !== keyHash;
  if (cached?.buildDir !== buildDir || cached.keyDir !== keyDir || stale()) {
    cached = {
      buildDir,
      keyDir,
      model: readQuantizedModel(buildDir).model,
      r1cs: decodeR1cs(readFileSync(artifactPath(keyDir, 'r1cs'))),
      zkey: { type: 'mem', data: new Uint8Array(readFileSync(artifactPath(keyDir, 'zkey'))) },
      vkey: JSON.parse(readFileSync(artifactPath(keyDir, 'vkey'), 'utf8')) as Record<string, unknown>,
    };
    const lookup = lookupOptionOf(readCircuitInfo(keyDir));
    if (lookup) cached = { ...cached, lookup };
  }
  if (stale())
    throw new Error(`${keyDir} now holds key ${vkeyHash(cached!.vkey).slice(0, 16)}…, not ${keyHash!.slice(0, 16)}…`);
  const weights = chunkWeightsFor(buildDir, cached!.model);
  // The same object while the keys stay: the own prover (ultragroth) is made once per thread.
  if (weights) cached!.weights = weights;
  else delete cached!.weights;
  return cached!;
}

/** Drops the cached keys (the thread is about to exit). */
export function releaseChunkKeys(): void {
  cached = undefined;
}

/** The circuit's view of a chunk: its predictions for the real samples and the proven count. */
export interface ChunkWitness {
  readonly predictions: number[];
  readonly count: number;
  readonly witness: bigint[];
  readonly publicSignals: string[];
  /** The built circuit (ultragroth: its round-1 witness and what round 2 needs); kept in this thread. */
  readonly circuit: BuiltCircuit;
}

/** Computes the chunk circuit's witness (no proof yet). */
export function chunkWitness(keys: LoadedChunkKeys, s: ChunkStatement): ChunkWitness {
  const build = buildChunkCircuit(keys.model, s.chunk, BigInt(s.blinding), {
    witnessOnly: true,
    ...(keys.weights ? { weightsBlinding: keys.weights.blinding } : {}),
    ...(keys.lookup ? { lookup: keys.lookup } : {}),
  });
  return {
    predictions: build.predictions.slice(0, s.chunk.samples),
    count: build.count,
    witness: build.circuit.witness,
    publicSignals: build.publicSignals,
    circuit: build.circuit,
  };
}

/**
 * Proves a chunk from its witness; throws an Error naming the chunk when the witness does not
 * belong to the keys (a bug, or keys of another model) or the proof does not verify under the
 * keys' own vkey.json (a proving key that is not that key's): a worker hands out only proofs
 * that verify.
 */
export async function proveChunkWitness(
  keys: LoadedChunkKeys,
  s: ChunkStatement,
  w: ChunkWitness,
): Promise<ChunkProof> {
  if (w.witness.length !== keys.r1cs.nWires)
    throw new Error(
      `chunk ${s.index}: witness has ${w.witness.length} wires, ${keys.keyDir} has ${keys.r1cs.nWires}; delete that directory to rebuild the chunk keys`,
    );
  if (BigInt(w.publicSignals[0]!) !== BigInt(s.commitment))
    throw new Error(`chunk ${s.index}: the circuit's commitment differs from the off-circuit one (a bug)`);
  const w0 = w.publicSignals[CHUNK_WEIGHTS_OFFSET];
  if (keys.weights && (w0 === undefined || toHex(BigInt(w0)) !== keys.weights.commitment))
    throw new Error(
      `chunk ${s.index}: the circuit's weights commitment differs from ${keys.buildDir}/weights.opening.json's (an opening of other weights)`,
    );
  const { proof, publicSignals } = keys.lookup ? await proveRounds(keys, s, w) : await proveSnarkjs(keys, s, w);
  const out = {
    index: s.index,
    samples: s.chunk.samples,
    count: w.count,
    commitment: s.commitment,
    publicSignals,
    proof,
  };
  if (!(await proofVerifies(keys.vkey, publicSignals, proof)))
    throw new Error(
      `chunk ${s.index}: the proof does not verify with ${keys.keyDir}/vkey.json (its proving key is another key's)`,
    );
  return out;
}

/** A groth16 chunk proof by snarkjs, of a witness checked against the keys' r1cs first. */
async function proveSnarkjs(keys: LoadedChunkKeys, s: ChunkStatement, w: ChunkWitness): Promise<MadeProof> {
  const bad = findViolatedConstraint(keys.r1cs.constraints, w.witness);
  if (bad >= 0) throw new Error(`chunk ${s.index}: witness violates constraint ${bad} (a bug)`);
  await useSingleThreadCurve();
  return (await snarkjs.groth16.prove(keys.zkey, {
    type: 'mem',
    data: new Uint8Array(encodeWtns(w.witness)),
  })) as MadeProof;
}

/** An ultragroth chunk proof by zkinfer's own prover: round 1, the challenge, round 2, the completed witness checked. */
async function proveRounds(keys: LoadedChunkKeys, s: ChunkStatement, w: ChunkWitness): Promise<MadeProof> {
  keys.own ??= proverCurve(true).then((curve) => Groth16Prover.create(curve, keys.zkey.data));
  return proveWitness(w.circuit, {
    prover: await keys.own,
    ultragroth: true,
    constraints: keys.r1cs.constraints,
    violation: (m) => new Error(`chunk ${s.index}: ${m} (a bug)`),
  });
}

/** The chunk a proof must be of: position, real samples, c_i and (hashed weights) W, both 0x-hex. */
export interface ExpectedChunk {
  readonly index: number;
  readonly samples: number;
  readonly commitment: string;
  readonly weightsCommitment?: string;
}

/**
 * Whether `p` is a valid proof of exactly this chunk: same index, sample count and commitment,
 * public signals [c_i, count] (then W, which must be the expected one, with hashed weights), and
 * the Groth16 check under `vkey`. What both the resume rule and the queue submitter accept.
 */
export async function isProofOfChunk(
  vkey: Record<string, unknown>,
  p: ChunkProof,
  expected: ExpectedChunk,
): Promise<boolean> {
  // The strict shape first: a file with extra keys or non-canonical numbers would verify yet break the claim.
  if (!chunkProofSchema.safeParse(p).success) return false;
  if (p.index !== expected.index || p.samples !== expected.samples || p.commitment !== expected.commitment)
    return false;
  const w = expected.weightsCommitment;
  // [c_i, count], then W (hashed weights), then the challenge (ultragroth keys).
  const nSignals = CHUNK_SIGNALS + (w ? 1 : 0) + (vkey['protocol'] === 'ultragroth' ? 1 : 0);
  if (!Array.isArray(p.publicSignals) || p.publicSignals.length !== nSignals) return false;
  if (p.proof.protocol !== vkey['protocol']) return false;
  if (!Number.isInteger(p.count) || p.count < 0 || p.count > p.samples) return false;
  if (p.publicSignals[0] !== BigInt(expected.commitment).toString() || p.publicSignals[1] !== String(p.count))
    return false;
  // A proof under other weights (a stale chunk file after `weights commit --force`) is not a proof of this claim.
  if (w && p.publicSignals[CHUNK_WEIGHTS_OFFSET] !== BigInt(w).toString()) return false;
  return proofVerifies(vkey, p.publicSignals, p.proof);
}
