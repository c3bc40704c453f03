import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bitwise, BitwiseOp, bitwiseCost, bitwiseValue } from '../../circuits/bitwise.js';
import { WitnessRangeError } from '../../circuits/range-check.js';
import {
  assertEveryConstraintNeeded,
  assertFullyConstrained,
  assertMultiWireTamperFails,
  exposedCircuit,
  gadgetCircuit,
  spliceWitness,
} from '../helpers/soundness-helpers.js';

const OPS: BitwiseOp[] = ['and', 'or', 'xor'];

test('bitwise: exact two’s complement and/or/xor on every pair of [−8, 7] at 4 bits, cost as declared', () => {
  for (const op of OPS) {
    for (let a = -8n; a <= 7n; a++) {
      for (let c = -8n; c <= 7n; c++) {
        const r = exposedCircuit([a, c], (b, [x, y]) => [bitwise(b, x!, y!, op, 4)]);
        assert.deepEqual(r.out, [bitwiseValue(a, c, op)], `${a} ${op} ${c}`);
        assert.equal(r.cost, bitwiseCost(4, 2));
        // A constant operand costs only the other's decomposition.
        const k = exposedCircuit([a], (b, [x]) => [bitwise(b, x!, c, op, 4)]);
        assert.deepEqual(k.out, [bitwiseValue(a, c, op)], `${a} ${op} constant ${c}`);
        assert.equal(k.cost, bitwiseCost(4, 1));
      }
    }
  }
});

test('bitwise: a wider width gives the same result (sign extension), and an operand outside the width has no witness', () => {
  for (const [a, c] of [
    [-3n, 5n],
    [100n, -77n],
    [0n, -1n],
  ] as const) {
    for (const op of OPS) {
      const narrow = exposedCircuit([a, c], (b, [x, y]) => [bitwise(b, x!, y!, op, 8)]).out;
      const wide = exposedCircuit([a, c], (b, [x, y]) => [bitwise(b, x!, y!, op, 32)]).out;
      assert.deepEqual(narrow, wide);
    }
  }
  assert.throws(() => exposedCircuit([8n, 1n], (b, [x, y]) => [bitwise(b, x!, y!, 'and', 4)]), WitnessRangeError);
});

test('bitwise: fully constrained, every constraint needed, a spliced witness fails', () => {
  const pairs = [
    [5n, -3n],
    [-8n, 7n],
    [0n, 0n],
    [-1n, 6n],
  ];
  for (const op of OPS) {
    const circuits = pairs.map(([a, c]) => gadgetCircuit([a!, c!], (b, [x, y]) => bitwise(b, x!, y!, op, 4)).circuit);
    for (const c of circuits) assertFullyConstrained(c, `bitwise ${op}`);
    assertEveryConstraintNeeded(circuits, `bitwise ${op}`);
    const exposed = pairs.map(([a, c]) => exposedCircuit([a!, c!], (b, [x, y]) => [bitwise(b, x!, y!, op, 4)]).c);
    for (let i = 1; i < exposed.length; i++)
      assertMultiWireTamperFails(exposed[0]!, spliceWitness(exposed[0]!, exposed[i]!), `bitwise ${op} splice ${i}`);
  }
});
