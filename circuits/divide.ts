/**
 * Division of two signals with a proven remainder: q = floor(n / d) for d ≥ 1.
 *
 * The prover supplies q (as q' = q − qOffset in qBits bits), the remainder r (rBits bits) and
 * t = d − 1 − r (rBits bits), every bit a boolean wire, and two constraints bind them:
 *
 *     (qOffset + Σ 2^i q'_i) · d = n − r          (the product)
 *     1 · Σ 2^j t_j = d − 1 − r                   (the bound: r ≤ d − 1, and d ≥ 1)
 *
 * Soundness: r and t are sums of distinct powers of two, so 0 ≤ r, t < 2^rBits and, because
 * r + t < p, d − 1 = r + t holds in the integers: 1 ≤ d ≤ 2^(rBits+1) − 1 and 0 ≤ r ≤ d − 1.
 * Two solutions (q1, r1), (q2, r2) give (q1 − q2)·d = r2 − r1 in the field; with
 * qBits + rBits + 2 < 253 neither side wraps, so d divides r2 − r1 with |r2 − r1| < d: the
 * solution is unique and equals Euclid's (floor division). The range check of q is what
 * rules out a wrapped-around q. The determinism checker proves this pattern with a rule of its
 * own (src/compile/determinism-check.ts, rule 4) from the two constraints the gadget marks.
 * Cost: qBits + 2·rBits booleans + 2.
 *
 * With lookups (BuilderOptions.lookup) q', r and t are each made of limb wires of the builder's
 * limb width instead of bits ({@link rangedValue}: Σ limb_j·2^(jK), every limb looked up in
 * [0, 2^K), a narrower top limb twice), so the same integer bounds 0 ≤ r, t < 2^rBits and
 * 0 ≤ q' < 2^qBits hold and the argument above is unchanged. Cost: rangeCheckCost(qBits) +
 * 2·rangeCheckCost(rBits) + 2.
 */
import { R1csBuilder, Signal } from './builder.js';
import { floorDiv } from './div-const.js';
import { LookupConfig, rangeCheckCost } from './lookup.js';
import { bitsToValue, WitnessRangeError } from './range-check.js';

/** Widths fixed at compile time. */
export interface DivideParams {
  /** The smallest quotient: q − qOffset fits qBits unsigned bits. */
  readonly qOffset: bigint;
  readonly qBits: number;
  /** d − 1 < 2^rBits for every denominator the circuit accepts. */
  readonly rBits: number;
}

/** Constraints of {@link divide} (`lookup`: the builder's lookup configuration; undefined = bits). */
export function divideCost(p: Pick<DivideParams, 'qBits' | 'rBits'>, lookup?: LookupConfig): number {
  return rangeCheckCost(p.qBits, lookup) + 2 * rangeCheckCost(p.rBits, lookup) + 2;
}

/** Smallest width w ≥ 1 with v < 2^w. */
export function widthOf(v: bigint): number {
  let w = 1;
  while (v >= 1n << BigInt(w)) w++;
  return w;
}

function bits(b: R1csBuilder, v: bigint, n: number, what: string): Signal[] {
  if (v < 0n || v >= 1n << BigInt(n)) throw new Error(`divide: ${what} ${v} does not fit ${n} bits`);
  return Array.from({ length: n }, (_, i) => {
    const bit = b.wire((v >> BigInt(i)) & 1n);
    b.assertBool(bit);
    return bit;
  });
}

/**
 * A fresh value v ∈ [0, 2^n) made of limb wires of the builder's limb width K, least significant
 * first, each looked up (circuits/lookup.ts); returns Σ limb_j·2^(jK). The builder must have
 * lookups. rangeCheckCost(n) constraints.
 */
export function rangedValue(b: R1csBuilder, v: bigint, n: number, what: string): Signal {
  const k = b.lookup?.limbBits;
  if (k === undefined) throw new Error('rangedValue needs a build with lookups');
  if (!Number.isInteger(n) || n < 1 || n > 250) throw new Error(`bit width ${n} out of range 1..250`);
  if (v < 0n || v >= 1n << BigInt(n)) throw new WitnessRangeError(`${what} ${v} does not fit in ${n} unsigned bits`);
  const terms: Array<[Signal, bigint]> = [];
  for (let off = 0; off < n; off += k) {
    const w = Math.min(k, n - off);
    const limb = b.wire((v >> BigInt(off)) & ((1n << BigInt(w)) - 1n));
    b.lookupRange(limb, w);
    terms.push([limb, 1n << BigInt(off)]);
  }
  return terms.length === 1 ? terms[0]![0] : b.linear(terms);
}

/** A fresh value in [0, 2^n): bits without lookups, limbs with them. */
function unsigned(b: R1csBuilder, v: bigint, n: number, what: string): Signal {
  if (!b.lookup) return bitsToValue(b, bits(b, v, n, what), 0, n);
  if (v < 0n || v >= 1n << BigInt(n)) throw new Error(`divide: ${what} ${v} does not fit ${n} bits`);
  return rangedValue(b, v, n, what);
}

/** The quotient and the remainder of {@link divideWithRemainder}. */
export interface Quotient {
  /** floor(n / d). */
  readonly q: Signal;
  /** n − q·d ∈ [0, d − 1] (a combination of its bits or limbs). */
  readonly r: Signal;
}

/** Emits q = floor(n / d) for d ≥ 1 and returns q (a combination of its bits or limbs). */
export function divide(b: R1csBuilder, n: Signal, d: Signal, p: DivideParams): Signal {
  return divideWithRemainder(b, n, d, p).q;
}

/** {@link divide}, also returning the remainder. */
export function divideWithRemainder(b: R1csBuilder, n: Signal, d: Signal, p: DivideParams): Quotient {
  if (p.qBits + p.rBits + 2 >= 253)
    throw new Error(`divide: widths ${p.qBits} + ${p.rBits} could wrap around the field`);
  if (d.value < 1n) throw new Error(`divide: denominator ${d.value} is below 1`);
  const qv = floorDiv(n.value, d.value);
  const rv = n.value - qv * d.value;
  const qs = unsigned(b, qv - p.qOffset, p.qBits, 'quotient offset');
  const r = unsigned(b, rv, p.rBits, 'remainder');
  const t = unsigned(b, d.value - 1n - rv, p.rBits, 'denominator − 1 − remainder');
  const q = b.linear([[qs, 1n]], p.qOffset);
  const product = b.nConstraints;
  b.assertMul(q, d, b.sub(n, r));
  b.assertMul(
    b.constant(1n),
    t,
    b.linear(
      [
        [d, 1n],
        [r, -1n],
      ],
      -1n,
    ),
  );
  b.hintDivision(product, product + 1);
  return { q, r };
}
