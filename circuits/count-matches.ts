/**
 * Counting correct predictions. Each sample carries a label code: label + 1 for a real sample,
 * 0 for padding. A sample counts when predicted index + 1 equals its code, which a padding
 * code (0) can never do since indices are ≥ 0: padding cannot count as correct, whatever the
 * prover puts in the padded inputs. Equality is isZero of the difference (3 constraints, every
 * helper wire determined); the count is their sum, a free linear combination.
 */
import { R1csBuilder, Signal } from './builder.js';
import { isZero, IS_ZERO_COST } from './is-zero.js';

/** Constraints of {@link countMatches} for n samples. */
export function countMatchesCost(n: number): number {
  return n * IS_ZERO_COST;
}

/** Label code of a sample: label + 1, or 0 for padding. */
export function labelCode(label: number | null): number {
  return label === null ? 0 : label + 1;
}

/**
 * Returns the per-sample match booleans and their sum: the number of i with
 * predicted[i] + 1 = codes[i].
 */
export function countMatches(
  b: R1csBuilder,
  predicted: readonly Signal[],
  codes: readonly Signal[],
): { matches: Signal[]; count: Signal } {
  if (predicted.length !== codes.length)
    throw new Error(`${predicted.length} predictions for ${codes.length} label codes`);
  const matches = predicted.map((p, i) =>
    isZero(
      b,
      b.linear(
        [
          [p, 1n],
          [codes[i]!, -1n],
        ],
        1n,
      ),
    ),
  );
  return { matches, count: b.linear(matches.map((m) => [m, 1n] as const)) };
}
