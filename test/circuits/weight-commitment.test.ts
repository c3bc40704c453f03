/**
 * The weight commitment W (circuits/weight-commitment.ts, issue 21): the circuit and the
 * off-circuit twin agree; every non-input wire is pinned; a value outside its width has no
 * witness, not even one an adversary builds by hand, so neither a carry between packed slots nor
 * a field-wrapping weight can give two weight vectors one W; the packing never exceeds 253 bits
 * per element; and the commitment's cost beyond the range checks is measured per 8-bit weight.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { BuiltCircuit, R1csBuilder, findViolatedConstraint } from '../../circuits/builder.js';
import { FIELD_PRIME } from '../../circuits/field.js';
import { PACK_ELEMENT_BITS } from '../../circuits/pack.js';
import { WitnessRangeError } from '../../circuits/range-check.js';
import {
  commitWeightSignals,
  commitWeightValues,
  weightCommitmentCost,
  weightElements,
  weightPackLayout,
  WeightValueSegment,
} from '../../circuits/weight-commitment.js';
import { checkDeterminism } from '../../src/compile/determinism-check.js';
import {
  assertEveryNonInputWirePinned,
  assertFullyConstrained,
  assertMultiWireTamperFails,
  firstInternalWire,
  spliceWitness,
} from '../helpers/soundness-helpers.js';

/** Deterministic pseudo-random signed values of `bits` bits. */
function randomSigned(n: number, bits: number, seed: string): bigint[] {
  return Array.from({ length: n }, (_, i) => {
    const r = BigInt('0x' + createHash('sha256').update(`${seed}-${i}`).digest('hex'));
    return (r % (1n << BigInt(bits))) - (1n << BigInt(bits - 1));
  });
}

/** Weights and blinding as private inputs (in that order), W exposed as the only public output. */
function weightCircuit(segments: readonly WeightValueSegment[], blinding: bigint): BuiltCircuit {
  const b = new R1csBuilder();
  const signals = segments.map((s) => ({ bits: s.bits, signals: s.values.map((v) => b.input(v, 'private')) }));
  const r = b.input(blinding, 'private');
  b.exposeOutput(commitWeightSignals(b, signals, r));
  return b.finalize();
}

const small: WeightValueSegment[] = [
  { bits: 8, values: randomSigned(40, 8, 'w1') },
  { bits: 13, values: randomSigned(5, 13, 'b1') },
  { bits: 4, values: randomSigned(7, 4, 'w2') },
  { bits: 20, values: randomSigned(3, 20, 'b2') },
];

test('W in the circuit equals the off-circuit W, at the predicted cost, for mixed widths', async () => {
  const cases: Array<readonly WeightValueSegment[]> = [
    small,
    [{ bits: 8, values: randomSigned(31, 8, 'exact') }],
    [{ bits: 8, values: randomSigned(32, 8, 'over') }],
    [
      { bits: 250, values: randomSigned(3, 250, 'wide') },
      { bits: 1, values: [-1n, 0n] },
    ],
    [
      { bits: 8, values: [] },
      { bits: 16, values: randomSigned(20, 16, 'b') },
    ],
    [{ bits: 8, values: randomSigned(700, 8, 'long') }],
  ];
  for (const [i, segments] of cases.entries()) {
    const r = BigInt(i) * 1234567891011n + 5n;
    const c = weightCircuit(segments, r);
    assert.equal(findViolatedConstraint(c.constraints, c.witness), -1, `case ${i}: honest witness`);
    assert.equal(c.witness[1], await commitWeightValues(segments, r), `case ${i}: W agrees`);
    // One constraint exposes W; the rest is the commitment.
    assert.equal(
      c.nConstraints - 1,
      weightCommitmentCost(segments.map((s) => ({ bits: s.bits, count: s.values.length }))).total,
    );
  }
});

test('the packing layout never exceeds 253 bits per element and depends on the widths alone', () => {
  const widths = [1, 2, 3, 7, 8, 9, 13, 16, 31, 32, 64, 100, 126, 127, 200, 250];
  for (const a of widths)
    for (const b of widths) {
      const shapes = [
        { bits: a, count: 37 },
        { bits: b, count: 11 },
        { bits: a, count: 5 },
      ];
      const layout = weightPackLayout(shapes);
      for (const used of layout.elementBits)
        assert.ok(used <= PACK_ELEMENT_BITS, `widths ${a}/${b}: element of ${used} bits`);
      const bitsOf = shapes.flatMap((s) => new Array<number>(s.count).fill(s.bits));
      bitsOf.forEach((w, k) => {
        assert.ok(layout.shift[k]! + w <= PACK_ELEMENT_BITS, `widths ${a}/${b}: value ${k} crosses bit 253`);
        // Slots never overlap: the next value in the same element starts where this one ends.
        if (k + 1 < bitsOf.length && layout.element[k + 1] === layout.element[k])
          assert.equal(layout.shift[k + 1], layout.shift[k]! + w);
      });
    }
  // The largest value the packing can produce is below 2^253 < p: it never wraps.
  const maxed = weightElements([{ bits: 8, values: new Array<bigint>(31).fill(127n) }]);
  assert.ok(maxed[0]! < 1n << 253n && 1n << 253n < FIELD_PRIME);
  assert.equal(maxed[0], (1n << 248n) - 1n);
});

test('every non-input wire of the commitment is pinned and the determinism checker forces all of them', () => {
  const c = weightCircuit(small, 987654321n);
  assertEveryNonInputWirePinned(c, 'weight commitment');
  assertFullyConstrained(c, 'weight commitment');
  assert.equal(checkDeterminism(c).determined, true);
});

test('a multi-wire forgery fails: every non-input wire from a run with other weights or another blinding', () => {
  const honest = weightCircuit(small, 42n);
  const otherWeights = small.map((s) => ({ bits: s.bits, values: s.values.map((v, i) => (i === 0 ? -v - 1n : v)) }));
  for (const donor of [weightCircuit(otherWeights, 42n), weightCircuit(small, 43n)]) {
    assert.notEqual(donor.witness[1], honest.witness[1], 'the donor has another W');
    assertMultiWireTamperFails(honest, spliceWitness(honest, donor), 'spliced witness');
  }
});

/**
 * Witness of a 2-value, 8-bit commitment with the weights set to `values` (any field elements)
 * and the low 7 bits of each decomposition set to `low` — every assignment an adversary has once
 * the weights are fixed (the top bit is a combination, the packed element and the hash follow
 * the honest run's). Returns whether some constraint fails.
 */
function forgedFails(honest: BuiltCircuit, values: readonly bigint[], low: readonly number[]): boolean {
  const w = honest.witness.slice();
  const firstInput = 1 + honest.nPubOut;
  values.forEach((v, i) => (w[firstInput + i] = ((v % FIELD_PRIME) + FIELD_PRIME) % FIELD_PRIME));
  const internal = firstInternalWire(honest);
  low.forEach((bitsOfValue, i) => {
    for (let k = 0; k < 7; k++) w[internal + i * 7 + k] = BigInt((bitsOfValue >> k) & 1);
  });
  return findViolatedConstraint(honest.constraints, w) !== -1;
}

test('no witness for a carry between packed slots or a field-wrapping weight, whatever the bits', () => {
  const [a, b] = [100n, -3n];
  const honest = weightCircuit([{ bits: 8, values: [a, b] }], 7n);
  // The honest bits really are where forgedFails writes them.
  assert.equal(forgedFails(honest, [a, b], [Number(a + 128n) & 127, Number(b + 128n) & 127]), false);
  // (a + 256, b − 1) packs to the same element as (a, b): the slot of a would carry into b's.
  // (a − p·k) is a itself; a weight u = p − 1 (v = −129) wraps below zero in the field.
  const forgeries: Array<[bigint, bigint]> = [
    [a + 256n, b - 1n],
    [a - 256n, b + 1n],
    [-129n, b],
    [FIELD_PRIME - 1n, b],
    [a, 128n],
  ];
  for (const values of forgeries) {
    for (let l0 = 0; l0 < 128; l0++)
      for (const l1 of [0, 1, 64, 127, Number(b + 128n) & 127])
        assert.ok(
          forgedFails(honest, values, [l0, l1]),
          `weights ${values.join(', ')} with low bits ${l0}/${l1} accepted`,
        );
  }
  // The honest prover stops before any constraint: out of range is a WitnessRangeError on both sides.
  for (const v of [128n, -129n, 1000n]) {
    assert.throws(() => weightCircuit([{ bits: 8, values: [v] }], 0n), WitnessRangeError);
    assert.throws(() => weightElements([{ bits: 8, values: [v] }]), WitnessRangeError);
  }
  // The ends of the width are accepted.
  for (const v of [127n, -128n]) assert.equal(weightCircuit([{ bits: 8, values: [v] }], 0n).nPubOut, 1);
});

test('different weights or a different blinding give a different W; the same ones the same W', async () => {
  const base = await commitWeightValues(small, 5n);
  assert.equal(await commitWeightValues(small, 5n), base);
  assert.notEqual(await commitWeightValues(small, 6n), base);
  for (const [s, i] of [
    [0, 0],
    [1, 4],
    [3, 2],
  ] as const) {
    const changed = small.map((seg, k) => ({
      bits: seg.bits,
      values: seg.values.map((v, j) => (k === s && j === i ? (v === 0n ? 1n : -v + (v > 0n ? 0n : -1n)) : v)),
    }));
    assert.notEqual(await commitWeightValues(changed, 5n), base, `segment ${s} value ${i} changed`);
  }
  // Moving a value between segments of another width changes the count per segment, hence W.
  const moved = [
    { bits: 8, values: small[0]!.values.slice(0, 39) },
    { bits: 13, values: [small[0]!.values[39]!, ...small[1]!.values] },
    ...small.slice(2),
  ];
  assert.notEqual(await commitWeightValues(moved, 5n), base);
});

test('cost: an 8-bit weight costs at most 1.5 constraints beyond its range check', (t) => {
  for (const n of [2368, 10_000, 100_000]) {
    const cost = weightCommitmentCost([{ bits: 8, count: n }]);
    assert.equal(cost.rangeChecks, 8 * n);
    const perWeight = cost.hash / n;
    t.diagnostic(
      `${n} weights of 8 bits: range checks ${cost.rangeChecks}, hashing ${cost.hash} (${perWeight.toFixed(3)} per weight)`,
    );
    assert.ok(perWeight <= 1.5, `${perWeight} constraints per weight beyond the range check`);
  }
});
