/**
 * LeakyRelu on an integer activation: y = x · 2^k when x ≥ 0, else a · x, where a = alpha·2^k
 * (rounded). With the sign bit s = [x ≥ 0] from one bit decomposition,
 * y = a·x + (2^k − a)·(s·x): the product s·x is the only other constraint, so the cost is
 * n + 1 for an n-bit input (with lookups the sign comes from limbs, circuits/max.ts).
 */
import { R1csBuilder, Signal } from './builder.js';
import type { LookupConfig } from './lookup.js';
import { isNonNegativeCost, signOf } from './max.js';

/** Parameters fixed at compile time. */
export interface LeakyReluParams {
  /** k: the output has k more fractional bits than the input. */
  readonly shift: number;
  /** a = round(alpha · 2^k). */
  readonly alpha: bigint;
  /** Width of the sign comparison (x fits n signed bits). */
  readonly signBits: number;
}

/** Constraints {@link leakyRelu} emits (`lookup`: the builder's lookup configuration; undefined = bits). */
export function leakyReluCost(p: LeakyReluParams, lookup?: LookupConfig): number {
  return isNonNegativeCost(p.signBits, lookup) + 1;
}

/** The exact integer semantics. */
export function leakyReluValue(x: bigint, p: Pick<LeakyReluParams, 'shift' | 'alpha'>): bigint {
  return x >= 0n ? x << BigInt(p.shift) : p.alpha * x;
}

/** Emits LeakyRelu of `x` and returns the output (a linear combination). */
export function leakyRelu(b: R1csBuilder, x: Signal, p: LeakyReluParams): Signal {
  // The product uses x's short bit form, so a long x never enters the prover's A/B matrices.
  const { s, short } = signOf(b, x, p.signBits);
  const sx = b.mul(s, short);
  const y = b.linear([
    [x, p.alpha],
    [sx, (1n << BigInt(p.shift)) - p.alpha],
  ]);
  if (y.value !== leakyReluValue(x.value, p)) throw new Error(`leakyRelu witness mismatch: ${y.value}`);
  return y;
}
