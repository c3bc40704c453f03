/**
 * Table functions, softmax and divisions on LogUp lookups (BuilderOptions.lookup): values equal
 * the integer semantics, the completed witness satisfies, every non-input wire is pinned, the
 * determinism checker forces every wire, each cost function equals what the gadget emits, and a
 * cheater who moves a value and rebalances the multiplicities is caught by the argument alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldMod } from '../../circuits/field.js';
import { tableLookup, tableLookupTotalCost } from '../../circuits/table-lookup.js';
import { logSumExp, SoftmaxParams, softmaxRow, softmaxRowCost } from '../../circuits/softmax.js';
import { divide, divideCost, divideWithRemainder } from '../../circuits/divide.js';
import { divConst, divConstCost, divConstLayout, floorDiv, truncDiv } from '../../circuits/div-const.js';
import { softmaxNumbers } from '../../src/quantize/quantized-products.js';
import {
  assertLookupGadgetSound,
  assertOnlyBalanceCatches,
  cheat,
  lookupGadget,
  wireWithCoefficient,
} from '../helpers/lookup-gadgets.js';

/** An 8-bit sigmoid table over x ∈ [−128, 128): round(255 / (1 + e^(−x/32))). */
const SIGMOID = Array.from({ length: 256 }, (_, u) => BigInt(Math.round(255 / (1 + Math.exp(-(u - 128) / 32)))));
const sigmoid = (x: bigint) => SIGMOID[Number(x + 128n)]!;

test('sigmoid table (8-bit input) with lookups: exact, sound, ≤ 4 constraints per evaluation at limb widths 8 and 10', () => {
  for (const limbBits of [4, 8, 10]) {
    const xs = [-128n, -1n, 0n, 37n, 127n];
    const g = lookupGadget(
      xs,
      (b, x) => x.map((s) => tableLookup(b, s, { domainLo: -128n, bits: 8, table: SIGMOID })),
      limbBits,
      (y) => y,
    );
    assert.deepEqual(g.out, xs.map(sigmoid), `K=${limbBits}`);
    assert.equal(g.emitted, xs.length * tableLookupTotalCost(8, { limbBits }, SIGMOID), `K=${limbBits}`);
    // One function table shared by every evaluation, plus the limb table.
    assert.equal(g.circuit.lookup!.tables.length, 2);
    if (limbBits >= 8) assert.ok(tableLookupTotalCost(8, { limbBits }, SIGMOID) <= 4, `K=${limbBits}`);
    assertLookupGadgetSound(g, `sigmoid K=${limbBits}`);
  }
  assert.equal(tableLookupTotalCost(8), 46, 'without lookups: 8 bits + 38');
  assert.throws(() => tableLookupTotalCost(8, { limbBits: 8 }), /needs its table/);
});

test('sigmoid table with lookups: an output off by one with the multiplicities recounted is caught by the balance', () => {
  const g = lookupGadget([5n], (b, [x]) => tableLookup(b, x!, { domainLo: -128n, bits: 8, table: SIGMOID }), 4);
  // The value's low limb (coefficient 1 in y = y' − offset): +1 keeps it a valid limb.
  const limb = wireWithCoefficient(g.result, 1n);
  for (const d of [1n, -1n]) {
    const w = cheat(g.circuit, (w) => (w[limb] = w[limb]! + d));
    assertOnlyBalanceCatches(g.circuit, w, `sigmoid output ${d > 0 ? '+' : '−'}1`);
  }
  // The honest witness through the same cheater's pipeline satisfies: the pipeline itself is fair.
  const honest = cheat(g.circuit, () => undefined);
  assert.throws(() => assertOnlyBalanceCatches(g.circuit, honest, 'honest'), /satisfies every constraint/);
});

test('table lookup with lookups: an input outside the domain has no witness', () => {
  assert.throws(() => lookupGadget([128n], (b, [x]) => tableLookup(b, x!, { domainLo: -128n, bits: 8, table: SIGMOID }), 8));
});

/** A row of 4 (as gadget-products.test.ts): exp over [−15, 0] at 2^6, probabilities at 2^6. */
function rowParams(log: boolean): SoftmaxParams {
  const expTable = Array.from({ length: 16 }, (_, u) => BigInt(Math.round(Math.exp((u - 15) / 4) * 64)));
  const logTable = log
    ? Array.from({ length: 32 }, (_, u) => BigInt(Math.round(Math.log((64 + u * 8 + 3.5) / 64) * 4)))
    : [];
  return { cmpBits: [6, 6, 6], expBits: 4, expTable, log, outFrac: 6, sumBits: 8, logShift: log ? 3 : 0, logTable };
}

function rowReference(xs: readonly bigint[], p: SoftmaxParams): bigint[] {
  const op = {
    kind: 'softmax' as const,
    name: 't',
    input: 'x',
    output: 'y',
    offsets: [0, xs.length],
    index: xs.map((_, i) => i),
    log: p.log,
    cmpBits: [...p.cmpBits],
    expBits: p.expBits,
    expTable: p.expTable.map(Number),
    outFrac: p.outFrac,
    sumBits: p.sumBits,
    logShift: p.logShift,
    logTable: p.logTable.map(Number),
  };
  return softmaxNumbers(op, xs.map(Number)).map(BigInt);
}

for (const log of [false, true]) {
  const what = log ? 'logsoftmax' : 'softmax';
  test(`${what} row with lookups: equals the integer reference, cost exact, sound`, () => {
    const p = rowParams(log);
    for (const xs of [
      [3n, -5n, 10n, 0n],
      [-15n, 0n, 0n, -7n],
    ]) {
      const g = lookupGadget(xs, (b, x) => softmaxRow(b, x, p), 4, (y) => y);
      assert.deepEqual(g.out, rowReference(xs, p), `${what}(${xs})`);
      assert.equal(g.emitted, softmaxRowCost(4, p, { limbBits: 4 }), `${what}(${xs})`);
      assert.ok(g.emitted < softmaxRowCost(4, p) / 2, `${g.emitted} vs ${softmaxRowCost(4, p)} without lookups`);
      assertLookupGadgetSound(g, `${what}(${xs})`);
    }
  });
}

test('logsumexp with lookups: a log-table key moved to the next entry (low bits compensating) is caught', () => {
  const p = rowParams(true);
  // S − 2^E = 12 = 1·8 + 4: key 1, low 4. Move to key 0, low 12 (out of the 3-bit low range).
  const g = lookupGadget([76n], (b, [s]) => logSumExp(b, s!, p), 4);
  // Wires after the input: low (3 bits), the key's low limb, the value's limb (y + offset).
  const low = 1 + g.circuit.nPubIn + g.circuit.nPrvIn;
  assert.deepEqual(g.circuit.witness.slice(low, low + 2), [4n, 1n]);
  const offset = -p.logTable.reduce((m, v) => (v < m ? v : m));
  assert.equal(g.circuit.witness[low + 2], p.logTable[1]! + offset);
  const w = cheat(g.circuit, (w) => {
    w[low] = 12n;
    w[low + 1] = 0n;
    w[low + 2] = p.logTable[0]! + offset;
  });
  assertOnlyBalanceCatches(g.circuit, w, 'logsumexp key − 1');
  assert.notEqual(p.logTable[0], p.logTable[1], 'the cheat would change the output');
});

const DIV = { qOffset: -600n, qBits: 11, rBits: 4 };

test('divide with lookups: floor(n / d) for both signs, cost exact, sound', () => {
  for (const [n, d] of [
    [-97n, 7n],
    [0n, 1n],
    [600n, 16n],
    [255n, 3n],
  ] as const) {
    const g = lookupGadget([n, d], (b, [x, y]) => divide(b, x!, y!, DIV), 4, (q) => [q]);
    assert.deepEqual(g.out, [floorDiv(n, d)]);
    assert.equal(g.emitted, divideCost(DIV, { limbBits: 4 }));
    assertLookupGadgetSound(g, `${n} / ${d}`);
  }
  assert.equal(divideCost(DIV), 11 + 8 + 2, 'without lookups: unchanged');
});

test('divide with lookups: q − 1 with remainder r + d (t then negative) is caught by the range argument', () => {
  const [n, d] = [100n, 3n]; // q = 33, r = 1
  const g = lookupGadget([n, d], (b, [x, y]) => divideWithRemainder(b, x!, y!, DIV), 4);
  const { q, r } = g.result;
  const rWire = wireWithCoefficient(r, 1n);
  const tWire = rWire + 1; // t's single limb follows r's
  const w = cheat(g.circuit, (w) => {
    const qv = 33n - 1n - DIV.qOffset; // q' of q − 1, limbs of 4 bits
    for (let j = 0; j < 3; j++) w[wireWithCoefficient(q, 1n << BigInt(4 * j))] = (qv >> BigInt(4 * j)) & 15n;
    w[rWire] = 1n + d;
    w[tWire] = fieldMod(d - 1n - (1n + d));
  });
  assertOnlyBalanceCatches(g.circuit, w, 'divide (q − 1, r + d)');
});

test('divConst with lookups: floor and trunc over [−40, 40] for several divisors, cost exact, sound', () => {
  for (const d of [2n, 3n, 7n, 8n, 100n]) {
    const p = { divisor: d, ...divConstLayout(-40n, 40n, d) };
    const pt = { ...p, trunc: true, signBits: 7 };
    for (const x of [-40n, -13n, -1n, 0n, 5n, 40n]) {
      const g = lookupGadget([x], (b, [s]) => [divConst(b, s!, p), divConst(b, s!, pt)], 4, (y) => y);
      assert.deepEqual(g.out, [floorDiv(x, d), truncDiv(x, d)], `${x} / ${d}`);
      assert.equal(g.emitted, divConstCost(p, { limbBits: 4 }) + divConstCost(pt, { limbBits: 4 }));
      if (x === -13n || x === 40n) assertLookupGadgetSound(g, `${x} / ${d}`);
    }
    assert.ok(divConstCost(p, { limbBits: 8 }) < divConstCost(p), `d = ${d}`);
  }
});
