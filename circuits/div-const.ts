/**
 * Exact floor division by a constant integer d ≥ 2: q = floor(x / d), by restoring long
 * division over the bits of the numerator, so every wire is forced by the input through
 * linear steps and bit decompositions alone (which the determinism checker can follow; a
 * "guess q, prove the remainder in [0, d)" layout is sound too but only by a range argument).
 *
 * x ∈ [xLo, xHi] is shifted to X = x − O ≥ 0 with O = d·floor(xLo / d), a multiple of d, so
 * floor(x / d) = floor(X / d) + O / d. X is decomposed into n bits. Walking from the top bit,
 * the partial remainder R < d takes the next bit, R' = 2R + bit < 2d; the quotient bit is
 * s = [R' ≥ d], read as the top bit of a compact decomposition of R' − d + 2^(w−1) with w the
 * signed width of [−d, d − 1]; then R = R' − d·s, which is linear because d is a constant.
 * While R' cannot reach d the quotient bit is 0 and costs nothing.
 * Cost: n + w · (number of steps where R' can reach d) constraints; the remainder is never a wire.
 *
 * Truncating division (ONNX Div on integers) adds [x < 0]·[r ≠ 0] to the floor, with r the
 * final remainder (a linear combination): a sign comparison of x when x can be negative
 * (signBits + 1 constraints), an is-zero of r (3) and their product (1).
 *
 * With lookups (BuilderOptions.lookup) a bit-serial division would still need every bit of X,
 * so the quotient is guessed instead and proven by circuits/divide.ts with the constant d:
 * q' = floor(X / d) ∈ [0, 2^qBits) and r, d − 1 − r ∈ [0, 2^w) by limb lookups, q'·d = X − r.
 * That is the same remainder argument (unique because d·q' + r < p), and the determinism
 * checker follows it by its division rule on the two constraints divide.ts marks.
 * Cost: {@link divConstCost}.
 */
import { R1csBuilder, Signal } from './builder.js';
import { divideCost, divideWithRemainder, widthOf } from './divide.js';
import { isZero, IS_ZERO_COST } from './is-zero.js';
import type { LookupConfig } from './lookup.js';
import { isNonNegative, isNonNegativeCost } from './max.js';
import { bitDecompose, WitnessRangeError } from './range-check.js';

/** Parameters fixed at compile time. */
export interface DivConstParams {
  /** d ≥ 2. */
  readonly divisor: bigint;
  /** O: a multiple of d at or below the smallest numerator. */
  readonly offset: bigint;
  /** n: X = x − O fits n unsigned bits. */
  readonly numeratorBits: number;
  /** Round toward zero instead of down (integer Div). */
  readonly trunc?: boolean;
  /** With `trunc`: signed width of x for its sign test, 0 when x is never negative. */
  readonly signBits?: number;
}

/** x / d rounded toward zero (d > 0). */
export function truncDiv(x: bigint, d: bigint): bigint {
  return x / d;
}

/** floor(x / d) for d > 0 (BigInt division truncates toward zero). */
export function floorDiv(x: bigint, d: bigint): bigint {
  const q = x / d;
  return q * d > x ? q - 1n : q;
}

/** Offset and width of the numerator for x ∈ [lo, hi]. */
export function divConstLayout(lo: bigint, hi: bigint, divisor: bigint): { offset: bigint; numeratorBits: number } {
  const offset = divisor * floorDiv(lo, divisor);
  let n = 1;
  while (hi - offset >= 1n << BigInt(n)) n++;
  return { offset, numeratorBits: n };
}

function signedWidth(lo: bigint, hi: bigint): number {
  let w = 1;
  while (lo < -(1n << BigInt(w - 1)) || hi > (1n << BigInt(w - 1)) - 1n) w++;
  return w;
}

/** Steps of the long division and the width of each comparison, in order from the top bit. */
function steps(p: DivConstParams): Array<number | null> {
  const d = p.divisor;
  const w = signedWidth(-d, d - 1n);
  const out: Array<number | null> = [];
  let rMax = 0n;
  for (let i = p.numeratorBits - 1; i >= 0; i--) {
    const r = 2n * rMax + 1n;
    if (r < d) {
      out.push(null);
      rMax = r;
    } else {
      out.push(w);
      rMax = d - 1n;
    }
  }
  return out;
}

/** Widths of the guessed quotient and remainder of the lookup layout. */
function guessWidths(p: DivConstParams): { qBits: number; rBits: number } {
  return { qBits: widthOf(((1n << BigInt(p.numeratorBits)) - 1n) / p.divisor), rBits: widthOf(p.divisor - 1n) };
}

/** Constraints of {@link divConst} (`lookup`: the builder's lookup configuration; undefined = bits). */
export function divConstCost(p: DivConstParams, lookup?: LookupConfig): number {
  const floor = lookup
    ? divideCost(guessWidths(p), lookup)
    : p.numeratorBits + steps(p).reduce<number>((a, w) => a + (w ?? 0), 0);
  if (!p.trunc || !p.signBits) return floor;
  return floor + isNonNegativeCost(p.signBits, lookup) + IS_ZERO_COST + 1;
}

/** Emits floor(x / d) (or x / d rounded toward zero with `trunc`) as a linear combination. */
export function divConst(b: R1csBuilder, x: Signal, p: DivConstParams): Signal {
  const d = p.divisor;
  if (d < 2n) throw new Error(`divisor ${d} must be at least 2`);
  if (p.offset % d !== 0n) throw new Error(`offset ${p.offset} is not a multiple of ${d}`);
  const X = x.value - p.offset;
  if (X < 0n || X >= 1n << BigInt(p.numeratorBits))
    throw new WitnessRangeError(`value ${X} does not fit in ${p.numeratorBits} unsigned bits`);
  const { q, r } = b.lookup ? guessDivision(b, x, p) : longDivision(b, x, p);
  if (q.value !== floorDiv(x.value, d)) throw new Error(`divConst witness mismatch: ${q.value}`);
  if (!p.trunc || !p.signBits) return q;
  // x = d·q + r with 0 ≤ r < d; toward zero differs from down exactly when x < 0 and r ≠ 0.
  const negative = b.linear([[isNonNegative(b, x, p.signBits), -1n]], 1n);
  const inexact = b.linear([[isZero(b, r), -1n]], 1n);
  const t = b.linear([
    [q, 1n],
    [b.mul(negative, inexact), 1n],
  ]);
  if (t.value !== truncDiv(x.value, d)) throw new Error(`divConst witness mismatch: ${t.value}`);
  return t;
}

/** The lookup layout: q and r guessed and proven by divide.ts with the constant divisor. */
function guessDivision(b: R1csBuilder, x: Signal, p: DivConstParams): { q: Signal; r: Signal } {
  return divideWithRemainder(b, x, b.constant(p.divisor), { qOffset: p.offset / p.divisor, ...guessWidths(p) });
}

/** The bit layout: restoring long division over the bits of X (see the module comment). */
function longDivision(b: R1csBuilder, x: Signal, p: DivConstParams): { q: Signal; r: Signal } {
  const d = p.divisor;
  const bits = bitDecompose(b, b.linear([[x, 1n]], -p.offset), p.numeratorBits);
  const qTerms: Array<[Signal, bigint]> = [];
  let r: Signal = b.constant(0n);
  steps(p).forEach((w, k) => {
    const i = p.numeratorBits - 1 - k;
    const r2 = b.linear([
      [r, 2n],
      [bits[i]!, 1n],
    ]);
    if (w === null) {
      r = r2;
      return;
    }
    const s = bitDecompose(b, b.linear([[r2, 1n]], (1n << BigInt(w - 1)) - d), w)[w - 1]!;
    qTerms.push([s, 1n << BigInt(i)]);
    r = b.linear([
      [r2, 1n],
      [s, -d],
    ]);
  });
  return { q: b.linear(qTerms, p.offset / d), r };
}
