/**
 * BitwiseAnd, BitwiseOr, BitwiseXor of two integers in two's complement at a signed width w
 * that holds both operands (−2^(w−1) ≤ x < 2^(w−1)). Each computed operand is decomposed once:
 * u = x + 2^(w−1) into w bits (w constraints, which also proves the range), and its two's
 * complement bits are u's with the top one flipped (a free 1 − bit). A constant operand's bits
 * are constants. Per bit: and = a·b, or = a + b − a·b, xor = a + b − 2·a·b — one product, free
 * when either bit is a constant. The result, Σ_{i<w−1} r_i 2^i − r_{w−1} 2^(w−1), is again a
 * w-bit two's complement value: sign extension commutes with every bitwise op, so the result
 * equals the op at any wider width (int8 … int32, and the unsigned types whose values fit).
 */
import { R1csBuilder, Signal } from './builder.js';
import { bitDecompose, bitDecomposeCost } from './range-check.js';

/** The bitwise ops. */
export type BitwiseOp = 'and' | 'or' | 'xor';

/** An operand: a computed signal, or a constant known at compile time. */
export type BitwiseOperand = Signal | bigint;

/** The exact integer semantics (two's complement of unbounded width, as BigInt's operators). */
export function bitwiseValue(a: bigint, c: bigint, op: BitwiseOp): bigint {
  return op === 'and' ? a & c : op === 'or' ? a | c : a ^ c;
}

/** Constraints of {@link bitwise} at width `bits`, with `computed` (0–2) of the operands computed. */
export function bitwiseCost(bits: number, computed: number): number {
  return computed * bitDecomposeCost(bits) + (computed === 2 ? bits : 0);
}

/** The w two's complement bits of an operand, least significant first (constants for a constant). */
function twosComplementBits(b: R1csBuilder, x: BitwiseOperand, bits: number): Signal[] | bigint[] {
  const half = 1n << BigInt(bits - 1);
  if (typeof x === 'bigint') {
    if (x < -half || x >= half) throw new Error(`constant ${x} does not fit ${bits} signed bits`);
    const u = BigInt.asUintN(bits, x);
    return Array.from({ length: bits }, (_, i) => (u >> BigInt(i)) & 1n);
  }
  const u = bitDecompose(b, b.linear([[x, 1n]], half), bits);
  u[bits - 1] = b.linear([[u[bits - 1]!, -1n]], 1n);
  return u;
}

/** One result bit from two operand bits (either may be a constant). */
function bitOp(b: R1csBuilder, x: Signal | bigint, y: Signal | bigint, op: BitwiseOp): Signal | bigint {
  if (typeof x === 'bigint' && typeof y === 'bigint') return bitwiseValue(x, y, op);
  // A constant bit makes the result linear in the other: and → 0 or y, or → y or 1, xor → y or 1 − y.
  if (typeof x === 'bigint' || typeof y === 'bigint') {
    const [c, s] = (typeof x === 'bigint' ? [x, y] : [y, x]) as [bigint, Signal];
    if (op === 'and') return c === 1n ? s : 0n;
    if (op === 'or') return c === 1n ? 1n : s;
    return c === 1n ? b.linear([[s, -1n]], 1n) : s;
  }
  const p = b.mul(x, y);
  if (op === 'and') return p;
  return b.linear([
    [x, 1n],
    [y, 1n],
    [p, op === 'or' ? -1n : -2n],
  ]);
}

/**
 * x op y for integers that fit `bits` signed bits (throws WitnessRangeError for a computed
 * operand that does not). Returns the result as a linear combination of the result bits.
 */
export function bitwise(b: R1csBuilder, x: BitwiseOperand, y: BitwiseOperand, op: BitwiseOp, bits: number): Signal {
  if (!Number.isInteger(bits) || bits < 1 || bits > 240) throw new Error(`bitwise width ${bits} out of range 1..240`);
  const xs = twosComplementBits(b, x, bits);
  const ys = twosComplementBits(b, y, bits);
  const terms: Array<[Signal, bigint]> = [];
  let constant = 0n;
  for (let i = 0; i < bits; i++) {
    const weight = i === bits - 1 ? -(1n << BigInt(i)) : 1n << BigInt(i);
    const r = bitOp(b, xs[i]!, ys[i]!, op);
    if (typeof r === 'bigint') constant += r * weight;
    else terms.push([r, weight]);
  }
  const out = b.linear(terms, constant);
  const value = (v: BitwiseOperand) => (typeof v === 'bigint' ? v : v.value);
  const expected = bitwiseValue(value(x), value(y), op);
  if (out.value !== expected) throw new Error(`bitwise ${op} witness mismatch: ${out.value} ≠ ${expected}`);
  return out;
}
