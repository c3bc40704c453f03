/**
 * Range bookkeeping for comparisons and selections (QBinary, QWhere, QDivConst). Tensor
 * operands are aligned to the largest fractional width among them by exact power-of-two
 * scaling; constants are rounded onto that grid. Comparator and range-check widths come from
 * the worst-case per-element ranges, so every input in range stays provable.
 */
import { UserError } from '../core/errors.js';
import { comparatorBits } from '../../circuits/max.js';
import { divConstLayout } from '../../circuits/div-const.js';
import type { BinaryOp, BitwiseOp, DivConstOp, Operand, WhereOp } from './float-ir.js';
import type { QBinary, QBitwise, QDivConst, QOperand, QWhere } from './quantized-model.js';
import { binaryNumber, divConstNumber } from './quantized-model.js';
import type { TensorState } from './quantize-ops.js';

interface Aligned {
  readonly q: QOperand;
  readonly lo: number[];
  readonly hi: number[];
  readonly kind: 'act' | 'acc';
}

function safe(v: number, name: string): number {
  if (!Number.isSafeInteger(v))
    throw new UserError(`node "${name}": integer range exceeds 2^53; use fewer --weight-bits or --activation-bits`);
  return v;
}

function align(o: Operand, frac: number, states: Map<string, TensorState>, name: string): Aligned {
  if ('constant' in o) {
    const c = Array.from(o.constant, (v) => safe(Math.round(v * 2 ** frac), name));
    return { q: { constant: c }, lo: c, hi: c, kind: 'act' };
  }
  const s = states.get(o.tensor)!;
  const scale = 2 ** (frac - s.frac);
  return {
    q: { tensor: o.tensor, scale },
    lo: s.lo.map((v) => safe(v * scale, name)),
    hi: s.hi.map((v) => safe(v * scale, name)),
    kind: s.kind,
  };
}

/** The common fractional width of the tensor operands (the largest), or `dflt` when all are constants. */
function commonFrac(os: readonly Operand[], states: Map<string, TensorState>, dflt: number): number {
  const fr = os.flatMap((o) => ('tensor' in o ? [states.get(o.tensor)!.frac] : []));
  return fr.length ? Math.max(...fr) : dflt;
}

/** Max/min or a comparison of two operands. */
export function quantizeBinary(op: BinaryOp, states: Map<string, TensorState>): { op: QBinary; state: TensorState } {
  const frac = commonFrac([op.a, op.b], states, 0);
  const a = align(op.a, frac, states, op.name);
  const b = align(op.b, frac, states, op.name);
  const strict = op.op === 'gt' || op.op === 'le';
  // max2(a, b) decomposes a − b; min2 decomposes b − a; gt/le decompose a − b − 1.
  const bits = a.lo.map((al, i) => {
    const [dl, dh] = [al - b.hi[i]!, a.hi[i]! - b.lo[i]!];
    if (op.op === 'min') return comparatorBits(-dh, -dl);
    return strict ? comparatorBits(dl - 1, dh - 1) : comparatorBits(dl, dh);
  });
  const q: QBinary = {
    kind: 'binary',
    name: op.name,
    input: op.input,
    output: op.output,
    op: op.op,
    a: a.q,
    b: b.q,
    bits,
  };
  if (op.op !== 'max' && op.op !== 'min')
    return { op: q, state: { frac: 0, kind: 'act', lo: bits.map(() => 0), hi: bits.map(() => 1) } };
  const lo = a.lo.map((v, i) => binaryNumber(op.op, v, b.lo[i]!));
  const hi = a.hi.map((v, i) => binaryNumber(op.op, v, b.hi[i]!));
  return { op: q, state: { frac, kind: a.kind === 'act' && b.kind === 'act' ? 'act' : 'acc', lo, hi } };
}

/** cond ? x : y; cond must be a proven 0/1 tensor (or constant). `constFrac` scales all-constant branches. */
export function quantizeWhere(
  op: WhereOp,
  states: Map<string, TensorState>,
  constFrac: number,
): { op: QWhere; state: TensorState } {
  let cond: QOperand;
  let pick: (i: number) => 'x' | 'y' | 'both';
  if ('tensor' in op.cond) {
    const s = states.get(op.cond.tensor)!;
    if (s.frac !== 0 || s.lo.some((v) => v < 0) || s.hi.some((v) => v > 1))
      throw new UserError(
        `node "${op.name}" (Where): the condition must be a proven 0/1 tensor (a comparison, logic op, Cast to BOOL or bool input)`,
      );
    cond = { tensor: op.cond.tensor, scale: 1 };
    pick = (i) => (s.lo[i] === 1 ? 'x' : s.hi[i] === 0 ? 'y' : 'both');
  } else {
    const c = Array.from(op.cond.constant, (v) => (v !== 0 ? 1 : 0));
    cond = { constant: c };
    pick = (i) => (c[i] ? 'x' : 'y');
  }
  const frac = commonFrac([op.x, op.y], states, constFrac);
  const x = align(op.x, frac, states, op.name);
  const y = align(op.y, frac, states, op.name);
  const lo = x.lo.map((v, i) => (pick(i) === 'x' ? v : pick(i) === 'y' ? y.lo[i]! : Math.min(v, y.lo[i]!)));
  const hi = x.hi.map((v, i) => (pick(i) === 'x' ? v : pick(i) === 'y' ? y.hi[i]! : Math.max(v, y.hi[i]!)));
  return {
    op: { kind: 'where', name: op.name, input: op.input, output: op.output, cond, x: x.q, y: y.q },
    state: { frac, kind: x.kind === 'act' && y.kind === 'act' ? 'act' : 'acc', lo, hi },
  };
}

/** Signed width holding every integer in [lo, hi] in two's complement. */
function signedWidth(lo: number, hi: number): number {
  let w = 1;
  while (lo < -(2 ** (w - 1)) || hi >= 2 ** (w - 1)) w++;
  return w;
}

/**
 * Bitwise and/or/xor of integer operands (scale 1): the gadget's width per element holds both
 * operands' ranges; the result fits the same width (non-negative when both operands are).
 */
export function quantizeBitwise(op: BitwiseOp, states: Map<string, TensorState>): { op: QBitwise; state: TensorState } {
  for (const o of [op.a, op.b]) {
    const frac = 'tensor' in o ? states.get(o.tensor)!.frac : 0;
    const ints = 'tensor' in o || o.constant.every((v) => Number.isInteger(v));
    if (frac !== 0 || !ints)
      throw new UserError(`node "${op.name}": a bitwise op needs integer operands (this one has a fractional scale)`);
  }
  const a = align(op.a, 0, states, op.name);
  const b = align(op.b, 0, states, op.name);
  const bits = a.lo.map((l, i) => signedWidth(Math.min(l, b.lo[i]!), Math.max(a.hi[i]!, b.hi[i]!)));
  const lo = bits.map((w, i) => (a.lo[i]! >= 0 && b.lo[i]! >= 0 ? 0 : -(2 ** (w - 1))));
  const hi = bits.map((w, i) =>
    op.op === 'and' && a.lo[i]! >= 0 && b.lo[i]! >= 0 ? Math.min(a.hi[i]!, b.hi[i]!) : 2 ** (w - 1) - 1,
  );
  return {
    op: { kind: 'bitwise', name: op.name, input: op.input, output: op.output, op: op.op, a: a.q, b: b.q, bits },
    state: { frac: 0, kind: 'act', lo, hi },
  };
}

/**
 * x / d for integer d: the output gains ⌈log2 max|d|⌉ fractional bits so the quotient keeps the
 * input's precision. Integer Div (`trunc`) instead rounds toward zero at scale 1: the divisor
 * absorbs the input scale (d · 2^frac must then be an integer).
 */
export function quantizeDivConst(op: DivConstOp, s: TensorState): { op: QDivConst; state: TensorState } {
  const trunc = op.trunc ?? false;
  const divisor = Array.from(op.divisor, (d) => (trunc ? d * 2 ** s.frac : d));
  if (trunc && divisor.some((d) => !Number.isSafeInteger(d)))
    throw new UserError(`node "${op.name}": integer division of a value with a fractional scale`);
  const maxD = divisor.reduce((m, d) => Math.max(m, Math.abs(d)), 0);
  const shift = trunc ? 0 : Math.ceil(Math.log2(maxD));
  const lo: number[] = [];
  const hi: number[] = [];
  const offset: number[] = [];
  const numeratorBits: number[] = [];
  const signBits: number[] = [];
  divisor.forEach((d, i) => {
    const ends = [divConstNumber(s.lo[i]!, shift, d, trunc), divConstNumber(s.hi[i]!, shift, d, trunc)];
    lo.push(Math.min(...ends));
    hi.push(Math.max(...ends));
    // The numerator the gadget divides: sign(d) · x · 2^shift.
    const n = [s.lo[i]!, s.hi[i]!].map((v) => safe(Math.sign(d) * v * 2 ** shift, op.name));
    const [nLo, nHi] = [Math.min(...n), Math.max(...n)];
    const layout = divConstLayout(BigInt(nLo), BigInt(nHi), BigInt(Math.max(2, Math.abs(d))));
    offset.push(Number(layout.offset));
    numeratorBits.push(layout.numeratorBits);
    signBits.push(nLo >= 0 ? 0 : comparatorBits(nLo, nHi));
  });
  const q: QDivConst = {
    kind: 'divConst',
    name: op.name,
    input: op.input,
    output: op.output,
    shift,
    divisor,
    offset,
    numeratorBits,
    ...(trunc ? { trunc, signBits } : {}),
  };
  return { op: q, state: { frac: trunc ? 0 : s.frac + shift, kind: 'act', lo, hi } };
}
