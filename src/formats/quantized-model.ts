/**
 * Schema of `model.quant.json` (the integer model the circuit computes) and the structural
 * checks a schema cannot express: tensors defined before use, array lengths that match the
 * layer specs, indices in range. compile and prove read the file only through
 * {@link parseQuantizedModel}, so an edited or corrupted file is a one-line error, never a crash.
 */
import { z } from 'zod';
import { quote, UserError } from '../core/errors.js';
import { linearSizes, biasCount, weightCount } from './linear-spec.js';
import type { QuantizedModel } from '../quantize/quantized-model.js';
import { bitsSchema, dimsSchema, droppedFinalSchema, fracSchema, indexSchema, MAX_TENSOR_ELEMENTS, safeIntSchema } from './common.js';
import { validate } from '../core/json.js';
import { checkDivide, checkProduct, checkSoftmax, qdivideSchema, qproductSchema, qsoftmaxSchema } from './quantized-products.js';
import { firstOversizedOp, MAX_VALUE_BITS } from './quantized-magnitude.js';

/** Widest bit decomposition a gadget may use: below the ~254-bit field, so it cannot wrap. */
export const MAX_GADGET_BITS = 240;
/** Most multiply-add terms of one linear layer. */
export const MAX_LINEAR_TERMS = 2 ** 26;

const name = z.string().max(4096);
const count = z.number().int().min(1).max(MAX_TENSOR_ELEMENTS);
const pair = z.tuple([z.number().int().min(1).max(4096), z.number().int().min(1).max(4096)]);
const gadgetBits = z.array(bitsSchema(0, MAX_GADGET_BITS));
const indexList = z.array(indexSchema);

const dense = z.object({ type: z.literal('dense'), inFeatures: count, outFeatures: count });
const conv2d = z.object({
  type: z.literal('conv2d'),
  inChannels: count, inHeight: count, inWidth: count, outChannels: count,
  kernel: pair, strides: pair, dilations: pair,
  pads: z.tuple([indexSchema.max(4096), indexSchema.max(4096), indexSchema.max(4096), indexSchema.max(4096)]),
  outHeight: count, outWidth: count,
});
const sparse = z.object({
  type: z.literal('sparse'),
  nIn: count, nOut: count, nWeights: indexSchema, nBias: indexSchema,
  offsets: indexList, inputIndex: indexList, weightIndex: indexList, biasIndex: indexList,
});
const io = { name, input: name, output: name };
/** An aligned operand: a tensor times a power of two, or one integer per output element. */
const operand = z.union([z.strictObject({ tensor: name, scale: safeIntSchema }), z.strictObject({ constant: z.array(safeIntSchema) })]);
const inputPart = z.object({ name, shape: dimsSchema, elemType: z.string().max(20), frac: fracSchema, lo: safeIntSchema, hi: safeIntSchema });

/** One quantized op; see src/quantize/quantized-model.ts for the semantics of each kind. */
export const qopSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('linear'), ...io, spec: z.discriminatedUnion('type', [dense, conv2d, sparse]), weightFrac: fracSchema, weight: z.array(safeIntSchema), bias: z.array(safeIntSchema) }),
  z.object({ kind: z.literal('requantize'), ...io, shift: bitsSchema(0, MAX_GADGET_BITS), outBits: bitsSchema(1, 32), lowerOffset: safeIntSchema.min(0), accBits: gadgetBits }),
  z.object({ kind: z.literal('reshape'), ...io }),
  z.object({ kind: z.literal('maxpool'), ...io, offsets: indexList, index: indexList, cmpBits: gadgetBits, min: z.boolean().optional() }),
  z.object({ kind: z.literal('add'), ...io, other: name, inputScale: safeIntSchema, otherScale: safeIntSchema }),
  z.object({ kind: z.literal('clamp'), ...io, lo: safeIntSchema.nullable(), hi: safeIntSchema.nullable(), loBits: gadgetBits, hiBits: gadgetBits }),
  z.object({ kind: z.literal('leakyRelu'), ...io, shift: bitsSchema(0, 64), alpha: safeIntSchema, signBits: gadgetBits }),
  z.object({ kind: z.literal('permute'), ...io, perm: z.array(z.number().int().min(-1).max(MAX_TENSOR_ELEMENTS)), fill: z.array(safeIntSchema).optional() }),
  z.object({ kind: z.literal('concat'), ...io, others: z.array(name).max(10_000), scales: z.array(safeIntSchema) }),
  z.object({
    kind: z.literal('table'), ...io, fn: z.string().max(100), domainLo: safeIntSchema, bits: bitsSchema(1, 16),
    tables: z.array(z.array(safeIntSchema)).min(1).max(MAX_TENSOR_ELEMENTS), tableOf: indexList,
  }),
  z.object({ kind: z.literal('binary'), ...io, op: z.enum(['max', 'min', 'eq', 'lt', 'le', 'gt', 'ge']), a: operand, b: operand, bits: gadgetBits }),
  z.object({ kind: z.literal('where'), ...io, cond: operand, x: operand, y: operand }),
  z.object({
    kind: z.literal('divConst'), ...io, shift: bitsSchema(0, MAX_GADGET_BITS), divisor: z.array(safeIntSchema.refine((d) => d !== 0, 'a divisor must not be zero')),
    offset: z.array(safeIntSchema), numeratorBits: gadgetBits, trunc: z.boolean().optional(), signBits: gadgetBits.optional(),
  }),
  qproductSchema,
  qdivideSchema,
  qsoftmaxSchema,
]);


/** `model.quant.json`, format version 1. */
export const quantizedModelSchema = z
  .object({
    formatVersion: z.literal(1),
    input: z.object({ name, shape: dimsSchema, frac: fracSchema, bits: bitsSchema(1, 32), lo: safeIntSchema, hi: safeIntSchema, parts: z.array(inputPart).min(1).max(1000).optional() }),
    output: z.object({ name, shape: dimsSchema, frac: fracSchema, lo: safeIntSchema, hi: safeIntSchema }),
    ops: z.array(qopSchema).min(1).max(100_000),
    droppedFinal: droppedFinalSchema.optional(),
  })
  .meta({ id: 'zkinfer-quantized-model', title: 'zkinfer model.quant.json', description: 'Integer weights and ops: what the circuit computes.' });

const size = (d: readonly number[]) => d.reduce((a, b) => a * b, 1);

/** Structural consistency a schema cannot express; throws naming the op and field. */
function checkStructure(m: z.output<typeof quantizedModelSchema>, where: string): void {
  const bad = (op: string, msg: string) => new UserError(`${where}: op ${quote(op)}: ${msg}`);
  if (m.input.lo > m.input.hi) throw new UserError(`${where}: field input: lo ${m.input.lo} > hi ${m.input.hi}`);
  if (m.output.lo > m.output.hi) throw new UserError(`${where}: field output: lo ${m.output.lo} > hi ${m.output.hi}`);
  const sizes = new Map<string, number>([[m.input.name, size(m.input.shape)]]);
  if (m.input.parts) {
    if (m.input.parts.reduce((a, p) => a + size(p.shape), 0) !== size(m.input.shape)) throw new UserError(`${where}: field input.parts: the parts do not add up to the input's ${size(m.input.shape)} values`);
    for (const p of m.input.parts) {
      if (p.lo > p.hi || p.lo < m.input.lo || p.hi > m.input.hi) throw new UserError(`${where}: field input.parts: range of ${quote(p.name)} is not within the input's`);
      sizes.set(p.name, size(p.shape));
    }
  }
  const inRange = (list: readonly number[], n: number) => list.every((i) => i < n);
  for (const op of m.ops) {
    const n = sizes.get(op.input);
    if (n === undefined) throw bad(op.name, `input tensor ${quote(op.input)} is not defined by an earlier op`);
    if (sizes.has(op.output)) throw bad(op.name, `output tensor ${quote(op.output)} is defined twice`);
    let out = n;
    switch (op.kind) {
      case 'linear': {
        const s = op.spec;
        const { nIn, nOut } = linearSizes(s);
        if (nIn !== n) throw bad(op.name, `spec expects ${nIn} inputs, the input tensor has ${n}`);
        if (nOut > MAX_TENSOR_ELEMENTS) throw bad(op.name, `more than ${MAX_TENSOR_ELEMENTS} outputs`);
        if (op.weight.length !== weightCount(s)) throw bad(op.name, `field weight has ${op.weight.length} values, the spec needs ${weightCount(s)}`);
        if (op.bias.length !== biasCount(s)) throw bad(op.name, `field bias has ${op.bias.length} values, the spec needs ${biasCount(s)}`);
        if (s.type === 'dense' && nIn * nOut > MAX_LINEAR_TERMS) throw bad(op.name, `more than ${MAX_LINEAR_TERMS} terms`);
        if (s.type === 'conv2d') {
          if (s.outChannels * s.outHeight * s.outWidth * s.inChannels * s.kernel[0] * s.kernel[1] > MAX_LINEAR_TERMS) throw bad(op.name, `more than ${MAX_LINEAR_TERMS} terms`);
          for (let d = 0; d < 2; d++) {
            const span = (s.kernel[d]! - 1) * s.dilations[d]! + 1;
            const room = (d === 0 ? s.inHeight : s.inWidth) + s.pads[d]! + s.pads[d + 2]! - span;
            const o = d === 0 ? s.outHeight : s.outWidth;
            if (room < 0 || (o - 1) * s.strides[d]! > room + s.strides[d]!) throw bad(op.name, 'spec geometry (kernel, strides, pads, output size) is inconsistent');
          }
        }
        if (s.type === 'sparse') {
          const terms = s.inputIndex.length;
          if (s.offsets.length !== s.nOut + 1 || s.offsets[0] !== 0 || s.offsets[s.nOut] !== terms) throw bad(op.name, 'field spec.offsets does not delimit the terms');
          if (s.offsets.some((o, i) => i > 0 && o < s.offsets[i - 1]!)) throw bad(op.name, 'field spec.offsets is not ascending');
          if (s.weightIndex.length !== terms || s.biasIndex.length !== s.nOut) throw bad(op.name, 'spec term lists have different lengths');
          if (!inRange(s.inputIndex, s.nIn) || !inRange(s.weightIndex, s.nWeights) || !inRange(s.biasIndex, s.nBias)) throw bad(op.name, 'a spec index is out of range');
        }
        out = nOut;
        break;
      }
      case 'requantize':
        if (op.accBits.length !== n) throw bad(op.name, `field accBits has ${op.accBits.length} entries for ${n} values`);
        if (op.lowerOffset > 2 ** op.outBits) throw bad(op.name, 'field lowerOffset exceeds 2^outBits');
        break;
      case 'maxpool': {
        const w = op.offsets.length - 1;
        if (w < 1 || op.offsets[0] !== 0 || op.offsets[w] !== op.index.length || op.offsets.some((o, i) => i > 0 && o <= op.offsets[i - 1]!)) throw bad(op.name, 'field offsets does not delimit non-empty windows');
        if (!inRange(op.index, n)) throw bad(op.name, 'a window index is out of range');
        if (op.cmpBits.length !== op.index.length - w) throw bad(op.name, `field cmpBits has ${op.cmpBits.length} entries, the windows need ${op.index.length - w}`);
        out = w;
        break;
      }
      case 'add':
        if (sizes.get(op.other) !== n) throw bad(op.name, `tensor ${quote(op.other)} is undefined or of another size`);
        break;
      case 'clamp':
        if (op.loBits.length !== (op.lo === null ? 0 : n)) throw bad(op.name, 'field loBits has the wrong length');
        if (op.hiBits.length !== (op.hi === null ? 0 : n)) throw bad(op.name, 'field hiBits has the wrong length');
        break;
      case 'leakyRelu':
        if (op.signBits.length !== n) throw bad(op.name, `field signBits has ${op.signBits.length} entries for ${n} values`);
        break;
      case 'permute':
        if (!inRange(op.perm, n)) throw bad(op.name, 'a permutation index is out of range');
        if (op.perm.some((i) => i < 0) && op.fill?.length !== op.perm.length) throw bad(op.name, 'field fill must give a value for every negative permutation index');
        out = op.perm.length;
        break;
      case 'concat':
        if (op.scales.length !== op.others.length + 1) throw bad(op.name, `field scales has ${op.scales.length} entries for ${op.others.length + 1} tensors`);
        out = n + op.others.reduce((acc, o) => {
          const k = sizes.get(o);
          if (k === undefined) throw bad(op.name, `tensor ${quote(o)} is not defined by an earlier op`);
          return acc + k;
        }, 0);
        break;
      case 'table':
        if (op.tables.some((t) => t.length !== 2 ** op.bits)) throw bad(op.name, `every table must have 2^${op.bits} entries`);
        if (op.tableOf.length !== n || !inRange(op.tableOf, op.tables.length)) throw bad(op.name, 'field tableOf must name a table for every input element');
        break;
      case 'binary':
      case 'where': {
        const operands = op.kind === 'binary' ? [op.a, op.b] : [op.cond, op.x, op.y];
        out = op.kind === 'binary' ? op.bits.length : n;
        for (const o of operands) {
          const k = 'tensor' in o ? sizes.get(o.tensor) : o.constant.length;
          if (k !== out) throw bad(op.name, `an operand ${'tensor' in o ? `(${quote(o.tensor)}) is undefined or` : ''} has ${k ?? 0} values, the op has ${out}`);
        }
        break;
      }
      case 'divConst':
        if ([op.divisor, op.offset, op.numeratorBits].some((a) => a.length !== n)) throw bad(op.name, `fields divisor, offset and numeratorBits need ${n} entries each`);
        break;
      case 'product':
      case 'divide': {
        const r = op.kind === 'product' ? checkProduct(op, n, sizes.get(op.other)) : checkDivide(op, n, sizes.get(op.other));
        if (typeof r === 'string') throw bad(op.name, r);
        out = r;
        break;
      }
      case 'softmax': {
        const r = checkSoftmax(op, n);
        if (typeof r === 'string') throw bad(op.name, r);
        break;
      }
      case 'reshape':
        break;
    }
    sizes.set(op.output, out);
  }
  if (sizes.get(m.output.name) !== size(m.output.shape)) throw new UserError(`${where}: field output: tensor ${quote(m.output.name)} is not computed with ${size(m.output.shape)} values`);
}

/** Validates a parsed `model.quant.json`; throws {@link UserError} naming the file and field. */
export function parseQuantizedModel(value: unknown, where: string): QuantizedModel {
  const m = validate(quantizedModelSchema, value, where, 'quantized model');
  checkStructure(m, where);
  const big = firstOversizedOp(value as QuantizedModel);
  if (big) throw new UserError(`${where}: op ${quote(big.op)}: its values can reach 2^${Math.ceil(big.bits)}, beyond the 2^${MAX_VALUE_BITS} the circuit's field represents exactly (requantize between products or linear layers)`);
  // The value as read (fields a newer zkinfer adds are kept, not stripped).
  return value as QuantizedModel;
}
