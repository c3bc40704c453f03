/**
 * The weight commitment W of a hashed-weights model (issue 21): a blinded Poseidon commitment to
 * every weight and bias, in-circuit and off-circuit.
 *
 * Format, for segments (runs of values of one signed width `bits`, in model order):
 *  1. every value v of a segment satisfies −2^(bits−1) ≤ v < 2^(bits−1); u = v + 2^(bits−1) is
 *     then a `bits`-bit unsigned integer, and the circuit range-checks it by bit decomposition
 *     (bits constraints — what makes the packing unambiguous);
 *  2. the u's are packed little-endian into field elements of at most {@link PACK_ELEMENT_BITS}
 *     bits: a value goes into the current element when it fits, else a new element starts.
 *     Where each value lands depends on the widths alone ({@link weightPackLayout}), never on
 *     the values, so every model of one architecture shares the layout; and since 2^253 < p an
 *     element never wraps, so distinct in-range vectors give distinct elements;
 *  3. the elements [N, r, e_0, e_1, …] (N the value count, r the blinding, a private input) are
 *     absorbed in the same Poseidon chain as circuits/commitment.ts ({@link hashChain}).
 *
 * With a uniformly random r, W reveals nothing about the weights; without one (r = 0), anyone
 * holding a guessed model could confirm it, so W is only ever published with a random r.
 */
import { R1csBuilder, Signal } from './builder.js';
import { hashChain, hashChainCost, hashChainValues } from './commitment.js';
import { LookupConfig, rangeCheckCost } from './lookup.js';
import { PACK_ELEMENT_BITS } from './pack.js';
import { bitDecompose, bitsToValue, WitnessRangeError } from './range-check.js';

/** Widest weight or bias the commitment accepts (bitDecompose's limit). */
export const MAX_WEIGHT_BITS = 250;

/** The width and length of one segment, all the layout depends on. */
export interface WeightSegmentShape {
  /** Signed width: every value in [−2^(bits−1), 2^(bits−1) − 1]. */
  readonly bits: number;
  readonly count: number;
}

/** Where each value of the flat value list sits: element index and bit shift inside it. */
export interface WeightPackLayout {
  readonly element: Int32Array;
  readonly shift: Int32Array;
  /** Bits used in each element (never more than {@link PACK_ELEMENT_BITS}). */
  readonly elementBits: number[];
  readonly nValues: number;
}

function checkShape(s: WeightSegmentShape): void {
  if (!Number.isInteger(s.bits) || s.bits < 1 || s.bits > MAX_WEIGHT_BITS)
    throw new Error(`weight width ${s.bits} out of range 1..${MAX_WEIGHT_BITS}`);
  if (!Number.isInteger(s.count) || s.count < 0) throw new Error(`weight segment length ${s.count} is not a count`);
}

/** The packing of step 2, from the segment widths alone. */
export function weightPackLayout(shapes: readonly WeightSegmentShape[]): WeightPackLayout {
  shapes.forEach(checkShape);
  const nValues = shapes.reduce((a, s) => a + s.count, 0);
  const element = new Int32Array(nValues);
  const shift = new Int32Array(nValues);
  const elementBits: number[] = [];
  let k = 0;
  for (const s of shapes) {
    for (let i = 0; i < s.count; i++, k++) {
      const used = elementBits.length === 0 ? PACK_ELEMENT_BITS : elementBits[elementBits.length - 1]!;
      if (used + s.bits > PACK_ELEMENT_BITS) elementBits.push(0);
      element[k] = elementBits.length - 1;
      shift[k] = elementBits[elementBits.length - 1]!;
      elementBits[elementBits.length - 1]! += s.bits;
    }
  }
  return { element, shift, elementBits, nValues };
}

/**
 * Constraints {@link commitWeightSignals} emits, split into the range checks and the hashing
 * (`lookup`: the builder's lookup configuration; undefined = bits).
 */
export function weightCommitmentCost(
  shapes: readonly WeightSegmentShape[],
  lookup?: LookupConfig,
): {
  readonly rangeChecks: number;
  readonly hash: number;
  readonly total: number;
} {
  const layout = weightPackLayout(shapes);
  const rangeChecks = shapes.reduce((a, s) => a + s.count * rangeCheckCost(s.bits, lookup), 0);
  const hash = hashChainCost(2 + layout.elementBits.length);
  return { rangeChecks, hash, total: rangeChecks + hash };
}

/** One segment of weight signals. */
export interface WeightSignalSegment {
  readonly bits: number;
  readonly signals: readonly Signal[];
}

/**
 * Commits to the weight signals inside the circuit: range-checks each (so a value outside its
 * width has no witness, {@link WitnessRangeError}), packs them for free and hashes [N, r, e…].
 * Returns W, to be exposed as a public signal. Costs {@link weightCommitmentCost}.
 */
export function commitWeightSignals(
  b: R1csBuilder,
  segments: readonly WeightSignalSegment[],
  blinding: Signal,
): Signal {
  const layout = weightPackLayout(segments.map((s) => ({ bits: s.bits, count: s.signals.length })));
  const terms: Array<Array<[Signal, bigint]>> = layout.elementBits.map(() => []);
  let k = 0;
  for (const seg of segments) {
    const offset = 1n << BigInt(seg.bits - 1);
    for (const s of seg.signals) {
      // u = v + 2^(bits−1) must be a bits-bit unsigned integer: its decomposition (or its limbs' lookups) says so.
      const shifted = b.linear([[s, 1n]], offset);
      let u = shifted;
      if (b.lookup) b.lookupRange(shifted, seg.bits);
      else u = bitsToValue(b, bitDecompose(b, shifted, seg.bits), 0, seg.bits);
      const e = layout.element[k]!;
      terms[e]!.push([u, 1n << BigInt(layout.shift[k]!)]);
      k++;
    }
  }
  const packed = terms.map((t) => b.linear(t));
  return hashChain(b, [b.constant(BigInt(layout.nValues)), blinding, ...packed]);
}

/** One segment of plain weight values. */
export interface WeightValueSegment {
  readonly bits: number;
  readonly values: readonly bigint[];
}

/** Steps 1–2 off-circuit: the packed elements, with the range check the circuit enforces. */
export function weightElements(segments: readonly WeightValueSegment[]): bigint[] {
  const layout = weightPackLayout(segments.map((s) => ({ bits: s.bits, count: s.values.length })));
  const elements = layout.elementBits.map(() => 0n);
  let k = 0;
  for (const seg of segments) {
    const half = 1n << BigInt(seg.bits - 1);
    for (const v of seg.values) {
      if (v < -half || v >= half) throw new WitnessRangeError(`weight ${v} does not fit in ${seg.bits} signed bits`);
      elements[layout.element[k]!]! += (v + half) << BigInt(layout.shift[k]!);
      k++;
    }
  }
  return elements;
}

/**
 * W from plain values, via circomlibjs's Poseidon: what {@link commitWeightSignals} computes.
 * Throws {@link WitnessRangeError} when a value is outside its width.
 */
export function commitWeightValues(segments: readonly WeightValueSegment[], blinding: bigint): Promise<bigint> {
  const elements = weightElements(segments);
  const n = segments.reduce((a, s) => a + s.values.length, 0);
  return hashChainValues([BigInt(n), blinding, ...elements]);
}
