/**
 * The exact integer semantics of every quantized op kind, in one table keyed by the kind, and
 * the integer reference executor built on it: what the circuit must compute, bit for bit.
 */
import type { QOp, QOpKind, QOpOf, QOperand, QuantizedModel, QTable, QBinary } from '../formats/quantized-schema.js';
import { linearTerms } from '../formats/linear-spec.js';
import { floorDiv } from '../../circuits/div-const.js';
import { treeEnsembleValue } from '../../circuits/tree-ensemble.js';
import { bitwiseValue } from '../../circuits/bitwise.js';
import { divideNumbers, productNumbers, softmaxNumbers } from './quantized-products.js';
import { eachInputPart } from './quantize-input.js';
import { gatherIndexNumbers, topKNumbers } from './index-numbers.js';

/** An op's output from its input `x` and the tensors computed so far (for its other operands). */
export type IntegerSemantics<K extends QOpKind> = (
  op: QOpOf<K>,
  x: number[],
  values: ReadonlyMap<string, number[]>,
) => number[];

function checkSafe(v: number, op: string): number {
  if (!Number.isSafeInteger(v)) throw new Error(`integer overflow in op "${op}": ${v}`);
  return v;
}

/** The exact integer semantics of a requantize op. */
export function requantizeNumber(x: number, shift: number, outBits: number, lowerOffset: number): number {
  // Division by a power of two is exact in binary floating point, so floor is exact for safe integers.
  const q = Math.floor(x / 2 ** shift);
  const lo = 0 - lowerOffset; // not -lowerOffset: that is -0 for ReLU, which strict equality tells apart from 0
  const hi = 2 ** outBits - 1 - lowerOffset;
  return q < lo ? lo : q > hi ? hi : q;
}

/** The exact integer semantics of {@link QTable} for element i; throws outside the domain. */
export function tableNumber(op: QTable, i: number, v: number): number {
  const y = op.tables[op.tableOf[i]!]![v - op.domainLo];
  if (y === undefined)
    throw new Error(
      `op "${op.name}": input ${v} outside the table domain [${op.domainLo}, ${op.domainLo + 2 ** op.bits - 1}]`,
    );
  return y;
}

/** The integers of an aligned operand (exact: scales are powers of two, checked to stay safe). */
export function operandNumbers(values: ReadonlyMap<string, number[]>, o: QOperand): number[] {
  return 'tensor' in o ? values.get(o.tensor)!.map((v) => checkSafe(v * o.scale, o.tensor)) : o.constant;
}

/** The exact integer semantics of {@link QBinary}. */
export function binaryNumber(op: QBinary['op'], a: number, b: number): number {
  switch (op) {
    case 'max':
      return a > b ? a : b;
    case 'min':
      return a < b ? a : b;
    case 'eq':
      return a === b ? 1 : 0;
    case 'lt':
      return a < b ? 1 : 0;
    case 'le':
      return a <= b ? 1 : 0;
    case 'gt':
      return a > b ? 1 : 0;
    case 'ge':
      return a >= b ? 1 : 0;
  }
}

/** The exact integer semantics of a divConst op: floor(sign(d) · x · 2^shift / |d|), or toward zero with `trunc`. */
export function divConstNumber(x: number, shift: number, d: number, trunc = false): number {
  const n = checkSafe(Math.sign(d) * x * 2 ** shift, 'divConst');
  // BigInt: a float quotient can round across an integer when |n| is near 2^53.
  return Number(trunc ? BigInt(n) / BigInt(Math.abs(d)) : floorDiv(BigInt(n), BigInt(Math.abs(d)))) || 0;
}

/** The exact integer semantics of a clamp op: max with lo first, then min with hi. */
export function clampNumber(v: number, lo: number | null, hi: number | null): number {
  const a = lo !== null && v < lo ? lo : v;
  return hi !== null && a > hi ? hi : a;
}

function linearNumbers(op: QOpOf<'linear'>, x: number[]): number[] {
  const t = linearTerms(op.spec);
  const y: number[] = new Array(t.nOut);
  for (let j = 0; j < t.nOut; j++) {
    let acc = op.bias[t.biasIndex[j]!]!;
    for (let k = t.offsets[j]!; k < t.offsets[j + 1]!; k++) acc += op.weight[t.weightIndex[k]!]! * x[t.inputIndex[k]!]!;
    y[j] = checkSafe(acc, op.name);
  }
  return y;
}

function poolNumbers(op: QOpOf<'maxpool'>, x: number[]): number[] {
  const y: number[] = new Array(op.offsets.length - 1);
  for (let j = 0; j < y.length; j++) {
    let m = x[op.index[op.offsets[j]!]!]!;
    for (let k = op.offsets[j]! + 1; k < op.offsets[j + 1]!; k++)
      m = op.min ? Math.min(m, x[op.index[k]!]!) : Math.max(m, x[op.index[k]!]!);
    y[j] = m;
  }
  return y;
}

/** The integer semantics of every kind. */
export const INTEGER_SEMANTICS: { readonly [K in QOpKind]: IntegerSemantics<K> } = {
  linear: (op, x) => linearNumbers(op, x),
  requantize: (op, x) => x.map((v) => requantizeNumber(v, op.shift, op.outBits, op.lowerOffset)),
  reshape: (_op, x) => x,
  maxpool: (op, x) => poolNumbers(op, x),
  add: (op, x, values) => {
    const o = values.get(op.other)!;
    return x.map((v, i) => checkSafe(op.inputScale * v + op.otherScale * o[i]!, op.name));
  },
  clamp: (op, x) => x.map((v) => clampNumber(v, op.lo, op.hi)),
  leakyRelu: (op, x) => x.map((v) => checkSafe(v >= 0 ? v * 2 ** op.shift : op.alpha * v, op.name)),
  permute: (op, x) => op.perm.map((i, k) => (i < 0 ? op.fill![k]! : x[i]!)),
  table: (op, x) => x.map((v, i) => tableNumber(op, i, v)),
  binary: (op, _x, values) => {
    const a = operandNumbers(values, op.a);
    const b = operandNumbers(values, op.b);
    return a.map((v, i) => binaryNumber(op.op, v, b[i]!));
  },
  where: (op, _x, values) => {
    const [c, xs, ys] = [op.cond, op.x, op.y].map((o) => operandNumbers(values, o)) as [number[], number[], number[]];
    return c.map((v, i) => (v !== 0 ? xs[i]! : ys[i]!));
  },
  bitwise: (op, _x, values) => {
    const b = operandNumbers(values, op.b);
    return operandNumbers(values, op.a).map((v, i) => Number(bitwiseValue(BigInt(v), BigInt(b[i]!), op.op)));
  },
  divConst: (op, x) => x.map((v, i) => divConstNumber(v, op.shift, op.divisor[i]!, op.trunc)),
  trees: (op, x) => treeEnsembleValue(op, x).map((v) => checkSafe(v, op.name)),
  product: (op, x, values) => productNumbers(op, x, values.get(op.other)!),
  divide: (op, x, values) => divideNumbers(op, x, values.get(op.other)!),
  softmax: (op, x) => softmaxNumbers(op, x),
  concat: (op, x, values) => {
    const parts = [x, ...op.others.map((o) => values.get(o)!)];
    return parts.flatMap((p, k) => p.map((v) => checkSafe(v * op.scales[k]!, op.name)));
  },
  gatherIndex: (op, x, values) =>
    gatherIndexNumbers(op, x, 'tensor' in op.data ? values.get(op.data.tensor)! : op.data.constant),
  topk: (op, x) => topKNumbers(op, x),
};

/** The semantics of `op`'s own kind (the cast only restates that the table is keyed by kind). */
export function runIntegerOp(op: QOp, x: number[], values: ReadonlyMap<string, number[]>): number[] {
  return (INTEGER_SEMANTICS[op.kind] as IntegerSemantics<QOpKind>)(op as never, x, values);
}

/**
 * The integer reference executor. Returns every tensor by name; the circuit must reproduce
 * the output exactly.
 */
export function runIntegerModel(model: QuantizedModel, xq: number[]): Map<string, number[]> {
  const values = new Map<string, number[]>([[model.input.name, xq]]);
  eachInputPart(model, xq, (name, part) => values.set(name, part));
  for (const op of model.ops) values.set(op.output, runIntegerOp(op, values.get(op.input)!, values));
  return values;
}
