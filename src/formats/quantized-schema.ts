/**
 * Schema of `model.quant.json` (the integer model the circuit computes) and the one
 * declaration of its types: `QuantizedModel`, `QOp` and each op are `z.infer` of the schema, so
 * the file format and the code cannot drift apart. The integer semantics of each kind are in
 * src/quantize/integer-semantics.ts; the checks a schema cannot express in
 * quantized-structure.ts and quantized-magnitude.ts.
 */
import { z } from 'zod';
import {
  bitsSchema,
  dimsSchema,
  droppedFinalSchema,
  fracSchema,
  indexSchema,
  MAX_TENSOR_ELEMENTS,
  QUANT_BITS,
  safeIntSchema,
} from './common.js';
import { qdivideSchema, qproductSchema, qsoftmaxSchema } from './quantized-products.js';
import { qgatherIndexSchema, qtopkSchema } from './quantized-index.js';

/** Widest bit decomposition a gadget may use: below the ~254-bit field, so it cannot wrap. */
export const MAX_GADGET_BITS = 240;

/** Widest signed bias of a hashed-weights linear layer: any safe integer (|b| ≤ 2^53) fits 54 bits. */
export const MAX_BIAS_BITS = 54;

const name = z.string().max(4096);
const count = z.number().int().min(1).max(MAX_TENSOR_ELEMENTS);
const pair = z.tuple([z.number().int().min(1).max(4096), z.number().int().min(1).max(4096)]);
const gadgetBits = z.array(bitsSchema(0, MAX_GADGET_BITS));
const indexList = z.array(indexSchema);

const dense = z.object({ type: z.literal('dense'), inFeatures: count, outFeatures: count });
const conv2d = z.object({
  type: z.literal('conv2d'),
  inChannels: count,
  inHeight: count,
  inWidth: count,
  outChannels: count,
  kernel: pair,
  strides: pair,
  dilations: pair,
  pads: z.tuple([indexSchema.max(4096), indexSchema.max(4096), indexSchema.max(4096), indexSchema.max(4096)]),
  outHeight: count,
  outWidth: count,
});
const sparse = z.object({
  type: z.literal('sparse'),
  nIn: count,
  nOut: count,
  nWeights: indexSchema,
  nBias: indexSchema,
  offsets: indexList,
  inputIndex: indexList,
  weightIndex: indexList,
  biasIndex: indexList,
});
const io = { name, input: name, output: name };
/** An aligned operand: a tensor times a power of two, or one integer per output element. */
const operand = z.union([
  z.strictObject({ tensor: name, scale: safeIntSchema }),
  z.strictObject({ constant: z.array(safeIntSchema) }),
]);
const inputPart = z.object({
  name,
  shape: dimsSchema,
  elemType: z.string().max(20),
  frac: fracSchema,
  lo: safeIntSchema,
  hi: safeIntSchema,
});

/** A split of a tree (x[f] op t, children by index, after the node) or a leaf's (output, weight) pairs. */
const treeNode = z.union([
  z.strictObject({
    f: indexSchema,
    op: z.enum(['le', 'gt', 'eq', 'ne']),
    t: safeIntSchema,
    yes: indexSchema,
    no: indexSchema,
  }),
  z.strictObject({ leaf: z.array(z.tuple([indexSchema, safeIntSchema])).max(10_000) }),
]);

/** One quantized op. The comment above each kind is its integer meaning. */
export const qopSchema = z.discriminatedUnion('kind', [
  // Linear layer with integer weights; the output is an accumulator at frac(input)+weightFrac; bias at the accumulator's scale.
  // weightBits/biasBits (exactly in a hashed-weights model): the signed widths every weight/bias lies in, which the
  // circuit range-checks and which alone (never the values) bound the accumulator.
  z.object({
    kind: z.literal('linear'),
    ...io,
    spec: z.discriminatedUnion('type', [dense, conv2d, sparse]),
    weightFrac: fracSchema,
    weight: z.array(safeIntSchema),
    bias: z.array(safeIntSchema),
    weightBits: bitsSchema(QUANT_BITS.min, QUANT_BITS.max).optional(),
    biasBits: bitsSchema(1, MAX_BIAS_BITS).optional(),
  }),
  // y = clamp(floor(x / 2^shift), −lowerOffset, 2^outBits − 1 − lowerOffset): rescale + ReLU (lowerOffset 0) or signed
  // clamp (lowerOffset 2^(outBits−1)); accBits: per-element decomposition width, from the worst-case accumulator range.
  z.object({
    kind: z.literal('requantize'),
    ...io,
    shift: bitsSchema(0, MAX_GADGET_BITS),
    outBits: bitsSchema(1, 32),
    lowerOffset: safeIntSchema.min(0),
    accBits: gadgetBits,
  }),
  // Shape-only op.
  z.object({ kind: z.literal('reshape'), ...io }),
  // Output j is the maximum (minimum with `min`) of inputs index[offsets[j] .. offsets[j+1]); cmpBits: one comparator
  // width per comparison, windows in order.
  z.object({
    kind: z.literal('maxpool'),
    ...io,
    offsets: indexList,
    index: indexList,
    cmpBits: gadgetBits,
    min: z.boolean().optional(),
  }),
  // y = inputScale · x + otherScale · other (two tensors aligned to one scale).
  z.object({ kind: z.literal('add'), ...io, other: name, inputScale: safeIntSchema, otherScale: safeIntSchema }),
  // y = min(max(x, lo), hi); a null bound is absent. Comparator widths per element.
  z.object({
    kind: z.literal('clamp'),
    ...io,
    lo: safeIntSchema.nullable(),
    hi: safeIntSchema.nullable(),
    loBits: gadgetBits,
    hiBits: gadgetBits,
  }),
  // y = x · 2^shift if x ≥ 0 else alpha · x (alpha = the float slope · 2^shift, rounded); the output scale is the input's plus `shift`.
  z.object({
    kind: z.literal('leakyRelu'),
    ...io,
    shift: bitsSchema(0, 64),
    alpha: safeIntSchema,
    signBits: gadgetBits,
  }),
  // y[i] = x[perm[i]], or the integer fill[i] where perm[i] is negative.
  z.object({
    kind: z.literal('permute'),
    ...io,
    perm: z.array(z.number().int().min(-1).max(MAX_TENSOR_ELEMENTS)),
    fill: z.array(safeIntSchema).optional(),
  }),
  // Flat concatenation of [input, ...others], tensor k multiplied by scales[k] (aligning scales).
  z.object({ kind: z.literal('concat'), ...io, others: z.array(name).max(10_000), scales: z.array(safeIntSchema) }),
  // y[i] = tables[tableOf[i]][x[i] − domainLo]: a univariate function (`fn`, the ONNX op it samples) as an exact table
  // over the 2^bits input values of the domain (circuits/table-lookup.ts). x always lies in the domain.
  z.object({
    kind: z.literal('table'),
    ...io,
    fn: z.string().max(100),
    domainLo: safeIntSchema,
    bits: bitsSchema(1, 16),
    tables: z.array(z.array(safeIntSchema)).min(1).max(MAX_TENSOR_ELEMENTS),
    tableOf: indexList,
  }),
  // Elementwise max/min (the result) or comparison (0/1) of two aligned operands; `bits` are comparator widths per element.
  z.object({
    kind: z.literal('binary'),
    ...io,
    op: z.enum(['max', 'min', 'eq', 'lt', 'le', 'gt', 'ge']),
    a: operand,
    b: operand,
    bits: gadgetBits,
  }),
  // cond ? x : y with cond a 0/1 tensor or constant, x and y aligned operands.
  z.object({ kind: z.literal('where'), ...io, cond: operand, x: operand, y: operand }),
  // Bitwise and/or/xor of two integer operands (scale 1) in two's complement; `bits`: per element, a signed width
  // holding both operands (circuits/bitwise.ts).
  z.object({
    kind: z.literal('bitwise'),
    ...io,
    op: z.enum(['and', 'or', 'xor']),
    a: operand,
    b: operand,
    bits: z.array(bitsSchema(1, MAX_GADGET_BITS)),
  }),
  // y = floor(sign(d) · x · 2^shift / |d|) per element (circuits/div-const.ts), d ≠ 0 (|d| = 1 is a free sign change);
  // offset: the numerator offset, a multiple of |d|; numeratorBits: the width of the shifted numerator. With `trunc`
  // (integer Div) y = trunc(x / d) at shift 0, the divisor including the input scale, and signBits the signed width of
  // the numerator (0: never negative).
  z.object({
    kind: z.literal('divConst'),
    ...io,
    shift: bitsSchema(0, MAX_GADGET_BITS),
    divisor: z.array(safeIntSchema.refine((d) => d !== 0, 'a divisor must not be zero')),
    offset: z.array(safeIntSchema),
    numeratorBits: gadgetBits,
    trunc: z.boolean().optional(),
    signBits: gadgetBits.optional(),
  }),
  // Tree ensemble (circuits/tree-ensemble.ts): y = base + Σ over trees of the weights of the leaf each tree's walk
  // reaches, a split sending x to `yes` when x[f] ≤ t (le), > t (gt), = t (eq) or ≠ t (ne); roots first.
  // bits: per input element, the signed width of x − T − 1 over its thresholds (0: unused).
  z.object({
    kind: z.literal('trees'),
    ...io,
    trees: z.array(z.array(treeNode).min(1).max(1_000_000)).min(1).max(100_000),
    base: z.array(safeIntSchema).min(1).max(MAX_TENSOR_ELEMENTS),
    bits: gadgetBits,
  }),
  qproductSchema,
  qdivideSchema,
  qsoftmaxSchema,
  qgatherIndexSchema,
  qtopkSchema,
]);

/** `model.quant.json`, format version 1. */
export const quantizedModelSchema = z
  .object({
    formatVersion: z.literal(1),
    // 'hashed': the linear layers' weights and biases are private witnesses under a commitment (absent: constants).
    weights: z.literal('hashed').optional(),
    input: z.object({
      name,
      shape: dimsSchema,
      frac: fracSchema,
      bits: bitsSchema(1, 32),
      lo: safeIntSchema,
      hi: safeIntSchema,
      parts: z.array(inputPart).min(1).max(1000).optional(),
    }),
    output: z.object({ name, shape: dimsSchema, frac: fracSchema, lo: safeIntSchema, hi: safeIntSchema }),
    ops: z.array(qopSchema).min(1).max(100_000),
    droppedFinal: droppedFinalSchema.optional(),
  })
  .meta({
    id: 'zkinfer-quantized-model',
    title: 'zkinfer model.quant.json',
    description: 'Integer weights and ops: what the circuit computes.',
  });

/**
 * The quantized tensor interface of the model. `input` is the flat input vector the circuit,
 * commitment and verifier see; with several graph inputs (or an integer one) `input.parts` lists
 * them in order and `lo`/`hi` span every part's range. `output` has the output scale and the
 * worst-case integer range of any output element. `droppedFinal`: a Softmax/LogSoftmax removed
 * from the end of the graph, applied outside the circuit.
 */
export type QuantizedModel = z.infer<typeof quantizedModelSchema>;
/**
 * One graph input of a model with several inputs or an integer input: a consecutive slice of
 * the flat input vector, with its own scale (frac 0 for integers) and accepted range; elemType
 * is the ONNX element type name (FLOAT and DOUBLE are quantized, the others proven as integers).
 */
export type InputPart = z.infer<typeof inputPart>;
/** Any quantized op. */
export type QOp = z.infer<typeof qopSchema>;
/** The kinds of quantized op: the key of every per-kind table. */
export type QOpKind = QOp['kind'];
/** The op of one kind. */
export type QOpOf<K extends QOpKind> = Extract<QOp, { kind: K }>;
/** An operand aligned to the op's scale: a tensor times a power of two, or one integer per output element. */
export type QOperand = z.infer<typeof operand>;
export type QLinear = QOpOf<'linear'>;
export type QRequantize = QOpOf<'requantize'>;
export type QReshape = QOpOf<'reshape'>;
export type QMaxPool = QOpOf<'maxpool'>;
export type QAdd = QOpOf<'add'>;
export type QClamp = QOpOf<'clamp'>;
export type QLeakyRelu = QOpOf<'leakyRelu'>;
export type QPermute = QOpOf<'permute'>;
export type QConcat = QOpOf<'concat'>;
export type QTable = QOpOf<'table'>;
export type QBinary = QOpOf<'binary'>;
export type QWhere = QOpOf<'where'>;
export type QBitwise = QOpOf<'bitwise'>;
export type QDivConst = QOpOf<'divConst'>;
export type QTrees = QOpOf<'trees'>;

/** Every kind, in the schema's order (for runtime checks that a per-kind table is complete). */
export const QOP_KINDS: readonly QOpKind[] = qopSchema.options.map((o) => o.shape.kind.value);
