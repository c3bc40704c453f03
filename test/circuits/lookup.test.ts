/**
 * LogUp lookups in the builder (circuits/lookup.ts): every cost function equals what its gadget
 * emits with lookups on, the honest witness satisfies the system once completed for a challenge,
 * the wire layout is the contract's (challenge = last public signal, round 2 last), witness-only
 * builds line up, and every non-input wire changed by ±1 breaks a constraint even when the
 * cheater recomputes round 2 for the same challenge. Without lookups rangeSegments is exactly
 * bitDecompose.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findViolatedConstraint, R1csBuilder } from '../../circuits/builder.js';
import { FIELD_PRIME, toSigned } from '../../circuits/field.js';
import {
  completeLookupWitness,
  LookupChallengeError,
  LookupConfig,
  lookupTableCost,
  rangeCheckCost,
  RANGE_TABLE_NAME,
} from '../../circuits/lookup.js';
import {
  assertInInterval,
  bitDecompose,
  intervalCheckCost,
  rangeSegments,
  rangeSegmentsCost,
  WitnessRangeError,
} from '../../circuits/range-check.js';
import { requantize, requantizeAccBits, requantizeCost, requantizeValue } from '../../circuits/requantize.js';
import { max2, max2Cost } from '../../circuits/max.js';
import { C1, C2, completed, firstNonInput, lookupCircuit, recomputeRound2 } from './lookup-helpers.js';

/** A sigmoid-shaped 8-bit table of 8-bit values. */
const SIGMOID = {
  name: 'sigmoid8',
  values: Array.from({ length: 256 }, (_, u) => BigInt(Math.round(255 / (1 + Math.exp(-(u - 128) / 16))))),
};

/** Emitted constraints of `body` (the gadget alone: the argument's own come at finalize). */
function emitted(lookup: LookupConfig, body: (b: R1csBuilder) => void): number {
  const b = new R1csBuilder({ lookup });
  body(b);
  return b.nConstraints;
}

test('costs equal emitted constraints with lookups, for every width and layout', () => {
  for (const limbBits of [2, 4, 8]) {
    const L = { limbBits };
    for (let bits = 1; bits <= 20; bits++) {
      const v = (1n << BigInt(bits)) - 1n - BigInt(bits % 3);
      const x = (b: R1csBuilder) => b.input(v < 0n ? 0n : v, 'private');
      assert.equal(
        emitted(L, (b) => b.lookupRange(x(b), bits)),
        rangeCheckCost(bits, L),
        `range ${bits}/${limbBits}`,
      );
      const widths = [1 + (bits % 5), bits, 1];
      const total = widths.reduce((a, w) => a + w, 0);
      for (const sumConstraint of [false, true]) {
        const n = emitted(L, (b) =>
          rangeSegments(b, b.input((1n << BigInt(total)) - 2n, 'private'), widths, { sumConstraint }),
        );
        assert.equal(n, rangeSegmentsCost(widths, { sumConstraint }, L), `segments ${widths} sum ${sumConstraint}`);
      }
      const d = -(1n << BigInt(bits - 1)) + 1n;
      assert.equal(
        emitted(L, (b) => max2(b, b.input(d, 'private'), b.constant(0n), bits)),
        max2Cost(bits, L),
      );
    }
    for (const [lo, hi] of [
      [0n, 255n],
      [-128n, 127n],
      [-3n, 1000n],
      [5n, 5n],
    ] as const)
      assert.equal(
        emitted(L, (b) => assertInInterval(b, b.input(lo, 'private'), lo, hi)),
        intervalCheckCost(lo, hi, L),
      );
    for (const p of [
      { shift: 0, outBits: 8, lowerOffset: 0n },
      { shift: 7, outBits: 8, lowerOffset: 128n },
      { shift: 12, outBits: 4, lowerOffset: 0n },
    ]) {
      const full = { ...p, accBits: requantizeAccBits(-(1n << 22n), 1n << 22n, p) };
      assert.equal(
        emitted(L, (b) => requantize(b, b.input(12345n, 'private'), full)),
        requantizeCost(full, L),
      );
    }
    assert.equal(
      emitted(L, (b) => b.lookupTable(SIGMOID, b.input(77n, 'private'))),
      lookupTableCost(SIGMOID, L),
    );
  }
  // The goal: a table function of an 8-bit input in at most 4 constraints.
  for (let limbBits = 8; limbBits <= 14; limbBits++) assert.ok(lookupTableCost(SIGMOID, { limbBits }) <= 4);
});

test('without lookups rangeSegments is exactly bitDecompose (the same constraints)', () => {
  for (const sumConstraint of [false, true]) {
    const a = new R1csBuilder();
    const b = new R1csBuilder();
    bitDecompose(a, a.input(1000n, 'private'), 12, { sumConstraint });
    rangeSegments(b, b.input(1000n, 'private'), [3, 8, 1], { sumConstraint });
    const ca = a.finalize();
    const cb = b.finalize();
    assert.equal(cb.lookup, undefined);
    assert.deepEqual(
      cb.constraints.map((k) => [[...k.a], [...k.b], [...k.c]]),
      ca.constraints.map((k) => [[...k.a], [...k.b], [...k.c]]),
    );
    assert.deepEqual(cb.witness, ca.witness);
  }
});

/** A 4-bit table of signed values (a small one keeps the ±1 sweep fast). */
const SMALL = { name: 'small', values: Array.from({ length: 16 }, (_, u) => BigInt((u * 7) % 11) - 4n) };

/** A small circuit that uses every migrated gadget and a function table. */
function mixed(xs: readonly bigint[], lookup: LookupConfig = { limbBits: 4 }, witnessOnly = false, table = SIGMOID) {
  const n = table.values.length;
  return lookupCircuit(
    xs,
    (b, [x, y, z]) => {
      const p = { shift: 3, outBits: 4, lowerOffset: 0n, accBits: 12 };
      const r = requantize(b, x!, p);
      b.exposeOutput(r);
      b.exposeOutput(max2(b, x!, y!, 12));
      assertInInterval(b, z!, -5n, 200n);
      b.exposeOutput(b.lookupTable(table, b.linear([[z!, 1n]], BigInt(n - 1 - 200))));
      b.lookupRange(b.linear([[z!, 1n]], 5n), 9);
    },
    lookup,
    witnessOnly,
  );
}

test('honest witness satisfies after completion; layout, info and witness-only mode match the contract', () => {
  const { circuit, cost } = mixed([1000n, -700n, 100n]);
  const info = circuit.lookup!;
  assert.ok(info, 'lookup info present');
  assert.equal(info.limbBits, 4);
  assert.equal(info.challengeWire, circuit.nPubOut + circuit.nPubIn, 'the challenge is the last public signal');
  assert.equal(circuit.nPubIn, 1, 'the challenge is the only public input');
  const sizes = info.tables.reduce((s, t) => s + t.size + t.lookups, 0);
  assert.equal(info.round2Start, circuit.nWires - sizes, 'round 2 = one inverse per lookup and per entry, last');
  assert.deepEqual(
    info.tables.map((t) => [t.name, t.size]),
    [
      [RANGE_TABLE_NAME, 16],
      ['sigmoid8', 256],
    ],
  );
  assert.equal(info.nLookups, info.tables[0]!.lookups + info.tables[1]!.lookups);
  assert.equal(info.tables[1]!.lookups, 1);
  // The gadgets' count includes one constraint per lookup; the entries and balances come at finalize.
  assert.equal(circuit.nConstraints, cost + info.tables.reduce((s, t) => s + t.size + 1, 0));
  // Outputs: requantize, max, sigmoid(z).
  assert.deepEqual(circuit.witness.slice(1, 4).map(toSigned), [
    requantizeValue(1000n, { shift: 3, outBits: 4, lowerOffset: 0n }),
    1000n,
    SIGMOID.values[100 + 55],
  ]);
  assert.notEqual(findViolatedConstraint(circuit.constraints, circuit.witness), -1, 'round 1 alone does not satisfy');
  const w1 = completeLookupWitness(circuit, C1);
  const w2 = completeLookupWitness(circuit, C2);
  assert.equal(findViolatedConstraint(circuit.constraints, w1), -1);
  assert.equal(findViolatedConstraint(circuit.constraints, w2), -1);
  for (let i = 0; i < info.round2Start; i++)
    if (i !== info.challengeWire) assert.equal(w1[i], w2[i], `round-1 wire ${i} must not depend on the challenge`);
  // Witness-only mode: the same wires, the same completed witness, no constraints.
  const wo = mixed([1000n, -700n, 100n], { limbBits: 4 }, true).circuit;
  assert.equal(wo.constraints.length, 0);
  assert.equal(wo.nConstraints, circuit.nConstraints);
  assert.deepEqual(wo.lookup, info);
  assert.deepEqual(completeLookupWitness(wo, C1), w1);
  // A challenge equal to a table entry is refused (the prover draws another).
  assert.throws(() => completeLookupWitness(circuit, 7n), LookupChallengeError);
  assert.throws(() => completeLookupWitness(circuit, FIELD_PRIME + 3n), LookupChallengeError);
});

test('every non-input wire ±1 breaks a constraint, round 2 recomputed by the cheater for the same challenge', () => {
  for (const xs of [
    [1000n, -700n, 200n],
    [-2048n, -1000n, 190n],
    [2047n, 1500n, 197n],
  ]) {
    const { circuit } = mixed(xs, { limbBits: 3 }, false, SMALL);
    const honest = completeLookupWitness(circuit, C1);
    const { round2Start } = circuit.lookup!;
    for (let i = firstNonInput(circuit); i < circuit.nWires; i++) {
      for (const d of [1n, FIELD_PRIME - 1n]) {
        let w = honest.slice();
        w[i] = (w[i]! + d) % FIELD_PRIME;
        if (i < round2Start) w = recomputeRound2(circuit, w, C1);
        assert.notEqual(
          findViolatedConstraint(circuit.constraints, w),
          -1,
          `inputs ${xs}: wire ${i} ${d === 1n ? '+1' : '−1'}`,
        );
      }
    }
  }
});

test('out-of-range values are refused while computing the witness; bad configurations and tables by name', () => {
  assert.throws(() => lookupCircuit([16n], (b, [x]) => b.lookupRange(x!, 4)), WitnessRangeError);
  assert.throws(() => lookupCircuit([-1n], (b, [x]) => b.lookupRange(x!, 8)), WitnessRangeError);
  assert.throws(() => lookupCircuit([256n], (b, [x]) => b.lookupTable(SIGMOID, x!)), WitnessRangeError);
  assert.throws(() => new R1csBuilder({ lookup: { limbBits: 1 } }), /limb width 1/);
  assert.throws(() => new R1csBuilder({ lookup: { limbBits: 17 } }), /limb width 17/);
  assert.throws(() => new R1csBuilder().lookupRange(new R1csBuilder().constant(1n), 3), /without lookups/);
  assert.throws(
    () =>
      lookupCircuit([1n], (b, [x]) => {
        b.lookupTable(SIGMOID, x!);
        b.lookupTable({ name: 'sigmoid8', values: SIGMOID.values.map((v) => v + 1n) }, x!);
      }),
    /two different tables named 'sigmoid8'/,
  );
  // The same table given twice (another array with equal values) is one table.
  const { circuit } = lookupCircuit([1n, 2n], (b, [x, y]) => {
    b.lookupTable(SIGMOID, x!);
    b.lookupTable({ name: 'sigmoid8', values: [...SIGMOID.values] }, y!);
  });
  assert.deepEqual(
    circuit.lookup!.tables.find((t) => t.name === 'sigmoid8'),
    { name: 'sigmoid8', size: 256, lookups: 2 },
  );
  assert.equal(findViolatedConstraint(circuit.constraints, completed(circuit).witness), -1);
});
