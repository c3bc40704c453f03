/**
 * Schemas, types and structural checks of selection by a computed index (gatherIndex, topk),
 * kept apart from quantized-schema.ts's list. Their integer semantics are in
 * src/quantize/quantize-index.ts, their circuits in circuits/one-hot.ts and circuits/top-k.ts.
 */
import { z } from 'zod';
import { bitsSchema, fracSchema, indexSchema, MAX_TENSOR_ELEMENTS, safeIntSchema } from './common.js';

const name = z.string().max(4096);
const io = { name, input: name, output: name };
const indexList = z.array(indexSchema);
const count = z.number().int().min(1).max(MAX_TENSOR_ELEMENTS);

/** The gatherIndex op. */
export const qgatherIndexSchema = z.object({
  kind: z.literal('gatherIndex'),
  ...io,
  data: z.union([
    z.strictObject({ tensor: name, scale: safeIntSchema }),
    z.strictObject({ constant: z.array(safeIntSchema) }),
  ]),
  indexFrac: fracSchema.min(0),
  lo: z.array(safeIntSchema),
  span: z.array(count),
  axisDim: count,
  axisStride: count,
  base: indexList,
  indexOf: indexList,
});

/**
 * y[k] = data[base[k] + norm(v) · axisStride] · scale with v = idx[i] / 2^indexFrac, i = indexOf[k],
 * an integer in index element i's proven range [lo[i], lo[i] + span[i]) ⊆ [−axisDim, axisDim)
 * (norm(v) = v + axisDim for v < 0); any other index has no witness (circuits/one-hot.ts).
 */
export type QGatherIndex = z.infer<typeof qgatherIndexSchema>;

/** The topk op. */
export const qtopkSchema = z.object({
  kind: z.literal('topk'),
  ...io,
  n: count,
  k: count,
  largest: z.boolean(),
  index: indexList,
  bits: bitsSchema(1, 240),
  indexScale: safeIntSchema.min(1),
});

/**
 * Rows of n input elements (index[r·n .. (r+1)·n)); the output is each row's k largest (or
 * smallest) values in ONNX order, then each row's k indices times indexScale (so both share the
 * input's scale). `bits`: the signed width of key differences (circuits/top-k.ts).
 */
export type QTopK = z.infer<typeof qtopkSchema>;

/** Checks a gatherIndex against its index tensor's size `n` and the data's; returns its output size or a message. */
export function checkGatherIndex(op: QGatherIndex, n: number, dataSize: number | undefined): number | string {
  if (dataSize === undefined) return 'the data tensor is not defined by an earlier op';
  if (op.base.length !== op.indexOf.length) return 'fields base and indexOf have different lengths';
  if (op.indexOf.some((i) => i >= n)) return 'an index position is out of range';
  if (op.lo.length !== n || op.span.length !== n) return `fields lo and span need ${n} entries (one per index)`;
  if (op.lo.some((l, i) => l < -op.axisDim || l + op.span[i]! > op.axisDim)) return 'an index range exceeds the axis';
  if (op.base.some((b) => b + (op.axisDim - 1) * op.axisStride >= dataSize)) return 'a data position is out of range';
  return op.base.length;
}

/** Checks a topk against its input's size; returns its output size or a message. */
export function checkTopK(op: QTopK, n: number): number | string {
  if (op.k > op.n) return `k = ${op.k} exceeds the row length ${op.n}`;
  if (op.index.length === 0 || op.index.length % op.n !== 0) return 'field index does not hold whole rows';
  if (op.index.some((i) => i >= n)) return 'a row index is out of range';
  return (2 * op.index.length * op.k) / op.n;
}
