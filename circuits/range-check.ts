/**
 * Range check by bit decomposition: proves 0 ≤ x < 2^n and returns the bits.
 *
 * Two layouts, both sound, chosen by the caller (never by the values, so compile and
 * witness-only runs allocate the same wires):
 * - compact (default, n constraints): the top bit is a linear combination (x minus the lower
 *   bits, divided by 2^(n−1)) rather than a wire, so there is no separate sum constraint. x
 *   then appears in the A and B sides of that bit's boolean constraint.
 * - `sumConstraint` (n + 1 constraints): every bit is a wire and one constraint
 *   1 · Σ bit_i 2^i = x binds them, with x on the C side. snarkjs's prover evaluates only the
 *   A and B matrices (C follows as A∘B), so a long x — an accumulator of hundreds of terms —
 *   costs the prover nothing there, and every later use can go through the short bit sum.
 */
import { R1csBuilder, Signal } from './builder.js';
import { fieldInv } from './field.js';
import { rangeBits } from './bit-length.js';

/** Thrown while computing a witness when a value does not fit the range the circuit was compiled for. */
export class WitnessRangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WitnessRangeError';
  }
}

/** Layout options of {@link bitDecompose}. */
export interface BitDecomposeOptions {
  /** Bind x with a separate sum constraint (x on the C side); see the module comment. */
  readonly sumConstraint?: boolean;
}

/** Cost of {@link bitDecompose} in constraints. */
export function bitDecomposeCost(nBits: number, options: BitDecomposeOptions = {}): number {
  return nBits + (options.sumConstraint ? 1 : 0);
}

/**
 * Decomposes `x` into `nBits` boolean signals, least significant first, constraining
 * `x = Σ bit_i · 2^i` and every bit to {0, 1}.
 */
export function bitDecompose(b: R1csBuilder, x: Signal, nBits: number, options: BitDecomposeOptions = {}): Signal[] {
  if (!Number.isInteger(nBits) || nBits < 1 || nBits > 250) throw new Error(`bit width ${nBits} out of range 1..250`);
  const v = x.value;
  if (v < 0n || v >= 1n << BigInt(nBits)) {
    throw new WitnessRangeError(`value ${v} does not fit in ${nBits} unsigned bits`);
  }
  const bits: Signal[] = [];
  if (options.sumConstraint) {
    for (let i = 0; i < nBits; i++) {
      const bit = b.wire((v >> BigInt(i)) & 1n);
      b.assertBool(bit);
      bits.push(bit);
    }
    b.assertMul(b.constant(1n), bitsToValue(b, bits, 0, nBits), x);
    return bits;
  }
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

/**
 * Constrains lo ≤ x ≤ hi exactly. x − lo is decomposed into w = bitLength(hi − lo) bits; when the
 * range is not exactly 2^w wide that alone would also admit (hi, lo + 2^w), so hi − x is
 * decomposed as well. Cost: {@link intervalCheckCost}.
 */
export function assertInInterval(b: R1csBuilder, x: Signal, lo: bigint, hi: bigint): void {
  const w = rangeBits(lo, hi);
  bitDecompose(b, b.linear([[x, 1n]], -lo), w);
  if (hi - lo + 1n !== 1n << BigInt(w)) bitDecompose(b, b.linear([[x, -1n]], hi), w);
}

/** Constraints {@link assertInInterval} emits for [lo, hi]. */
export function intervalCheckCost(lo: bigint, hi: bigint): number {
  const w = rangeBits(lo, hi);
  return hi - lo + 1n === 1n << BigInt(w) ? w : 2 * w;
}
