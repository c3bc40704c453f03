/**
 * Range check by bit decomposition: proves 0 ≤ x < 2^n and returns the bits. The top bit is a
 * linear combination (x minus the lower bits, divided by 2^(n−1)) rather than a wire, so the
 * decomposition costs exactly n boolean constraints and no separate sum constraint.
 */
import { R1csBuilder, Signal } from './builder.js';
import { fieldInv } from './field.js';

/** Thrown while computing a witness when a value does not fit the range the circuit was compiled for. */
export class WitnessRangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WitnessRangeError';
  }
}

/** Cost of {@link bitDecompose} in constraints. */
export function bitDecomposeCost(nBits: number): number {
  return nBits;
}

/**
 * Decomposes `x` into `nBits` boolean signals, least significant first, constraining
 * `x = Σ bit_i · 2^i` and every bit to {0, 1}.
 */
export function bitDecompose(b: R1csBuilder, x: Signal, nBits: number): Signal[] {
  if (!Number.isInteger(nBits) || nBits < 1 || nBits > 250) throw new Error(`bit width ${nBits} out of range 1..250`);
  const v = x.value;
  if (v < 0n || v >= 1n << BigInt(nBits)) {
    throw new WitnessRangeError(`value ${v} does not fit in ${nBits} unsigned bits`);
  }
  const bits: Signal[] = [];
  const lowTerms: Array<[Signal, bigint]> = [[x, 1n]];
  for (let i = 0; i < nBits - 1; i++) {
    const bit = b.wire((v >> BigInt(i)) & 1n);
    b.assertBool(bit);
    bits.push(bit);
    lowTerms.push([bit, -(1n << BigInt(i))]);
  }
  // top = (x − Σ_{i<n−1} bit_i 2^i) / 2^(n−1): the division is a field multiplication by a constant.
  const rest = b.linear(lowTerms);
  const top = b.linear([[rest, fieldInv(1n << BigInt(nBits - 1))]]);
  const topValue = (v >> BigInt(nBits - 1)) & 1n;
  const topSignal: Signal = { lc: top.lc, value: topValue };
  b.assertBool(topSignal);
  bits.push(topSignal);
  return bits;
}

/** Σ bits[i] · 2^(i − from) over i in [from, to): a free linear combination. */
export function bitsToValue(b: R1csBuilder, bits: readonly Signal[], from: number, to: number): Signal {
  const terms: Array<[Signal, bigint]> = [];
  for (let i = from; i < to; i++) terms.push([bits[i]!, 1n << BigInt(i - from)]);
  return b.linear(terms);
}
