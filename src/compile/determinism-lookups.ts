/**
 * What the determinism checker (determinism-check.ts) may conclude from a build's LogUp lookups
 * (circuits/lookup.ts). Nothing is taken on trust: the lookup block at the end of the system
 * (per table: one constraint per lookup, one per entry, one balance, in the order of
 * `circuit.lookup.tables`) is parsed and its shape verified —
 *   lookup i:  inv_i · (c − f_i) = 1,   inv_i a round-2 wire, f_i over round-1 wires only;
 *   entry j:   tinv_j · (c − t_j) = m_j, t_j distinct constants, m_j a round-1 wire;
 *   balance:   0 · 0 = Σ inv_i − Σ tinv_j, exactly those wires, each once;
 * with c the build's challenge, a public input and the last public signal. Such a block is the
 * LogUp argument: for a challenge drawn after the round-1 commitment, every f_i lies in {t_j}
 * and m_j counts the lookups that hit t_j, except with probability (n + N)/p. A table whose
 * block does not verify yields no fact at all (its wires then stay undetermined), so a wrong
 * layout can only make the checker report more, never less.
 *
 * The facts, turned into rules the propagation applies like its own:
 *  - range bounds: a table whose entries are exactly [0, 2^W) bounds each looked-up value to W
 *    bits. Lookups of λ·P and λ·2^s·P (the same form P) bound λ·P to W − s bits (it is < 2^W
 *    as an integer, so 2^s·λP cannot wrap). A bounded single wire (coefficient 1) is a bounded
 *    wire, usable like a boolean in rule 2; any other bounded form G is an equation G − β = 0
 *    with β ∈ [0, 2^w), solved by the generalised rule 2 (determinism-forms.ts, boundedLayout);
 *  - window (function tables): f = K0 + scale·Z with K0 forced, Z = Σ 2^e·x over bounded unknown
 *    wires with disjoint digit ranges, so Z ∈ [0, 2^span); if exactly one entry t has
 *    (t − K0)/scale in [0, 2^span), then Z is that value and every x is forced;
 *  - multiplicities: once every f_i of a table is forced, the argument forces every m_j.
 * The round-2 inverses then follow by rule 1 (the challenge is public, hence fixed).
 */
import type { Constraint, Lc } from '../../circuits/builder.js';
import { FIELD_PRIME, fieldInv, fieldMod } from '../../circuits/field.js';
import type { LookupInfo } from '../../circuits/lookup.js';
import { pow2Exponent } from './determinism-forms.js';

/** A rule the propagation applies to a pseudo-constraint `{ a: lc, b: ∅, c: ∅ }` that indexes its wires. */
export type LookupRule =
  | { readonly kind: 'form'; readonly width: number }
  | { readonly kind: 'window'; readonly entries: readonly bigint[] }
  | { readonly kind: 'multiplicity'; readonly wires: readonly number[] };

/** Everything the checker learns from a build's lookups. */
export interface LookupRules {
  /** Per wire: the width its lookups bound it to (0: none). */
  readonly bound: Uint8Array;
  /** Pseudo-constraints, one per rule, appended after the real ones. */
  readonly virtual: Constraint[];
  readonly rules: LookupRule[];
  /** Why a table's block gave no facts (a zkinfer bug or a hand-made circuit). */
  readonly problems: string[];
}

interface ParsedTable {
  readonly name: string;
  readonly fs: Array<Map<number, bigint>>;
  readonly entries: bigint[];
  readonly mults: number[];
}

const EMPTY: Lc = new Map();
const single = (lc: Lc): [number, bigint] | undefined => (lc.size === 1 ? [...lc][0] : undefined);

/** Parses and verifies one table's block starting at constraint `at`; a string says what is wrong. */
function parseTable(
  constraints: readonly Constraint[],
  at: number,
  t: LookupInfo['tables'][number],
  info: LookupInfo,
): ParsedTable | string {
  const c = info.challengeWire;
  const round1 = (w: number) => w !== c && w < info.round2Start;
  const inverse = (lc: Lc): number | undefined => {
    const s = single(lc);
    return s && s[1] === 1n && s[0] >= info.round2Start ? s[0] : undefined;
  };
  const fs: Array<Map<number, bigint>> = [];
  const balance = new Map<number, bigint>();
  for (let i = 0; i < t.lookups; i++) {
    const k = constraints[at + i]!;
    const inv = inverse(k.a);
    const one = single(k.c);
    if (inv === undefined || !one || one[0] !== 0 || one[1] !== 1n || k.b.get(c) !== 1n) return `lookup ${i}`;
    const f = new Map<number, bigint>();
    for (const [w, v] of k.b) {
      if (w === c) continue;
      if (w !== 0 && !round1(w)) return `lookup ${i} reads a non-round-1 wire`;
      f.set(w, fieldMod(-v));
    }
    fs.push(f);
    balance.set(inv, 1n);
  }
  const entries: bigint[] = [];
  const mults: number[] = [];
  for (let j = 0; j < t.size; j++) {
    const k = constraints[at + t.lookups + j]!;
    const inv = inverse(k.a);
    const m = single(k.c);
    const extra = [...k.b.keys()].filter((w) => w !== 0 && w !== c);
    if (inv === undefined || !m || m[1] !== 1n || m[0] === 0 || !round1(m[0]) || k.b.get(c) !== 1n || extra.length)
      return `entry ${j}`;
    entries.push(fieldMod(-(k.b.get(0) ?? 0n)));
    mults.push(m[0]);
    balance.set(inv, FIELD_PRIME - 1n);
  }
  const k = constraints[at + t.lookups + t.size]!;
  if (k.a.size || k.b.size || k.c.size !== t.lookups + t.size || balance.size !== t.lookups + t.size) return 'balance';
  for (const [w, v] of k.c) if (balance.get(w) !== v) return 'balance';
  if (new Set(entries).size !== entries.length) return 'repeated entries';
  return { name: t.name, fs, entries, mults };
}

/** Width W when the entries are exactly [0, 2^W) (in some order), else 0. */
function rangeWidth(entries: readonly bigint[]): number {
  const w = Math.log2(entries.length);
  if (!Number.isInteger(w) || w < 1 || w > 64) return 0;
  return entries.every((e) => e < BigInt(entries.length)) ? w : 0;
}

/** Field inverses, cached: the scales of looked-up forms repeat (1, 2^s, 2^−off). */
function inverter(): (x: bigint) => bigint {
  const cache = new Map<bigint, bigint>();
  return (x) => {
    let v = cache.get(x);
    if (v === undefined) cache.set(x, (v = fieldInv(x)));
    return v;
  };
}

/** Range bounds from a [0, 2^W) table's lookups (see the module comment): wire bounds and forms. */
function rangeFacts(fs: readonly Map<number, bigint>[], width: number, fixed: Uint8Array, out: LookupRules): void {
  const inv = inverter();
  const groups = new Map<string, { form: Map<number, bigint>; lambdas: bigint[] }>();
  for (const f of fs) {
    const wires = [...f.keys()].filter((w) => w !== 0).sort((x, y) => x - y);
    if (wires.length === 0 || wires.every((w) => fixed[w])) continue;
    const lambda = f.get(wires[0]!)!;
    const li = inv(lambda);
    const form = new Map<number, bigint>();
    for (const [w, v] of f) form.set(w, (v * li) % FIELD_PRIME);
    const key = wires.map((w) => `${w}:${form.get(w)}`).join(',') + `|${form.get(0) ?? 0n}`;
    const g = groups.get(key);
    if (g) g.lambdas.push(lambda);
    else groups.set(key, { form, lambdas: [lambda] });
  }
  for (const { form, lambdas } of groups.values()) {
    const i0 = inv(lambdas[0]!);
    const scaled = lambdas.map((l) => ({ l, e: pow2Exponent((l * i0) % FIELD_PRIME) }));
    const usable = scaled.filter((x) => x.e !== undefined) as Array<{ l: bigint; e: number }>;
    const low = usable.reduce((a, x) => (x.e < a.e ? x : a));
    const w = width - (Math.max(...usable.map((x) => x.e)) - low.e);
    if (w < 1) continue;
    const g = new Map<number, bigint>();
    for (const [wire, v] of form) g.set(wire, (v * low.l) % FIELD_PRIME);
    const one = single(g);
    if (one && one[0] !== 0 && one[1] === 1n) {
      const prev = out.bound[one[0]]!;
      out.bound[one[0]] = prev === 0 ? w : Math.min(prev, w);
    } else {
      out.virtual.push({ a: g, b: EMPTY, c: EMPTY });
      out.rules.push({ kind: 'form', width: w });
    }
  }
}

/**
 * Verifies the lookup block of a build and derives its rules; `fixed` marks the wires known
 * from the start (forms over those alone are dropped).
 */
export function lookupRules(
  constraints: readonly Constraint[],
  info: LookupInfo | undefined,
  nWires: number,
  publicSignals: { nPubOut: number; nPubIn: number },
  fixed: Uint8Array,
): LookupRules {
  const out: LookupRules = { bound: new Uint8Array(nWires), virtual: [], rules: [], problems: [] };
  if (!info) return out;
  if (info.challengeWire !== publicSignals.nPubOut + publicSignals.nPubIn || !fixed[info.challengeWire]) {
    out.problems.push(`challenge wire ${info.challengeWire} is not the last public signal`);
    return out;
  }
  let at = constraints.length - info.tables.reduce((s, t) => s + t.lookups + t.size + 1, 0);
  if (at < 0) {
    out.problems.push('lookup tables larger than the system');
    return out;
  }
  for (const t of info.tables) {
    const parsed = parseTable(constraints, at, t, info);
    at += t.lookups + t.size + 1;
    if (typeof parsed === 'string') {
      out.problems.push(`lookup table '${t.name}': ${parsed} does not have the LogUp shape`);
      continue;
    }
    const width = rangeWidth(parsed.entries);
    if (width > 0) rangeFacts(parsed.fs, width, fixed, out);
    else {
      const sorted = parsed.entries.slice().sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
      for (const f of parsed.fs) {
        out.virtual.push({ a: f, b: EMPTY, c: EMPTY });
        out.rules.push({ kind: 'window', entries: sorted });
      }
    }
    const union = new Map<number, bigint>();
    for (const f of parsed.fs) for (const w of f.keys()) if (w !== 0) union.set(w, 1n);
    out.virtual.push({ a: union, b: EMPTY, c: EMPTY });
    out.rules.push({ kind: 'multiplicity', wires: parsed.mults });
  }
  return out;
}

/** Entries of sorted `entries` in [lo, lo + 2^span) of the integers, at most 2 counted. */
function countInWindow(entries: readonly bigint[], lo: bigint, span: number): number {
  let a = 0;
  let b = entries.length;
  while (a < b) {
    const mid = (a + b) >> 1;
    if (entries[mid]! < lo) a = mid + 1;
    else b = mid;
  }
  const hi = lo + (1n << BigInt(span));
  let n = 0;
  for (let i = a; i < entries.length && entries[i]! < hi && n < 2; i++) n++;
  return n;
}

/**
 * The window rule: whether exactly one table entry t has (t − known)/scale ∈ [0, 2^span), which
 * forces Z (see the module comment). `known` is the forced part's value.
 */
export function uniqueWindow(entries: readonly bigint[], known: bigint, scale: bigint, span: number): boolean {
  if (scale === 1n && known + (1n << BigInt(span)) <= FIELD_PRIME) return countInWindow(entries, known, span) === 1;
  const si = fieldInv(scale);
  const limit = 1n << BigInt(span);
  let n = 0;
  for (const t of entries) if ((fieldMod(t - known) * si) % FIELD_PRIME < limit && ++n > 1) return false;
  return n === 1;
}
