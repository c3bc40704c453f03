/**
 * isZero(x) = 1 if x = 0 else 0, in three constraints with every helper wire uniquely
 * determined (the usual two-constraint version leaves the inverse free when x = 0, which would
 * let a prover vary a wire without changing anything we could test for).
 */
import { R1csBuilder, Signal } from './builder.js';
import { fieldInv, fieldMod } from './field.js';

/** Cost of {@link isZero} in constraints. */
export const IS_ZERO_COST = 3;

/** Returns a boolean signal that is 1 exactly when `x` is zero in the field. */
export function isZero(b: R1csBuilder, x: Signal): Signal {
  const xf = fieldMod(x.value);
  const z = b.wire(xf === 0n ? 1n : 0n);
  const inv = b.wire(xf === 0n ? 0n : fieldInv(xf));
  const one = b.constant(1n);
  const zero = b.constant(0n);
  // x · inv = 1 − z: z is 0 when x ≠ 0 (and inv is then 1/x) ...
  b.assertMul(x, inv, b.sub(one, z));
  // ... x · z = 0: z must be 0 when x ≠ 0 ...
  b.assertMul(x, z, zero);
  // ... inv · z = 0: pins inv to 0 when x = 0, so no wire is left free.
  b.assertMul(inv, z, zero);
  return z;
}
