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
 */
import { R1csBuilder, Signal } from './builder.js';
import { floorDiv } from './div-const.js';
import { bitsToValue } from './range-check.js';

/** Widths fixed at compile time. */
export interface DivideParams {
  /** The smallest quotient: q − qOffset fits qBits unsigned bits. */
  readonly qOffset: bigint;
  readonly qBits: number;
  /** d − 1 < 2^rBits for every denominator the circuit accepts. */
  readonly rBits: number;
}

/** Constraints of {@link divide}. */
export function divideCost(p: Pick<DivideParams, 'qBits' | 'rBits'>): number {
  return p.qBits + 2 * p.rBits + 2;
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

/** Emits q = floor(n / d) for d ≥ 1 and returns q (a combination of its bits). */
export function divide(b: R1csBuilder, n: Signal, d: Signal, p: DivideParams): Signal {
  if (p.qBits + p.rBits + 2 >= 253)
    throw new Error(`divide: widths ${p.qBits} + ${p.rBits} could wrap around the field`);
  if (d.value < 1n) throw new Error(`divide: denominator ${d.value} is below 1`);
  const qv = floorDiv(n.value, d.value);
  const rv = n.value - qv * d.value;
  const qBits = bits(b, qv - p.qOffset, p.qBits, 'quotient offset');
  const rBits = bits(b, rv, p.rBits, 'remainder');
  const tBits = bits(b, d.value - 1n - rv, p.rBits, 'denominator − 1 − remainder');
  const q = b.linear([[bitsToValue(b, qBits, 0, p.qBits), 1n]], p.qOffset);
  const r = bitsToValue(b, rBits, 0, p.rBits);
  const product = b.nConstraints;
  b.assertMul(q, d, b.sub(n, r));
  b.assertMul(
    b.constant(1n),
    bitsToValue(b, tBits, 0, p.rBits),
    b.linear(
      [
        [d, 1n],
        [r, -1n],
      ],
      -1n,
    ),
  );
  b.hintDivision(product, product + 1);
  return q;
}
