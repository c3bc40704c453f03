/**
 * One-hot selection by a computed index (Gather, GatherElements, TopK's indices reused): the
 * index idx, held as q = idx · 2^frac, must lie in the proven range [lo, lo + span). Then
 *   x = q / 2^frac − lo                  (free: a field multiplication by a constant)
 *   x = Σ bit_i 2^i, w = ⌈log2 span⌉    (w constraints: proves x is an integer in [0, 2^w))
 *   e_p = Π_i (bit_i or 1 − bit_i)       (a product tree over the bits, most significant first,
 *                                         pruned to p < span: one product per tree node, ≈ span)
 *   Σ_{p<span} e_p = 1                   (one constraint, only when span < 2^w: rejects x ≥ span)
 * so exactly one indicator e_p is 1, the one with p = idx − lo, and an index outside the range
 * (or not an integer) has no satisfying witness. The range is enforced by the sum together
 * with the products of nodes whose upper child is pruned (e·(1 − bit)): at an in-range index
 * the sum alone would determine those wires, so they are range constraints, tested by the
 * forgery tests rather than by the determinism checker. Every wire is forced by the determinism
 * checker's existing rules: the bits by the decomposition rule, each tree product by the
 * linear rule. Selecting among constants is then free (Σ e_p c_p); among computed values it
 * costs one product per distinct candidate but the first (y = d_0 + Σ e_p (d_p − d_0)).
 */
import { R1csBuilder, Signal } from './builder.js';
import { fieldInv } from './field.js';
import { bitDecompose, WitnessRangeError } from './range-check.js';

/** Where a one-hot index may point: q = idx · 2^frac with idx in [lo, lo + span). */
export interface OneHotRange {
  readonly lo: number;
  readonly span: number;
  readonly frac: number;
}

/** Bits of the index decomposition: ⌈log2 span⌉ (0 for a single candidate). */
export function oneHotBits(span: number): number {
  let w = 0;
  while (2 ** w < span) w++;
  return w;
}

/** Products of the pruned indicator tree. */
function treeProducts(span: number, w: number): number {
  let n = 0;
  // Each node at depth d (1..w−1, a prefix of d bits) makes one product for its children; the
  // root's children are linear.
  for (let d = 1; d < w; d++) n += Math.ceil(span / 2 ** (w - d));
  return n;
}

/** Constraints of {@link oneHot} over `span` candidates. */
export function oneHotCost(span: number): number {
  const w = oneHotBits(span);
  if (w === 0) return 1;
  return w + treeProducts(span, w) + (span < 2 ** w ? 1 : 0);
}

/** The exact semantics: the indicator position of q, or throws when q is not an index in the range. */
export function oneHotValue(q: bigint, r: OneHotRange): number {
  const scale = 1n << BigInt(r.frac);
  if (q % scale !== 0n) throw new WitnessRangeError(`index ${q}/2^${r.frac} is not an integer`);
  const p = Number(q / scale) - r.lo;
  if (p < 0 || p >= r.span)
    throw new WitnessRangeError(`index ${Number(q / scale)} outside the proven range [${r.lo}, ${r.lo + r.span - 1}]`);
  return p;
}

/** The `span` indicators of q's position in the range (see the module comment). */
export function oneHot(b: R1csBuilder, q: Signal, r: OneHotRange): Signal[] {
  const p = oneHotValue(q.value, r);
  const w = oneHotBits(r.span);
  const shifted = b.linear([[q, fieldInv(1n << BigInt(r.frac))]], -BigInt(r.lo));
  const x: Signal = { lc: shifted.lc, value: BigInt(p) };
  if (w === 0) {
    b.assertEqual(x, b.constant(0n));
    return [b.constant(1n)];
  }
  const bits = bitDecompose(b, x, w);
  let nodes: Array<{ e: Signal; start: number; root: boolean }> = [{ e: b.constant(1n), start: 0, root: true }];
  for (let i = w - 1; i >= 0; i--) {
    const bit = bits[i]!;
    const half = 2 ** i;
    const next: typeof nodes = [];
    for (const n of nodes) {
      if (n.start + half < r.span) {
        const hi = n.root ? bit : b.mul(n.e, bit);
        next.push({ e: b.sub(n.e, hi), start: n.start, root: false });
        next.push({ e: hi, start: n.start + half, root: false });
      } else {
        const notBit = b.linear([[bit, -1n]], 1n);
        next.push({ e: n.root ? notBit : b.mul(n.e, notBit), start: n.start, root: false });
      }
    }
    nodes = next;
  }
  const e = nodes.map((n) => n.e);
  if (r.span < 2 ** w) b.assertEqual(b.linear(e.map((s) => [s, 1n] as const)), b.constant(1n));
  const got = e.findIndex((s) => s.value === 1n);
  if (got !== p || e.some((s, k) => k !== p && s.value !== 0n)) throw new Error(`oneHot: indicator ${got} ≠ ${p}`);
  return e;
}

/**
 * Σ_p e_p · d_p for indicators `e` (exactly one is 1) and candidates `d`: free when every
 * candidate is a constant, else one product per candidate but the first. Indicators that share a
 * candidate (the same element reached by a negative and a positive index) are summed first.
 */
export function selectOneHot(b: R1csBuilder, e: readonly Signal[], d: readonly Signal[], constant: boolean): Signal {
  if (e.length !== d.length) throw new Error(`selectOneHot: ${e.length} indicators, ${d.length} candidates`);
  // `constant` is structural (never read from the signals): witness-only builds carry no lc.
  if (constant) return b.linear(e.map((s, p) => [s, d[p]!.value] as const));
  const groups = new Map<Signal, Signal[]>();
  e.forEach((s, p) => groups.set(d[p]!, [...(groups.get(d[p]!) ?? []), s]));
  const [first, ...rest] = [...groups.entries()];
  const terms: Array<readonly [Signal, bigint]> = [[first![0], 1n]];
  for (const [cand, ind] of rest)
    terms.push([b.mul(b.linear(ind.map((s) => [s, 1n] as const)), b.sub(cand, first![0])), 1n]);
  const y = b.linear(terms);
  const want = d[e.findIndex((s) => s.value === 1n)]!.value;
  if (y.value !== want) throw new Error(`selectOneHot: selected ${y.value}, expected ${want}`);
  return y;
}

/** Constraints of {@link selectOneHot} over `distinct` distinct candidates (0 when all are constants). */
export function selectOneHotCost(distinct: number, constant: boolean): number {
  return constant ? 0 : Math.max(0, distinct - 1);
}
