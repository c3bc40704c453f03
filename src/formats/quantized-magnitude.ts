/**
 * Magnitude check of a quantized model: an upper bound on log2 |value| of every tensor, op by
 * op. The circuit computes in the field (p ≈ 2^253.6) and the integer reference in integers;
 * they agree only while every value and every sum stays below p/2. A model that zkinfer
 * compiles never comes near (its bounds stay below 2^53), but a hand-written model.quant.json
 * could chain products or linear layers without a requantize (x² → x⁴ → … → x³²) until the
 * circuit silently wraps around the field and proves something no integer model computes.
 */
import type { QOp, QOperand, QuantizedModel } from '../quantize/quantized-model.js';
import { linearTerms } from './linear-spec.js';

/** Largest log2 |value| allowed anywhere: well below the field's half, with room for the gadgets' offsets. */
export const MAX_VALUE_BITS = 240;

const log2 = (v: number): number => (v === 0 ? 0 : Math.log2(Math.abs(v)));
const maxLog = (values: readonly number[]): number => values.reduce((m, v) => Math.max(m, log2(v)), 0);

/** log2 bound of each op's output from its inputs' bounds. */
function outputBits(op: QOp, bits: (t: string) => number): number {
  const operand = (o: QOperand) => ('tensor' in o ? bits(o.tensor) + log2(o.scale) : maxLog(o.constant));
  const x = bits(op.input);
  switch (op.kind) {
    case 'linear': {
      const t = linearTerms(op.spec);
      let most = 0;
      for (let j = 0; j < t.nOut; j++) most = Math.max(most, t.offsets[j + 1]! - t.offsets[j]!);
      return Math.log2(2 ** (x + maxLog(op.weight)) * Math.max(most, 1) + 2 ** maxLog(op.bias)) + 1;
    }
    case 'requantize': return op.outBits;
    case 'reshape':
    case 'maxpool':
    case 'clamp': return x;
    case 'permute': return Math.max(x, maxLog(op.fill ?? []));
    case 'add': return Math.max(x + log2(op.inputScale), bits(op.other) + log2(op.otherScale)) + 1;
    case 'leakyRelu': return x + Math.max(0, log2(op.alpha));
    case 'concat': return Math.max(...[op.input, ...op.others].map((t, k) => bits(t) + log2(op.scales[k]!)));
    case 'table': return Math.max(0, ...op.tables.map(maxLog));
    case 'binary': return ['max', 'min'].includes(op.op) ? Math.max(operand(op.a), operand(op.b)) : 1;
    case 'where': return Math.max(operand(op.x), operand(op.y));
    case 'divConst': return x + op.shift;
    case 'product': {
      let most = 0;
      for (let j = 0; j + 1 < op.offsets.length; j++) most = Math.max(most, op.offsets[j + 1]! - op.offsets[j]!);
      return x + bits(op.other) + log2(Math.max(most, 1));
    }
    case 'divide': return Math.max(...op.qOffset.map((o, j) => log2(Math.abs(o) + 2 ** op.qBits[j]!))) + 1;
    case 'softmax': return op.log ? Math.max(x, maxLog(op.logTable)) + 2 : op.outFrac + 1;
  }
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
