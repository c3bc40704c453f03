/**
 * The range-checking gadgets on LogUp lookups (BuilderOptions.lookup): packing, the input and
 * weight commitments, argmax, top-k, LeakyRelu and tree ensembles. Values equal the integer
 * semantics, the completed witness satisfies, every non-input wire is pinned, the determinism
 * checker forces every wire, each cost function equals what the gadget emits, and a value pushed
 * out of its range (a packed slot carrying into the next) is caught by the argument alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldMod } from '../../circuits/field.js';
import { packCost, packSignals, packValues } from '../../circuits/pack.js';
import { commitmentCost, commitSignals, commitValues } from '../../circuits/commitment.js';
import { commitWeightSignals, commitWeightValues, weightCommitmentCost } from '../../circuits/weight-commitment.js';
import { argmax, argmaxBits, argmaxCost } from '../../circuits/argmax.js';
import { topK, topKBits, topKCost, topKValue } from '../../circuits/top-k.js';
import { leakyRelu, leakyReluCost, leakyReluValue } from '../../circuits/leaky-relu.js';
import { comparatorBits } from '../../circuits/max.js';
import {
  featureThresholds,
  TreeEnsembleSpec,
  treeEnsemble,
  treeEnsembleCost,
  treeEnsembleValue,
} from '../../circuits/tree-ensemble.js';
import { assertLookupGadgetSound, assertOnlyBalanceCatches, cheat, lookupGadget } from '../helpers/lookup-gadgets.js';

const K = { limbBits: 4 };

test('pack with lookups: exact elements, cost n·rangeCheckCost, sound; a carry into the next slot is caught', () => {
  const opts = { bits: 6, offset: 32n };
  const xs = [-32n, 31n, 0n, -1n, 7n];
  const g = lookupGadget(xs, (b, x) => packSignals(b, x, opts), 4);
  assert.deepEqual(
    g.result.map((s) => s.value),
    packValues(xs, opts),
  );
  assert.equal(g.emitted, packCost(xs.length, 6, {}, K));
  assert.equal(packCost(5, 6, {}, K), 5 * 3, '6 bits by 4-bit limbs: a full limb and a 2-bit limb looked up twice');
  assert.equal(packCost(5, 6), 30, 'without lookups: unchanged');
  assertLookupGadgetSound(g, 'pack');
  // [a + 2^6, b − 1] packs like [a, b]: the cheater moves 2^6 into value 0's low limb (so u_0 no
  // longer fits its slot), which only the range table's balance can notice.
  const first = 1 + g.circuit.nPubIn + g.circuit.nPrvIn; // value 0's low limb (its top limb is a combination)
  const w = cheat(g.circuit, (w) => (w[first] = fieldMod(w[first]! + 64n)));
  assertOnlyBalanceCatches(g.circuit, w, 'pack (carry)');
});

test('input commitment with lookups: the same hash as off-circuit, cost exact, sound, no bits', async () => {
  const xs = [3n, -8n, 7n, 0n];
  const opts = { bits: 4, offset: 8n };
  const g = lookupGadget(
    xs,
    (b, x) => commitSignals(b, x, opts),
    4,
    (c) => [c.hash],
  );
  assert.equal(g.out.length, 1);
  assert.equal(fieldMod(g.out[0]!), await commitValues(xs, opts));
  assert.equal(g.emitted, commitmentCost(xs.length, 4, false, K));
  assert.equal(g.result.bits, undefined);
  assert.deepEqual(
    g.result.values.map((s) => s.value),
    xs,
  );
  assertLookupGadgetSound(g, 'commitment');
  assert.ok(commitmentCost(784, 8, false, { limbBits: 8 }) < commitmentCost(784, 8) - 5000);
});

test('weight commitment with lookups: the same W as off-circuit, cost exact, sound', async () => {
  const segs = [
    { bits: 8, values: [-128n, 127n, 5n] },
    { bits: 5, values: [-16n, 15n] },
  ];
  const flat = segs.flatMap((s) => s.values);
  const g = lookupGadget(
    [...flat, 77n],
    (b, x) => {
      let at = 0;
      const signals = segs.map((s) => ({ bits: s.bits, signals: x.slice(at, (at += s.values.length)) }));
      return commitWeightSignals(b, signals, x[flat.length]!);
    },
    4,
    (w) => [w],
  );
  assert.equal(fieldMod(g.out[0]!), await commitWeightValues(segs, 77n));
  const cost = weightCommitmentCost(
    segs.map((s) => ({ bits: s.bits, count: s.values.length })),
    K,
  );
  assert.equal(g.emitted, cost.total);
  assert.equal(cost.rangeChecks, 3 * 2 + 2 * 2, '8 bits: two full limbs; 5 bits: a full limb and a boolean');
  assertLookupGadgetSound(g, 'weight commitment');
});

test('argmax with lookups: first maximum, cost exact, sound', () => {
  const bits = argmaxBits(-100, 100);
  for (const xs of [
    [3n, 9n, 9n, -100n],
    [100n, -100n, 0n, 100n],
  ]) {
    const g = lookupGadget(
      xs,
      (b, x) => argmax(b, x, bits),
      4,
      (r) => [r.index, r.max],
    );
    const max = xs.reduce((m, v) => (v > m ? v : m));
    assert.deepEqual(g.out, [BigInt(xs.indexOf(max)), max]);
    assert.equal(g.emitted, argmaxCost(xs.length, bits, K));
    assertLookupGadgetSound(g, `argmax ${xs}`);
  }
  assert.ok(argmaxCost(10, bits, { limbBits: 8 }) < argmaxCost(10, bits));
});

test('topK with lookups: ONNX order, cost exact, sound', () => {
  const xs = [1n, 5n, -3n, 5n, 2n];
  for (const largest of [true, false]) {
    const bits = topKBits(xs.length, -9, 9);
    const g = lookupGadget(
      xs,
      (b, x) => topK(b, x, { k: 2, largest, bits }),
      4,
      (t) => [...t.values, ...t.indices],
    );
    const want = topKValue(xs, 2, largest);
    assert.deepEqual(g.out, [...want.values, ...want.indices.map(BigInt)]);
    assert.equal(g.emitted, topKCost(xs.length, 2, bits, K));
    assertLookupGadgetSound(g, `topK largest=${largest}`);
  }
});

test('leakyRelu with lookups: both signs, cost exact, sound', () => {
  const p = { shift: 7, alpha: 13n, signBits: 9 };
  for (const v of [-256n, -1n, 0n, 255n]) {
    const g = lookupGadget(
      [v],
      (b, [x]) => leakyRelu(b, x!, p),
      4,
      (y) => [y],
    );
    assert.deepEqual(g.out, [leakyReluValue(v, p)]);
    assert.equal(g.emitted, leakyReluCost(p, K));
    assertLookupGadgetSound(g, `leakyRelu(${v})`);
  }
});

test('tree ensemble with lookups: equals its integer semantics, cost exact, sound', () => {
  const split = (f: number, op: 'le' | 'gt' | 'eq' | 'ne', t: number, yes: number, no: number) => ({
    f,
    op,
    t,
    yes,
    no,
  });
  const trees = [
    [
      split(0, 'le', 2, 1, 2),
      split(1, 'gt', -3, 3, 4),
      split(0, 'eq', 5, 5, 6),
      { leaf: [[0, 7]] as [number, number][] },
    ],
    [split(1, 'ne', 0, 1, 2), { leaf: [[1, 9]] as [number, number][] }, split(0, 'le', -5, 3, 4)],
  ].map((t) =>
    t.length === 4
      ? [...t, { leaf: [[1, -4]] as [number, number][] }, { leaf: [] }, { leaf: [[0, 1]] as [number, number][] }]
      : [...t, { leaf: [[0, -2]] as [number, number][] }, { leaf: [[1, 1]] as [number, number][] }],
  );
  const th = featureThresholds({ trees }, 2);
  const bits = th.map((t) => comparatorBits(-8 - t[t.length - 1]! - 1, 8 - t[0]! - 1));
  const spec: TreeEnsembleSpec = { trees, base: [10, -20], bits };
  for (const xs of [
    [2, -3],
    [5, 0],
    [-8, 8],
  ]) {
    const g = lookupGadget(
      xs.map(BigInt),
      (b, x) => treeEnsemble(b, x, spec),
      4,
      (y) => y,
    );
    assert.deepEqual(g.out, treeEnsembleValue(spec, xs).map(BigInt), `${xs}`);
    assert.equal(g.emitted, treeEnsembleCost(spec, K));
    assertLookupGadgetSound(g, `trees ${xs}`);
  }
});
