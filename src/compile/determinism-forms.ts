/**
 * The constraint forms the determinism checker (determinism-check.ts) recognises, and its wire
 * index: boolean decompositions `(V + a0)·(λV + b0) = 0`, γ·2^e coefficient sets that cannot
 * wrap the field (rule 2), and the wire → (constraint, sides) index that lets propagation
 * re-examine a constraint only when one of its counters changes. Kept apart from the
 * propagation itself so each file reads as one idea.
 */
import type { Constraint, Lc } from '../../circuits/builder.js';
import { FIELD_PRIME, fieldInv, fieldMod } from '../../circuits/field.js';

export const SIDE_A = 1;
export const SIDE_B = 2;
export const SIDE_C = 4;
/** Exponents searched when recognising γ·2^e coefficients. */
const MAX_EXP = 260;

let pow2Table: Map<bigint, number> | undefined;

/** 2^e mod p → e for |e| ≤ MAX_EXP (negative e: powers of 1/2). */
function pow2Exponents(): Map<bigint, number> {
  if (pow2Table) return pow2Table;
  const t = new Map<bigint, number>();
  const half = fieldInv(2n);
  let up = 1n;
  let down = 1n;
  for (let e = 0; e <= MAX_EXP; e++) {
    t.set(up, e);
    if (e > 0) t.set(down, -e);
    up = (up * 2n) % FIELD_PRIME;
    down = (down * half) % FIELD_PRIME;
  }
  pow2Table = t;
  return t;
}

/** e when x = 2^e mod p for some |e| ≤ 260 (negative: powers of 1/2), else undefined. */
export function pow2Exponent(x: bigint): number | undefined {
  return pow2Exponents().get(x);
}

/** The wires of `lc` except the constant, and its constant term. */
function split(lc: Lc): { vars: Array<[number, bigint]>; constant: bigint } {
  const vars: Array<[number, bigint]> = [];
  let constant = 0n;
  for (const [w, c] of lc) {
    if (w === 0) constant = c;
    else vars.push([w, c]);
  }
  return { vars, constant };
}

/**
 * For a constraint `(V + a0)·(λV + b0) = 0` returns the 0/1-valued form F as wire terms plus a
 * constant, or undefined when the constraint has another shape.
 */
export function booleanForm(k: Constraint): { vars: Array<[number, bigint]>; constant: bigint } | undefined {
  if (k.c.size !== 0 || k.a.size === 0 || k.b.size === 0) return undefined;
  const a = split(k.a);
  const b = split(k.b);
  if (a.vars.length === 0 || a.vars.length !== b.vars.length) return undefined;
  const [w0, a0c] = a.vars[0]!;
  const b0c = k.b.get(w0);
  if (b0c === undefined) return undefined;
  // B's wire part must be λ times A's: b_w·a_w0 = b_w0·a_w for every wire.
  for (const [w, aw] of a.vars) {
    const bw = k.b.get(w);
    if (bw === undefined || (bw * a0c) % FIELD_PRIME !== (b0c * aw) % FIELD_PRIME) return undefined;
  }
  const lambda = a0c === b0c ? 1n : (b0c * fieldInv(a0c)) % FIELD_PRIME;
  const d = fieldMod(a.constant - (lambda === 1n ? b.constant : b.constant * fieldInv(lambda)));
  if (d === 0n) return undefined; // a double root: V is a single value, not two
  const dInv = d === 1n ? 1n : fieldInv(d);
  return { vars: a.vars.map(([w, c]) => [w, (c * dInv) % FIELD_PRIME]), constant: (a.constant * dInv) % FIELD_PRIME };
}

/**
 * Whether Σ coef·x = known with every x ∈ {0,1} has one solution: the coefficients are γ·2^e
 * with distinct e spanning at most 253 bits.
 */
export function uniqueBinary(coefs: readonly bigint[]): boolean {
  return uniqueBounded(
    coefs,
    coefs.map(() => 1),
  );
}

/**
 * The generalisation of {@link uniqueBinary} to range-bounded unknowns (lookup limbs): Σ c_i·x_i
 * with x_i ∈ [0, 2^(w_i)) has at most one solution when c_i = γ·2^(e_i) with the digit ranges
 * [e_i, e_i + w_i) disjoint and spanning at most 253 bits. Then Σ c_i x_i = scale·Z with
 * Z = Σ 2^(e_i − e_min)·x_i an integer in [0, 2^span) ⊂ [0, p), so two solutions have equal Z
 * as integers, and disjoint digit ranges read each x_i back from Z. Returns scale = γ·2^(e_min)
 * and span, or undefined when the coefficients do not have that shape.
 */
export function boundedLayout(
  coefs: readonly bigint[],
  widths: readonly number[],
): { scale: bigint; span: number } | undefined {
  if (coefs.length === 0) return undefined;
  const table = pow2Exponents();
  const inv0 = fieldInv(coefs[0]!);
  const spans: Array<[number, number]> = [];
  for (let i = 0; i < coefs.length; i++) {
    const e = table.get((coefs[i]! * inv0) % FIELD_PRIME);
    if (e === undefined || !(widths[i]! >= 1)) return undefined;
    spans.push([e, e + widths[i]!]);
  }
  spans.sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < spans.length; i++) if (spans[i]![0] < spans[i - 1]![1]) return undefined;
  const emin = spans[0]![0];
  const span = spans[spans.length - 1]![1] - emin;
  if (span > 253) return undefined;
  const pow = emin >= 0 ? fieldPow(2n, BigInt(emin)) : fieldPow(fieldInv(2n), BigInt(-emin));
  return { scale: (coefs[0]! * pow) % FIELD_PRIME, span };
}

/** Whether Σ c_i·x_i = known has at most one solution with x_i ∈ [0, 2^(w_i)) ({@link boundedLayout}). */
export function uniqueBounded(coefs: readonly bigint[], widths: readonly number[]): boolean {
  return boundedLayout(coefs, widths) !== undefined;
}

function fieldPow(base: bigint, e: bigint): bigint {
  let r = 1n;
  let b = base % FIELD_PRIME;
  for (let k = e; k > 0n; k >>= 1n) {
    if (k & 1n) r = (r * b) % FIELD_PRIME;
    b = (b * b) % FIELD_PRIME;
  }
  return r;
}

/** Boolean forms of the constraints that have one (by constraint index), and the boolean wires. */
export function booleanWires(
  constraints: readonly Constraint[],
  nWires: number,
): { forms: Map<number, BoolForm>; boolWire: Uint8Array } {
  const forms = new Map<number, BoolForm>();
  const boolWire = new Uint8Array(nWires);
  for (let i = 0; i < constraints.length; i++) {
    const f = booleanForm(constraints[i]!);
    if (!f) continue;
    forms.set(i, f);
    if (f.vars.length === 1) {
      const [w, c] = f.vars[0]!;
      if ((c === 1n && f.constant === 0n) || (c === FIELD_PRIME - 1n && f.constant === 1n)) boolWire[w] = 1;
    }
  }
  return { forms, boolWire };
}

export type BoolForm = { vars: Array<[number, bigint]>; constant: bigint };

const lcs = (k: Constraint): [Lc, number][] => [
  [k.a, SIDE_A],
  [k.b, SIDE_B],
  [k.c, SIDE_C],
];

/**
 * Index wire → (constraint, sides), in CSR form: wire w's entries are [start[w], start[w+1]).
 * A wire on several sides of one constraint gets one entry; stamp[w] = i + 1 marks it seen in
 * constraint i and slot[w] holds its entry while i is being filled.
 */
export function wireIndex(
  constraints: readonly Constraint[],
  nWires: number,
): { start: Int32Array; entryK: Int32Array; entrySide: Uint8Array } {
  const nK = constraints.length;
  const stamp = new Int32Array(nWires);
  const count = new Int32Array(nWires + 1);
  for (let i = 0; i < nK; i++) {
    for (const [lc] of lcs(constraints[i]!)) {
      for (const w of lc.keys()) {
        if (w === 0 || stamp[w] === i + 1) continue;
        stamp[w] = i + 1;
        count[w + 1]!++;
      }
    }
  }
  for (let w = 0; w < nWires; w++) count[w + 1]! += count[w]!;
  const start = count;
  const entryK = new Int32Array(start[nWires]!);
  const entrySide = new Uint8Array(start[nWires]!);
  const fill = start.slice(0, nWires);
  const slot = new Int32Array(nWires);
  stamp.fill(0);
  for (let i = 0; i < nK; i++) {
    for (const [lc, side] of lcs(constraints[i]!)) {
      for (const w of lc.keys()) {
        if (w === 0) continue;
        if (stamp[w] !== i + 1) {
          stamp[w] = i + 1;
          const e = fill[w]!++;
          slot[w] = e;
          entryK[e] = i;
        }
        entrySide[slot[w]!]! |= side;
      }
    }
  }
  return { start, entryK, entrySide };
}
