/**
 * Soundness of selection by a computed index: the one-hot gadget (with a selection among
 * computed and constant candidates) and the TopK selection network. Each is exact against its
 * value function, forced wire by wire by the determinism checker, needs every constraint, pins
 * every non-input wire, and rejects multi-wire witnesses spliced from another input; an index
 * outside the proven range has no witness, even one whose bits and products are all consistent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BuiltCircuit, findViolatedConstraint, Lc, R1csBuilder } from '../../circuits/builder.js';
import { FIELD_PRIME, fieldInv, fieldMod } from '../../circuits/field.js';
import { oneHot, oneHotCost, OneHotRange, selectOneHot, selectOneHotCost } from '../../circuits/one-hot.js';
import { WitnessRangeError } from '../../circuits/range-check.js';
import { topK, topKBits, topKCost, topKValue } from '../../circuits/top-k.js';
import { prng } from '../helpers/onnx-fixtures.js';
import {
  assertEveryConstraintNeeded,
  assertEveryNonInputWirePinned,
  assertFullyConstrained,
  assertMultiWireTamperFails,
  exposedCircuit,
  gadgetCircuit,
  firstInternalWire,
  spliceWitness,
} from '../helpers/soundness-helpers.js';

/** Gather of 3 computed values by an index over [−3, 2] (ONNX negative indices), at scale 2^frac. */
const RANGE: OneHotRange = { lo: -3, span: 6, frac: 1 };
const DATA = [7n, -2n, 5n];

function gatherCircuit(idx: number, data: readonly bigint[] = DATA, r: OneHotRange = RANGE) {
  const q = BigInt(idx) << BigInt(r.frac);
  return exposedCircuit([q, ...data], (b, [qs, ...d]) => {
    const e = oneHot(b, qs!, r);
    const cand = e.map((_, p) => d[(((r.lo + p) % d.length) + d.length) % d.length]!);
    return [selectOneHot(b, e, cand, false)];
  });
}

test('oneHot + selectOneHot: the selected element for every index in range, at the documented cost', () => {
  for (let idx = RANGE.lo; idx < RANGE.lo + RANGE.span; idx++) {
    const r = gatherCircuit(idx);
    assert.deepEqual(r.out, [DATA[(idx + 3) % 3]], `index ${idx}`);
    assert.equal(r.cost, oneHotCost(RANGE.span) + selectOneHotCost(DATA.length, false));
  }
  // Constant candidates are free once the indicators exist.
  const b = new R1csBuilder();
  const e = oneHot(b, b.input(4n, 'private'), { lo: 0, span: 5, frac: 0 });
  const before = b.nConstraints;
  const y = selectOneHot(
    b,
    e,
    [10n, 20n, 30n, 40n, 50n].map((v) => b.constant(v)),
    true,
  );
  assert.equal(y.value, 50n);
  assert.equal(b.nConstraints - before, 0);
  assert.equal(before, oneHotCost(5));
});

test('oneHot: every wire forced, every constraint needed, every non-input wire pinned', () => {
  const circuits = [];
  for (let idx = RANGE.lo; idx < RANGE.lo + RANGE.span; idx++) {
    const { c } = gatherCircuit(idx);
    assertFullyConstrained(c, `oneHot ${idx}`);
    assertEveryNonInputWirePinned(c, `oneHot ${idx}`);
    circuits.push(c);
  }
  // Constraints 4 (the pruned node's e·(1 − bit)) and 8 (Σ e = 1) enforce the range: at an
  // in-range index they determine nothing new; the attack test below shows each is needed.
  const all = circuits[0]!.constraints.map((_, i) => i);
  assertEveryConstraintNeeded(
    circuits,
    'oneHot',
    all.filter((i) => i !== 4 && i !== 8),
  );
  // Another index's whole witness (bits, indicators, products) spliced onto this input.
  assertMultiWireTamperFails(circuits[1]!, spliceWitness(circuits[1]!, circuits[4]!), 'oneHot splice');
});

/** Re-solves, in order, every constraint whose C side has one internal wire (products), from the wires set so far. */
function solveForward(c: BuiltCircuit, w: bigint[]): void {
  const ev = (lc: Lc) => [...lc].reduce((s, [i, k]) => (s + k * w[i]!) % FIELD_PRIME, 0n);
  const first = firstInternalWire(c);
  for (const k of c.constraints) {
    const free = [...k.c].filter(([i]) => i >= first);
    if (free.length !== 1) continue;
    const [wi, coeff] = free[0]!;
    const rest = [...k.c].reduce((s, [i, v]) => (i === wi ? s : (s + v * w[i]!) % FIELD_PRIME), 0n);
    w[wi] = fieldMod((ev(k.a) * ev(k.b) - rest) * fieldInv(coeff));
  }
}

test('attack: an index outside the proven range (or not an integer) cannot be proven', () => {
  // The honest prover refuses it outright.
  for (const q of [6n, -8n, 3n]) assert.throws(() => oneHotOf(q), WitnessRangeError);
  // A forger: span 5 needs 3 bits, so index 5..7 decomposes; take index 6 with its consistent bits and products.
  const r: OneHotRange = { lo: 0, span: 5, frac: 0 };
  const { circuit: c } = gadgetCircuit([1n, 1n, 2n, 3n, 4n, 5n], (b, [q, ...d]) =>
    selectOneHot(b, oneHot(b, q!, r), d, false),
  );
  const w = c.witness.slice();
  const qWire = 1 + c.nPubOut;
  w[qWire] = 6n;
  const first = firstInternalWire(c);
  // Compact layout: the low bits are the first internal wires (the top bit is a combination).
  w[first] = 0n;
  w[first + 1] = 1n;
  solveForward(c, w);
  const violated = findViolatedConstraint(c.constraints, w);
  assert.notEqual(violated, -1, 'an index past the range must violate a constraint');
  // The constraint that catches it is the range's Σ e = 1: without it the forgery would pass.
  const without = { ...c, constraints: c.constraints.filter((_, i) => i !== violated) };
  const w2 = w.slice();
  solveForward(without, w2);
  assert.equal(findViolatedConstraint(without.constraints, w2), -1, 'the forgery is otherwise consistent');
  // Without the pruned node's product (constraint 4: e·(1 − bit1) for positions 4..7) the forger
  // sets that node to 1 and reaches position 4 with index 6, satisfying the sum.
  const pruned = { ...c, constraints: c.constraints.filter((_, i) => i !== 4) };
  const node = [...c.constraints[4]!.c.keys()].find((i) => i >= first)!;
  const w3 = w.slice();
  w3[node] = 1n;
  solveForward({ ...pruned, constraints: pruned.constraints.slice(4) }, w3);
  assert.equal(findViolatedConstraint(pruned.constraints, w3), -1, 'constraint 4 is what stops index 6');
  assert.notEqual(findViolatedConstraint(c.constraints, w3), -1);
});

function oneHotOf(q: bigint): void {
  const b = new R1csBuilder();
  oneHot(b, b.input(q, 'private'), RANGE);
}

test('topK: ONNX order (ties: lower index first) for largest and smallest, at the documented cost', () => {
  const rnd = prng(23);
  const rows: bigint[][] = [
    [3n, 3n, 3n],
    [1n, 5n, 5n, 2n],
    [-4n, 9n, -4n, 0n, 9n],
  ];
  for (let t = 0; t < 12; t++) rows.push(Array.from({ length: 6 }, () => BigInt(Math.floor(rnd() * 7) - 3)));
  for (const xs of rows)
    for (const largest of [true, false])
      for (const k of [1, 2, xs.length]) {
        const bits = topKBits(xs.length, -9, 9);
        const r = exposedCircuit(xs, (b, x) => {
          const t = topK(b, x, { k, largest, bits });
          return [...t.values, ...t.indices];
        });
        const want = topKValue(xs, k, largest);
        assert.deepEqual(r.out, [...want.values, ...want.indices.map(BigInt)], `topK ${xs} k=${k} ${largest}`);
        assert.equal(r.cost, topKCost(xs.length, k, bits));
      }
});

test('topK: every wire forced, every constraint needed, pinned, and spliced witnesses rejected', () => {
  const bits = topKBits(4, -9, 9);
  const inputs = [
    [1n, 5n, 5n, 2n],
    [9n, -9n, 0n, 3n],
    [-9n, 9n, 9n, -9n],
    [2n, 2n, 2n, 2n],
    [4n, 3n, 2n, 1n],
    [1n, 2n, 3n, 4n],
  ];
  const circuits = inputs.map((xs) => {
    const { c } = exposedCircuit(xs, (b, x) => {
      const t = topK(b, x, { k: 2, largest: true, bits });
      return [...t.values, ...t.indices];
    });
    assertFullyConstrained(c, `topK ${xs}`);
    assertEveryNonInputWirePinned(c, `topK ${xs}`);
    return c;
  });
  assertEveryConstraintNeeded(circuits, 'topK');
  // The same values in another order: every comparator and swap consistent, only the seam differs.
  assertMultiWireTamperFails(circuits[4]!, spliceWitness(circuits[4]!, circuits[5]!), 'topK splice');
  assertMultiWireTamperFails(circuits[0]!, spliceWitness(circuits[0]!, circuits[3]!), 'topK splice (ties)');
});
