/**
 * Evaluating constraints on a witness: the check run before every proof (snarkjs itself does not
 * check the witness). Apart from the builder so that the builder stays about building.
 */
import { FIELD_PRIME, fieldMod } from './field.js';
import { PackedLc } from './packed-lc.js';

/** A constraint's three sides, as {@link Constraint} in builder.ts has them. */
interface ConstraintSides {
  readonly a: ReadonlyMap<number, bigint>;
  readonly b: ReadonlyMap<number, bigint>;
  readonly c: ReadonlyMap<number, bigint>;
}

/** Evaluates a linear combination on a witness, mod p. */
export function evalLc(lc: ReadonlyMap<number, bigint>, witness: readonly bigint[]): bigint {
  let acc = 0n;
  if (lc instanceof PackedLc && lc.allSmall) {
    // Signed coefficients: the sum is the same mod p without a 254-bit BigInt per term.
    for (let i = 0; i < lc.size; i++) acc += BigInt(lc.smallAt(i)) * witness[lc.wireAt(i)]!;
    return fieldMod(acc);
  }
  for (const [w, c] of lc) acc += c * witness[w]!;
  return acc % FIELD_PRIME;
}

/**
 * Returns the index of the first constraint the witness violates, or -1 when every constraint
 * holds. This is the check run before every proof: snarkjs itself does not check the witness.
 */
export function findViolatedConstraint(constraints: readonly ConstraintSides[], witness: readonly bigint[]): number {
  if (witness[0] !== 1n) return 0;
  for (let i = 0; i < constraints.length; i++) {
    const k = constraints[i]!;
    if ((evalLc(k.a, witness) * evalLc(k.b, witness)) % FIELD_PRIME !== evalLc(k.c, witness)) return i;
  }
  return -1;
}
