/**
 * Rule 4 of the determinism checker (determinism-check.ts): remainder division
 * (circuits/divide.ts). The gadget marks its two constraints; this file re-verifies their shape,
 * so a wrong mark proves nothing: `Q·D = C` and `1·T = D − 1 − R` with D and N = C + R already
 * forced, and Q − const, R and T each a sum of distinct powers 2^0..2^(w−1) of boolean wires.
 * Then 0 ≤ R ≤ D − 1 in the integers and Q·D + R = N has one solution when
 * wQ + max(wR, wT) + 2 < 253 (no side can wrap): every bit of Q, R and T is forced.
 */
import type { Constraint, Lc } from '../../circuits/builder.js';
import { fieldMod } from '../../circuits/field.js';

/**
 * The wires of `lc` when it is Σ 2^k·bit_k (k = 0..w−1, every bit a boolean wire) plus a constant
 * (zero unless `anyConstant`).
 */
function bitForm(lc: Lc, boolWire: Uint8Array, anyConstant: boolean): number[] | undefined {
  const constant = lc.get(0) ?? 0n;
  const vars = [...lc].filter(([w]) => w !== 0);
  if ((!anyConstant && constant !== 0n) || vars.length === 0 || vars.length > 250) return undefined;
  const byCoef = new Map<bigint, number>();
  for (const [w, c] of vars) {
    if (!boolWire[w] || byCoef.has(c)) return undefined;
    byCoef.set(c, w);
  }
  for (let k = 0; k < vars.length; k++) if (!byCoef.has(1n << BigInt(k))) return undefined;
  return vars.map(([w]) => w);
}

/** x + s·y as a linear combination. */
function combineLc(x: Lc, y: Lc, s: bigint): Lc {
  const out = new Map(x);
  for (const [w, c] of y) {
    const v = fieldMod((out.get(w) ?? 0n) + s * c);
    if (v === 0n) out.delete(w);
    else out.set(w, v);
  }
  return out;
}

/**
 * Rule 4 on the marked pair [product, bound]: the wires it forces, or undefined when its conditions
 * do not hold (yet).
 */
export function divisionUnknowns(
  constraints: readonly Constraint[],
  [pi, bi]: readonly [number, number],
  boolWire: Uint8Array,
  known: Uint8Array,
): number[] | undefined {
  const kp = constraints[pi];
  const kb = constraints[bi];
  if (!kp || !kb) return undefined;
  const allKnown = (lc: Lc) => [...lc.keys()].every((w) => known[w]);
  if (kb.a.size !== 1 || kb.a.get(0) !== 1n || !allKnown(kp.b)) return undefined;
  // R = D − 1 − C_bound; N = C_product + R.
  const r = combineLc(combineLc(kp.b, new Map([[0, 1n]]), -1n), kb.c, -1n);
  if (!allKnown(combineLc(kp.c, r, 1n))) return undefined;
  const q = bitForm(kp.a, boolWire, true);
  const rw = bitForm(r, boolWire, false);
  const t = bitForm(kb.b, boolWire, false);
  if (!q || !rw || !t || q.length + Math.max(rw.length, t.length) + 2 >= 253) return undefined;
  return [...q, ...rw, ...t].filter((w) => !known[w]);
}
