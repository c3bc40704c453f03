/**
 * Comparisons with a 0/1 result and selection by such a bit, built on the sign primitive of
 * max.ts. With s(d) = [d ≥ 0] from one decomposition of d (bits + 1 constraints):
 * a ≥ c is s(a − c), a > c is s(a − c − 1), a < c is 1 − s(a − c), a ≤ c is 1 − s(a − c − 1);
 * a = c is isZero(a − c) (3 constraints, no width needed). `select` costs one product.
 */
import { R1csBuilder, Signal } from './builder.js';
import { isZero, IS_ZERO_COST } from './is-zero.js';
import { isNonNegative, isNonNegativeCost } from './max.js';

/** The comparisons, named after the ONNX ops. */
export type Comparison = 'eq' | 'lt' | 'le' | 'gt' | 'ge';

/** The exact integer semantics of {@link compare}. */
export function compareValue(a: bigint, c: bigint, op: Comparison): bigint {
  const r = op === 'eq' ? a === c : op === 'lt' ? a < c : op === 'le' ? a <= c : op === 'gt' ? a > c : a >= c;
  return r ? 1n : 0n;
}

/** Constraints of {@link compare} for a comparator width. */
export function compareCost(op: Comparison, bits: number): number {
  return op === 'eq' ? IS_ZERO_COST : isNonNegativeCost(bits);
}

/**
 * [a op c] as a boolean signal. `bits` is the signed width holding a − c for ge/lt and
 * a − c − 1 for gt/le (unused for eq).
 */
export function compare(b: R1csBuilder, a: Signal, c: Signal, op: Comparison, bits: number): Signal {
  if (op === 'eq') return isZero(b, b.sub(a, c));
  const strict = op === 'gt' || op === 'le';
  const s = isNonNegative(
    b,
    b.linear(
      [
        [a, 1n],
        [c, -1n],
      ],
      strict ? -1n : 0n,
    ),
    bits,
  );
  return op === 'ge' || op === 'gt' ? s : b.linear([[s, -1n]], 1n);
}

/** cond ? x : y for a boolean `cond`: y + cond · (x − y), one constraint. */
export function select(b: R1csBuilder, cond: Signal, x: Signal, y: Signal): Signal {
  const p = b.mul(cond, b.sub(x, y));
  return b.add(y, p);
}
