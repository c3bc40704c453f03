/**
 * Structural consistency of `model.quant.json` that a schema cannot express: tensors defined
 * before use, array lengths that match the layer specs, indices in range. One check per op
 * kind, in a table keyed by the kind, so a new kind without a check is a type error.
 */
import type { z } from 'zod';
import { quote, UserError } from '../core/errors.js';
import { biasCount, linearSizes, weightCount } from './linear-spec.js';
import { MAX_TENSOR_ELEMENTS } from './common.js';
import { checkDivide, checkProduct, checkSoftmax } from './quantized-products.js';
import { checkTrees } from './quantized-trees.js';
import { checkGatherIndex, checkTopK } from './quantized-index.js';
import { checkHashedOp } from './hashed-weights.js';
import type { QOp, QOpKind, QOpOf, QOperand, quantizedModelSchema } from './quantized-schema.js';

/** Most multiply-add terms of one linear layer. */
export const MAX_LINEAR_TERMS = 2 ** 26;

/**
 * Checks one op against the sizes of the tensors defined so far (`n`: its input's). Returns the
 * size of its output, or a message saying what is wrong.
 */
export type StructureCheck<K extends QOpKind> = (
  op: QOpOf<K>,
  n: number,
  sizes: ReadonlyMap<string, number>,
) => number | string;

const size = (d: readonly number[]) => d.reduce((a, b) => a * b, 1);
const inRange = (list: readonly number[], n: number) => list.every((i) => i < n);

function checkLinear(op: QOpOf<'linear'>, n: number): number | string {
  const s = op.spec;
  const { nIn, nOut } = linearSizes(s);
  if (nIn !== n) return `spec expects ${nIn} inputs, the input tensor has ${n}`;
  if (nOut > MAX_TENSOR_ELEMENTS) return `more than ${MAX_TENSOR_ELEMENTS} outputs`;
  if (op.weight.length !== weightCount(s))
    return `field weight has ${op.weight.length} values, the spec needs ${weightCount(s)}`;
  if (op.bias.length !== biasCount(s)) return `field bias has ${op.bias.length} values, the spec needs ${biasCount(s)}`;
  if (s.type === 'dense' && nIn * nOut > MAX_LINEAR_TERMS) return `more than ${MAX_LINEAR_TERMS} terms`;
  if (s.type === 'conv2d') {
    if (s.outChannels * s.outHeight * s.outWidth * s.inChannels * s.kernel[0] * s.kernel[1] > MAX_LINEAR_TERMS)
      return `more than ${MAX_LINEAR_TERMS} terms`;
    for (let d = 0; d < 2; d++) {
      const span = (s.kernel[d]! - 1) * s.dilations[d]! + 1;
      const room = (d === 0 ? s.inHeight : s.inWidth) + s.pads[d]! + s.pads[d + 2]! - span;
      const o = d === 0 ? s.outHeight : s.outWidth;
      if (room < 0 || (o - 1) * s.strides[d]! > room + s.strides[d]!)
        return 'spec geometry (kernel, strides, pads, output size) is inconsistent';
    }
  }
  if (s.type === 'sparse') {
    const terms = s.inputIndex.length;
    if (s.offsets.length !== s.nOut + 1 || s.offsets[0] !== 0 || s.offsets[s.nOut] !== terms)
      return 'field spec.offsets does not delimit the terms';
    if (s.offsets.some((o, i) => i > 0 && o < s.offsets[i - 1]!)) return 'field spec.offsets is not ascending';
    if (s.weightIndex.length !== terms || s.biasIndex.length !== s.nOut)
      return 'spec term lists have different lengths';
    if (!inRange(s.inputIndex, s.nIn) || !inRange(s.weightIndex, s.nWeights) || !inRange(s.biasIndex, s.nBias))
      return 'a spec index is out of range';
  }
  return nOut;
}

/** Operands must each have `out` values (a tensor defined with that size, or that many constants). */
function checkOperands(
  operands: readonly QOperand[],
  out: number,
  sizes: ReadonlyMap<string, number>,
): number | string {
  for (const o of operands) {
    const k = 'tensor' in o ? sizes.get(o.tensor) : o.constant.length;
    if (k !== out)
      return `an operand ${'tensor' in o ? `(${quote(o.tensor)}) is undefined or` : ''} has ${k ?? 0} values, the op has ${out}`;
  }
  return out;
}

/** The structural check of every kind. */
export const STRUCTURE_CHECKS: { readonly [K in QOpKind]: StructureCheck<K> } = {
  linear: (op, n) => checkLinear(op, n),
  requantize: (op, n) => {
    if (op.accBits.length !== n) return `field accBits has ${op.accBits.length} entries for ${n} values`;
    if (op.lowerOffset > 2 ** op.outBits) return 'field lowerOffset exceeds 2^outBits';
    return n;
  },
  reshape: (_op, n) => n,
  maxpool: (op, n) => {
    const w = op.offsets.length - 1;
    if (
      w < 1 ||
      op.offsets[0] !== 0 ||
      op.offsets[w] !== op.index.length ||
      op.offsets.some((o, i) => i > 0 && o <= op.offsets[i - 1]!)
    )
      return 'field offsets does not delimit non-empty windows';
    if (!inRange(op.index, n)) return 'a window index is out of range';
    if (op.cmpBits.length !== op.index.length - w)
      return `field cmpBits has ${op.cmpBits.length} entries, the windows need ${op.index.length - w}`;
    return w;
  },
  add: (op, n, sizes) => (sizes.get(op.other) !== n ? `tensor ${quote(op.other)} is undefined or of another size` : n),
  clamp: (op, n) => {
    if (op.loBits.length !== (op.lo === null ? 0 : n)) return 'field loBits has the wrong length';
    if (op.hiBits.length !== (op.hi === null ? 0 : n)) return 'field hiBits has the wrong length';
    return n;
  },
  leakyRelu: (op, n) =>
    op.signBits.length !== n ? `field signBits has ${op.signBits.length} entries for ${n} values` : n,
  permute: (op, n) => {
    if (!inRange(op.perm, n)) return 'a permutation index is out of range';
    if (op.perm.some((i) => i < 0) && op.fill?.length !== op.perm.length)
      return 'field fill must give a value for every negative permutation index';
    return op.perm.length;
  },
  concat: (op, n, sizes) => {
    if (op.scales.length !== op.others.length + 1)
      return `field scales has ${op.scales.length} entries for ${op.others.length + 1} tensors`;
    let out = n;
    for (const o of op.others) {
      const k = sizes.get(o);
      if (k === undefined) return `tensor ${quote(o)} is not defined by an earlier op`;
      out += k;
    }
    return out;
  },
  table: (op, n) => {
    if (op.tables.some((t) => t.length !== 2 ** op.bits)) return `every table must have 2^${op.bits} entries`;
    if (op.tableOf.length !== n || !inRange(op.tableOf, op.tables.length))
      return 'field tableOf must name a table for every input element';
    return n;
  },
  binary: (op, _n, sizes) => checkOperands([op.a, op.b], op.bits.length, sizes),
  where: (op, n, sizes) => checkOperands([op.cond, op.x, op.y], n, sizes),
  bitwise: (op, _n, sizes) => checkOperands([op.a, op.b], op.bits.length, sizes),
  divConst: (op, n) =>
    [op.divisor, op.offset, op.numeratorBits].some((a) => a.length !== n)
      ? `fields divisor, offset and numeratorBits need ${n} entries each`
      : n,
  trees: (op, n) => checkTrees(op, n),
  product: (op, n, sizes) => checkProduct(op, n, sizes.get(op.other)),
  divide: (op, n, sizes) => checkDivide(op, n, sizes.get(op.other)),
  // A softmax keeps its input's size; the check returns it.
  softmax: (op, n) => checkSoftmax(op, n),
  gatherIndex: (op, n, sizes) =>
    checkGatherIndex(op, n, 'tensor' in op.data ? sizes.get(op.data.tensor) : op.data.constant.length),
  topk: (op, n) => checkTopK(op, n),
};

/** The check of `op`'s own kind (the cast only restates that the table is keyed by kind). */
export function checkOpStructure(op: QOp, n: number, sizes: ReadonlyMap<string, number>): number | string {
  return (STRUCTURE_CHECKS[op.kind] as StructureCheck<QOpKind>)(op as never, n, sizes);
}

/** Structural consistency a schema cannot express; throws naming the op and field. */
export function checkStructure(m: z.output<typeof quantizedModelSchema>, where: string): void {
  if (m.input.lo > m.input.hi) throw new UserError(`${where}: field input: lo ${m.input.lo} > hi ${m.input.hi}`);
  if (m.output.lo > m.output.hi) throw new UserError(`${where}: field output: lo ${m.output.lo} > hi ${m.output.hi}`);
  const sizes = new Map<string, number>([[m.input.name, size(m.input.shape)]]);
  if (m.input.parts) {
    if (m.input.parts.reduce((a, p) => a + size(p.shape), 0) !== size(m.input.shape))
      throw new UserError(
        `${where}: field input.parts: the parts do not add up to the input's ${size(m.input.shape)} values`,
      );
    for (const p of m.input.parts) {
      if (p.lo > p.hi || p.lo < m.input.lo || p.hi > m.input.hi)
        throw new UserError(`${where}: field input.parts: range of ${quote(p.name)} is not within the input's`);
      sizes.set(p.name, size(p.shape));
    }
  }
  // Hashed weights: the circuit hands each linear op the weight wires committed under its name,
  // so two linear ops of one name would both read one op's weights, the other's committed unused.
  const linearNames = new Set<string>();
  for (const op of m.ops) {
    const n = sizes.get(op.input);
    const bad = (msg: string) => new UserError(`${where}: op ${quote(op.name)}: ${msg}`);
    if (op.kind === 'linear' && m.weights === 'hashed') {
      if (linearNames.has(op.name)) throw bad('a second linear op of this name (hashed weights need unique names)');
      linearNames.add(op.name);
    }
    if (n === undefined) throw bad(`input tensor ${quote(op.input)} is not defined by an earlier op`);
    if (sizes.has(op.output)) throw bad(`output tensor ${quote(op.output)} is defined twice`);
    const out = checkOpStructure(op, n, sizes);
    if (typeof out === 'string') throw bad(out);
    const hashed = checkHashedOp(op, m.weights === 'hashed');
    if (hashed !== undefined) throw bad(hashed);
    sizes.set(op.output, out);
  }
  if (sizes.get(m.output.name) !== size(m.output.shape))
    throw new UserError(
      `${where}: field output: tensor ${quote(m.output.name)} is not computed with ${size(m.output.shape)} values`,
    );
}
