/**
 * The shared vocabulary of LogUp lookups (circuits/lookup.ts): limb-width bounds, the table,
 * layout and log types, and the builder port. Its own module so the cost and witness modules
 * can use it without importing the argument (no import cycle).
 */
/**
 * Limb width of the range table when a build does not choose one. Measured (constraints with
 * requantize, comparators and intervals on lookups, K = 8..14): every shipped digits model is
 * smallest at K = 8 (the CNN 5,932 vs 7,287 at K = 10; the transformer 29,695 vs 33,007), and
 * 8-bit activations are then one full limb; mnist-8 is smallest at K = 10 (56,351; 59,201 at 8).
 */
export const DEFAULT_LIMB_BITS = 8;
/** Narrowest and widest limb accepted (a 2^16-entry table costs 2^16 constraints). */
export const MIN_LIMB_BITS = 2;
export const MAX_LIMB_BITS = 16;
/** Widest function-table key (4096 entries), as circuits/table-lookup.ts. */
export const MAX_LOOKUP_TABLE_BITS = 12;
/** Name of the limb table in {@link LookupInfo.tables}. */
export const RANGE_TABLE_NAME = 'range';

/** Turns lookups on in a build (`BuilderOptions.lookup`). */
export interface LookupConfig {
  /** Limb width K: range checks look limbs up in [0, 2^K). */
  readonly limbBits: number;
}

/** An exact function table: T(u) = values[u] for u ∈ [0, values.length), a power of two. */
export interface LookupTable {
  /** Tables of the same name are one table (and must have the same values). */
  readonly name: string;
  readonly values: readonly bigint[];
}

/** One table of a build, as circuit.json and `inspect` show it. */
export interface LookupTableInfo {
  readonly name: string;
  /** Entries (2^K for the limb table). */
  readonly size: number;
  /** Lookups into it. */
  readonly lookups: number;
}

/** The lookup layout of a finished build (iden3 wire indices, after the role permutation). */
export interface LookupInfo {
  /** First round-2 wire: wires [round2Start, nWires) are the LogUp inverses. */
  readonly round2Start: number;
  /** The challenge: the last public signal (= 1 + nPubOut + nPubIn − 1). */
  readonly challengeWire: number;
  readonly limbBits: number;
  readonly nLookups: number;
  /** In the order of their constraints and wires (see {@link LookupLogTable}). */
  readonly tables: readonly LookupTableInfo[];
}

/**
 * What {@link completeLookupWitness} needs, per table (same order as {@link LookupInfo.tables}).
 * Wires, iden3 indices: multiplicity j at `multiplicityStart + j`; lookup i's inverse at
 * `inverseStart + i`, entry j's at `inverseStart + lookups + j`. Constraints: the table's
 * lookups, then its entries, then its balance, tables one after another at the end of the system.
 */
export interface LookupLogTable {
  readonly name: string;
  /** t_j as field elements (distinct). */
  readonly entries: readonly bigint[];
  /** Per lookup, the index j of the entry it hits. */
  readonly entryOf: Int32Array;
  readonly multiplicityStart: number;
  readonly inverseStart: number;
}

/** The private log of a build's lookups (kept in witness-only mode too). */
export interface LookupLog {
  readonly tables: readonly LookupLogTable[];
}

/** Thrown by {@link completeLookupWitness} when the challenge equals a table entry: draw another. */
export class LookupChallengeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LookupChallengeError';
  }
}

/** A builder signal, structurally (builder.ts's Signal). */
export interface LookupSignal {
  readonly lc: ReadonlyMap<number, bigint>;
  readonly value: bigint;
}

/** What the argument needs of the builder (R1csBuilder has all of it). */
export interface LookupBuilderPort {
  readonly witnessOnly: boolean;
  wire(value: bigint, role?: 'internal' | 'public-input'): LookupSignal;
  constant(value: bigint): LookupSignal;
  linear(terms: ReadonlyArray<readonly [LookupSignal, bigint]>, constant?: bigint): LookupSignal;
  assertMul(a: LookupSignal, b: LookupSignal, c: LookupSignal): void;
  assertBool(a: LookupSignal): void;
}

/** Checks a limb width; returns it. */
export function checkLimbBits(limbBits: number): number {
  if (!Number.isInteger(limbBits) || limbBits < MIN_LIMB_BITS || limbBits > MAX_LIMB_BITS)
    throw new Error(`limb width ${limbBits} outside ${MIN_LIMB_BITS}..${MAX_LIMB_BITS}`);
  return limbBits;
}
