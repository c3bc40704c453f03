/**
 * Field types shared by the artifact schemas: tensor shapes, hashes, bit widths, safe
 * integers and field elements. Limits are generous for real models and small enough that no
 * later stage can overflow, allocate absurd memory or loop for hours on a hostile value.
 */
import { z } from 'zod';

/** Largest tensor zkinfer accepts anywhere (elements): far above any provable model. */
export const MAX_TENSOR_ELEMENTS = 2 ** 24;
/** Largest rank of a tensor shape. */
export const MAX_RANK = 8;

/** A static tensor shape: positive integer dims, at most {@link MAX_TENSOR_ELEMENTS} elements. */
export const dimsSchema = z
  .array(z.number().int().min(1).max(MAX_TENSOR_ELEMENTS))
  .max(MAX_RANK)
  .refine((d) => d.reduce((a, b) => a * b, 1) <= MAX_TENSOR_ELEMENTS, {
    message: `tensor has more than ${MAX_TENSOR_ELEMENTS} elements`,
  })
  .meta({ description: 'tensor shape (row-major dims)' });

/** Lower-case hex sha256. */
export const sha256Schema = z
  .string()
  .regex(/^[0-9a-f]{64}$/, 'expected a lower-case hex sha256')
  .meta({ description: 'sha256, lower-case hex' });

/** An integer whose magnitude keeps every float64 computation on it exact. */
export const safeIntSchema = z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);

/** A non-negative integer index below 2^31. */
export const indexSchema = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1);

/** A fixed-point fraction exponent (value = integer / 2^frac). */
export const fracSchema = z.number().int().min(-64).max(64);

/** A bit width `lo..hi`. */
export const bitsSchema = (lo: number, hi: number) => z.number().int().min(lo).max(hi);

/** Weight and activation widths the quantizer supports. */
export const QUANT_BITS = { min: 2, max: 16 } as const;

/** A finite JSON number (zod already rejects NaN; this also rejects ±Infinity). */
export const finiteSchema = z.number().refine(Number.isFinite, { message: 'must be a finite number' });

/** A final Softmax/LogSoftmax applied outside the circuit. */
export const droppedFinalSchema = z.object({
  op: z.enum(['Softmax', 'LogSoftmax']),
  axis: z.number().int().min(0).max(7),
  coerce2d: z.boolean(),
});

/** Visibility of the input or output in the public signals. */
export const visibilitySchema = z.enum(['public', 'hashed', 'packed']);
