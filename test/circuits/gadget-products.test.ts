/**
 * Soundness of the product, division and softmax gadgets (circuits/product.ts, divide.ts,
 * softmax.ts): every non-input wire pinned (±1), multi-wire adversarial witnesses rejected,
 * the determinism checker satisfied, and values equal to the integer semantics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findViolatedConstraint, Signal } from '../../circuits/builder.js';
import { products, productsCost, productValues } from '../../circuits/product.js';
import { divide, divideCost } from '../../circuits/divide.js';
import { floorDiv } from '../../circuits/div-const.js';
import { FIELD_PRIME, fieldInv } from '../../circuits/field.js';
import { checkDeterminism } from '../../src/compile/determinism-check.js';
import {
  logSumExp,
  SoftmaxParams,
  softmaxExp,
  softmaxNormalize,
  softmaxRow,
  softmaxRowCost,
} from '../../circuits/softmax.js';
import { windowMax } from '../../circuits/max.js';
import { divideNumbers, softmaxNumbers } from '../../src/quantize/quantized-products.js';
import { QDivide } from '../../src/formats/quantized-products.js';
import { buildDivide } from '../../src/compile/build-products.js';
import {
  assertEveryConstraintNeeded,
  assertEveryNonInputWirePinned,
  assertFullyConstrained,
  assertMultiWireTamperFails,
  exposedCircuit,
  gadgetCircuit,
  wireOf,
} from '../helpers/soundness-helpers.js';

// A 2×3 by 3×2 matrix product plus a square: a = x[0..6), b = x[6..12).
const terms = (() => {
  const offsets = [0];
  const aIndex: number[] = [];
  const bIndex: number[] = [];
  for (let r = 0; r < 2; r++)
    for (let j = 0; j < 2; j++) {
      for (let i = 0; i < 3; i++) {
        aIndex.push(r * 3 + i);
        bIndex.push(i * 2 + j);
      }
      offsets.push(aIndex.length);
    }
  return { offsets, aIndex, bIndex };
})();

test('products: exact values, one constraint per scalar product, every wire pinned, fully constrained', () => {
  const xs = [3n, -7n, 0n, 127n, -128n, 5n, 9n, -2n, 44n, -100n, 1n, 0n];
  const r = exposedCircuit(xs, (b, x) => products(b, x.slice(0, 6), x.slice(6), terms));
  assert.deepEqual(r.out, productValues(xs.slice(0, 6), xs.slice(6), terms));
  assert.equal(r.cost, productsCost(terms));
  assert.equal(r.cost, 12);
  assertEveryNonInputWirePinned(r.c, 'products');
  assertFullyConstrained(r.c, 'products');
  assertEveryConstraintNeeded(
    [
      r.c,
      exposedCircuit(
        xs.map((v) => -v),
        (b, x) => products(b, x.slice(0, 6), x.slice(6), terms),
      ).c,
    ],
    'products',
  );
});

test('products: a witness of other products with the same sums is rejected', () => {
  const xs = [3n, -7n, 0n, 127n, -128n, 5n, 9n, -2n, 44n, -100n, 1n, 0n];
  const r = exposedCircuit(xs, (b, x) => products(b, x.slice(0, 6), x.slice(6), terms));
  // Shift value between two product wires of output 0 so its sum is unchanged.
  const first = 1 + r.c.nPubOut + r.c.nPubIn + r.c.nPrvIn;
  const w = r.c.witness.slice();
  w[first] = w[first]! + 5n;
  w[first + 1] = w[first + 1]! - 5n;
  assertMultiWireTamperFails(r.c, w, 'products (moved value between terms)');
});

test('products: x·x of one wire is a square', () => {
  const r = exposedCircuit([-9n], (b, [x]) => products(b, [x!], [x!], { offsets: [0, 1], aIndex: [0], bIndex: [0] }));
  assert.deepEqual(r.out, [81n]);
  assertEveryNonInputWirePinned(r.c, 'square');
});

const DIV = { qOffset: -600n, qBits: 11, rBits: 4 };

test('divide: floor(n / d) for every sign of n and d in 1..16, cost qBits + 2·rBits + 2, every wire pinned, fully constrained', () => {
  for (const n of [-600n, -97n, -16n, -1n, 0n, 1n, 15n, 16n, 255n, 600n]) {
    for (const d of [1n, 2n, 3n, 7n, 15n, 16n]) {
      const r = exposedCircuit([n, d], (b, [x, y]) => [divide(b, x!, y!, DIV)]);
      assert.deepEqual(r.out, [floorDiv(n, d)], `${n} / ${d}`);
      assert.equal(r.cost, divideCost(DIV));
      assertEveryNonInputWirePinned(r.c, `${n} / ${d}`);
      assertFullyConstrained(r.c, `${n} / ${d}`);
    }
  }
});

test('divide: every constraint is needed (removing one frees a wire)', () => {
  const a = exposedCircuit([-97n, 7n], (b, [x, y]) => [divide(b, x!, y!, DIV)]).c;
  const c = exposedCircuit([255n, 16n], (b, [x, y]) => [divide(b, x!, y!, DIV)]).c;
  assertEveryConstraintNeeded([a, c], 'divide');
});

/** Rewrites the quotient, remainder and bound bits of a divide circuit to (q, r) (t = d − 1 − r), keeping the output consistent. */
function rewriteDivision(c: ReturnType<typeof exposedCircuit>['c'], d: bigint, q: bigint, r: bigint): bigint[] {
  const w = c.witness.slice();
  const first = 1 + c.nPubOut + c.nPubIn + c.nPrvIn;
  const mod = (v: bigint) => ((v % FIELD_PRIME) + FIELD_PRIME) % FIELD_PRIME;
  const put = (at: number, v: bigint, n: number) => {
    for (let i = 0; i < n; i++) w[at + i] = mod(v >> BigInt(i)) & 1n;
  };
  put(first, mod(q - DIV.qOffset), DIV.qBits);
  put(first + DIV.qBits, mod(r), DIV.rBits);
  put(first + DIV.qBits + DIV.rBits, mod(d - 1n - r), DIV.rBits);
  w[1] = mod(q);
  return w;
}

test('divide: the second (q, r) pair with q·d + r = n — q + 1 with r − d — is rejected, and so is q − 1 with r + d', () => {
  const [n, d] = [100n, 7n];
  const r = exposedCircuit([n, d], (b, [x, y]) => [divide(b, x!, y!, DIV)]);
  assert.equal(
    findViolatedConstraint(r.c.constraints, rewriteDivision(r.c, d, 14n, 2n)),
    -1,
    'the rewrite reproduces the honest witness',
  );
  assertMultiWireTamperFails(r.c, rewriteDivision(r.c, d, 15n, 2n - 7n), 'divide (q + 1, r − d)');
  assertMultiWireTamperFails(r.c, rewriteDivision(r.c, d, 13n, 2n + 7n), 'divide (q − 1, r + d)');
  // The field solution for remainder r + 1 is q − 1/d mod p: far outside the quotient's range check.
  assertMultiWireTamperFails(r.c, rewriteDivision(r.c, d, 14n - fieldInv(d), 3n), 'divide (field quotient for r + 1)');
});

test('divide: a denominator below 1 has no witness, and the checker rule ignores unmarked or malformed pairs', () => {
  assert.throws(() => exposedCircuit([5n, 0n], (b, [x, y]) => [divide(b, x!, y!, DIV)]), /below 1/);
  const r = exposedCircuit([100n, 7n], (b, [x, y]) => [divide(b, x!, y!, DIV)]);
  assert.ok(checkDeterminism(r.c).determined);
  assert.equal(
    checkDeterminism({ ...r.c, divisions: [] }).determined,
    false,
    'without its mark the rule does not fire',
  );
  const [p, k] = r.c.divisions![0]!;
  assert.equal(checkDeterminism({ ...r.c, divisions: [[k, p]] }).determined, false, 'a swapped mark proves nothing');
});

/** A row of 4 at frac 2 spanning ≤ 15 steps: exp table over [−15, 0] at 2^6, probabilities at 2^6. */
function rowParams(log: boolean): SoftmaxParams {
  const expBits = 4;
  const expTable = Array.from({ length: 16 }, (_, u) => BigInt(Math.round(Math.exp((u - 15) / 4) * 64)));
  const sumBits = log ? 8 : 8; // S − 64 ≤ 192 < 2^8; S − 1 ≤ 255 < 2^8
  const logShift = log ? 3 : 0;
  const logTable = log
    ? Array.from({ length: 32 }, (_, u) => BigInt(Math.round(Math.log((64 + u * 8 + 3.5) / 64) * 4)))
    : [];
  return { cmpBits: [6, 6, 6], expBits, expTable, log, outFrac: 6, sumBits, logShift, logTable };
}

/** The integer semantics of the row, via the quantized op's reference executor. */
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
  test(`${what} row: equals the integer reference, every wire pinned, fully constrained`, () => {
    const p = rowParams(log);
    for (const xs of [
      [3n, -5n, 10n, 0n],
      [-15n, 0n, 0n, -7n],
      [2n, 2n, 2n, 2n],
    ]) {
      const r = exposedCircuit(xs, (b, x) => softmaxRow(b, x, p));
      assert.deepEqual(r.out, rowReference(xs, p), `${what}(${xs})`);
      assert.ok(r.cost <= softmaxRowCost(4, p), `cost ${r.cost} ≤ bound ${softmaxRowCost(4, p)}`);
      assertEveryNonInputWirePinned(r.c, `${what}(${xs})`);
      assertFullyConstrained(r.c, `${what}(${xs})`);
    }
    if (!log) {
      const out = exposedCircuit([3n, -5n, 10n, 0n], (b, x) => softmaxRow(b, x, p)).out;
      const sum = out.reduce((a, v) => a + v, 0n);
      assert.ok(sum >= 62n && sum <= 66n, `probabilities sum to 1 within half a unit each: ${sum}`);
      const exact = [3, -5, 10, 0].map((v) => Math.exp((v - 10) / 4));
      const total = exact.reduce((a, v) => a + v, 0);
      out.forEach((v, i) =>
        assert.ok(Math.abs(Number(v) - (exact[i]! / total) * 64) <= 1, `p${i} = ${v} is the rounded probability`),
      );
    }
  });

  test(`${what} row: a wrong max that is still ≥ every element is rejected`, () => {
    const p = rowParams(log);
    const xs = [3n, -5n, 9n, 0n];
    let mWire = -1;
    const honest = gadgetCircuit(xs, (b, x) => softmaxRow(b, x, p)).circuit;
    // The same structure, with every wire after the max computed from m + 1 (also ≥ all elements).
    const donor = gadgetCircuit(xs, (b, x) => {
      const m = windowMax(b, x, p.cmpBits);
      mWire = wireOf(m);
      const m1 = b.linear([[m, 1n]], 1n);
      const e = softmaxExp(b, x, m1, p);
      const s = b.linear(e.map((v) => [v, 1n] as [Signal, bigint]));
      if (!p.log) return softmaxNormalize(b, e, s, p);
      const l = logSumExp(b, s, p);
      return x.map((xi) =>
        b.linear([
          [xi, 1n],
          [m1, -1n],
          [l, -1n],
        ]),
      );
    }).circuit;
    const tampered = donor.witness.slice();
    tampered[mWire] = tampered[mWire]! + 1n;
    assertMultiWireTamperFails(honest, tampered, `${what} (max + 1)`);
  });

  test(`${what} row: a wrong row sum is rejected`, () => {
    const p = rowParams(log);
    const xs = [3n, -5n, 9n, 0n];
    const honest = gadgetCircuit(xs, (b, x) => softmaxRow(b, x, p)).circuit;
    // Every wire after the exponentials computed from S + 1 (probabilities and log of a wrong sum).
    const donor = gadgetCircuit(xs, (b, x) => {
      const m = windowMax(b, x, p.cmpBits);
      const e = softmaxExp(b, x, m, p);
      const s = b.linear(
        e.map((v) => [v, 1n] as [Signal, bigint]),
        1n,
      );
      if (!p.log) return softmaxNormalize(b, e, s, p);
      const l = logSumExp(b, s, p);
      return x.map((xi) =>
        b.linear([
          [xi, 1n],
          [m, -1n],
          [l, -1n],
        ]),
      );
    }).circuit;
    assertMultiWireTamperFails(honest, donor.witness, `${what} (S + 1)`);
  });
}

test('divide op with a denominator of either sign: floor(a·2^s / b) for b ≠ 0, a / 0 clamped to 1 ulp; every wire pinned, fully constrained', () => {
  const op: QDivide = {
    kind: 'divide',
    name: 'd',
    input: 'a',
    other: 'b',
    output: 'y',
    aIndex: [0],
    bIndex: [0],
    sign: 0,
    signBits: [5],
    shift: 4,
    clamp: [true],
    qOffset: [-2048],
    qBits: [13],
    rBits: [4],
  };
  for (const a of [-100n, -1n, 0n, 37n, 127n]) {
    for (const d of [-16n, -5n, -1n, 0n, 1n, 7n, 15n]) {
      const r = exposedCircuit([a, d], (b, [x, y]) => buildDivide(b, op, [x!], [y!]));
      const want = divideNumbers(op, [Number(a)], [Number(d)])[0]!;
      assert.deepEqual(r.out, [BigInt(want)], `${a} / ${d}`);
      if (d !== 0n)
        assert.equal(
          want,
          Math.floor((Number(a) * 16) / Number(d)) || 0,
          `${a} / ${d} is the floor of the true quotient`,
        );
      assertEveryNonInputWirePinned(r.c, `${a} / ${d}`);
      assertFullyConstrained(r.c, `${a} / ${d}`);
    }
  }
});
