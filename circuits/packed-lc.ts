/**
 * The compact linear combination the builder stores. All terms of one builder live in one
 * {@link LcStore}: wires in an Int32Array, coefficients as signed integers in a Float64Array
 * (exact up to ±2^53), both outside the V8 heap; the rare coefficient beyond that (a Poseidon
 * constant, an inverse) is kept as a field element on the side. A combination is a small object
 * naming its range of the store, its wires ascending. A `Map<number, bigint>` per combination
 * took an order of magnitude more (a hash entry plus a 254-bit heap BigInt per negative
 * coefficient), which is what aborted the process on a GAN-sized circuit.
 * It reads like a `ReadonlyMap<wire, coefficient in [0, p)>`, so every reader of a constraint
 * (the r1cs writer, the determinism checker, key generation) takes it unchanged.
 */
import { FIELD_PRIME, fieldMod } from './field.js';

const HALF = FIELD_PRIME / 2n;
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Coefficients beyond ±2^53 are interned in {@link LcStore.bigValues}; their slot holds
 * BIG_BASE + 4·index (exact: doubles between 2^54 and 2^55 are spaced 4 apart), which no safe
 * integer reaches.
 */
const BIG_BASE = 2 ** 54;
const MAX = Number.MAX_SAFE_INTEGER;

/** True when a stored coefficient slot refers to an interned big coefficient. */
export function isBigSlot(v: number): boolean {
  return v > MAX;
}

/** A field element's signed representative as a number when it is a safe integer, else NaN. */
export function smallCoefficient(c: bigint): number {
  const s = c > HALF ? c - FIELD_PRIME : c;
  return s <= SAFE && s >= -SAFE ? Number(s) : Number.NaN;
}

/** Growable term storage shared by the combinations of one builder (or one decoded file). */
export class LcStore {
  wires: Int32Array;
  coefs: Float64Array;
  used = 0;
  /** Interned coefficients beyond ±2^53 (field elements), and their indices. */
  readonly bigValues: bigint[];
  private readonly bigIndex: Map<bigint, number>;
  /** Start of every combination, in allocation order (finalize re-sorts each range). */
  starts: Int32Array;
  count = 0;

  /** `interned`: share another store's big-coefficient table (compaction). */
  constructor(capacity = 1024, interned?: LcStore) {
    this.wires = new Int32Array(capacity);
    this.coefs = new Float64Array(capacity);
    this.starts = new Int32Array(256);
    this.bigValues = interned?.bigValues ?? [];
    this.bigIndex = interned?.bigIndex ?? new Map();
  }

  /** Reserves `n` terms for a new combination and returns its start. */
  alloc(n: number): number {
    if (this.used + n > this.wires.length) {
      // 1.5× growth: the copy is the transient peak, kept below doubling.
      const size = Math.max(this.used + n, Math.ceil(this.wires.length * 1.5));
      const wires = new Int32Array(size);
      wires.set(this.wires.subarray(0, this.used));
      const coefs = new Float64Array(size);
      coefs.set(this.coefs.subarray(0, this.used));
      this.wires = wires;
      this.coefs = coefs;
    }
    if (this.count === this.starts.length) {
      const starts = new Int32Array(this.starts.length * 2);
      starts.set(this.starts);
      this.starts = starts;
    }
    const start = this.used;
    this.starts[this.count++] = start;
    this.used += n;
    return start;
  }

  /** Sets term `i` to (wire, field coefficient). */
  put(i: number, wire: number, c: bigint): void {
    this.wires[i] = wire;
    const s = smallCoefficient(c);
    if (!Number.isNaN(s)) {
      this.coefs[i] = s;
      return;
    }
    const f = fieldMod(c);
    let k = this.bigIndex.get(f);
    if (k === undefined) {
      k = this.bigValues.push(f) - 1;
      this.bigIndex.set(f, k);
    }
    this.coefs[i] = BIG_BASE + 4 * k;
  }

  /** The field coefficient of stored slot value `v`. */
  coefficient(v: number): bigint {
    if (v > MAX) return this.bigValues[(v - BIG_BASE) / 4]!;
    return v < 0 ? BigInt(v) + FIELD_PRIME : BigInt(v);
  }

  /** Copies `n` terms starting at `from` of `source` (sharing this store's interned table) to a new range. */
  copyFrom(source: LcStore, from: number, n: number): number {
    const start = this.alloc(n);
    this.wires.set(source.wires.subarray(from, from + n), start);
    this.coefs.set(source.coefs.subarray(from, from + n), start);
    return start;
  }

  /**
   * Renumbers every stored wire through `newIndex` and restores each combination's ascending
   * order (finalize: iden3 order moves outputs and inputs to the front).
   */
  remap(newIndex: Int32Array): void {
    const w = this.wires;
    for (let i = 0; i < this.used; i++) w[i] = newIndex[w[i]!]!;
    for (let k = 0; k < this.count; k++) {
      const start = this.starts[k]!;
      const end = k + 1 < this.count ? this.starts[k + 1]! : this.used;
      for (let i = start + 1; i < end; i++) {
        if (w[i]! < w[i - 1]!) {
          this.sortRange(start, end);
          break;
        }
      }
    }
  }

  private sortRange(start: number, end: number): void {
    const order = Array.from({ length: end - start }, (_, i) => start + i).sort(
      (x, y) => this.wires[x]! - this.wires[y]!,
    );
    const wires = order.map((i) => this.wires[i]!);
    const coefs = order.map((i) => this.coefs[i]!);
    order.forEach((_, j) => {
      this.wires[start + j] = wires[j]!;
      this.coefs[start + j] = coefs[j]!;
    });
  }
}

/** A linear combination: a range of an {@link LcStore}; see the module comment. */
export class PackedLc implements ReadonlyMap<number, bigint> {
  /** Store and start change only when finalize compacts the builder's store. */
  constructor(
    public store: LcStore,
    public start: number,
    readonly size: number,
  ) {}

  /** Packs `(wire, field coefficient)` pairs with distinct wires into `store` (a fresh one by default). */
  static fromEntries(entries: ReadonlyArray<readonly [number, bigint]>, store = new LcStore(entries.length)): PackedLc {
    const sorted = [...entries].sort((x, y) => x[0] - y[0]);
    const start = store.alloc(sorted.length);
    sorted.forEach(([w, c], i) => store.put(start + i, w, c));
    return new PackedLc(store, start, sorted.length);
  }

  /** True when no coefficient of this combination lies beyond ±2^53. */
  get allSmall(): boolean {
    const c = this.store.coefs;
    for (let i = this.start; i < this.start + this.size; i++) if (c[i]! > MAX) return false;
    return true;
  }

  /** Wire of term i. */
  wireAt(i: number): number {
    return this.store.wires[this.start + i]!;
  }

  /** Signed coefficient of term i; beyond ±2^53 a slot value for which {@link isBigSlot} holds. */
  smallAt(i: number): number {
    return this.store.coefs[this.start + i]!;
  }

  /** Coefficient of term i in [0, p). */
  coefficientAt(i: number): bigint {
    return this.store.coefficient(this.store.coefs[this.start + i]!);
  }

  /** Index of `wire`'s term (binary search), or -1. */
  indexOf(wire: number): number {
    const w = this.store.wires;
    let lo = 0;
    let hi = this.size - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const x = w[this.start + mid]!;
      if (x === wire) return mid;
      if (x < wire) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  get(wire: number): bigint | undefined {
    const i = this.indexOf(wire);
    return i < 0 ? undefined : this.coefficientAt(i);
  }

  has(wire: number): boolean {
    return this.indexOf(wire) >= 0;
  }

  *entries(): MapIterator<[number, bigint]> {
    for (let i = 0; i < this.size; i++) yield [this.wireAt(i), this.coefficientAt(i)];
  }

  *keys(): MapIterator<number> {
    for (let i = 0; i < this.size; i++) yield this.wireAt(i);
  }

  *values(): MapIterator<bigint> {
    for (let i = 0; i < this.size; i++) yield this.coefficientAt(i);
  }

  [Symbol.iterator](): MapIterator<[number, bigint]> {
    return this.entries();
  }

  forEach(fn: (value: bigint, key: number, map: ReadonlyMap<number, bigint>) => void): void {
    for (let i = 0; i < this.size; i++) fn(this.coefficientAt(i), this.wireAt(i), this);
  }
}

/** Combinations every builder shares: wire 0 stays wire 0 in iden3 order, so they never need renumbering. */
const SHARED = new LcStore(4);

/** The empty combination (the constant 0). */
export const EMPTY_LC = PackedLc.fromEntries([], SHARED);

/** The constant 1. */
export const ONE_LC = PackedLc.fromEntries([[0, 1n]], SHARED);
