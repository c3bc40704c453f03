/**
 * Products of two activations: y_j = Σ_k a[aIndex[k]] · b[bIndex[k]]. Each scalar product is
 * one fresh wire fixed by one rank-1 constraint a · b = c; the sum over k is a free linear
 * combination. So a d×d by d×n matrix product costs exactly d·d·n constraints here, and the
 * output is an accumulator (the consumer requantizes it as after a linear layer).
 *
 * Soundness: a and b are already fixed (range-checked activations), every product wire is
 * fixed by its single constraint, and the output is a linear combination of those wires. A
 * square x·x is the same constraint with both factors equal.
 */
import { R1csBuilder, Signal } from './builder.js';

/** Index layout of a product op, fixed at compile time. */
export interface ProductTerms {
  readonly offsets: readonly number[];
  readonly aIndex: readonly number[];
  readonly bIndex: readonly number[];
}

/** The exact integer semantics (also the integer reference). */
export function productValues(a: readonly bigint[], b: readonly bigint[], t: ProductTerms): bigint[] {
  const y: bigint[] = [];
  for (let j = 0; j + 1 < t.offsets.length; j++) {
    let acc = 0n;
    for (let k = t.offsets[j]!; k < t.offsets[j + 1]!; k++) acc += a[t.aIndex[k]!]! * b[t.bIndex[k]!]!;
    y.push(acc);
  }
  return y;
}

/** Constraints of {@link products}: one per scalar product. */
export function productsCost(t: ProductTerms): number {
  return t.aIndex.length;
}

/** Emits the sums of products; returns one linear combination per output. */
export function products(b: R1csBuilder, a: readonly Signal[], c: readonly Signal[], t: ProductTerms): Signal[] {
  const out: Signal[] = [];
  for (let j = 0; j + 1 < t.offsets.length; j++) {
    const terms: Array<[Signal, bigint]> = [];
    for (let k = t.offsets[j]!; k < t.offsets[j + 1]!; k++) terms.push([b.mul(a[t.aIndex[k]!]!, c[t.bIndex[k]!]!), 1n]);
    out.push(b.linear(terms));
  }
  return out;
}
