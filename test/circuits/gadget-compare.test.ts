import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BuiltCircuit, findViolatedConstraint, R1csBuilder, Signal } from '../../circuits/builder.js';
import { toSigned } from '../../circuits/field.js';
import { Comparison, compare, compareCost, compareValue, select } from '../../circuits/compare.js';
import { divConst, divConstCost, divConstLayout, floorDiv, truncDiv } from '../../circuits/div-const.js';
import { comparatorBits } from '../../circuits/max.js';
import { WitnessRangeError } from '../../circuits/range-check.js';
import { assertEveryNonInputWirePinned } from '../helpers/soundness-helpers.js';

/** A circuit over private inputs `xs`; outputs exposed first. */
function circuit(
  xs: readonly bigint[],
  body: (b: R1csBuilder, x: Signal[]) => Signal[],
): { c: BuiltCircuit; out: bigint[]; cost: number } {
  const b = new R1csBuilder();
  const x = xs.map((v) => b.input(v, 'private'));
  const y = body(b, x);
  const cost = b.nConstraints;
  for (const s of y) b.exposeOutput(s);
  const c = b.finalize();
  return { c, out: c.witness.slice(1, 1 + y.length).map(toSigned), cost };
}

const OPS: Comparison[] = ['eq', 'lt', 'le', 'gt', 'ge'];

test('compare: exact on every pair of [−6, 6], cost as declared, every wire pinned', () => {
  const bits = comparatorBits(-13, 12);
  for (const op of OPS) {
    for (let a = -6n; a <= 6n; a++) {
      for (let c = -6n; c <= 6n; c++) {
        const r = circuit([a, c], (b, [x, y]) => [compare(b, x!, y!, op, bits)]);
        assert.deepEqual(r.out, [compareValue(a, c, op)], `${a} ${op} ${c}`);
        assert.equal(r.cost, compareCost(op, bits));
        if ((a + c) % 3n === 0n) assertEveryNonInputWirePinned(r.c, `${a} ${op} ${c}`);
      }
    }
  }
});

test('compare: the whole sign decomposition of a different difference is rejected', () => {
  const bits = comparatorBits(-13, 12);
  for (const op of ['lt', 'ge', 'gt'] as const) {
    const honest = (a: bigint, c: bigint) => circuit([a, c], (b, [x, y]) => [compare(b, x!, y!, op, bits)]).c;
    const c0 = honest(2n, -3n);
    for (const [a, c] of [
      [-3n, 2n],
      [0n, 0n],
      [5n, 6n],
      [-6n, 6n],
    ] as const) {
      const w = honest(a, c).witness.slice();
      // Keep the inputs of (2, −3), take every other wire from (a, c).
      w.splice(1 + c0.nPubOut, 2, c0.witness[1 + c0.nPubOut]!, c0.witness[2 + c0.nPubOut]!);
      assert.notEqual(
        findViolatedConstraint(c0.constraints, w),
        -1,
        `${op}: 2 vs −3 accepted the witness of ${a} vs ${c}`,
      );
    }
  }
});

test('select: cond ? x : y in one constraint, pinned; a non-boolean cond is the caller’s to exclude', () => {
  for (const cond of [0n, 1n]) {
    const r = circuit([cond, 7n, -4n], (b, [s, x, y]) => [select(b, s!, x!, y!)]);
    assert.deepEqual(r.out, [cond ? 7n : -4n]);
    assert.equal(r.cost, 1);
    assertEveryNonInputWirePinned(r.c, `select ${cond}`);
  }
});

test('divConst: floor(x / d) for every x of [−40, 40] and d ∈ {2, 3, 5, 7, 8, 100}, cost as declared, every wire pinned', () => {
  for (const d of [2n, 3n, 5n, 7n, 8n, 100n]) {
    const p = { divisor: d, ...divConstLayout(-40n, 40n, d) };
    assert.equal(p.offset % d, 0n);
    for (let x = -40n; x <= 40n; x++) {
      const r = circuit([x], (b, [s]) => [divConst(b, s!, p)]);
      assert.deepEqual(r.out, [floorDiv(x, d)], `${x} / ${d}`);
      assert.equal(r.cost, divConstCost(p));
      if (x % 9n === 0n) assertEveryNonInputWirePinned(r.c, `${x} / ${d}`);
    }
  }
});

test('divConst with trunc: x / d toward zero for every x of [−40, 40], d ∈ {3, 4, 7}, every wire pinned', () => {
  for (const d of [3n, 4n, 7n]) {
    const p = { divisor: d, ...divConstLayout(-40n, 40n, d), trunc: true, signBits: comparatorBits(-40, 40) };
    for (let x = -40n; x <= 40n; x++) {
      const r = circuit([x], (b, [s]) => [divConst(b, s!, p)]);
      assert.deepEqual(r.out, [truncDiv(x, d)], `${x} / ${d}`);
      assert.equal(r.out[0], BigInt(Math.trunc(Number(x) / Number(d))));
      assert.equal(r.cost, divConstCost(p));
      if (x % 7n === 0n || x === -1n) assertEveryNonInputWirePinned(r.c, `${x} / ${d} toward zero`);
    }
  }
});

test('divConst: the whole witness of another numerator (bits and every quotient-bit decomposition) is rejected', () => {
  const d = 7n;
  const p = { divisor: d, ...divConstLayout(-50n, 50n, d) };
  const honest = (x: bigint) => circuit([x], (b, [s]) => [divConst(b, s!, p)]).c;
  for (const x of [-50n, -1n, 0n, 23n, 50n]) {
    const c = honest(x);
    const inputWire = 1 + c.nPubOut;
    for (let y = -50n; y <= 50n; y++) {
      if (y === x) continue;
      const w = honest(y).witness.slice();
      w[inputWire] = c.witness[inputWire]!;
      assert.notEqual(findViolatedConstraint(c.constraints, w), -1, `${x} accepted the witness of ${y}`);
    }
  }
});

test('divConst refuses a numerator outside its declared width, and a bad offset', () => {
  assert.throws(
    () => circuit([100n], (b, [s]) => [divConst(b, s!, { divisor: 3n, offset: 0n, numeratorBits: 4 })]),
    WitnessRangeError,
  );
  assert.throws(
    () => circuit([1n], (b, [s]) => [divConst(b, s!, { divisor: 3n, offset: 1n, numeratorBits: 4 })]),
    /not a multiple/,
  );
});
