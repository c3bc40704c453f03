/**
 * Packing of bounded integers into as few field elements as possible, so a verifier contract
 * pays for one public signal instead of one per value.
 *
 * Encoding: u_i = v_i + offset ∈ [0, 2^bits), k = floor(253/bits) values per element,
 * e_j = Σ_m u_{jk+m} · 2^(bits·m). Since k·bits ≤ 253 and 2^253 < p, an element never wraps.
 *
 * Soundness: the encoding is unambiguous only if every u_i really is in [0, 2^bits): a u_i of
 * 2^bits would carry into the next slot, so a proof could publish [a, b+1] for the values
 * [a + 2^bits, b]. {@link packSignals} therefore range-checks every u_i in the circuit (bits
 * constraints each) unless the caller states that the values were range-checked to the same
 * width already (the commitment gadget decomposes them just before packing). It does not rely on
 * the quantizer's range analysis, so a mistake there cannot make the encoding ambiguous.
 * With lookups (BuilderOptions.lookup) each check is by limbs (`b.lookupRange`) instead of bits.
 */
import { R1csBuilder, Signal } from './builder.js';
import { LookupConfig, rangeCheckCost } from './lookup.js';
import { bitDecompose, WitnessRangeError } from './range-check.js';

/** Encoding parameters (the same shape as a commitment's). */
export interface PackOptions {
  readonly bits: number;
  readonly offset: bigint;
}

/** How {@link packSignals} treats its inputs. */
export interface PackSignalOptions {
  /** The caller already constrained every value + offset to [0, 2^bits): skip the range checks. */
  readonly rangeChecked?: boolean;
}

/** Bits a packed field element holds: 2^253 < p, so an element of at most this many bits never wraps. */
export const PACK_ELEMENT_BITS = 253;

/** Values per field element: 2^253 < p, so a packed element never wraps. */
export function packedPerElement(bits: number): number {
  if (!Number.isInteger(bits) || bits < 1 || bits > PACK_ELEMENT_BITS)
    throw new Error(`pack width ${bits} out of range 1..${PACK_ELEMENT_BITS}`);
  return Math.floor(PACK_ELEMENT_BITS / bits);
}

/** Number of field elements n values pack into. */
export function packedCount(n: number, bits: number): number {
  return Math.ceil(n / packedPerElement(bits));
}

/** Constraints {@link packSignals} emits for n values (`lookup`: the builder's lookup configuration). */
export function packCost(n: number, bits: number, options: PackSignalOptions = {}, lookup?: LookupConfig): number {
  return options.rangeChecked ? 0 : n * rangeCheckCost(bits, lookup);
}

/** Proves 0 ≤ u < 2^bits: bits without lookups, limbs with them. */
export function rangeCheck(b: R1csBuilder, u: Signal, bits: number): void {
  if (b.lookup) b.lookupRange(u, bits);
  else bitDecompose(b, u, bits);
}

/** Packs signals into linear combinations (one per element), range-checking each value first. */
export function packSignals(
  b: R1csBuilder,
  signals: readonly Signal[],
  options: PackOptions,
  signalOptions: PackSignalOptions = {},
): Signal[] {
  const k = packedPerElement(options.bits);
  // An honest prover stops here, with a clear error, rather than failing a constraint later.
  packValues(
    signals.map((s) => s.value),
    options,
  );
  if (!signalOptions.rangeChecked) {
    for (const s of signals) rangeCheck(b, b.linear([[s, 1n]], options.offset), options.bits);
  }
  const out: Signal[] = [];
  for (let j = 0; j < signals.length; j += k) {
    const group = signals.slice(j, j + k);
    const offset = group.reduce((acc, _s, m) => acc + (options.offset << BigInt(options.bits * m)), 0n);
    out.push(
      b.linear(
        group.map((s, m) => [s, 1n << BigInt(options.bits * m)] as const),
        offset,
      ),
    );
  }
  return out;
}

/** The same packing from plain integers; throws when a value is out of range. */
export function packValues(values: readonly bigint[], options: PackOptions): bigint[] {
  const k = packedPerElement(options.bits);
  const limit = 1n << BigInt(options.bits);
  const out: bigint[] = [];
  for (let j = 0; j < values.length; j += k) {
    let e = 0n;
    values.slice(j, j + k).forEach((v, m) => {
      const u = v + options.offset;
      if (u < 0n || u >= limit)
        throw new WitnessRangeError(`value ${v} with offset ${options.offset} does not fit in ${options.bits} bits`);
      e += u << BigInt(options.bits * m);
    });
    out.push(e);
  }
  return out;
}

/**
 * Decodes `count` values from packed elements, refusing anything {@link packValues} could not
 * have produced: a wrong element count, an element wider than its slots, or a non-zero slot past
 * the last value. Throws a plain Error naming the problem.
 */
export function unpackValues(elements: readonly bigint[], count: number, options: PackOptions): bigint[] {
  const k = packedPerElement(options.bits);
  if (elements.length !== packedCount(count, options.bits))
    throw new Error(`${elements.length} packed elements, ${count} values need ${packedCount(count, options.bits)}`);
  const mask = (1n << BigInt(options.bits)) - 1n;
  const out: bigint[] = [];
  elements.forEach((e, j) => {
    const slots = Math.min(k, count - j * k);
    if (e < 0n || e >> BigInt(options.bits * slots) !== 0n)
      throw new Error(`packed element ${j} holds more than ${slots} value(s) of ${options.bits} bits`);
    for (let m = 0; m < slots; m++) out.push(((e >> BigInt(options.bits * m)) & mask) - options.offset);
  });
  return out;
}
