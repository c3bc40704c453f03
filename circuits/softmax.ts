/**
 * Softmax and LogSoftmax of one row, exactly as the integer reference defines them:
 *
 *     m   = max_i x_i                       (circuits/max.ts: proven, forced)
 *     d_i = x_i − m ∈ [expLo, 0]            (free)
 *     e_i = EXP[d_i − expLo]                (circuits/table-lookup.ts: exact table; the index
 *                                            decomposition also proves the range of d_i)
 *     S   = Σ e_i                           (free; S ≥ EXP at 0 = 2^E ≥ 1 since the max has d = 0)
 *     softmax:    p_i = floor((2·e_i·2^P + S) / 2S)   (circuits/divide.ts: e_i·2^P / S rounded to
 *                                                      nearest, half up; q_i ∈ [0, 2^P] as e_i ≤ S)
 *     logsoftmax: y_i = d_i − LOG[(S − 2^E) >> k]     (one bit decomposition of S − 2^E per row,
 *                                                      its top bits index an exact log table)
 *
 * The caller keeps every x_i within 2^expBits − 1 of the row's smallest possible element, so
 * d_i always lies in the table's domain (quantize-products.ts saturates the input first): no
 * separate clamp is needed, and the exponential of a d_i far below 0 is simply a 0 entry (a
 * constant table row costs no constraint).
 * Soundness: every wire is forced by the gadgets it comes from (max, table, division), given x.
 *
 * With lookups (BuilderOptions.lookup) the exp and log tables are LogUp lookups and the range
 * checks limbs (table-lookup.ts, divide.ts); logsumexp splits S − 2^E into its low `logShift`
 * bits (a fresh limb-checked value) and the rest, which is the log table's key, so the key's
 * lookup range check is also the top of S − 2^E's.
 */
import { R1csBuilder, Signal } from './builder.js';
import { divide, divideCost, rangedValue } from './divide.js';
import { fieldInv } from './field.js';
import { LookupConfig, lookupTableCost, rangeCheckCost } from './lookup.js';
import { windowMax, max2Cost } from './max.js';
import { bitDecompose } from './range-check.js';
import { lookupTableOf, tableLookup, tableLookupBits, tableLookupCost, tableLookupTotalCost } from './table-lookup.js';

/** Parameters of one row, fixed at compile time. */
export interface SoftmaxParams {
  /** Widths of the row's max comparisons (length − 1 of them). */
  readonly cmpBits: readonly number[];
  /** Exp table over d ∈ [expLo, expLo + 2^expBits): expLo = 1 − 2^expBits, EXP[2^expBits − 1] = 2^expFrac. */
  readonly expBits: number;
  readonly expTable: readonly bigint[];
  readonly log: boolean;
  /** Softmax: fractional bits P of the probabilities. */
  readonly outFrac: number;
  /** Softmax: width of S − 1 (the remainder); LogSoftmax: width of S − 2^E. */
  readonly sumBits: number;
  /** LogSoftmax: low bits of S − 2^E dropped before the log table (whose index has sumBits − logShift bits). */
  readonly logShift: number;
  readonly logTable: readonly bigint[];
}

/** 2^E: the table's value at d = 0, the smallest possible row sum. */
export function expOne(p: Pick<SoftmaxParams, 'expTable'>): bigint {
  return p.expTable[p.expTable.length - 1]!;
}

/** The exponentials e_i of a row given its (claimed) maximum m. */
export function softmaxExp(b: R1csBuilder, x: readonly Signal[], m: Signal, p: SoftmaxParams): Signal[] {
  const expLo = 1n - (1n << BigInt(p.expBits));
  return x.map((xi) => tableLookup(b, b.sub(xi, m), { domainLo: expLo, bits: p.expBits, table: p.expTable }));
}

/**
 * p_i = round(e_i · 2^P / S) = floor((2·e_i·2^P + S) / 2S) for a (claimed) row sum S. Rounding,
 * not flooring: a floor loses up to one unit per element, so a long row's probabilities would
 * sum to visibly less than 1 and bias whatever they weight (attention's P·V).
 */
export function softmaxNormalize(b: R1csBuilder, e: readonly Signal[], s: Signal, p: SoftmaxParams): Signal[] {
  const twoS = b.linear([[s, 2n]]);
  return e.map((ei) =>
    divide(
      b,
      b.linear([
        [ei, 1n << BigInt(p.outFrac + 1)],
        [s, 1n],
      ]),
      twoS,
      { qOffset: 0n, qBits: p.outFrac + 1, rBits: p.sumBits + 1 },
    ),
  );
}

/** log-sum-exp of a row at the input's scale: LOG[(S − 2^E) >> logShift]. */
export function logSumExp(b: R1csBuilder, s: Signal, p: SoftmaxParams): Signal {
  const x = b.linear([[s, 1n]], -expOne(p));
  if (b.lookup) {
    if (p.logTable.length !== 2 ** (p.sumBits - p.logShift))
      throw new Error(`log table of ${p.logTable.length} entries for a ${p.sumBits - p.logShift}-bit index`);
    if (p.logShift === 0) return b.lookupTable(lookupTableOf(p.logTable), x);
    // x = low + 2^logShift·key: low a fresh checked value, key = (x − low)/2^logShift the table's key.
    const low = rangedValue(b, x.value & ((1n << BigInt(p.logShift)) - 1n), p.logShift, 'log-sum-exp low bits');
    const key = b.linear([[b.sub(x, low), fieldInv(1n << BigInt(p.logShift))]]);
    return b.lookupTable(lookupTableOf(p.logTable), { lc: key.lc, value: x.value >> BigInt(p.logShift) });
  }
  const bits = bitDecompose(b, x, p.sumBits);
  return tableLookupBits(b, bits.slice(p.logShift), p.logTable);
}

/** Softmax (or LogSoftmax) of one row. */
export function softmaxRow(b: R1csBuilder, x: readonly Signal[], p: SoftmaxParams): Signal[] {
  const m = windowMax(b, x, p.cmpBits);
  const e = softmaxExp(b, x, m, p);
  const s = b.linear(e.map((ei) => [ei, 1n] as [Signal, bigint]));
  if (!p.log) return softmaxNormalize(b, e, s, p);
  const l = logSumExp(b, s, p);
  return x.map((xi) =>
    b.linear([
      [xi, 1n],
      [m, -1n],
      [l, -1n],
    ]),
  );
}

/** Constraints of {@link logSumExp}: an upper bound without lookups (constant table rows cost less), exact with. */
export function logSumExpCost(p: SoftmaxParams, lookup?: LookupConfig): number {
  if (!lookup) return p.sumBits + tableLookupCost(p.sumBits - p.logShift);
  return (p.logShift ? rangeCheckCost(p.logShift, lookup) : 0) + lookupTableCost(lookupTableOf(p.logTable), lookup);
}

/**
 * Constraints of {@link softmaxRow} (`lookup`: the builder's lookup configuration): an upper
 * bound without lookups (constant table rows cost less), exact with them.
 */
export function softmaxRowCost(n: number, p: SoftmaxParams, lookup?: LookupConfig): number {
  const max = p.cmpBits.reduce((a, w) => a + max2Cost(w, lookup), 0);
  const exp = n * tableLookupTotalCost(p.expBits, lookup, p.expTable);
  if (p.log) return max + exp + logSumExpCost(p, lookup);
  return max + exp + n * divideCost({ qBits: p.outFrac + 1, rBits: p.sumBits + 1 }, lookup);
}
