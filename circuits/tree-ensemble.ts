/**
 * A tree ensemble (ai.onnx.ml TreeEnsembleClassifier / Regressor) over integer features.
 *
 * Every split compares one feature with an integer threshold: x ≤ t ("le"), x > t ("gt"),
 * x = t ("eq", as [x ≤ t] − [x ≤ t − 1]) or x ≠ t ("ne"). So each feature needs only the
 * atoms [x ≤ T] for its sorted distinct thresholds T_1 < … < T_k, and they are all read off
 * the interval index p = #{i : T_i < x} ∈ [0, k]: [x ≤ T_i] = [p < i].
 *
 * p is proven by a binary search, one comparator per bit of p (most significant first): with
 * the higher bits fixed (a one-hot over the prefixes so far), the next bit is [x > T_m] for
 * the prefix's midpoint m, the threshold selected linearly by the one-hot. Each comparator's
 * operand is then a combination of wires already forced, so its bits are forced by the
 * decomposition rule of the determinism checker, and each new one-hot entry ind·bit by its
 * product. Prefixes whose midpoint lies past k cannot take the bit (p ≤ k) and do not split.
 * The one-hot over p then gives the thermometer u_i = [p ≥ i] as wires (u_k = o_k,
 * u_i = u_{i+1} + o_i: one linear constraint each, so every atom is one wire). A feature with
 * only a few thresholds takes one comparator per threshold instead, whichever costs less.
 *
 * A tree's leaf indicators follow top-down: ind(root) = 1, ind(yes) = ind(node) · cond (one
 * product per split below the root), ind(no) = ind(node) − ind(yes). Leaf values are
 * constants, so each output is base + Σ weight · ind(leaf): linear. Cost: see
 * {@link treeEnsembleCost}; the per-split comparator alternative in {@link perSplitComparatorCost}.
 */
import { R1csBuilder, Signal } from './builder.js';
import { bitLength } from './bit-length.js';
import type { LookupConfig } from './lookup.js';
import { isNonNegativeCost, signOf } from './max.js';

/** One split or leaf of a tree; children are indices into the same tree, after the node. */
export type TreeNodeSpec =
  | {
      readonly f: number;
      readonly op: 'le' | 'gt' | 'eq' | 'ne';
      readonly t: number;
      readonly yes: number;
      readonly no: number;
    }
  | { readonly leaf: ReadonlyArray<readonly [number, number]> };

/** The ensemble: trees (root first), one base value per output, comparator width per input feature. */
export interface TreeEnsembleSpec {
  readonly trees: ReadonlyArray<ReadonlyArray<TreeNodeSpec>>;
  readonly base: readonly number[];
  /** Signed width holding x − T − 1 for every threshold T of the feature (0: feature unused). */
  readonly bits: readonly number[];
}

/** The sorted distinct atoms T of [x ≤ T] each feature needs. */
export function featureThresholds(spec: Pick<TreeEnsembleSpec, 'trees'>, nFeatures: number): number[][] {
  const sets = Array.from({ length: nFeatures }, () => new Set<number>());
  for (const tree of spec.trees)
    for (const n of tree) {
      if ('leaf' in n) continue;
      sets[n.f]!.add(n.t);
      if (n.op === 'eq' || n.op === 'ne') sets[n.f]!.add(n.t - 1);
    }
  return sets.map((s) => [...s].sort((a, b) => a - b));
}

/** The exact integer semantics of one split. */
export function splitValue(op: 'le' | 'gt' | 'eq' | 'ne', x: number, t: number): boolean {
  return op === 'le' ? x <= t : op === 'gt' ? x > t : op === 'eq' ? x === t : x !== t;
}

/** The exact integer semantics: base plus the leaf weights each tree's walk reaches. */
export function treeEnsembleValue(spec: Pick<TreeEnsembleSpec, 'trees' | 'base'>, x: readonly number[]): number[] {
  const y = [...spec.base];
  for (const tree of spec.trees) {
    let n = tree[0]!;
    while (!('leaf' in n)) n = tree[splitValue(n.op, x[n.f]!, n.t) ? n.yes : n.no]!;
    for (const [target, w] of n.leaf) y[target]! += w;
  }
  return y;
}

/** Midpoint structure of the binary search over p ∈ [0, k]: the prefixes that split at each level. */
function searchLevels(k: number): { levels: number; splits: number[] } {
  const levels = bitLength(k);
  const splits: number[] = [];
  let starts = [0];
  for (let r = levels - 1; r >= 0; r--) {
    const next: number[] = [];
    let n = 0;
    for (const v of starts) {
      next.push(v);
      if (v + 2 ** r <= k) {
        next.push(v + 2 ** r);
        n++;
      }
    }
    splits.push(n);
    starts = next;
  }
  return { levels, splits };
}

/** Constraints of the binary-search interval index of one feature with k thresholds and comparator width `bits`. */
function searchCost(k: number, bits: number, lookup?: LookupConfig): number {
  const { levels, splits } = searchLevels(k);
  // Level 0 splits the root, whose indicator is the constant 1: no product there.
  const products = splits.reduce((a, n) => a + n, 0) - splits[0]!;
  return levels * isNonNegativeCost(bits, lookup) + products + k;
}

/** Whether a feature with k thresholds takes one comparator per threshold (cheaper for a few thresholds). */
function directAtoms(k: number, bits: number, lookup?: LookupConfig): boolean {
  return k * isNonNegativeCost(bits, lookup) <= searchCost(k, bits, lookup);
}

/**
 * Constraints of the atoms of one feature with k thresholds and comparator width `bits`: the
 * cheaper layout (`lookup`: the builder's lookup configuration; undefined = bits).
 */
export function intervalIndexCost(k: number, bits: number, lookup?: LookupConfig): number {
  if (k === 0) return 0;
  return directAtoms(k, bits, lookup) ? k * isNonNegativeCost(bits, lookup) : searchCost(k, bits, lookup);
}

/** Constraints of {@link treeEnsemble} (`lookup`: the builder's lookup configuration; undefined = bits). */
export function treeEnsembleCost(spec: TreeEnsembleSpec, lookup?: LookupConfig): number {
  const th = featureThresholds(spec, spec.bits.length);
  let cost = th.reduce((a, t, f) => a + intervalIndexCost(t.length, spec.bits[f]!, lookup), 0);
  for (const tree of spec.trees) cost += Math.max(0, tree.filter((n) => !('leaf' in n)).length - 1);
  return cost;
}

/** What the same ensemble costs with one comparator per split (bits + 1 each; eq/ne: 3, an is-zero). */
export function perSplitComparatorCost(spec: TreeEnsembleSpec, lookup?: LookupConfig): number {
  let cost = 0;
  for (const tree of spec.trees) {
    const splits = tree.filter((n): n is Extract<TreeNodeSpec, { f: number }> => !('leaf' in n));
    for (const n of splits) cost += n.op === 'eq' || n.op === 'ne' ? 3 : isNonNegativeCost(spec.bits[n.f]!, lookup);
    cost += Math.max(0, splits.length - 1);
  }
  return cost;
}

/**
 * The atoms [x ≤ T_i] (i = 1..k) of one feature as signals: the binary search for p, the
 * one-hot over p, then the thermometer. Returns le[i − 1] = [x ≤ T_i].
 */
function intervalAtoms(b: R1csBuilder, x: Signal, th: readonly number[], bits: number): Signal[] {
  const k = th.length;
  if (k === 0) return [];
  const T = th.map(BigInt);
  // [x ≤ T] = 1 − [x − T − 1 ≥ 0], one comparator each.
  if (directAtoms(k, bits, b.lookup))
    return T.map((t) => b.linear([[signOf(b, b.linear([[x, 1n]], -t - 1n), bits).s, -1n]], 1n));
  let prefixes: Array<{ start: number; ind: Signal | null }> = [{ start: 0, ind: null }]; // null: the constant 1
  for (let r = bitLength(k) - 1; r >= 0; r--) {
    const half = 2 ** r;
    // T_sel = Σ ind · T_m over the prefixes (midpoint m = start + 2^r); a prefix past k reads T_k, unused.
    const terms: Array<[Signal, bigint]> = [[x, 1n]];
    let constant = -1n;
    for (const p of prefixes) {
      const t = T[Math.min(p.start + half, k) - 1]!;
      if (p.ind === null) constant -= t;
      else terms.push([p.ind, -t]);
    }
    const bit = signOf(b, b.linear(terms, constant), bits).s; // [x − T_sel − 1 ≥ 0] = [x > T_sel]
    const next: typeof prefixes = [];
    for (const p of prefixes) {
      if (p.start + half > k) {
        next.push(p);
        continue;
      }
      const one = p.ind === null ? bit : b.mul(p.ind, bit);
      const zero = p.ind === null ? b.linear([[bit, -1n]], 1n) : b.sub(p.ind, one);
      next.push({ start: p.start, ind: zero }, { start: p.start + half, ind: one });
    }
    prefixes = next;
  }
  // prefixes are the one-hot o_0..o_k in order; u_i = [p ≥ i] = u_{i+1} + o_i as wires, le_i = 1 − u_i.
  const le: Signal[] = new Array<Signal>(k);
  let u: Signal | null = null;
  for (let i = k; i >= 1; i--) {
    const o = prefixes[i]!.ind!;
    const sum: Signal = u === null ? o : b.add(u, o);
    const w = b.wire(sum.value);
    b.assertEqual(w, sum);
    u = w;
    le[i - 1] = b.linear([[w, -1n]], 1n);
  }
  return le;
}

/** The condition of a split from the atoms of its feature. */
function splitSignal(b: R1csBuilder, n: Extract<TreeNodeSpec, { f: number }>, atom: (t: number) => Signal): Signal {
  const le = atom(n.t);
  if (n.op === 'le') return le;
  if (n.op === 'gt') return b.linear([[le, -1n]], 1n);
  const eq = b.sub(le, atom(n.t - 1));
  return n.op === 'eq' ? eq : b.linear([[eq, -1n]], 1n);
}

/** Emits the ensemble on features `xs`; returns one signal per output (linear combinations). */
export function treeEnsemble(b: R1csBuilder, xs: readonly Signal[], spec: TreeEnsembleSpec): Signal[] {
  const th = featureThresholds(spec, xs.length);
  const atoms = th.map((t, f) => {
    const le = t.length ? intervalAtoms(b, xs[f]!, t, spec.bits[f]!) : [];
    return new Map(t.map((v, i) => [v, le[i]!]));
  });
  const out: Array<Array<[Signal, bigint]>> = spec.base.map(() => []);
  for (const tree of spec.trees) {
    const ind: Array<Signal | null | undefined> = new Array(tree.length); // null: the constant 1 (root)
    ind[0] = null;
    tree.forEach((n, i) => {
      const here = ind[i]!;
      if ('leaf' in n) {
        for (const [target, w] of n.leaf) out[target]!.push([here ?? b.constant(1n), BigInt(w)]);
        return;
      }
      const cond = splitSignal(b, n, (t) => atoms[n.f]!.get(t)!);
      const yes = here === null ? cond : b.mul(here, cond);
      ind[n.yes] = yes;
      ind[n.no] = here === null ? b.linear([[cond, -1n]], 1n) : b.sub(here, yes);
    });
  }
  const y = out.map((terms, j) => b.linear(terms, BigInt(spec.base[j]!)));
  const want = treeEnsembleValue(
    spec,
    xs.map((s) => Number(s.value)),
  );
  // Self-check (witness runs carry values): the circuit's arithmetic must be the reference's.
  if (y.some((s, j) => s.value !== BigInt(want[j]!)))
    throw new Error(`tree ensemble: circuit value disagrees with its integer semantics`);
  return y;
}
