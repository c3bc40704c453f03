/**
 * The tree-ensemble gadget (circuits/tree-ensemble.ts): equals its integer semantics on every
 * input of a small grid with every split kind, costs what treeEnsembleCost says, every wire is
 * forced by the determinism checker and every constraint is needed, and another input's
 * wires (a whole other binary search and walk) fail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { comparatorBits } from '../../circuits/max.js';
import { WitnessRangeError } from '../../circuits/range-check.js';
import {
  featureThresholds,
  perSplitComparatorCost,
  treeEnsemble,
  treeEnsembleCost,
  treeEnsembleValue,
  TreeEnsembleSpec,
  TreeNodeSpec,
} from '../../circuits/tree-ensemble.js';
import {
  assertEveryConstraintNeeded,
  assertFullyConstrained,
  assertMultiWireTamperFails,
  exposedCircuit,
  gadgetCircuit,
  spliceWitness,
} from '../helpers/soundness-helpers.js';

const LO = -8;
const HI = 8;
const split = (f: number, op: 'le' | 'gt' | 'eq' | 'ne', t: number, yes: number, no: number): TreeNodeSpec => ({
  f,
  op,
  t,
  yes,
  no,
});
const leaf = (...votes: Array<[number, number]>): TreeNodeSpec => ({ leaf: votes });

/** Two outputs, three features (feature 2 unused), every split kind, a leaf without votes. */
function spec(): TreeEnsembleSpec {
  const trees: TreeNodeSpec[][] = [
    [
      split(0, 'le', 2, 1, 2),
      split(1, 'gt', -3, 3, 4),
      split(0, 'eq', 5, 5, 6),
      leaf([0, 7]),
      leaf([1, -4]),
      leaf(),
      leaf([0, 1], [1, 2]),
    ],
    [
      split(1, 'ne', 0, 1, 2),
      split(0, 'le', -5, 3, 4),
      leaf([1, 9]),
      leaf([0, -2]),
      split(1, 'le', 6, 5, 6),
      leaf([0, 3]),
      leaf([1, 1]),
    ],
    [leaf([0, 100])],
  ];
  const th = featureThresholds({ trees }, 3);
  const bits = th.map((t) => (t.length ? comparatorBits(LO - t[t.length - 1]! - 1, HI - t[0]! - 1) : 0));
  return { trees, base: [10, -20], bits };
}

const inputs = (): bigint[][] => {
  const xs: bigint[][] = [];
  for (let a = LO; a <= HI; a += 1) for (const c of [-8, -3, -2, 0, 1, 6, 7, 8]) xs.push([BigInt(a), BigInt(c), 0n]);
  return xs;
};

test('treeEnsemble equals treeEnsembleValue on a grid of inputs with every split kind, at the stated cost', () => {
  const s = spec();
  for (const x of inputs()) {
    const { out, cost } = exposedCircuit(x, (b, xs) => treeEnsemble(b, xs, s));
    assert.deepEqual(out, treeEnsembleValue(s, x.map(Number)).map(BigInt), `x = ${x}`);
    assert.equal(cost, treeEnsembleCost(s));
  }
});

test("treeEnsemble: every wire forced, every constraint needed, other inputs' wires fail", () => {
  const s = spec();
  const xs = [
    [-8n, -8n, 0n],
    [2n, -3n, 0n],
    [3n, 0n, 0n],
    [5n, 7n, 0n],
    [8n, 8n, 0n],
    [-5n, 6n, 0n],
  ];
  const circuits = xs.map((x) => gadgetCircuit(x, (b, v) => treeEnsemble(b, v, s)).circuit);
  for (const c of circuits) assertFullyConstrained(c, 'treeEnsemble');
  assertEveryConstraintNeeded(circuits, 'treeEnsemble');
  for (let i = 0; i < circuits.length; i++)
    for (let j = 0; j < circuits.length; j++)
      if (
        i !== j &&
        treeEnsembleValue(s, xs[i]!.map(Number)).join() !== treeEnsembleValue(s, xs[j]!.map(Number)).join()
      )
        assertMultiWireTamperFails(
          circuits[i]!,
          spliceWitness(circuits[i]!, circuits[j]!),
          `wires of ${xs[j]} on ${xs[i]}`,
        );
});

test('a feature with many thresholds takes the binary search: forced, needed, equal to the reference', () => {
  // 40 thresholds on one feature: 6 comparators and the one-hot instead of 40 comparators.
  const trees: TreeNodeSpec[][] = Array.from({ length: 40 }, (_, i) => [
    split(0, i % 2 ? 'le' : 'gt', 3 * i - 60, 1, 2),
    leaf([0, i + 1]),
    leaf(),
  ]);
  const s: TreeEnsembleSpec = { trees, base: [0], bits: [comparatorBits(-70 - 57 - 1, 70 + 60 - 1)] };
  assert.ok(treeEnsembleCost(s) < perSplitComparatorCost(s) / 2);
  const xs = [-70n, -60n, -59n, -1n, 0n, 17n, 56n, 57n, 70n];
  const circuits = xs.map((v) => {
    const { c, out, cost } = exposedCircuit([v], (b, x) => treeEnsemble(b, x, s));
    assert.deepEqual(out, treeEnsembleValue(s, [Number(v)]).map(BigInt), `x = ${v}`);
    assert.equal(cost, treeEnsembleCost(s));
    return c;
  });
  assertEveryConstraintNeeded(circuits, 'binary search');
  assertMultiWireTamperFails(circuits[3]!, spliceWitness(circuits[3]!, circuits[5]!), 'wires of 17 on -1');
});

test('treeEnsemble refuses a feature outside its comparator width', () => {
  const s = spec();
  assert.throws(() => gadgetCircuit([1000n, 0n, 0n], (b, v) => treeEnsemble(b, v, s)), WitnessRangeError);
});
