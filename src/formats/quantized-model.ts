/**
 * Reading `model.quant.json`: compile and prove read the file only through
 * {@link parseQuantizedModel}, so an edited or corrupted file is a one-line error, never a
 * crash. The schema and its types are in quantized-schema.ts.
 */
import { quote, UserError } from '../core/errors.js';
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
