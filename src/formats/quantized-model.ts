/**
 * Reading `model.quant.json`: compile and prove read the file only through
 * {@link parseQuantizedModel}, so an edited or corrupted file is a one-line error, never a
 * crash. The schema and its types are in quantized-schema.ts.
 */
import { quote, UserError } from '../core/errors.js';
import { canonicalJson } from '../core/hash.js';
import { validate } from '../core/json.js';
import { firstOversizedOp, MAX_VALUE_BITS } from './quantized-magnitude.js';
import { checkStructure } from './quantized-structure.js';
import { quantizedModelSchema } from './quantized-schema.js';
import type { QuantizedModel } from './quantized-schema.js';

/** Validates a parsed `model.quant.json`; throws {@link UserError} naming the file and field. */
export function parseQuantizedModel(value: unknown, where: string): QuantizedModel {
  const m = validate(quantizedModelSchema, value, where, 'quantized model');
  checkStructure(m, where);
  const big = firstOversizedOp(m);
  if (big)
    throw new UserError(
      `${where}: op ${quote(big.op)}: its values can reach 2^${Math.ceil(big.bits)}, beyond the 2^${MAX_VALUE_BITS} the circuit's field represents exactly (requantize between products or linear layers)`,
    );
  // The value as read (fields a newer zkinfer adds are kept, not stripped).
  return value as QuantizedModel;
}

/** The fields hashed weights add to model.quant.json (issue 21; schema owned by the quantizer). */
interface HashedWeightFields {
  readonly weights?: 'hashed';
}

/** A linear op of a hashed-weights model: the signed widths every weight and bias fits. */
export type HashedLinearFields = { readonly weightBits?: number; readonly biasBits?: number };

/** True when the model's linear weights are private witnesses behind the commitment W. */
export function hasHashedWeights(model: QuantizedModel): boolean {
  return (model as QuantizedModel & HashedWeightFields).weights === 'hashed';
}

/**
 * The architecture of a model: canonical model.quant.json with every linear op's `weight` and
 * `bias` emptied (shapes, scales, shifts and widths stay). Hashed-weights builds hash this, never
 * the weights: an unblinded hash of the weights would confirm a guessed model.
 */
export function architectureBytes(model: QuantizedModel): Buffer {
  const ops = model.ops.map((op) => (op.kind === 'linear' ? { ...op, weight: [], bias: [] } : op));
  return Buffer.from(canonicalJson({ ...model, ops }), 'utf8');
}

/**
 * The bytes a build's `quantizedSha256` and model id hash: the architecture for hashed weights,
 * the exact file bytes otherwise (so fixed-weights ids are unchanged).
 */
export function modelHashBytes(model: QuantizedModel, bytes: Uint8Array): Uint8Array {
  return hasHashedWeights(model) ? architectureBytes(model) : bytes;
}
