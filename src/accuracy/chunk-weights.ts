/**
 * Hashed weights in accuracy claims: the chunk circuit of a hashed-weights model takes every
 * weight and bias as private inputs, once per chunk (shared by all its samples), and exposes
 * their blinded commitment W after [c_i, count]. The chunk key then depends on the architecture
 * only (its quantized-model hash is the architecture's), and the claim names W; the verifier
 * checks every chunk's W equals it and, with `--weights-commitment`, the published W.
 *
 * Whoever proves a chunk (a local thread, a queue worker) needs the weights and the build's
 * weights opening (`zkinfer weights commit BUILD`): the prover holds the weights, as it holds the inputs.
 */
import { existsSync } from 'node:fs';
import { sha256Hex } from '../core/hash.js';
import { UserError } from '../core/errors.js';
import { artifactPath } from '../formats/paths.js';
import { architectureBytes } from '../formats/quantized-model.js';
import { readWeightsOpening, weightsHex } from '../formats/weights.js';
import { weightsCommitment } from '../compile/weight-signals.js';
import { weightsModeOf } from '../formats/hashed-weights.js';
import type { QuantizedModel } from '../quantize/quantized-model.js';

/** Public signals of a chunk proof: [c_i, count], then W with hashed weights. */
export const CHUNK_SIGNALS = 2;
/** Where W sits among a hashed chunk's public signals. */
export const CHUNK_WEIGHTS_OFFSET = 2;

/** True when the model's weights are private witnesses committed by W. */
export function hasHashedWeights(model: QuantizedModel): boolean {
  return weightsModeOf(model) === 'hashed';
}

/**
 * The quantized-model hash a chunk circuit and key name: the bytes of model.quant.json with
 * fixed weights, the architecture (every linear op's weights and biases emptied) with hashed
 * ones — never a hash of raw weights, which would confirm a guessed model.
 */
export function chunkQuantizedSha256(model: QuantizedModel, bytes: Uint8Array): string {
  return sha256Hex(chunkModelBytes(model, bytes));
}

/** The bytes the chunk circuit's model id hashes with its r1cs (see {@link chunkQuantizedSha256}). */
export function chunkModelBytes(model: QuantizedModel, bytes: Uint8Array): Uint8Array {
  return hasHashedWeights(model) ? architectureBytes(model) : bytes;
}

/** The weights opening a chunk prover needs: the blinding of W and W itself (0x-hex). */
export interface ChunkWeights {
  readonly blinding: bigint;
  readonly commitment: string;
}

/**
 * The build's weights opening (`BUILD/weights.opening.json`, from `zkinfer weights commit BUILD`)
 * when its model has hashed weights, undefined with fixed weights; a missing or malformed opening
 * is a one-line error naming the command that makes it. Whether it opens W for these very
 * weights is checked by the proof itself (the circuit's W must be the opening's, chunk-prover.ts)
 * and, before any work, by {@link assertChunkWeightsOpen}.
 */
export function chunkWeightsFor(buildDir: string, model: QuantizedModel): ChunkWeights | undefined {
  if (!hasHashedWeights(model)) return undefined;
  const path = artifactPath(buildDir, 'weightsOpening');
  if (!existsSync(path))
    throw new UserError(
      `${path}: missing; the model has hashed weights, so proving needs the weights opening: run \`zkinfer weights commit ${buildDir}\``,
    );
  const o = readWeightsOpening(path);
  return { blinding: BigInt(o.blinding), commitment: weightsHex(BigInt(o.commitment)) };
}

/** Throws {@link UserError} unless the opening's blinding gives its W for the model's current weights. */
export async function assertChunkWeightsOpen(buildDir: string, model: QuantizedModel, w: ChunkWeights): Promise<void> {
  const actual = weightsHex(await weightsCommitment(model, w.blinding));
  if (actual !== w.commitment)
    throw new UserError(
      `${artifactPath(buildDir, 'weightsOpening')}: its blinding gives W ${actual.slice(0, 18)}… for the weights in model.quant.json, not the recorded ` +
        `${w.commitment.slice(0, 18)}… (the model was quantized again with other weights); run \`zkinfer weights commit ${buildDir} --force\` and ` +
        `publish the new W`,
    );
}
