/**
 * Issue 23 review attacks: the new gadgets (one-hot gather, TopK, bitwise, tree ensemble) and the
 * packed linear-combination store, attacked by an exhaustive witness solver that is independent of
 * the determinism checker. With the input wires fixed, {@link allWitnesses} enumerates EVERY
 * satisfying assignment of the other wires: it propagates constraints with one unknown wire that
 * appears linearly, and branches only on a wire pinned by a single-unknown quadratic constraint,
 * taking both of that quadratic's roots (0 and the other, or 1 and the other, by Vieta). A wire it
 * can neither solve nor branch on is reported as free. So "exactly one witness" means no forged
 * output exists for that input (an index out of range, a bool of 2, a two-hot indicator, a
 * non-maximal TopK element, a second bitwise decomposition, a tree path indicator outside 0/1
 * would each be a second witness or a witness for an input that must have none).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BuiltCircuit, findViolatedConstraint, Lc, R1csBuilder, Signal } from '../../circuits/builder.js';
import { FIELD_PRIME, fieldInv, toSigned } from '../../circuits/field.js';
import { oneHot, OneHotRange, selectOneHot } from '../../circuits/one-hot.js';
import { topK, topKBits, topKValue } from '../../circuits/top-k.js';
import { bitwise, BitwiseOp, bitwiseValue } from '../../circuits/bitwise.js';
import { comparatorBits } from '../../circuits/max.js';
import {
  featureThresholds,
  intervalIndexCost,
  treeEnsemble,
  treeEnsembleValue,
  TreeEnsembleSpec,
  TreeNodeSpec,
} from '../../circuits/tree-ensemble.js';
import { decodeR1cs, encodeR1cs } from '../../src/compile/r1cs-file.js';
import { PackedLc } from '../../circuits/packed-lc.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelBytes, NodeSpec } from '../../tools/onnx/write-onnx.js';
import { zkinfer } from '../helpers/cli.js';

const P = FIELD_PRIME;
const mod = (v: bigint) => ((v % P) + P) % P;

type Terms = Array<[number, bigint]>;
interface K {
  a: Terms;
  b: Terms;
  c: Terms;
}

function terms(lc: Lc): Terms {
  return [...lc].map(([w, c]) => [w, c] as [number, bigint]);
}

/** Known part and the (single) unknown's coefficient of one side, or undefined when ≥ 2 unknowns. */
function side(t: Terms, w: Array<bigint | undefined>): { known: bigint; unknown: number[]; coef: Map<number, bigint> } {
  let known = 0n;
  const unknown: number[] = [];
  const coef = new Map<number, bigint>();
  for (const [wire, c] of t) {
    const v = w[wire];
    if (v === undefined) {
      unknown.push(wire);
      coef.set(wire, c);
    } else known += c * v;
  }
  return { known: mod(known), unknown, coef };
}

class Free extends Error {}

/**
 * Every witness of `c` with wires `fixed` (the constant and the inputs) as given; throws Free when
 * a wire is neither solvable nor pinned by a quadratic (an under-constrained wire), and stops after `cap`.
 */
function allWitnesses(c: BuiltCircuit, fixed: ReadonlyMap<number, bigint>, cap = 4): bigint[][] {
  const ks: K[] = c.constraints.map((k) => ({ a: terms(k.a), b: terms(k.b), c: terms(k.c) }));
  // Constraints per wire, for propagation.
  const byWire: number[][] = Array.from({ length: c.nWires }, () => []);
  ks.forEach((k, i) => {
    for (const [w] of [...k.a, ...k.b, ...k.c]) if (byWire[w]!.at(-1) !== i) byWire[w]!.push(i);
  });
  const found: bigint[][] = [];
  const start: Array<bigint | undefined> = new Array(c.nWires).fill(undefined);
  for (const [w, v] of fixed) start[w] = mod(v);

  /** Single-unknown analysis of constraint i: [u, Q, L, K] for Q u² + L u + K = 0, 'ok', 'bad' or 'many'. */
  const analyse = (
    i: number,
    w: Array<bigint | undefined>,
  ): [number, bigint, bigint, bigint] | 'ok' | 'bad' | 'many' => {
    const k = ks[i]!;
    const A = side(k.a, w);
    const B = side(k.b, w);
    const C = side(k.c, w);
    const un = new Set([...A.unknown, ...B.unknown, ...C.unknown]);
    if (un.size === 0) return (A.known * B.known - C.known) % P === 0n ? 'ok' : 'bad';
    if (un.size !== 1) return 'many';
    const u = [...un][0]!;
    const ua = A.coef.get(u) ?? 0n;
    const ub = B.coef.get(u) ?? 0n;
    const uc = C.coef.get(u) ?? 0n;
    // (a + ua u)(b + ub u) = c + uc u  →  Q u² + L u + K = 0
    return [u, mod(ua * ub), mod(A.known * ub + B.known * ua - uc), mod(A.known * B.known - C.known)];
  };

  /** Propagates from the constraints in `queue`; false on a contradiction. */
  const propagate = (w: Array<bigint | undefined>, queue: Iterable<number>): boolean => {
    let q = [...queue];
    while (q.length) {
      const next = new Set<number>();
      for (const i of q) {
        const r = analyse(i, w);
        if (r === 'bad') return false;
        if (r === 'ok' || r === 'many') continue;
        const [u, Q, L, Kc] = r;
        if (Q !== 0n) continue;
        if (L === 0n) {
          if (Kc !== 0n) return false;
          continue;
        }
        w[u] = mod(-Kc * fieldInv(L));
        for (const j of byWire[u]!) next.add(j);
      }
      q = [...next];
    }
    return true;
  };

  const search = (w: Array<bigint | undefined>, queue: Iterable<number>): void => {
    if (found.length >= cap) return;
    if (!propagate(w, queue)) return;
    let pick = -1;
    let quad: [bigint, bigint, bigint] | undefined;
    let firstUnknown = -1;
    for (let u = 0; u < w.length && pick < 0; u++) {
      if (w[u] !== undefined) continue;
      if (firstUnknown < 0) firstUnknown = u;
      for (const i of byWire[u]!) {
        const r = analyse(i, w);
        if (typeof r === 'object' && r[1] !== 0n) {
          pick = u;
          quad = [r[1], r[2], r[3]];
          break;
        }
      }
    }
    if (firstUnknown < 0) {
      assert.equal(findViolatedConstraint(c.constraints, w as bigint[]), -1, 'solver produced a non-witness');
      found.push(w as bigint[]);
      return;
    }
    if (pick < 0) throw new Free(`wire ${firstUnknown} is neither solvable nor pinned by a quadratic`);
    const [Q, L, Kc] = quad!;
    // Q u² + L u + K: a known root r gives the other as −L/Q − r.
    let roots: bigint[];
    const at = (r: bigint) => mod(Q * r * r + L * r + Kc);
    if (at(0n) === 0n) roots = [0n, mod(-L * fieldInv(Q))];
    else if (at(1n) === 0n) roots = [1n, mod(-L * fieldInv(Q) - 1n)];
    else throw new Free(`wire ${pick}: a quadratic with neither 0 nor 1 as a root`);
    for (const r of new Set(roots)) {
      const copy = w.slice();
      copy[pick] = r;
      search(copy, byWire[pick]!);
    }
  };
  search(start, ks.keys());
  return found;
}

/** The fixed wires of a circuit from exposedCircuit/gadgetCircuit: 1 and the private inputs. */
function inputsOf(c: BuiltCircuit, xs: readonly bigint[]): Map<number, bigint> {
  const m = new Map<number, bigint>([[0, 1n]]);
  const first = 1 + c.nPubOut + c.nPubIn;
  xs.forEach((v, i) => m.set(first + i, v));
  return m;
}

/** Builds body over private inputs xs and exposes its outputs (wires 1..outputs). */
function build(xs: readonly bigint[], body: (b: R1csBuilder, x: Signal[]) => Signal[]): BuiltCircuit {
  const b = new R1csBuilder();
  const x = xs.map((v) => b.input(v, 'private'));
  for (const s of body(b, x)) b.exposeOutput(s);
  return b.finalize();
}

const outputs = (c: BuiltCircuit, w: readonly bigint[]) => w.slice(1, 1 + c.nPubOut).map(toSigned);

// ---------------------------------------------------------------------------------------------
// One-hot gather by a computed index.

const ONE_HOT_RANGES: OneHotRange[] = [
  { lo: 0, span: 1, frac: 0 },
  { lo: 2, span: 1, frac: 1 },
  { lo: 0, span: 2, frac: 0 },
  { lo: -3, span: 3, frac: 0 },
  { lo: -4, span: 7, frac: 2 },
  { lo: 0, span: 5, frac: 0 },
  { lo: 1, span: 8, frac: 0 },
  { lo: -2, span: 9, frac: 1 },
];

test('attack one-hot: every index has exactly its own indicator; out-of-range, fractional and wrapped indices have no witness', () => {
  for (const r of ONE_HOT_RANGES) {
    const data = Array.from({ length: r.span }, (_, p) => BigInt(10 * p - 7));
    const body = (b: R1csBuilder, [q, ...d]: Signal[]) => {
      const e = oneHot(b, q!, r);
      return [...e, selectOneHot(b, e, d, false)];
    };
    const c = build([BigInt(r.lo) << BigInt(r.frac), ...data], body);
    const scale = 1n << BigInt(r.frac);
    const candidates = new Set<bigint>();
    for (let v = r.lo * 4 - 8; v <= (r.lo + r.span) * 4 + 8; v++) candidates.add(BigInt(v));
    for (const v of [P - 1n, P - scale, (P - 1n) / 2n, (P + 1n) / 2n, 1n << 200n, fieldInv(2n), P - BigInt(r.span)])
      candidates.add(v);
    for (const q of candidates) {
      const ws = allWitnesses(c, inputsOf(c, [q, ...data]));
      const sq = toSigned(mod(q));
      const inRange = sq % scale === 0n && sq / scale >= BigInt(r.lo) && sq / scale < BigInt(r.lo + r.span);
      const what = `range ${JSON.stringify(r)}, q = ${q}`;
      if (!inRange) {
        assert.equal(ws.length, 0, `${what}: an out-of-range index has a witness ${ws[0] && outputs(c, ws[0])}`);
        continue;
      }
      assert.equal(ws.length, 1, `${what}: ${ws.length} witnesses`);
      const p = Number(sq / scale) - r.lo;
      const out = outputs(c, ws[0]!);
      assert.deepEqual(
        out.slice(0, r.span),
        Array.from({ length: r.span }, (_, k) => (k === p ? 1n : 0n)),
        `${what}: indicators`,
      );
      assert.equal(out[r.span], data[p], `${what}: selected`);
    }
  }
});

test('attack one-hot: shared candidates (a negative and a positive index to one element) select exactly that element', () => {
  // Gather over an axis of 3 with indices in [−3, 2]: p and p − 3 share a candidate signal.
  const r: OneHotRange = { lo: -3, span: 6, frac: 0 };
  const data = [5n, -9n, 4n];
  const body = (b: R1csBuilder, [q, ...d]: Signal[]) => {
    const e = oneHot(b, q!, r);
    return [
      selectOneHot(
        b,
        e,
        e.map((_, p) => d[(r.lo + p + 3) % 3]!),
        false,
      ),
    ];
  };
  const c = build([0n, ...data], body);
  for (let q = -6; q <= 5; q++) {
    const ws = allWitnesses(c, inputsOf(c, [BigInt(q), ...data]));
    if (q < -3 || q > 2) assert.equal(ws.length, 0, `q = ${q}`);
    else {
      assert.equal(ws.length, 1, `q = ${q}`);
      assert.deepEqual(outputs(c, ws[0]!), [data[(q + 3) % 3]], `q = ${q}`);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// TopK.

test('attack topk: every input of a grid has one witness, the ONNX order (ties to the lower index)', () => {
  for (const n of [2, 3, 4]) {
    const [lo, hi] = n === 4 ? [0, 2] : [-1, 2];
    const bits = topKBits(n, lo, hi);
    for (let k = 1; k <= n; k++)
      for (const largest of [true, false]) {
        const body = (b: R1csBuilder, x: Signal[]) => {
          const t = topK(b, x, { k, largest, bits });
          return [...t.values, ...t.indices];
        };
        const c = build(new Array(n).fill(BigInt(lo)), body);
        const total = (hi - lo + 1) ** n;
        for (let m = 0; m < total; m++) {
          const xs = Array.from({ length: n }, (_, i) =>
            BigInt(lo + (Math.floor(m / (hi - lo + 1) ** i) % (hi - lo + 1))),
          );
          const ws = allWitnesses(c, inputsOf(c, xs));
          const what = `n ${n} k ${k} largest ${largest} x ${xs}`;
          assert.equal(ws.length, 1, `${what}: ${ws.length} witnesses`);
          const want = topKValue(xs, k, largest);
          assert.deepEqual(outputs(c, ws[0]!), [...want.values, ...want.indices.map(BigInt)], what);
        }
      }
  }
});

// ---------------------------------------------------------------------------------------------
// Bitwise.

test("attack bitwise: one decomposition per operand pair, the two's complement result; out-of-width operands have none", () => {
  const w = 3;
  for (const op of ['and', 'or', 'xor'] as BitwiseOp[]) {
    const c = build([0n, 0n], (b, [x, y]) => [bitwise(b, x!, y!, op, w)]);
    const cc = build([0n], (b, [x]) => [bitwise(b, x!, -3n, op, w)]);
    for (let x = -6; x <= 5; x++)
      for (let y = -6; y <= 5; y++) {
        const inRange = (v: number) => v >= -4 && v < 4;
        const ws = allWitnesses(c, inputsOf(c, [BigInt(x), BigInt(y)]));
        if (!inRange(x) || !inRange(y)) {
          assert.equal(ws.length, 0, `${op} ${x},${y}: out of width but a witness`);
          continue;
        }
        assert.equal(ws.length, 1, `${op} ${x},${y}`);
        assert.deepEqual(outputs(c, ws[0]!), [bitwiseValue(BigInt(x), BigInt(y), op)], `${op} ${x},${y}`);
      }
    for (let x = -6; x <= 5; x++) {
      const ws = allWitnesses(cc, inputsOf(cc, [BigInt(x)]));
      if (x < -4 || x >= 4) assert.equal(ws.length, 0, `${op} const ${x}`);
      else
        assert.deepEqual(
          ws.map((v) => outputs(cc, v)),
          [[bitwiseValue(BigInt(x), -3n, op)]],
          `${op} const ${x}`,
        );
    }
    // Field-wrapped operands (x + p·k is the same field element, so only the field values p − 5 … matter).
    for (const x of [P - 5n, P - 4n, (P - 1n) / 2n, 1n << 3n]) {
      const ws = allWitnesses(c, inputsOf(c, [x, 1n]));
      const sx = toSigned(mod(x));
      if (sx >= -4n && sx < 4n)
        assert.deepEqual(
          ws.map((v) => outputs(c, v)),
          [[bitwiseValue(sx, 1n, op)]],
        );
      else assert.equal(ws.length, 0, `${op} wrapped ${x}`);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Tree ensemble.

const split = (f: number, op: 'le' | 'gt' | 'eq' | 'ne', t: number, yes: number, no: number): TreeNodeSpec => ({
  f,
  op,
  t,
  yes,
  no,
});
const leaf = (...votes: Array<[number, number]>): TreeNodeSpec => ({ leaf: votes });

/** Feature 0 has 7 thresholds (binary search), feature 1 two (direct comparators); every split kind. */
function treeSpec(lo: number, hi: number): TreeEnsembleSpec {
  const trees: TreeNodeSpec[][] = [
    [
      split(0, 'le', 3, 1, 2),
      split(0, 'gt', 0, 3, 4),
      split(0, 'eq', 6, 5, 6),
      leaf([0, 3]),
      split(1, 'le', 1, 7, 8),
      leaf([1, 5]),
      split(0, 'ne', 9, 9, 10),
      leaf([0, -2], [1, 1]),
      leaf([0, 11]),
      leaf([1, -7]),
      leaf([0, 13]),
    ],
    [
      split(0, 'gt', 11, 1, 2),
      leaf([0, 100]),
      split(1, 'eq', 2, 3, 4),
      leaf([1, 50]),
      split(0, 'le', 8, 5, 6),
      leaf(),
      leaf([0, -1]),
    ],
  ];
  const th = featureThresholds({ trees }, 2);
  const bits = th.map((ts) => (ts.length ? comparatorBits(lo - ts.at(-1)! - 1, hi - ts[0]! - 1) : 0));
  return { trees, base: [1, -1], bits };
}

test("attack tree ensemble: every input of the grid has one witness, the walk's leaves (path indicators 0/1)", () => {
  // Feature 0 has 7 thresholds and takes the binary search (cheaper than 7 comparators); feature 1 the direct ones.
  const s0 = treeSpec(-1, 13);
  const th = featureThresholds(s0, 2);
  assert.equal(th[0]!.length, 7);
  assert.ok(intervalIndexCost(7, s0.bits[0]!) < 7 * (s0.bits[0]! + 1));
  assert.equal(intervalIndexCost(th[1]!.length, s0.bits[1]!), th[1]!.length * (s0.bits[1]! + 1));
  const [lo, hi] = [-1, 13];
  const spec = treeSpec(lo, hi);
  const c = build([0n, 0n], (b, x) => treeEnsemble(b, x, spec));
  for (let x0 = lo; x0 <= hi; x0++)
    for (let x1 = 0; x1 <= 3; x1++) {
      const ws = allWitnesses(c, inputsOf(c, [BigInt(x0), BigInt(x1)]));
      assert.equal(ws.length, 1, `x = ${x0},${x1}: ${ws.length} witnesses`);
      assert.deepEqual(outputs(c, ws[0]!), treeEnsembleValue(spec, [x0, x1]).map(BigInt), `x = ${x0},${x1}`);
    }
});

// ---------------------------------------------------------------------------------------------
// Packed linear combinations: the float64 fast path against BigInt field arithmetic, and the r1cs bytes.

function lcReference(ts: ReadonlyArray<readonly [Map<number, bigint>, bigint]>, constant: bigint): Map<number, bigint> {
  const lc = new Map<number, bigint>();
  if (mod(constant) !== 0n) lc.set(0, mod(constant));
  for (const [m, k] of ts)
    for (const [w, c] of m) {
      const v = mod((lc.get(w) ?? 0n) + mod(k) * c);
      if (v === 0n) lc.delete(w);
      else lc.set(w, v);
    }
  return lc;
}

test('attack packed LC: random chained combinations near ±2^53, cancelling and field-sized, equal the BigInt reference and survive the r1cs file', () => {
  let seed = 0x2323;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  const S = 2n ** 53n;
  const tricky = [
    1n,
    -1n,
    2n,
    -2n,
    S - 1n,
    -(S - 1n),
    S,
    -S,
    S + 1n,
    S / 2n,
    -(S / 2n) - 1n,
    3n,
    (S - 1n) / 3n,
    P - 1n,
    (P - 1n) / 2n,
    fieldInv(2n),
    fieldInv(1n << 52n),
    1n << 100n,
    0n,
  ];
  const b = new R1csBuilder();
  const sigs: Signal[] = Array.from({ length: 5 }, (_, i) => b.input(BigInt(i + 3), 'private'));
  const refs = new Map<Signal, Map<number, bigint>>();
  for (const s of sigs) refs.set(s, new Map([...s.lc]));
  for (let it = 0; it < 600; it++) {
    const n = 1 + (rnd() % 4);
    const ts: Array<[Signal, bigint]> = [];
    for (let j = 0; j < n; j++) ts.push([sigs[rnd() % sigs.length]!, tricky[rnd() % tricky.length]!]);
    // Sometimes exact cancellation of a previous pair.
    if (rnd() % 5 === 0) ts.push([ts[0]![0], -ts[0]![1]]);
    const constant = rnd() % 3 === 0 ? tricky[rnd() % tricky.length]! : 0n;
    const s = b.linear(ts, constant);
    const want = lcReference(
      ts.map(([x, k]) => [refs.get(x)!, k] as const),
      constant,
    );
    assert.deepEqual(new Map([...s.lc]), want, `iteration ${it}`);
    let value = constant;
    for (const [x, k] of ts) value += k * x.value;
    assert.equal(mod(s.value), mod(value));
    refs.set(s, want);
    sigs.push(s);
    if (sigs.length > 40) sigs.splice(5, 1);
    // Constrain some combinations so they reach the file.
    if (it % 7 === 0) b.assertEqual(s, b.wire(s.value));
  }
  const c = b.finalize();
  assert.equal(findViolatedConstraint(c.constraints, c.witness), -1);
  const f = decodeR1cs(encodeR1cs(c));
  assert.equal(f.constraints.length, c.constraints.length);
  f.constraints.forEach((k, i) => {
    for (const key of ['a', 'b', 'c'] as const)
      assert.deepEqual(new Map([...k[key]]), new Map([...c.constraints[i]![key]]), `constraint ${i}.${key}`);
  });
  assert.equal(findViolatedConstraint(f.constraints, c.witness), -1);
  // A witness off by one anywhere the file's constraints read is caught by them as by the builder's.
  const bad = c.witness.slice();
  const last = c.nWires - 1;
  bad[last] = mod(bad[last]! + 1n);
  assert.notEqual(findViolatedConstraint(f.constraints, bad), -1);
});

test('attack packed LC: a combination at exactly ±(2^53 − 1) and one past it round-trip through the file byte-exact', () => {
  const b = new R1csBuilder();
  const x = b.input(1n, 'private');
  const y = b.input(1n, 'private');
  const S = 2n ** 53n;
  for (const [k1, k2] of [
    [S - 1n, 0n],
    [-(S - 1n), 0n],
    [S - 2n, 1n],
    [S - 1n, 1n], // the sum passes 2^53 through the same wire: the fast path must fall back
    [-(S - 1n), -1n],
  ] as Array<[bigint, bigint]>) {
    const s = b.linear([
      [x, k1],
      [x, k2],
      [y, 1n],
    ]);
    const m = new Map([...s.lc]);
    assert.equal(m.get(1), mod(k1 + k2), `${k1} + ${k2}`);
    b.assertEqual(s, b.wire(s.value));
  }
  const c = b.finalize();
  const f = decodeR1cs(encodeR1cs(c));
  f.constraints.forEach((k, i) =>
    assert.deepEqual(new Map([...k.a]), new Map([...c.constraints[i]!.a]), `constraint ${i}`),
  );
  assert.ok(c.constraints.every((k) => k.a instanceof PackedLc));
});

// ---------------------------------------------------------------------------------------------
// The solver itself finds forgeries: with any one constraint of a gadget dropped, some input has
// a second witness, a witness where there must be none, or a free wire.

function weakened(c: BuiltCircuit, i: number): BuiltCircuit {
  const constraints = c.constraints.filter((_, j) => j !== i);
  return { ...c, constraints, nConstraints: constraints.length };
}

test('attack self-check: dropping any constraint of the one-hot, topk, bitwise and tree gadgets is caught by the solver', () => {
  const cases: Array<{
    what: string;
    c: BuiltCircuit;
    inputs: bigint[][];
    want: (x: bigint[]) => bigint[] | undefined;
  }> = [];
  const r: OneHotRange = { lo: -1, span: 5, frac: 1 };
  cases.push({
    what: 'one-hot',
    c: build([0n], (b, [q]) => oneHot(b, q!, r)),
    inputs: Array.from({ length: 18 }, (_, v) => [BigInt(v - 5)]),
    want: ([q]) => {
      const p = Number(q!) / 2 - r.lo;
      return Number.isInteger(p) && p >= 0 && p < r.span
        ? Array.from({ length: r.span }, (_, k) => (k === p ? 1n : 0n))
        : undefined;
    },
  });
  const bits = topKBits(3, 0, 2);
  const grid3 = Array.from({ length: 27 }, (_, m) => [
    BigInt(m % 3),
    BigInt(Math.floor(m / 3) % 3),
    BigInt(Math.floor(m / 9)),
  ]);
  cases.push({
    what: 'topk',
    c: build([0n, 0n, 0n], (b, x) => {
      const t = topK(b, x, { k: 2, largest: true, bits });
      return [...t.values, ...t.indices];
    }),
    inputs: grid3,
    want: (x) => {
      const t = topKValue(x, 2, true);
      return [...t.values, ...t.indices.map(BigInt)];
    },
  });
  cases.push({
    what: 'bitwise',
    c: build([0n, 0n], (b, [x, y]) => [bitwise(b, x!, y!, 'xor', 3)]),
    inputs: Array.from({ length: 64 }, (_, m) => [BigInt((m % 8) - 4), BigInt(Math.floor(m / 8) - 4)]),
    want: ([x, y]) => [x! ^ y!],
  });
  // Thresholds 2 apart: a non-boolean search bit then shifts the next level's threshold by an integer,
  // so dropping a bit's booleanity is a forgery here (with odd gaps the next comparator absorbs it).
  const even: TreeNodeSpec[] = [
    split(0, 'le', 6, 1, 2),
    split(0, 'le', 2, 3, 4),
    split(0, 'le', 10, 5, 6),
    split(0, 'le', 0, 7, 8),
    split(0, 'gt', 4, 9, 10),
    split(0, 'le', 8, 11, 12),
    split(0, 'le', 12, 13, 14),
    leaf([0, 1]),
    leaf([0, 2]),
    leaf([0, 4]),
    leaf([1, 8]),
    leaf([0, 16]),
    leaf([1, 32]),
    leaf([0, 64]),
    leaf([1, 128]),
  ];
  const th = featureThresholds({ trees: [even] }, 2);
  const spec: TreeEnsembleSpec = {
    trees: [even, ...treeSpec(-1, 13).trees],
    base: [0, 0],
    bits: [comparatorBits(-1 - th[0]!.at(-1)! - 1, 13 - th[0]![0]! - 1), treeSpec(-1, 13).bits[1]!],
  };
  cases.push({
    what: 'trees',
    c: build([0n, 0n], (b, x) => treeEnsemble(b, x, spec)),
    inputs: Array.from({ length: 15 * 4 }, (_, m) => [BigInt((m % 15) - 1), BigInt(Math.floor(m / 15))]),
    want: (x) => treeEnsembleValue(spec, x.map(Number)).map(BigInt),
  });
  const uncaught: string[] = [];
  for (const { what, c, inputs, want } of cases) {
    for (let i = 0; i < c.constraints.length; i++) {
      const weak = weakened(c, i);
      let caught = false;
      for (const x of inputs) {
        let ws: bigint[][];
        try {
          ws = allWitnesses(weak, inputsOf(weak, x), 2);
        } catch (e) {
          if (e instanceof Free) {
            caught = true;
            break;
          }
          throw e;
        }
        const w = want(x);
        if (w === undefined ? ws.length > 0 : ws.length !== 1 || ws.some((v) => outputs(weak, v).join() !== w.join())) {
          caught = true;
          break;
        }
      }
      // A search bit's booleanity can be absorbed by the next level's comparator (whose operand then
      // must stay in range) at some threshold spacings: then no forgery exists on the grid, which is fine.
      const k = c.constraints[i]!;
      const [a] = [...k.a];
      const isBool = k.a.size === 1 && k.c.size === 0 && a![1] === 1n && k.b.get(a![0]) === 1n && k.b.get(0) === P - 1n;
      if (!caught && !(what === 'trees' && isBool)) uncaught.push(`${what}#${i}`);
    }
  }
  assert.deepEqual(uncaught, []);
});

// ---------------------------------------------------------------------------------------------
// Hostile models and inputs on the new paths: exit 2 with one line naming the problem, no stack.

function assertOneLineExit2(r: { code: number | null; stderr: string }, pattern: RegExp, what: string): void {
  assert.equal(r.code, 2, `${what}: exit ${r.code}\n${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `${what}: one line, got\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at |Error: .*\n/, `${what}: no stack trace`);
  assert.match(r.stderr, pattern, what);
}

test('attack CLI: an index that can leave its axis, an unsupported tree transform, and a proven index past its range are exit-2 one-liners', () => {
  const T = mkdtempSync(join(tmpdir(), 'zkinfer-i23-attacks-'));
  try {
    const model = (name: string, nodes: NodeSpec[], extra: Partial<Parameters<typeof modelBytes>[0]> = {}) => {
      const path = join(T, name);
      writeFileSync(
        path,
        modelBytes({
          input: { name: 'x', dims: [1, 3] },
          output: { name: 'y', dims: [1] },
          nodes,
          opset: 18,
          ...extra,
        }),
      );
      return path;
    };
    const gatherBy = () => [
      { op: 'ArgMax', inputs: ['x'], outputs: ['a'], attrs: { axis: { int: 1 }, keepdims: { int: 0 } } },
      { op: 'Add', inputs: ['a', 'off'], outputs: ['i'] },
      { op: 'Gather', inputs: ['data', 'i'], outputs: ['y'], attrs: { axis: { int: 0 } } },
    ];
    const inits = (offset: number) => ({
      initializers: {
        off: { dims: [1], data: [offset], int64: true },
        data: { dims: [3], data: [0.25, -0.5, 0.75] },
      },
    });
    const cal = join(T, 'cal.json');
    writeFileSync(
      cal,
      JSON.stringify({
        inputs: [
          [0.9, 0.1, 0.2],
          [0.1, 0.9, 0.2],
          [0.3, 0.2, 0.1],
        ],
      }),
    );
    // Indices 5..7 on an axis of 3: never valid, refused at quantize.
    const never = model('never.onnx', gatherBy(), inits(5));
    assertOneLineExit2(
      zkinfer(['quantize', never, '--calibration', cal, '--out', join(T, 'q1')]),
      /(outside an axis|out of range for an axis) of 3/,
      'gather past the axis',
    );

    // A tree ensemble with an unsupported post_transform.
    const probit = model(
      'probit.onnx',
      [
        {
          op: 'TreeEnsembleRegressor',
          domain: 'ai.onnx.ml',
          inputs: ['x'],
          outputs: ['y'],
          attrs: {
            nodes_treeids: { ints: [0, 0, 0] },
            nodes_nodeids: { ints: [0, 1, 2] },
            nodes_featureids: { ints: [0, 0, 0] },
            nodes_values: { floats: [0.5, 0, 0] },
            nodes_modes: { strs: ['BRANCH_LEQ', 'LEAF', 'LEAF'] },
            nodes_truenodeids: { ints: [1, 0, 0] },
            nodes_falsenodeids: { ints: [2, 0, 0] },
            target_treeids: { ints: [0, 0] },
            target_nodeids: { ints: [1, 2] },
            target_ids: { ints: [0, 0] },
            target_weights: { floats: [1, 2] },
            n_targets: { int: 1 },
            post_transform: { str: 'PROBIT' },
          },
        },
      ],
      { output: { name: 'y', dims: [1, 1] } },
    );
    assertOneLineExit2(
      zkinfer(['quantize', probit, '--calibration', cal, '--out', join(T, 'q2')]),
      /PROBIT/,
      'tree PROBIT',
    );

    // Indices 1..3 on an axis of 3: proven over [1, 2]; an input whose argmax is 2 asks for index 3.
    const edge = model('edge.onnx', gatherBy(), inits(1));
    const input = join(T, 'last.json');
    writeFileSync(input, JSON.stringify({ x: [0.1, 0.2, 0.9] }));
    const r = zkinfer(['run', edge, '--input', input, '--calibration', cal, '--out', join(T, 'b3')]);
    assertOneLineExit2(
      r,
      /index 3 is (outside its range \[1, 2\]|out of range for an axis of 3)/,
      'gather index past its proven range',
    );
  } finally {
    rmSync(T, { recursive: true, force: true });
  }
});
