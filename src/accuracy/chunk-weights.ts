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
import { join } from 'node:path';
import { sha256Hex } from '../core/hash.js';
import { readJsonFile } from '../core/json.js';
import { UserError } from '../core/errors.js';
import { architectureBytes } from '../formats/quantized-model.js';
import { parseFieldElement, toHex } from './dataset-commitment.js';
import type { QuantizedModel } from '../quantize/quantized-model.js';

/** Public signals of a chunk proof: [c_i, count], then W with hashed weights. */
export const CHUNK_SIGNALS = 2;
/** Where W sits among a hashed chunk's public signals. */
export const CHUNK_WEIGHTS_OFFSET = 2;

/** True when the model's weights are private witnesses committed by W. */
export function hasHashedWeights(model: QuantizedModel): boolean {
  return model.weights === 'hashed';
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

/** The weights opening of a build: `BUILD/weights.opening.json`, written by `zkinfer weights commit BUILD`. */
export function weightsOpeningPathOf(buildDir: string): string {
  return join(buildDir, 'weights.opening.json');
}

/**
 * The build's weights opening when its model has hashed weights (undefined with fixed weights);
 * a missing or malformed opening is a one-line error naming the command that makes it.
 */
export function chunkWeightsFor(buildDir: string, model: QuantizedModel): ChunkWeights | undefined {
  if (!hasHashedWeights(model)) return undefined;
  const path = weightsOpeningPathOf(buildDir);
  if (!existsSync(path))
    throw new UserError(
      `${path}: missing; the model has hashed weights, so proving needs the weights opening: run \`zkinfer weights commit ${buildDir}\``,
    );
  const json = (readJsonFile(path, 'weights opening') ?? {}) as { commitment?: unknown; blinding?: unknown };
  if (typeof json.commitment !== 'string' || typeof json.blinding !== 'string')
    throw new UserError(`${path}: not a zkinfer weights opening (a commitment and a blinding)`);
  return {
    blinding: parseFieldElement(json.blinding, `${path}: blinding`),
    commitment: toHex(parseFieldElement(json.commitment, `${path}: commitment`)),
  };
}
