/**
 * Hashed weights: the weights are private inputs and W, their blinded commitment, is a public
 * signal. The key then names only the architecture (shapes, scales, shifts): two models of the
 * same architecture share one key and differ only in W. So W must be pinned like the key:
 * - `weights` (--weights-commitment W): the proof's W — read by the *pinned key's* layout, never
 *   the bundle's — must equal the model owner's published W. A hashed key with no pin fails
 *   unless --allow-unpinned (then the check passes marked unverified: which weights ran is the
 *   prover's word). --weights-commitment on a fixed-weights key is an error (exit 2): there is
 *   no W, the key already is the model.
 * - `weights-opening` (--model m.onnx --weights-opening FILE): an auditor holding the ONNX file
 *   and the owner's opening recomputes W from the replayed quantized weights and the opening's
 *   blinding; it must equal the proof's W.
 */
import { UserError } from '../core/errors.js';
import { weightsCommitment } from '../compile/weight-signals.js';
import type { QuantizedModel } from '../quantize/quantized-model.js';
import type { VkeyMeta } from '../formats/vkey.js';
import { readWeightsOpening, readWeightsPin, weightsHex } from '../formats/weights.js';
import { hasHashedWeights } from '../formats/quantized-model.js';
import { fail, pass, type CheckResult } from './check-result.js';

/** Options of the weight checks. */
export interface WeightsOptions {
  /** The model owner's published W (0x-hex or decimal), or its weights.json file. */
  readonly weightsCommitment?: string;
  /** The model owner's weights.opening.json (with --model). */
  readonly weightsOpeningPath?: string;
}

const short = (v: bigint): string => `${weightsHex(v).slice(0, 18)}…`;

/** The proof's W, read at the key's `layout.weights` offset; undefined for a fixed-weights key. */
export function provenWeights(meta: VkeyMeta, publicSignals: readonly string[]): bigint | undefined {
  const slot = meta.layout.weights;
  if (!slot) return undefined;
  const s = publicSignals[slot.offset];
  return s === undefined ? undefined : BigInt(s);
}

/**
 * Throws {@link UserError} for weight options that do not apply to this key (fixed weights), or
 * --weights-opening without --model.
 */
export function assertWeightsOptions(meta: VkeyMeta, o: WeightsOptions & { modelPath?: string }): void {
  const fixed = !meta.layout.weights;
  if (o.weightsCommitment !== undefined && fixed)
    throw new UserError(
      '--weights-commitment does not apply: the key has fixed weights (they are constants of the circuit, so the key already is the model)',
    );
  if (o.weightsOpeningPath !== undefined && !o.modelPath)
    throw new UserError("--weights-opening needs --model (W is recomputed from that ONNX file's quantized weights)");
  if (o.weightsOpeningPath !== undefined && fixed)
    throw new UserError('--weights-opening does not apply: the key has fixed weights, there is no weight commitment');
}

/** The `weights` check (hashed keys only; none for a fixed-weights key). */
export function weightsPinCheck(
  meta: VkeyMeta,
  publicSignals: readonly string[],
  o: WeightsOptions & { allowUnpinned?: boolean },
): CheckResult | undefined {
  if (!meta.layout.weights) return undefined;
  const proven = provenWeights(meta, publicSignals);
  if (proven === undefined) return fail('weights', 'the proof has no weight commitment signal where the key says');
  if (o.weightsCommitment === undefined) {
    const why = 'the key names only the architecture, so any weights of that architecture prove under it';
    const how = "pin W with --weights-commitment W (the model owner's published weights.json)";
    return o.allowUnpinned
      ? {
          check: 'weights',
          ok: true,
          unverified: true,
          detail: `W ${short(proven)} NOT PINNED (--allow-unpinned): which weights ran is unverified (${why}; ${how})`,
        }
      : fail(
          'weights',
          `the weight commitment W ${short(proven)} is not pinned: ${why}; ${how}, or pass --allow-unpinned`,
        );
  }
  const pin = readWeightsPin(o.weightsCommitment);
  if (pin.modelId !== undefined && pin.modelId !== meta.modelId)
    return fail(
      'weights',
      `${o.weightsCommitment} commits weights of model ${pin.modelId.slice(0, 16)}…, the key is for ${meta.modelId.slice(0, 16)}…`,
    );
  return pin.value === proven
    ? pass('weights', `weight commitment W ${short(proven)} matches the pinned one`)
    : fail(
        'weights',
        // Full values: two commitments can share the shortened prefix.
        `the proof's weight commitment ${weightsHex(proven)} is not the pinned ${weightsHex(pin.value)}: other weights`,
      );
}

/**
 * The `weights-opening` check: W recomputed from `model` (the verifier's replay of --model) and
 * the opening's blinding must equal the proof's W.
 */
export async function weightsOpeningCheck(
  meta: VkeyMeta,
  publicSignals: readonly string[],
  openingPath: string,
  model: QuantizedModel,
  modelPath: string,
): Promise<CheckResult> {
  const o = readWeightsOpening(openingPath);
  const proven = provenWeights(meta, publicSignals);
  if (proven === undefined) return fail('weights-opening', 'the proof has no weight commitment signal');
  // Settings of a fixed-weights build replay a model with no W (its model-id fails too).
  if (!hasHashedWeights(model))
    return fail(
      'weights-opening',
      `${modelPath} replays with fixed weights (settings of a fixed-weights build), the key has hashed weights: no W to recompute`,
    );
  const w = await weightsCommitment(model, BigInt(o.blinding));
  if (w !== proven)
    return fail(
      'weights-opening',
      `the weights of ${modelPath} with the blinding of ${openingPath} give W ${short(w)}, the proof's is ${short(proven)}`,
    );
  return pass('weights-opening', `W ${short(w)} recomputed from ${modelPath}'s quantized weights and ${openingPath}`);
}
