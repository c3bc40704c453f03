/**
 * Poseidon commitment to a vector of quantized integers, in-circuit and off-circuit.
 *
 * Format, for n values v_i with 0 ≤ v_i + offset < 2^bits:
 *  1. u_i = v_i + offset (so every u_i is a non-negative `bits`-bit integer);
 *  2. pack k = floor(253 / bits) consecutive u's per field element, little-endian:
 *     e_j = Σ_{m<k} u_{jk+m} · 2^(bits·m). Since k·bits ≤ 253 and 2^253 < p, packing never wraps
 *     around the field, so distinct in-range vectors give distinct element sequences;
 *  3. prepend the header n (the count of values), so vectors of different lengths — in
 *     particular v and v followed by zeros, which pack identically — never share an input;
 *     when a blinding value r is given (any field element, a private witness), it follows the
 *     header: [n, r, e_0, …]. Without it a commitment to a value from a small known set (a
 *     digit image, a class label) is found by hashing every candidate; with a uniformly random
 *     r the commitment reveals nothing, and r is kept in an opening file, never in the proof;
 *  4. absorb the elements [n, (r,) e_0, e_1, …] in a chain: h_0 = Poseidon(first chunk),
 *     h_i = Poseidon([h_{i−1}, next chunk]); the commitment is the last h. With at most 16
 *     elements this is a single Poseidon. Chunk sizes come from {@link commitmentChunkSizes},
 *     which picks the split with the fewest constraints (Poseidon's partial-round count is not
 *     monotonic in the width, so an even split can beat a greedy one); they depend on the
 *     element count alone, so both sides always agree.
 *
 * `bits` and `offset` are not hashed: the commitment binds the vector relative to the circuit's
 * parameters, which the verifying key already fixes.
 */
import { R1csBuilder, Signal } from './builder.js';
import { LookupConfig, rangeCheckCost } from './lookup.js';
import { bitDecompose, bitsToValue } from './range-check.js';
import { packedPerElement, packSignals, packValues } from './pack.js';
import { poseidon, poseidonCost, poseidonHashValues, POSEIDON_MAX_INPUTS } from './poseidon.js';

/** Largest value width; bitDecompose stops there. */
const MAX_VALUE_BITS = 250;

/** How the committed integers are encoded. */
export interface CommitmentOptions {
  /** Width of every value after the offset is added, 1..250. */
  readonly bits: number;
  /** Added to every value before the range check and packing; 0 when omitted. */
  readonly offset?: bigint;
}

/** In-circuit options: the encoding plus an optional blinding signal (a private input wire). */
export interface SignalCommitmentOptions extends CommitmentOptions {
  readonly blinding?: Signal;
}

/** Off-circuit options: the encoding plus the blinding value the circuit used, if any. */
export interface ValueCommitmentOptions extends CommitmentOptions {
  readonly blinding?: bigint;
}

/** Result of {@link commitSignals}. */
export interface SignalCommitment {
  /** The commitment, a linear combination of Poseidon wires; expose it as a public output. */
  readonly hash: Signal;
  /**
   * The committed values, v_i = Σ_j bits_ij · 2^j − offset. As linear combinations these equal
   * the inputs (the bit decomposition is exact), so using either is equivalent and free; they
   * are returned so callers can see at a glance that the values are range-checked.
   */
  readonly values: Signal[];
  /**
   * Each value's bits (of v_i + offset), least significant first, all constrained boolean; absent
   * when the builder has lookups (the values are then range-checked by limbs, with no bits).
   */
  readonly bits?: Signal[][];
}

function checkBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < 1 || bits > MAX_VALUE_BITS) {
    throw new Error(`commitment value width ${bits} out of range 1..${MAX_VALUE_BITS}`);
  }
}

/** Values packed into one field element for a given width. */
export function valuesPerElement(bits: number): number {
  checkBits(bits);
  return packedPerElement(bits);
}

/** Number of elements absorbed for n values: the header, the blinding if any, and ceil(n / k) packed elements. */
function elementCount(n: number, bits: number, blinded: boolean): number {
  return 1 + (blinded ? 1 : 0) + Math.ceil(n / valuesPerElement(bits));
}

/**
 * How many new elements each Poseidon call of the chain absorbs, for `nElements` elements
 * (header included): the first call takes up to 16, every later one up to 15 next to the
 * previous hash. Among all such splits this returns the one with the fewest constraints; ties
 * go to the split found first with the larger chunks in front.
 */
export function commitmentChunkSizes(nElements: number): number[] {
  if (!Number.isInteger(nElements) || nElements < 1) throw new Error(`element count ${nElements} must be ≥ 1`);
  // tail[r]: cheapest cost of absorbing the last r elements in calls that also take the
  // previous hash; take[r]: the first chunk of that best tail.
  const tail = [0];
  const take = [0];
  for (let r = 1; r < nElements; r++) {
    let best = Infinity;
    let bestC = 0;
    for (let c = Math.min(POSEIDON_MAX_INPUTS - 1, r); c >= 1; c--) {
      const cost = poseidonCost(c + 1) + tail[r - c]!;
      if (cost < best) [best, bestC] = [cost, c];
    }
    tail.push(best);
    take.push(bestC);
  }
  let best = Infinity;
  let first = 0;
  for (let c = Math.min(POSEIDON_MAX_INPUTS, nElements); c >= 1; c--) {
    const cost = poseidonCost(c) + tail[nElements - c]!;
    if (cost < best) [best, first] = [cost, c];
  }
  const sizes = [first];
  for (let r = nElements - first; r > 0; r -= take[r]!) sizes.push(take[r]!);
  return sizes;
}

/**
 * Constraints {@link commitSignals} emits for n values of `bits` bits: the range checks plus the
 * hashes (`lookup`: the builder's lookup configuration; undefined = bits).
 */
export function commitmentCost(n: number, bits: number, blinded = false, lookup?: LookupConfig): number {
  return n * rangeCheckCost(bits, lookup) + hashChainCost(elementCount(n, bits, blinded));
}

/** Constraints {@link hashChain} emits for `nElements` elements. */
export function hashChainCost(nElements: number): number {
  return commitmentChunkSizes(nElements).reduce((acc, c, i) => acc + poseidonCost(i === 0 ? c : c + 1), 0);
}

/** [from, to) of each chunk of step 4, over the element list. */
function chunkRanges(nElements: number): Array<readonly [number, number]> {
  const ranges: Array<readonly [number, number]> = [];
  let at = 0;
  for (const c of commitmentChunkSizes(nElements)) {
    ranges.push([at, at + c]);
    at += c;
  }
  return ranges;
}

/**
 * Commits to `signals` inside the circuit: range-checks every value (bits constraints each, or
 * limb lookups with a lookup build —
 * required, since private values outside the range would make the packing ambiguous), packs
 * them for free and hashes the chain. Costs {@link commitmentCost}; throws
 * {@link WitnessRangeError} while computing the witness if a value is out of range.
 */
export function commitSignals(
  b: R1csBuilder,
  signals: readonly Signal[],
  options: SignalCommitmentOptions,
): SignalCommitment {
  const { bits: width } = options;
  const offset = options.offset ?? 0n;
  checkBits(width);
  const bits: Signal[][] = [];
  const shifted: Signal[] = [];
  const values: Signal[] = [];
  if (b.lookup) {
    // Limbs instead of bits: u = v + offset looked up limb by limb proves u ∈ [0, 2^bits).
    for (const s of signals) {
      const u = b.linear([[s, 1n]], offset);
      b.lookupRange(u, width);
      shifted.push(u);
      values.push(s);
    }
  } else
    for (const s of signals) {
      const u = b.linear([[s, 1n]], offset);
      const uBits = bitDecompose(b, u, width);
      const recomposed = bitsToValue(b, uBits, 0, width);
      bits.push(uBits);
      shifted.push(recomposed);
      values.push(b.linear([[recomposed, 1n]], -offset));
    }
  // The values are range-checked just above, so packing them needs no second check.
  const packed = packSignals(b, shifted, { bits: width, offset: 0n }, { rangeChecked: true });
  const elements: Signal[] = [
    b.constant(BigInt(signals.length)),
    ...(options.blinding ? [options.blinding] : []),
    ...packed,
  ];
  return { hash: hashChain(b, elements), values, ...(b.lookup ? {} : { bits }) };
}

/**
 * Step 4 in the circuit: absorbs `elements` (header first) in the Poseidon chain and returns the
 * last hash. Shared by every commitment format (the weight commitment too), so they chunk alike.
 */
export function hashChain(b: R1csBuilder, elements: readonly Signal[]): Signal {
  let hash: Signal | undefined;
  for (const [from, to] of chunkRanges(elements.length)) {
    const chunk = elements.slice(from, to);
    hash = poseidon(b, hash === undefined ? chunk : [hash, ...chunk]);
  }
  return hash!;
}

/** {@link hashChain} off-circuit, via circomlibjs's Poseidon. */
export async function hashChainValues(elements: readonly bigint[]): Promise<bigint> {
  let hash: bigint | undefined;
  for (const [from, to] of chunkRanges(elements.length)) {
    const chunk = elements.slice(from, to);
    hash = await poseidonHashValues(hash === undefined ? chunk : [hash, ...chunk]);
  }
  return hash!;
}

/** Off-circuit packing of step 1–3, with the same range check the circuit enforces. */
export function commitmentElements(values: readonly bigint[], options: ValueCommitmentOptions): bigint[] {
  checkBits(options.bits);
  const blinding = options.blinding === undefined ? [] : [options.blinding];
  return [
    BigInt(values.length),
    ...blinding,
    ...packValues(values, { bits: options.bits, offset: options.offset ?? 0n }),
  ];
}

/**
 * The commitment {@link commitSignals} computes, from plain integers, via circomlibjs's
 * Poseidon. Throws {@link WitnessRangeError} when a value is out of range.
 */
export async function commitValues(values: readonly bigint[], options: ValueCommitmentOptions): Promise<bigint> {
  return hashChainValues(commitmentElements(values, options));
}
