/**
 * Magnitude check of a quantized model: an upper bound on log2 |value| of every tensor, op by
 * op. The circuit computes in the field (p ≈ 2^253.6) and the integer reference in integers;
 * they agree only while every value and every sum stays below p/2. A model that zkinfer
 * compiles never comes near (its bounds stay below 2^53), but a hand-written model.quant.json
 * could chain products or linear layers without a requantize (x² → x⁴ → … → x³²) until the
 * circuit silently wraps around the field and proves something no integer model computes.
 */
import type { QOp, QOperand, QOpKind, QOpOf, QuantizedModel } from './quantized-schema.js';
import { linearTerms } from './linear-spec.js';
import { treesMagnitude } from './quantized-trees.js';

/** Largest log2 |value| allowed anywhere: well below the field's half, with room for the gadgets' offsets. */
export const MAX_VALUE_BITS = 240;

const log2 = (v: number): number => (v === 0 ? 0 : Math.log2(Math.abs(v)));
const maxLog = (values: readonly number[]): number => values.reduce((m, v) => Math.max(m, log2(v)), 0);

/** log2 bound of an op's output from its inputs' bounds (`bits` of a tensor). */
export type MagnitudeBound<K extends QOpKind> = (op: QOpOf<K>, bits: (t: string) => number) => number;

const operand = (o: QOperand, bits: (t: string) => number) =>
  'tensor' in o ? bits(o.tensor) + log2(o.scale) : maxLog(o.constant);
const same = (op: { readonly input: string }, bits: (t: string) => number): number => bits(op.input);

/** The magnitude bound of every kind. */
export const MAGNITUDE_BOUNDS: { readonly [K in QOpKind]: MagnitudeBound<K> } = {
  linear: (op, bits) => {
    const t = linearTerms(op.spec);
    let most = 0;
    for (let j = 0; j < t.nOut; j++) most = Math.max(most, t.offsets[j + 1]! - t.offsets[j]!);
    // Hashed weights: the circuit only knows each value lies in its width.
    const w = op.weightBits === undefined ? maxLog(op.weight) : op.weightBits - 1;
    const b = op.biasBits === undefined ? maxLog(op.bias) : op.biasBits - 1;
    return Math.log2(2 ** (bits(op.input) + w) * Math.max(most, 1) + 2 ** b) + 1;
  },
  requantize: (op) => op.outBits,
  reshape: same,
  maxpool: same,
  clamp: same,
  permute: (op, bits) => Math.max(bits(op.input), maxLog(op.fill ?? [])),
  add: (op, bits) => Math.max(bits(op.input) + log2(op.inputScale), bits(op.other) + log2(op.otherScale)) + 1,
  leakyRelu: (op, bits) => bits(op.input) + Math.max(0, log2(op.alpha)),
  concat: (op, bits) => Math.max(...[op.input, ...op.others].map((t, k) => bits(t) + log2(op.scales[k]!))),
  table: (op) => Math.max(0, ...op.tables.map(maxLog)),
  binary: (op, bits) => (['max', 'min'].includes(op.op) ? Math.max(operand(op.a, bits), operand(op.b, bits)) : 1),
  where: (op, bits) => Math.max(operand(op.x, bits), operand(op.y, bits)),
  // The result fits the gadget's signed width.
  bitwise: (op) => op.bits.reduce((m, w) => Math.max(m, w), 0),
  divConst: (op, bits) => bits(op.input) + op.shift,
  trees: (op) => treesMagnitude(op),
  product: (op, bits) => {
    let most = 0;
    for (let j = 0; j + 1 < op.offsets.length; j++) most = Math.max(most, op.offsets[j + 1]! - op.offsets[j]!);
    return bits(op.input) + bits(op.other) + log2(Math.max(most, 1));
  },
  divide: (op) => Math.max(...op.qOffset.map((o, j) => log2(Math.abs(o) + 2 ** op.qBits[j]!))) + 1,
  softmax: (op, bits) => (op.log ? Math.max(bits(op.input), maxLog(op.logTable)) + 2 : op.outFrac + 1),
  gatherIndex: (op, bits) => operand(op.data, bits),
  topk: (op, bits) => Math.max(bits(op.input), log2(op.n * op.indexScale)),
};

/** log2 bound of `op`'s output (the cast only restates that the table is keyed by kind). */
function outputBits(op: QOp, bits: (t: string) => number): number {
  return (MAGNITUDE_BOUNDS[op.kind] as MagnitudeBound<QOpKind>)(op as never, bits);
}

/** The first op whose output can exceed 2^{@link MAX_VALUE_BITS}, with its bound, or undefined. */
export function firstOversizedOp(m: Pick<QuantizedModel, 'input' | 'ops'>): { op: string; bits: number } | undefined {
  const known = new Map<string, number>([[m.input.name, maxLog([m.input.lo, m.input.hi])]]);
  for (const p of m.input.parts ?? []) known.set(p.name, maxLog([p.lo, p.hi]));
  const bits = (t: string) => known.get(t) ?? MAX_VALUE_BITS + 1;
  for (const op of m.ops) {
    // A division's numerator sign·a·2^shift is a field element of its own (circuits/divide.ts).
    const inner = op.kind === 'divide' ? bits(op.input) + op.shift + 1 : 0;
    if (!(inner <= MAX_VALUE_BITS)) return { op: op.name, bits: inner };
    const b = outputBits(op, bits);
    if (!(b <= MAX_VALUE_BITS)) return { op: op.name, bits: b };
    known.set(op.output, b);
  }
  return undefined;
}
