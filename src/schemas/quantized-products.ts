/**
 * Schemas and structural checks of the quantized ops on two activations and of softmax rows
 * (src/quantize/quantized-products.ts), kept apart from quantized-model.ts's list.
 */
import { z } from 'zod';
import { indexSchema } from './common.js';

const name = z.string().max(4096);
const io = { name, input: name, output: name };
const indexList = z.array(indexSchema);

/** The product op. */
export const qproductSchema = z.object({ kind: z.literal('product'), ...io, other: name, offsets: indexList, aIndex: indexList, bIndex: indexList });

/** Checks a product's index lists against the operand sizes; returns its output size or a message. */
export function checkProduct(op: z.output<typeof qproductSchema>, nA: number, nB: number | undefined): number | string {
  if (nB === undefined) return `tensor ${JSON.stringify(op.other)} is not defined by an earlier op`;
  const o = op.offsets;
  if (o.length < 2 || o[0] !== 0 || o[o.length - 1] !== op.aIndex.length || o.some((v, i) => i > 0 && v < o[i - 1]!)) return 'field offsets does not delimit the terms';
  if (op.aIndex.length !== op.bIndex.length) return 'fields aIndex and bIndex have different lengths';
  if (op.aIndex.some((i) => i >= nA) || op.bIndex.some((i) => i >= nB)) return 'an operand index is out of range';
  return o.length - 1;
}
