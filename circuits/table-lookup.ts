/**
 * Exact lookup of an arbitrary integer table T over an n-bit unsigned index u (0 ≤ u < 2^n).
 *
 * The index is bit-decomposed (n constraints), then split into a low window of k1 = ⌈n/2⌉
 * bits and a high window of k2 = ⌊n/2⌋ bits. For a window of k bits, all 2^k multilinear
 * monomials Π_{i∈S} b_i are built, each of degree ≥ 2 from a lower one times one bit
 * (2^k − k − 1 products; 11 for k = 4). Every function of the window's bits is then a FREE
 * linear combination of those monomials (its Möbius transform). So with g_h(l) = T[h·2^k1 + l]
 * and I_h the indicator of the high window being h,
 *
 *     T[u] = Σ_h I_h · g_h(low)
 *
 * costs one product per h (2^k2 of them), and the sum is free. For n = 8 that is
 * 11 + 11 + 16 = 38 constraints beyond the decomposition. A row g_h that is constant needs
 * no product (c·I_h is linear), so saturating functions cost less. When n ≤ 4 the whole
 * table is one window: 2^n − n − 1 products.
 *
 * Soundness: the bits are boolean and sum to u (range-check.ts); every monomial and every
 * product is a fresh wire fixed by exactly one rank-1 constraint whose other factors are
 * already fixed, so the output is determined by u. The structure depends only on n and on
 * the (compile-time) table, never on the witness.
 *
 * With lookups (BuilderOptions.lookup) none of that is built: the index u and the value T[u]
 * are one LogUp lookup of the pair in the table {(u, T[u])} (circuits/lookup.ts,
 * `b.lookupTable`: the key and the value range-checked by limbs, the pair packed into one field
 * element), so an 8-bit table costs 3 or 4 constraints per evaluation instead of 46. The lookup
 * of the key in [0, 2^n) is also the range proof of x.
 */
import { R1csBuilder, Signal } from './builder.js';
import { LookupConfig, lookupTableCost, LookupTable } from './lookup.js';
import { bitDecompose, bitDecomposeCost } from './range-check.js';

/** Largest index width a table may have (4096 entries); wider inputs are saturated first by the caller. */
export const MAX_TABLE_BITS = 12;

/** Low and high window widths for an n-bit index. */
export function tableWindows(nBits: number): { low: number; high: number } {
  if (nBits <= 4) return { low: nBits, high: 0 };
  return { low: Math.ceil(nBits / 2), high: Math.floor(nBits / 2) };
}

function monomialCost(k: number): number {
  return k === 0 ? 0 : 2 ** k - k - 1;
}

/**
 * Upper bound of the constraints of {@link tableLookupBits} (exact when no row of the table is
 * constant): (2^k1 − k1 − 1) + (2^k2 − k2 − 1) + 2^k2. 38 for n = 8.
 */
export function tableLookupCost(nBits: number): number {
  const { low, high } = tableWindows(nBits);
  return monomialCost(low) + (high === 0 ? 0 : monomialCost(high) + 2 ** high);
}

/**
 * Constraints of {@link tableLookup}: the decomposition of the index plus the lookup (an upper
 * bound, see {@link tableLookupCost}); with `lookup` (the builder's lookup configuration) the
 * exact count of one table lookup, which depends on the values' width, so `table` is needed.
 */
export function tableLookupTotalCost(nBits: number, lookup?: LookupConfig, table?: readonly bigint[]): number {
  if (!lookup) return bitDecomposeCost(nBits) + tableLookupCost(nBits);
  if (!table || table.length !== 2 ** nBits) throw new Error(`the cost of a ${nBits}-bit table lookup needs its table`);
  return lookupTableCost(lookupTableOf(table), lookup);
}

const NAMED = new WeakMap<readonly bigint[], LookupTable>();

/**
 * The LogUp table of an integer table, named by its content (a 64-bit FNV-1a hash of the values
 * and the size), so every evaluation of one function shares one table, and two functions with the
 * same values may too (the same table, soundly). Two different tables whose names collided would
 * be refused by the builder, never merged.
 */
export function lookupTableOf(values: readonly bigint[]): LookupTable {
  let t = NAMED.get(values);
  if (!t) {
    let h = 0xcbf29ce484222325n;
    const mix = (text: string) => {
      for (let i = 0; i < text.length; i++)
        h = ((h ^ BigInt(text.charCodeAt(i))) * 0x100000001b3n) & 0xffffffffffffffffn;
    };
    mix(`${values.length}:`);
    for (const v of values) mix(`${v},`);
    t = { name: `fn-${values.length}-${h.toString(16).padStart(16, '0')}`, values };
    NAMED.set(values, t);
  }
  return t;
}

/** All 2^k monomials of `bits` indexed by subset mask; mask 0 is the constant 1. */
function monomials(b: R1csBuilder, bits: readonly Signal[]): Signal[] {
  const m: Signal[] = [b.constant(1n)];
  for (let mask = 1; mask < 1 << bits.length; mask++) {
    const top = 31 - Math.clz32(mask);
    const rest = mask ^ (1 << top);
    m.push(rest === 0 ? bits[top]! : b.mul(m[rest]!, bits[top]!));
  }
  return m;
}

/** Coefficients c with g(v) = Σ_{S ⊆ v} c[S] (inverse subset-sum, i.e. Möbius, transform). */
function mobius(g: readonly bigint[]): bigint[] {
  const c = g.slice();
  for (let bit = 1; bit < c.length; bit <<= 1) {
    for (let mask = 0; mask < c.length; mask++) if (mask & bit) c[mask] = c[mask]! - c[mask ^ bit]!;
  }
  return c;
}

/** Σ_S c[S] · m[S]: a free linear combination. */
function combine(b: R1csBuilder, m: readonly Signal[], c: readonly bigint[]): Signal {
  const terms: Array<[Signal, bigint]> = [];
  let constant = 0n;
  c.forEach((k, mask) => {
    if (k === 0n) return;
    if (mask === 0) constant += k;
    else terms.push([m[mask]!, k]);
  });
  return b.linear(terms, constant);
}

/** T[u] for the index given by its bits (least significant first); `table.length` must be 2^bits.length. */
export function tableLookupBits(b: R1csBuilder, bits: readonly Signal[], table: readonly bigint[]): Signal {
  const n = bits.length;
  if (table.length !== 2 ** n) throw new Error(`table of ${table.length} entries for a ${n}-bit index`);
  const { low, high } = tableWindows(n);
  const lowM = monomials(b, bits.slice(0, low));
  if (high === 0) return combine(b, lowM, mobius(table));
  const highM = monomials(b, bits.slice(low));
  const rowLen = 2 ** low;
  const terms: Array<[Signal, bigint]> = [];
  for (let h = 0; h < 2 ** high; h++) {
    const row = table.slice(h * rowLen, (h + 1) * rowLen);
    const indicator = mobius(Array.from({ length: 2 ** high }, (_, v) => (v === h ? 1n : 0n)));
    const ih = combine(b, highM, indicator);
    if (row.every((v) => v === row[0])) {
      // A constant row contributes T·I_h, which is linear: no product needed.
      terms.push([ih, row[0]!]);
      continue;
    }
    const gh = combine(b, lowM, mobius(row));
    terms.push([b.mul(ih, gh), 1n]);
  }
  return b.linear(terms);
}

/** Parameters of {@link tableLookup}, fixed at compile time. */
export interface TableLookupParams {
  /** The smallest input value; the index is u = x − domainLo. */
  readonly domainLo: bigint;
  /** Index width n; `table` has 2^n entries. */
  readonly bits: number;
  readonly table: readonly bigint[];
}

/** The exact integer semantics: T[x − domainLo] (the caller keeps x inside the domain). */
export function tableLookupValue(x: bigint, p: TableLookupParams): bigint {
  const u = x - p.domainLo;
  if (u < 0n || u >= BigInt(p.table.length))
    throw new Error(`table input ${x} outside [${p.domainLo}, ${p.domainLo + BigInt(p.table.length) - 1n}]`);
  return p.table[Number(u)]!;
}

/**
 * T[x − domainLo] for x in [domainLo, domainLo + 2^bits): decomposes the index (bits
 * constraints, which is also the range proof) and looks it up.
 */
export function tableLookup(b: R1csBuilder, x: Signal, p: TableLookupParams): Signal {
  if (p.bits < 1 || p.bits > MAX_TABLE_BITS)
    throw new Error(`table index width ${p.bits} outside 1..${MAX_TABLE_BITS}`);
  const u = b.linear([[x, 1n]], -p.domainLo);
  if (b.lookup) {
    if (p.table.length !== 2 ** p.bits) throw new Error(`table of ${p.table.length} entries for a ${p.bits}-bit index`);
    return b.lookupTable(lookupTableOf(p.table), u);
  }
  const y = tableLookupBits(b, bitDecompose(b, u, p.bits), p.table);
  if (y.value !== p.table[Number(u.value)]) throw new Error(`table witness mismatch: ${y.value}`);
  return y;
}
