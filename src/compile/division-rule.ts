/**
 * Rule 4 of the determinism checker (determinism-check.ts): remainder division
 * (circuits/divide.ts). The gadget marks its two constraints; this file re-verifies their shape,
 * so a wrong mark proves nothing: `Q·D = C` and `1·T = D − 1 − R` with D and N = C + R already
 * forced, and Q − const, R and T each a sum of distinct powers 2^0..2^(w−1) of boolean wires —
 * or, in a lookup build, of limbs Σ 2^(e_k)·l_k whose lookups bound each l_k to [0, 2^(w_k)), the
 * digit ranges tiling [0, w) (so again an integer in [0, 2^w)).
 * Then 0 ≤ R ≤ D − 1 in the integers and Q·D + R = N has one solution when
 * wQ + max(wR, wT) + 2 < 253 (no side can wrap): every bit of Q, R and T is forced.
 */
import type { Constraint, Lc } from '../../circuits/builder.js';
import { fieldMod } from '../../circuits/field.js';

/**
 * The wires of `lc` and their total width w when it is Σ 2^(e_k)·x_k plus a constant (zero unless
 * `anyConstant`), every x_k a wire bounded to [0, 2^(width_k)) — a boolean (width 1), or a limb
 * that lookups bound (determinism-lookups.ts) — with the digit ranges [e_k, e_k + width_k)
 * tiling [0, w) exactly: then the form is an integer in [0, 2^w).
 */
function bitForm(lc: Lc, width: Uint8Array, anyConstant: boolean): { wires: number[]; span: number } | undefined {
  const constant = lc.get(0) ?? 0n;
  const vars = [...lc].filter(([w]) => w !== 0);
  if ((!anyConstant && constant !== 0n) || vars.length === 0 || vars.length > 250) return undefined;
  const byCoef = new Map<bigint, number>();
  for (const [w, c] of vars) {
    if (!width[w] || byCoef.has(c)) return undefined;
    byCoef.set(c, w);
  }
  let span = 0;
  for (let k = 0; k < vars.length; k++) {
    const w = byCoef.get(1n << BigInt(span));
    if (w === undefined) return undefined;
    span += width[w]!;
    if (span > 250) return undefined;
  }
  return { wires: vars.map(([w]) => w), span };
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
  width: Uint8Array,
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
  const q = bitForm(kp.a, width, true);
  const rw = bitForm(r, width, false);
  const t = bitForm(kb.b, width, false);
  if (!q || !rw || !t || q.span + Math.max(rw.span, t.span) + 2 >= 253) return undefined;
  return [...q.wires, ...rw.wires, ...t.wires].filter((w) => !known[w]);
}
