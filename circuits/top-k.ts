/**
 * TopK of one row of n values as a selection network of compare-and-swap steps (ONNX order:
 * largest first, or smallest with `largest` false; equal values keep the lower index first).
 * Each element carries (x, i), its value and original index; a step compares the keys
 *   key = n·x − i          (largest)        key = −n·x − i          (smallest)
 * which are distinct within a row and order exactly as ONNX does (a larger key wins; on equal
 * values the lower index has the larger key). Step (a, b) with s = [key_b − key_a ≥ 0] from one
 * signed bit decomposition (bits + 1 constraints) puts the winner at a:
 *   x'_a = x_a + s·(x_b − x_a),  x'_b = x_a + x_b − x'_a    (one product, the other free)
 * and the same for i (free while both indices are still constants). The network is k passes of
 * bubble selection: pass t moves the largest of positions t..n−1 to t, n−1−t steps, so
 * k(n−1) − k(k−1)/2 steps in all. Every wire is forced by the determinism checker's rules.
 */
import { R1csBuilder, Signal } from './builder.js';
import type { LookupConfig } from './lookup.js';
import { comparatorBits, isNonNegativeCost, signOf } from './max.js';

/** Options of {@link topK}. */
export interface TopKOptions {
  readonly k: number;
  readonly largest: boolean;
  /** Signed width of key differences: {@link topKBits} of the values' range. */
  readonly bits: number;
}

/** Comparator width for rows of n values in [lo, hi]: |key_b − key_a| ≤ n·(hi − lo) + n − 1. */
export function topKBits(n: number, lo: number | bigint, hi: number | bigint): number {
  const m = BigInt(n) * (BigInt(hi) - BigInt(lo)) + BigInt(n) - 1n;
  return comparatorBits(-m, m);
}

/** The compare-and-swap steps [a, b] (winner to a), in order. */
export function topKNetwork(n: number, k: number): Array<readonly [number, number]> {
  const steps: Array<readonly [number, number]> = [];
  for (let t = 0; t < Math.min(k, n - 1); t++) for (let j = n - 1; j > t; j--) steps.push([j - 1, j]);
  return steps;
}

/** Constraints of {@link topK} on one row of n (`lookup`: the builder's lookup configuration; undefined = bits). */
export function topKCost(n: number, k: number, bits: number, lookup?: LookupConfig): number {
  let cost = 0;
  const constIdx = Array.from({ length: n }, () => true);
  for (const [a, c] of topKNetwork(n, k)) {
    cost += isNonNegativeCost(bits, lookup) + 1 + (constIdx[a] && constIdx[c] ? 0 : 1);
    constIdx[a] = constIdx[c] = false;
  }
  return cost;
}

/** The exact semantics: the k selected values and their indices, in ONNX order. */
export function topKValue(xs: readonly bigint[], k: number, largest: boolean): { values: bigint[]; indices: number[] } {
  const order = xs.map((_, i) => i);
  order.sort((i, j) => (xs[i] === xs[j] ? i - j : xs[i]! > xs[j]! === largest ? -1 : 1));
  const indices = order.slice(0, k);
  return { values: indices.map((i) => xs[i]!), indices };
}

/** The top k of `xs` and their original indices (see the module comment). */
export function topK(b: R1csBuilder, xs: readonly Signal[], o: TopKOptions): { values: Signal[]; indices: Signal[] } {
  const n = xs.length;
  if (o.k < 1 || o.k > n) throw new Error(`topK: k = ${o.k} for a row of ${n}`);
  const x = [...xs];
  const idx = xs.map((_, i) => b.constant(BigInt(i)));
  // Structural, never read from the signals: witness-only builds carry no linear combinations.
  const constIdx = xs.map(() => true);
  const sign = BigInt(o.largest ? n : -n);
  for (const [a, c] of topKNetwork(n, o.k)) {
    const d = b.linear([
      [x[c]!, sign],
      [x[a]!, -sign],
      [idx[c]!, -1n],
      [idx[a]!, 1n],
    ]);
    const { s } = signOf(b, d, o.bits);
    const swap = s.value === 1n;
    const xa = b.wire(swap ? x[c]!.value : x[a]!.value);
    b.assertMul(s, b.sub(x[c]!, x[a]!), b.sub(xa, x[a]!));
    const xc = b.linear([
      [x[a]!, 1n],
      [x[c]!, 1n],
      [xa, -1n],
    ]);
    let ia: Signal;
    if (constIdx[a] && constIdx[c]) ia = b.linear([[s, idx[c]!.value - idx[a]!.value]], idx[a]!.value);
    else {
      ia = b.wire(swap ? idx[c]!.value : idx[a]!.value);
      b.assertMul(s, b.sub(idx[c]!, idx[a]!), b.sub(ia, idx[a]!));
    }
    const ic = b.linear([
      [idx[a]!, 1n],
      [idx[c]!, 1n],
      [ia, -1n],
    ]);
    [x[a], x[c], idx[a], idx[c]] = [xa, xc, ia, ic];
    constIdx[a] = constIdx[c] = false;
  }
  const values = x.slice(0, o.k);
  const indices = idx.slice(0, o.k);
  const want = topKValue(
    xs.map((s) => s.value),
    o.k,
    o.largest,
  );
  if (values.some((v, t) => v.value !== want.values[t]) || indices.some((v, t) => v.value !== BigInt(want.indices[t]!)))
    throw new Error('topK: the network disagrees with the reference order');
  return { values, indices };
}
