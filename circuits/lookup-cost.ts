/** Constraint costs of LogUp range checks and function-table lookups (circuits/lookup.ts). */
import { MAX_LOOKUP_TABLE_BITS, type LookupConfig, type LookupTable } from './lookup-config.js';

/** Constraints of one limb of width w ≤ K: a boolean, one lookup (full limb) or two (partial). */
function limbCost(w: number, k: number): number {
  return w === 1 || w === k ? 1 : 2;
}

/**
 * Constraints that prove x ∈ [0, 2^bits): `bits` booleans without lookups; with them one lookup
 * per full limb plus {@link limbCost} for a partial top limb (the same for every layout).
 */
export function rangeCheckCost(bits: number, lookup?: LookupConfig): number {
  if (!lookup) return bits;
  const k = lookup.limbBits;
  const r = bits % k;
  return Math.floor(bits / k) + (r === 0 ? 0 : limbCost(r, k));
}

/** Shape of a function table: key width n, value offset o and value slot S. */
export function tableShape(table: LookupTable, k: number): { keyBits: number; offset: bigint; slotBits: number } {
  const size = table.values.length;
  const keyBits = Math.log2(size);
  if (!Number.isInteger(keyBits) || keyBits < 1 || keyBits > MAX_LOOKUP_TABLE_BITS)
    throw new Error(`table '${table.name}' has ${size} entries, not 2^n with 1 ≤ n ≤ ${MAX_LOOKUP_TABLE_BITS}`);
  let lo = table.values[0]!;
  let hi = lo;
  for (const v of table.values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const width = hi === lo ? 1 : (hi - lo).toString(2).length;
  return { keyBits, offset: -lo, slotBits: k * Math.ceil(width / k) };
}

/** Constraints of one {@link LookupArgument.table} evaluation of `table`. */
export function lookupTableCost(table: LookupTable, lookup: LookupConfig): number {
  const { keyBits, slotBits } = tableShape(table, lookup.limbBits);
  return rangeCheckCost(keyBits, lookup) + slotBits / lookup.limbBits + 1;
}
