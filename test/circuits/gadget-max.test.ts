import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BuiltCircuit, findViolatedConstraint } from '../../circuits/builder.js';
import { FIELD_PRIME } from '../../circuits/field.js';
import { WitnessRangeError } from '../../circuits/range-check.js';
import { clamp, comparatorBits, max2, max2Cost, min2, poolMax, windowMax } from '../../circuits/max.js';
import { leakyRelu, leakyReluCost, leakyReluValue } from '../../circuits/leaky-relu.js';
import { prng } from '../helpers/onnx-fixtures.js';
import { exposedCircuit } from '../helpers/soundness-helpers.js';

/** Every wire except the constant and the inputs must be pinned: changing it breaks a constraint. */
function assertEveryNonInputWirePinned(c: BuiltCircuit, what: string): void {
  assert.equal(findViolatedConstraint(c.constraints, c.witness), -1, `${what}: honest witness satisfies`);
  const firstInput = 1 + c.nPubOut;
  const firstInternal = firstInput + c.nPubIn + c.nPrvIn;
  for (let i = 1; i < c.nWires; i++) {
    if (i >= firstInput && i < firstInternal) continue;
    const w = c.witness.slice();
    w[i] = (w[i]! + 1n) % FIELD_PRIME;
    assert.notEqual(findViolatedConstraint(c.constraints, w), -1, `${what}: wire ${i} of ${c.nWires} is not pinned`);
  }
}

test('comparatorBits: smallest signed width holding [lo, hi]', () => {
  assert.equal(comparatorBits(0, 0), 1);
  assert.equal(comparatorBits(-1, 0), 1);
  assert.equal(comparatorBits(-1, 1), 2);
  assert.equal(comparatorBits(-128, 127), 8);
  assert.equal(comparatorBits(-129, 127), 9);
  assert.equal(comparatorBits(0, 128), 9);
});

test('max2 / min2: exact on every pair in a small range, bits + 1 constraints, every wire pinned', () => {
  const bits = comparatorBits(-7 - 7, 7 + 7);
  for (let a = -7n; a <= 7n; a++) {
    for (let c = -7n; c <= 7n; c += 3n) {
      const mx = exposedCircuit([a, c], (b, [x, y]) => [max2(b, x!, y!, bits)]);
      assert.deepEqual(mx.out, [a > c ? a : c]);
      assert.equal(mx.cost, max2Cost(bits));
      assert.equal(mx.c.nConstraints, max2Cost(bits) + 1);
      assertEveryNonInputWirePinned(mx.c, `max(${a}, ${c})`);
      const mn = exposedCircuit([a, c], (b, [x, y]) => [min2(b, x!, y!, bits)]);
      assert.deepEqual(mn.out, [a < c ? a : c]);
      assertEveryNonInputWirePinned(mn.c, `min(${a}, ${c})`);
    }
  }
});

test('max2 refuses a difference outside its declared width', () => {
  assert.throws(() => exposedCircuit([100n, -100n], (b, [x, y]) => [max2(b, x!, y!, 8)]), WitnessRangeError);
});

test('windowMax and poolMax: fold of comparisons, pinned, equal to Math.max', () => {
  const rnd = prng(5);
  const xs = Array.from({ length: 9 }, () => BigInt(Math.floor(rnd() * 2000) - 1000));
  const bits = new Array(8).fill(comparatorBits(-2000, 2000));
  const w = exposedCircuit(xs, (b, x) => [windowMax(b, x, bits)]);
  assert.deepEqual(w.out, [xs.reduce((a, b) => (a > b ? a : b))]);
  assert.equal(w.cost, 8 * max2Cost(bits[0]));
  assertEveryNonInputWirePinned(w.c, 'window of 9');
  // Two overlapping windows of 3 and 2 over 4 inputs.
  const p = exposedCircuit(xs.slice(0, 4), (b, x) => poolMax(b, x, [0, 3, 5], [0, 1, 2, 2, 3], new Array(3).fill(12)));
  const m = (...v: bigint[]) => v.reduce((a, b) => (a > b ? a : b));
  assert.deepEqual(p.out, [m(xs[0]!, xs[1]!, xs[2]!), m(xs[2]!, xs[3]!)]);
  assertEveryNonInputWirePinned(p.c, 'poolMax');
  assert.throws(
    () => exposedCircuit(xs.slice(0, 4), (b, x) => poolMax(b, x, [0, 3], [0, 1, 2], [12])),
    /needs 2 comparator widths/,
  );
});

test('clamp: both bounds, one bound, and min > max (all outputs = max)', () => {
  for (const [lo, hi] of [
    [-3n, 5n],
    [null, 5n],
    [-3n, null],
    [4n, 1n],
  ] as const) {
    for (let v = -8n; v <= 8n; v++) {
      const r = exposedCircuit([v], (b, [x]) => [clamp(b, x!, lo, hi, 6, 6)]);
      const a = lo !== null && v < lo ? lo : v;
      assert.deepEqual(r.out, [hi !== null && a > hi ? hi : a], `clamp(${v}, ${lo}, ${hi})`);
      assert.equal(r.cost, (lo !== null ? max2Cost(6) : 0) + (hi !== null ? max2Cost(6) : 0));
      if (v % 4n === 0n) assertEveryNonInputWirePinned(r.c, `clamp(${v}, ${lo}, ${hi})`);
    }
  }
});

test('leakyRelu: x·2^k for x ≥ 0, a·x below, n + 2 constraints, every wire pinned', () => {
  const p = { shift: 7, alpha: 13n, signBits: 9 };
  for (const v of [-256n, -255n, -1n, 0n, 1n, 100n, 255n]) {
    const r = exposedCircuit([v], (b, [x]) => [leakyRelu(b, x!, p)]);
    assert.deepEqual(r.out, [leakyReluValue(v, p)]);
    assert.equal(r.out[0], v >= 0n ? v * 128n : 13n * v);
    assert.equal(r.cost, leakyReluCost(p));
    assertEveryNonInputWirePinned(r.c, `leakyRelu(${v})`);
  }
  assert.throws(() => exposedCircuit([256n], (b, [x]) => [leakyRelu(b, x!, p)]), WitnessRangeError);
});
