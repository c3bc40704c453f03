/**
 * Exact floor division by a constant positive integer d with a proven remainder:
 * q = floor(x / d), r = x − d·q ∈ [0, d).
 *
 * q is a fresh wire range-checked to [qLo, qLo + 2^qBits); r is the free combination x − d·q,
 * proven ≥ 0 and ≤ d − 1 by two decompositions of ⌈log2 d⌉ bits (one when d is a power of
 * two). The range check on q is what makes it unique: without it, (x − r')/d mod p for any
 * other r' in [0, d) would satisfy the remainder checks in the field.
 * Cost: qBits + 2·rBits constraints (qBits + rBits for a power of two).
 */
import { R1csBuilder, Signal } from './builder.js';
import { bitDecompose, bitDecomposeCost } from './range-check.js';

/** Parameters fixed at compile time. */
export interface DivConstParams {
  /** d ≥ 2. */
  readonly divisor: bigint;
  /** Smallest possible quotient. */
  readonly quotientLo: bigint;
  /** Width of the quotient's range check. */
  readonly quotientBits: number;
}

/** ⌈log2 d⌉: the width holding every remainder 0 … d − 1. */
export function remainderBits(divisor: bigint): number {
  let n = 1;
  while (1n << BigInt(n) < divisor) n++;
  return n;
}

function isPowerOfTwo(d: bigint): boolean {
  return (d & (d - 1n)) === 0n;
}

/** Constraints of {@link divConst}. */
export function divConstCost(p: DivConstParams): number {
  const rb = remainderBits(p.divisor);
  return bitDecomposeCost(p.quotientBits) + bitDecomposeCost(rb) * (isPowerOfTwo(p.divisor) ? 1 : 2);
}

/** floor(x / d) for d > 0 (BigInt division truncates, so negative x needs the correction). */
export function floorDiv(x: bigint, d: bigint): bigint {
  const q = x / d;
  return q * d > x ? q - 1n : q;
}

/** Emits q = floor(x / d) and returns it. */
export function divConst(b: R1csBuilder, x: Signal, p: DivConstParams): Signal {
  const d = p.divisor;
  if (d < 2n) throw new Error(`divisor ${d} must be at least 2`);
  const q = b.wire(floorDiv(x.value, d));
  bitDecompose(b, b.linear([[q, 1n]], -p.quotientLo), p.quotientBits);
  const r = b.linear([[x, 1n], [q, -d]]);
  const rb = remainderBits(d);
  bitDecompose(b, r, rb);
  if (!isPowerOfTwo(d)) bitDecompose(b, b.linear([[r, -1n]], d - 1n), rb);
  return q;
}
