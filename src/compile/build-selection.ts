/**
 * Circuit lowering of the comparison and selection ops (QBinary, QWhere, QDivConst): kept
 * apart from circuit-emitters.ts so that table stays one line or two per kind.
 */
import { R1csBuilder, Signal } from '../../circuits/builder.js';
import { compare, select } from '../../circuits/compare.js';
import { divConst } from '../../circuits/div-const.js';
import { max2, min2 } from '../../circuits/max.js';
import { bitwise } from '../../circuits/bitwise.js';
import type { QBinary, QBitwise, QDivConst, QOperand, QWhere } from '../formats/quantized-schema.js';

function operandSignals(
  b: R1csBuilder,
  tensors: ReadonlyMap<string, readonly Signal[]>,
  o: QOperand,
  n: number,
): Signal[] {
  if ('constant' in o) return o.constant.map((v) => b.constant(BigInt(v)));
  const t = tensors.get(o.tensor)!;
  if (t.length !== n) throw new Error(`operand "${o.tensor}" has ${t.length} elements, expected ${n}`);
  return o.scale === 1 ? [...t] : t.map((s) => b.linear([[s, BigInt(o.scale)]]));
}

/** Emits a comparison (or max/min) of two aligned operands. */
export function buildBinary(b: R1csBuilder, op: QBinary, tensors: ReadonlyMap<string, readonly Signal[]>): Signal[] {
  const a = operandSignals(b, tensors, op.a, op.bits.length);
  const c = operandSignals(b, tensors, op.b, op.bits.length);
  if (op.op === 'max') return a.map((s, i) => max2(b, s, c[i]!, op.bits[i]!));
  if (op.op === 'min') return a.map((s, i) => min2(b, s, c[i]!, op.bits[i]!));
  const cmp = op.op;
  return a.map((s, i) => compare(b, s, c[i]!, cmp, op.bits[i]!));
}

/** Emits a selection cond ? x : y (free where the condition is a constant). */
export function buildWhere(b: R1csBuilder, op: QWhere, tensors: ReadonlyMap<string, readonly Signal[]>): Signal[] {
  const len = 'constant' in op.cond ? op.cond.constant.length : tensors.get(op.cond.tensor)!.length;
  const x = operandSignals(b, tensors, op.x, len);
  const y = operandSignals(b, tensors, op.y, len);
  if ('constant' in op.cond) return op.cond.constant.map((c, i) => (c !== 0 ? x[i]! : y[i]!));
  const cond = operandSignals(b, tensors, op.cond, len);
  return cond.map((c, i) => select(b, c, x[i]!, y[i]!));
}

/** Emits a bitwise and/or/xor (constant operands enter as known bits). */
export function buildBitwise(b: R1csBuilder, op: QBitwise, tensors: ReadonlyMap<string, readonly Signal[]>): Signal[] {
  const n = op.bits.length;
  const side = (o: QOperand): Array<Signal | bigint> =>
    'constant' in o ? o.constant.map(BigInt) : operandSignals(b, tensors, o, n);
  const [x, y] = [side(op.a), side(op.b)];
  return x.map((s, i) => bitwise(b, s, y[i]!, op.op, op.bits[i]!));
}

/** Emits a division by integer constants (a free sign change where |d| = 1). */
export function buildDivConst(b: R1csBuilder, op: QDivConst, x: readonly Signal[]): Signal[] {
  const n = x.length;
  if (op.divisor.length !== n)
    throw new Error(`divConst "${op.name}" has ${op.divisor.length} divisors for ${n} elements`);
  return x.map((s, i) => {
    const d = op.divisor[i]!;
    const scaled = b.linear([[s, BigInt(Math.sign(d) * 2 ** op.shift)]]);
    if (Math.abs(d) === 1) return scaled;
    return divConst(b, scaled, {
      divisor: BigInt(Math.abs(d)),
      offset: BigInt(op.offset[i]!),
      numeratorBits: op.numeratorBits[i]!,
      trunc: op.trunc ?? false,
      signBits: op.signBits?.[i] ?? 0,
    });
  });
}
