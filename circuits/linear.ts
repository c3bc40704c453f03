/**
 * Linear layer gadgets. With fixed weights ({@link linearLayer}) the weights are circuit
 * constants, so every output is a linear combination of the inputs: zero constraints, and the
 * verification key thereby commits to the weights. With hashed weights
 * ({@link privateLinearLayer}) they are private witnesses bound by the weight commitment W
 * (weight-commitment.ts), and each product costs one constraint.
 */
import { R1csBuilder, Signal } from './builder.js';

/** Compressed term lists: the terms of output j are at [offsets[j], offsets[j+1]). */
export interface LinearTerms {
  readonly nOut: number;
  readonly nIn: number;
  readonly offsets: Int32Array;
  readonly inputIndex: Int32Array;
  readonly weightIndex: Int32Array;
  /** Output j uses bias biasIndex[j]. */
  readonly biasIndex: Int32Array;
}

/** Computes all outputs of a linear layer as free linear combinations. */
export function linearLayer(
  b: R1csBuilder,
  x: readonly Signal[],
  terms: LinearTerms,
  weight: readonly number[],
  bias: readonly number[],
): Signal[] {
  const out: Signal[] = new Array(terms.nOut);
  for (let j = 0; j < terms.nOut; j++) {
    const t: Array<[Signal, bigint]> = [];
    for (let k = terms.offsets[j]!; k < terms.offsets[j + 1]!; k++) {
      const w = weight[terms.weightIndex[k]!]!;
      if (w !== 0) t.push([x[terms.inputIndex[k]!]!, BigInt(w)]);
    }
    out[j] = b.linear(t, BigInt(bias[terms.biasIndex[j]!]!));
  }
  return out;
}

/**
 * A linear layer whose weights and biases are signals (private witnesses, hashed weights): every
 * term w·x is one multiplication constraint; the sums and the bias are free. Unlike
 * {@link linearLayer}, no term is skipped for a zero weight — the structure must not depend on
 * the weight values, so every model of one architecture compiles to the same r1cs.
 */
export function privateLinearLayer(
  b: R1csBuilder,
  x: readonly Signal[],
  terms: LinearTerms,
  weight: readonly Signal[],
  bias: readonly Signal[],
): Signal[] {
  const out: Signal[] = new Array(terms.nOut);
  for (let j = 0; j < terms.nOut; j++) {
    const t: Array<[Signal, bigint]> = [[bias[terms.biasIndex[j]!]!, 1n]];
    for (let k = terms.offsets[j]!; k < terms.offsets[j + 1]!; k++)
      t.push([b.mul(weight[terms.weightIndex[k]!]!, x[terms.inputIndex[k]!]!), 1n]);
    out[j] = b.linear(t);
  }
  return out;
}
