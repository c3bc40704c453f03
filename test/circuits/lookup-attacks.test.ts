/**
 * Multi-wire attacks on the LogUp lookups (circuits/lookup.ts), each with round 2 recomputed by
 * the cheater for the challenge: a limb outside the table with its neighbour compensating, a
 * partial top limb beyond its width, a multiplicity vector that balances a wrong value at one
 * challenge (it satisfies there: why the challenge must come after the commitment) and fails at
 * an independent one, a function-table output off by one. And the determinism checker on lookup
 * circuits: honest ones are fully determined; a limb left without its lookup, or a damaged
 * LogUp block, leaves wires undetermined.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BuiltCircuit, findViolatedConstraint, R1csBuilder, Signal } from '../../circuits/builder.js';
import { FIELD_PRIME, fieldInv, fieldMod } from '../../circuits/field.js';
import { completeLookupWitness, LookupLogTable, RANGE_TABLE_NAME } from '../../circuits/lookup.js';
import { assertInInterval, rangeSegments } from '../../circuits/range-check.js';
import { requantize } from '../../circuits/requantize.js';
import { max2 } from '../../circuits/max.js';
import { checkDeterminism } from '../../src/compile/determinism-check.js';
import { assertFullyConstrained } from '../helpers/soundness-helpers.js';
import { C1, C2, completed, lookupCircuit, recomputeRound2 } from './lookup-helpers.js';

const K = 4;

/** The log table named `name`. */
function logTable(c: BuiltCircuit, name: string): LookupLogTable {
  return c.lookupLog!.tables.find((t) => t.name === name)!;
}

/** The wire holding value `v` among the internal round-1 wires from `from` (the first one). */
function wireWithValue(c: BuiltCircuit, v: bigint, from: number): number {
  for (let w = from; w < c.lookup!.round2Start; w++) if (c.witness[w] === v) return w;
  throw new Error(`no wire holds ${v}`);
}

/** Moves one count of the range table from entry `from` to entry `to` (−1: nowhere). */
function moveCount(w: bigint[], t: LookupLogTable, from: number, to: number): void {
  w[t.multiplicityStart + from] = fieldMod(w[t.multiplicityStart + from]! - 1n);
  if (to >= 0) w[t.multiplicityStart + to] = fieldMod(w[t.multiplicityStart + to]! + 1n);
}

/** Asserts the round-1 tamper `w`, completed by the cheater at challenge c, violates a constraint. */
function assertCaught(c: BuiltCircuit, w: bigint[], challenge: bigint, what: string): void {
  const full = recomputeRound2(c, w, challenge);
  assert.notEqual(findViolatedConstraint(c.constraints, full), -1, `${what}: satisfies every constraint`);
}

/** Two full limbs bound by a sum constraint: x = l0 + 16·l1 (x = 0x5a: l0 = 10, l1 = 5). */
function twoLimbs(): { c: BuiltCircuit; l0: number; l1: number } {
  const { circuit } = lookupCircuit([0x5an], (b, [x]) => rangeSegments(b, x!, [2 * K], { sumConstraint: true }));
  const first = 1 + circuit.nPubOut + circuit.nPubIn + circuit.nPrvIn;
  return { c: circuit, l0: wireWithValue(circuit, 10n, first), l1: wireWithValue(circuit, 5n, first) };
}

test('a limb outside the table (l0 + 2^K, l1 − 1: the same sum) is caught by the balance', () => {
  const { c, l0, l1 } = twoLimbs();
  const t = logTable(c, RANGE_TABLE_NAME);
  const w = completeLookupWitness(c, C1);
  assert.equal(findViolatedConstraint(c.constraints, w), -1);
  w[l0] = 10n + 16n;
  w[l1] = 4n;
  // The cheater moves l1's count to 4; l0's value 26 has no entry to take its count.
  moveCount(w, t, 5, 4);
  for (const to of [-1, 0, 15]) {
    const v = w.slice();
    moveCount(v, t, 10, to);
    assertCaught(c, v, C1, `l0 = 26, its count moved to ${to}`);
    assertCaught(c, v, C2, `l0 = 26, its count moved to ${to} (second challenge)`);
  }
});

test('a partial limb beyond its width (still below 2^K) is caught by its scaled lookup', () => {
  // x = s0 + 4·s1 with s0 a 2-bit segment (looked up as s0 and 4·s0) and s1 a full limb.
  const { circuit: c } = lookupCircuit([0x1bn], (b, [x]) => rangeSegments(b, x!, [2, K], { sumConstraint: true }));
  const t = logTable(c, RANGE_TABLE_NAME);
  const first = 1 + c.nPubOut + c.nPubIn + c.nPrvIn;
  const s0 = wireWithValue(c, 3n, first);
  const s1 = wireWithValue(c, 6n, first);
  const w = completeLookupWitness(c, C1);
  w[s0] = 7n; // 7 < 2^K passes the plain lookup; 4·7 = 28 has no entry
  w[s1] = 5n; // 7 + 4·5 = 27 = x
  moveCount(w, t, 6, 5);
  moveCount(w, t, 3, 7);
  moveCount(w, t, 12, -1);
  assertCaught(c, w, C1, 'partial limb 7 in a 2-bit slot');
});

test('multiplicities forged to balance a wrong limb at one challenge fail at an independent one', () => {
  const { c, l0, l1 } = twoLimbs();
  const t = logTable(c, RANGE_TABLE_NAME);
  const w = completeLookupWitness(c, C1);
  w[l0] = 26n;
  w[l1] = 4n;
  // Lookups now: 26 (no entry) and 4. Honest counts for 4, then entry 0's count solved so that
  // Σ 1/(C1 − f) = Σ m/(C1 − t) holds at C1.
  const m = t.entries.map(() => 0n);
  m[4] = 1n;
  const lhs = (fieldInv(C1 - 26n) + fieldInv(C1 - 4n)) % FIELD_PRIME;
  let rest = 0n;
  for (let j = 1; j < m.length; j++) rest = (rest + m[j]! * fieldInv(C1 - BigInt(j))) % FIELD_PRIME;
  m[0] = fieldMod((C1 - 0n) * (lhs - rest));
  m.forEach((v, j) => (w[t.multiplicityStart + j] = v));
  const atC1 = recomputeRound2(c, w, C1);
  assert.equal(
    findViolatedConstraint(c.constraints, atC1),
    -1,
    'the forgery balances at the challenge it was made for',
  );
  assertCaught(c, w, C2, 'the same round-1 witness at an independent challenge');
});

/** One table evaluation whose value slot needs two limbs (values up to 40 > 2^K). */
const WIDE = { name: 'wide', values: Array.from({ length: 16 }, (_, u) => BigInt(3 * u - 5)) };

test('a function-table output off by one is caught, whatever the cheater does with the counts', () => {
  for (const [table, key] of [
    [{ name: 'small', values: Array.from({ length: 16 }, (_, u) => BigInt((u * 7) % 11) - 4n) }, 9n],
    [WIDE, 6n],
  ] as const) {
    let y: Signal | undefined;
    const { circuit: c } = lookupCircuit([key], (b, [u]) => {
      y = b.lookupTable(table, u!);
      b.exposeOutput(y);
    });
    const full = completeLookupWitness(c, C1);
    assert.equal(full[1], fieldMod(table.values[Number(key)]!));
    const rt = logTable(c, RANGE_TABLE_NAME);
    const ft = logTable(c, table.name);
    // The low limb of y' = y + offset is the first internal wire after the inputs.
    const shiftedLow = 1 + c.nPubOut + c.nPubIn + c.nPrvIn;
    const offset = -table.values.reduce((a, v) => (v < a ? v : a));
    assert.equal(full[shiftedLow], (table.values[Number(key)]! + offset) & 15n, 'the low limb of y + offset');
    for (const d of [1n, -1n]) {
      const w = full.slice();
      const low = w[shiftedLow]!;
      w[shiftedLow] = fieldMod(low + d);
      w[1] = fieldMod(w[1]! + d);
      if (low + d < 0n || low + d > 15n) continue;
      moveCount(w, rt, Number(low), Number(low + d));
      for (const to of [-1, Number(key) + 1]) {
        const v = w.slice();
        moveCount(v, ft, Number(key), to);
        assertCaught(c, v, C1, `${table.name}(${key}) ${d > 0 ? '+1' : '−1'}, count moved to ${to}`);
      }
    }
  }
});

/** Every migrated gadget plus multi-limb range checks and function tables, at limb width 4. */
function honest(xs: readonly bigint[]): BuiltCircuit {
  return lookupCircuit(xs, (b, [x, y, z]) => {
    b.exposeOutput(requantize(b, x!, { shift: 3, outBits: 4, lowerOffset: 0n, accBits: 12 }));
    b.exposeOutput(requantize(b, x!, { shift: 2, outBits: 5, lowerOffset: 16n, accBits: 12 }));
    b.exposeOutput(max2(b, x!, y!, 13));
    assertInInterval(b, z!, -5n, 200n);
    b.lookupRange(b.linear([[z!, 1n]], 5n), 11);
    rangeSegments(b, b.linear([[x!, 1n]], 2048n), [3, 6, 1, 2]);
    b.exposeOutput(b.lookupTable(WIDE, b.linear([[z!, 1n]], -185n)));
  }).circuit;
}

test('the determinism checker forces every wire of honest lookup circuits (round 2 and multiplicities included)', () => {
  for (const xs of [
    [1000n, -700n, 190n],
    [-2048n, 2047n, 200n],
    [0n, 0n, 185n],
  ]) {
    const c = honest(xs);
    const r = assertFullyConstrained(c, `inputs ${xs}`);
    assert.equal(r.lookupProblems, undefined);
    assertFullyConstrained(completed(c, C2), `inputs ${xs}, completed by the caller`);
  }
});

test('the determinism checker reports a limb left without its lookup, and a damaged LogUp block', () => {
  // x = l0 + 16·top with only top looked up: l0 is free (x = 0x37: l0 = 7 or 23 − 16·…).
  const { circuit: c } = lookupCircuit([0x37n], (b: R1csBuilder, [x]) => {
    const l0 = b.wire(7n);
    const top = b.linear([
      [
        b.linear([
          [x!, 1n],
          [l0, -1n],
        ]),
        fieldInv(16n),
      ],
    ]);
    b.lookupRange({ lc: top.lc, value: 3n }, K);
  });
  const r = checkDeterminism(c);
  assert.equal(r.determined, false);
  const first = 1 + c.nPubOut + c.nPubIn + c.nPrvIn;
  assert.equal(r.undetermined[0]!.wire, wireWithValue(c, 7n, first), 'the unlooked-up limb is the first free wire');

  // The same build with its lookups, but one table's balance replaced by a trivial constraint.
  const good = honest([1000n, -700n, 190n]);
  const { tables } = good.lookup!;
  const end = good.constraints.length - (tables.at(-1)!.lookups + tables.at(-1)!.size + 1);
  const balance = end - 1; // the first table's balance (the one before the last table's block)
  const constraints = good.constraints.slice();
  constraints[balance] = { a: new Map(), b: new Map(), c: new Map() };
  const damaged = { ...good, constraints, witness: completeLookupWitness(good, C1) };
  const d = checkDeterminism(damaged);
  assert.equal(d.determined, false);
  assert.match(d.lookupProblems?.[0] ?? '', new RegExp(`lookup table '${tables[0]!.name}': balance`));
});
