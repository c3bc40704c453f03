/**
 * Schemas, types and structural checks of the quantized ops on two activations and of softmax
 * rows, kept apart from quantized-schema.ts's list. Their integer semantics are in
 * src/quantize/quantized-products.ts.
 */
import { z } from 'zod';
import { bitsSchema, indexSchema, safeIntSchema } from './common.js';

const name = z.string().max(4096);
const io = { name, input: name, output: name };
const indexList = z.array(indexSchema);

/** The product op. */
export const qproductSchema = z.object({
  kind: z.literal('product'),
  ...io,
  other: name,
  offsets: indexList,
  aIndex: indexList,
  bIndex: indexList,
});

/**
 * y[j] = Σ a[aIndex[k]] · b[bIndex[k]] over k ∈ [offsets[j], offsets[j+1]): an accumulator at
 * frac(a) + frac(b) (circuits/product.ts). Both operands are materialized activations.
 */
export type QProduct = z.infer<typeof qproductSchema>;

/** Checks a product's index lists against the operand sizes; returns its output size or a message. */
export function checkProduct(op: z.output<typeof qproductSchema>, nA: number, nB: number | undefined): number | string {
  if (nB === undefined) return `tensor ${JSON.stringify(op.other)} is not defined by an earlier op`;
  const o = op.offsets;
  if (o.length < 2 || o[0] !== 0 || o[o.length - 1] !== op.aIndex.length || o.some((v, i) => i > 0 && v < o[i - 1]!))
    return 'field offsets does not delimit the terms';
  if (op.aIndex.length !== op.bIndex.length) return 'fields aIndex and bIndex have different lengths';
  if (op.aIndex.some((i) => i >= nA) || op.bIndex.some((i) => i >= nB)) return 'an operand index is out of range';
  return o.length - 1;
}

const widths = (max: number) => z.array(bitsSchema(0, max));

/** The divide op (widths below 120 bits each, so q·d + r never wraps around the field). */
export const qdivideSchema = z.object({
  kind: z.literal('divide'),
  ...io,
  other: name,
  aIndex: indexList,
  bIndex: indexList,
  sign: z.union([z.literal(1), z.literal(-1), z.literal(0)]),
  signBits: widths(120).optional(),
  shift: bitsSchema(0, 64),
  clamp: z.array(z.boolean()),
  qOffset: z.array(safeIntSchema),
  qBits: widths(120),
  rBits: widths(120),
});

/**
 * y[j] = floor(n / d) with n = sign · a[aIndex[j]] · 2^shift and d = max(sign · b[bIndex[j]], 1)
 * (circuits/divide.ts): the quotient at frac(a) − frac(b) + shift, rounded toward −∞.
 *
 * `sign` is −1 when the denominator can never be positive (then −b is divided), +1 when it can
 * never be negative, and 0 when its worst-case range crosses zero: then the sign is proven per
 * element (`signBits`, the comparator widths of b ≥ 0) and sign = +1 for b ≥ 0, −1 for b < 0, so
 * y = floor(a·2^shift / b) for every b ≠ 0. A denominator that can reach 0 is clamped to 1 ulp:
 * x / 0 is x · 2^shift, the largest quotient of its sign, never a failure. sign·b is never
 * negative, so the clamp is u + [u = 0] (an is-zero test, `clamp[j]`), emitted only where the
 * range reaches 0. Per element, `qOffset` is the smallest quotient, `qBits` the width of
 * q − qOffset and `rBits` the width of the remainder (d − 1 < 2^rBits).
 */
export type QDivide = z.infer<typeof qdivideSchema>;

/** Checks a divide's per-element lists; returns its output size or a message. */
export function checkDivide(op: z.output<typeof qdivideSchema>, nA: number, nB: number | undefined): number | string {
  if (nB === undefined) return `tensor ${JSON.stringify(op.other)} is not defined by an earlier op`;
  const n = op.aIndex.length;
  if (n === 0 || [op.bIndex, op.clamp, op.qOffset, op.qBits, op.rBits].some((l) => l.length !== n))
    return `fields bIndex, clamp, qOffset, qBits and rBits need ${n} entries each`;
  if (op.qBits.some((w, j) => w < 1 || w + op.rBits[j]! + 2 >= 253) || op.rBits.some((w) => w < 1))
    return 'a quotient or remainder width is out of range';
  if (op.aIndex.some((i) => i >= nA) || op.bIndex.some((i) => i >= nB)) return 'an operand index is out of range';
  if (op.sign === 0 && (op.signBits?.length !== n || op.signBits.some((w) => w < 1)))
    return `field signBits needs ${n} positive widths with sign 0`;
  return n;
}

/** The softmax op (tables of at most 2^12 entries). */
export const qsoftmaxSchema = z.object({
  kind: z.literal('softmax'),
  ...io,
  offsets: indexList,
  index: indexList,
  log: z.boolean(),
  cmpBits: widths(240),
  expBits: bitsSchema(1, 12),
  expTable: z.array(safeIntSchema.min(0)),
  outFrac: z.number().int().min(-64).max(64),
  sumBits: bitsSchema(1, 120),
  logShift: bitsSchema(0, 120),
  logTable: z.array(safeIntSchema),
});

/**
 * Softmax (or LogSoftmax with `log`) over rows, exactly (circuits/softmax.ts): per row,
 * m = max x, d = x − m, e = expTable[d + 2^expBits − 1], S = Σ e;
 * softmax y = floor((2·e·2^outFrac + S) / 2S), e·2^outFrac / S rounded half up (probabilities at frac outFrac);
 * logsoftmax y = d − logTable[(S − E1) >> logShift] at the input's frac, with E1 = expTable's
 * last entry (the exponential of 0, the smallest possible S). `cmpBits`: max comparator widths,
 * rows in order (row length − 1 each).
 */
export type QSoftmax = z.infer<typeof qsoftmaxSchema>;

/** Checks a softmax's rows and tables; returns its output size or a message. */
export function checkSoftmax(op: z.output<typeof qsoftmaxSchema>, n: number): number | string {
  const o = op.offsets;
  const rows = o.length - 1;
  if (rows < 1 || o[0] !== 0 || o[rows] !== op.index.length || o.some((v, i) => i > 0 && v <= o[i - 1]!))
    return 'field offsets does not delimit non-empty rows';
  if (op.index.length !== n || new Set(op.index).size !== n || op.index.some((i) => i >= n))
    return 'the rows must cover every input element once';
  if (op.cmpBits.length !== n - rows)
    return `field cmpBits has ${op.cmpBits.length} entries, the rows need ${n - rows}`;
  if (op.expTable.length !== 2 ** op.expBits || !(op.expTable[op.expTable.length - 1]! >= 1))
    return `field expTable needs 2^${op.expBits} entries ending in a positive one`;
  if (!op.log && (op.outFrac < 0 || op.outFrac + 1 + op.sumBits + 2 >= 253))
    return 'fields outFrac and sumBits are out of range';
  if (
    op.log &&
    (op.logShift >= op.sumBits + 1 ||
      op.sumBits - op.logShift > 12 ||
      op.logTable.length !== 2 ** (op.sumBits - op.logShift))
  )
    return 'fields sumBits, logShift and logTable do not fit together';
  return n;
}
