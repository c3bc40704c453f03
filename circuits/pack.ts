/**
 * Packing of values that are bounded by construction (e.g. model outputs computed from
 * range-checked activations with constant weights) into as few field elements as possible,
 * so a verifier contract pays for one public signal instead of one per value.
 *
 * Encoding: u_i = v_i + offset ∈ [0, 2^bits), k = floor(253/bits) values per element,
 * e_j = Σ_m u_{jk+m} · 2^(bits·m). No range check is emitted: callers must only pack values
 * whose range the circuit already guarantees, otherwise the encoding could be ambiguous.
 */
import { R1csBuilder, Signal } from './builder.js';
import { WitnessRangeError } from './range-check.js';

/** Encoding parameters (the same shape as a commitment's). */
export interface PackOptions {
  readonly bits: number;
  readonly offset: bigint;
}

/** Values per field element: 2^253 < p, so a packed element never wraps. */
export function packedPerElement(bits: number): number {
  if (!Number.isInteger(bits) || bits < 1 || bits > 253) throw new Error(`pack width ${bits} out of range 1..253`);
  return Math.floor(253 / bits);
}

/** Number of field elements n values pack into. */
export function packedCount(n: number, bits: number): number {
  return Math.ceil(n / packedPerElement(bits));
}

/** Packs signals into free linear combinations (one per element). */
export function packSignals(b: R1csBuilder, signals: readonly Signal[], options: PackOptions): Signal[] {
  const k = packedPerElement(options.bits);
  // Not a constraint: a value outside the promised range would mean the range analysis is wrong,
  // and an honest prover must stop rather than publish an encoding that could be misread.
  packValues(signals.map((s) => s.value), options);
  const out: Signal[] = [];
  for (let j = 0; j < signals.length; j += k) {
    const group = signals.slice(j, j + k);
    const offset = group.reduce((acc, _s, m) => acc + (options.offset << BigInt(options.bits * m)), 0n);
    out.push(b.linear(group.map((s, m) => [s, 1n << BigInt(options.bits * m)] as const), offset));
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
      if (u < 0n || u >= limit) throw new WitnessRangeError(`value ${v} with offset ${options.offset} does not fit in ${options.bits} bits`);
      e += u << BigInt(options.bits * m);
    });
    out.push(e);
  }
  return out;
}
