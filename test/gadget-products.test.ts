/**
 * Soundness of the product, division and softmax gadgets (circuits/product.ts, divide.ts,
 * softmax.ts): every non-input wire pinned (±1), multi-wire adversarial witnesses rejected,
 * the determinism checker satisfied, and values equal to the integer semantics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findViolatedConstraint, R1csBuilder, Signal } from '../circuits/builder.js';
import { toSigned } from '../circuits/field.js';
import { products, productsCost, productValues } from '../circuits/product.js';
import { divide, divideCost } from '../circuits/divide.js';
import { floorDiv } from '../circuits/div-const.js';
import { FIELD_PRIME, fieldInv } from '../circuits/field.js';
import { checkDeterminism } from '../src/circuit/determinism-check.js';
import { assertEveryConstraintNeeded, assertEveryNonInputWirePinned, assertFullyConstrained, assertMultiWireTamperFails } from './soundness-helpers.js';

/** Builds a circuit over private inputs and exposes the outputs. */
function circuit(xs: readonly bigint[], body: (b: R1csBuilder, x: Signal[]) => Signal[]) {
  const b = new R1csBuilder();
  const x = xs.map((v) => b.input(v, 'private'));
  const before = b.nConstraints;
  const y = body(b, x);
  const cost = b.nConstraints - before;
  for (const s of y) b.exposeOutput(s);
  const c = b.finalize();
  return { c, out: c.witness.slice(1, 1 + y.length).map(toSigned), cost };
}

// A 2×3 by 3×2 matrix product plus a square: a = x[0..6), b = x[6..12).
const terms = (() => {
  const offsets = [0];
  const aIndex: number[] = [];
  const bIndex: number[] = [];
  for (let r = 0; r < 2; r++) for (let j = 0; j < 2; j++) {
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
  const r = circuit(xs, (b, x) => products(b, x.slice(0, 6), x.slice(6), terms));
  assert.deepEqual(r.out, productValues(xs.slice(0, 6), xs.slice(6), terms));
  assert.equal(r.cost, productsCost(terms));
  assert.equal(r.cost, 12);
  assertEveryNonInputWirePinned(r.c, 'products');
  assertFullyConstrained(r.c, 'products');
  assertEveryConstraintNeeded([r.c, circuit(xs.map((v) => -v), (b, x) => products(b, x.slice(0, 6), x.slice(6), terms)).c], 'products');
});

test('products: a witness of other products with the same sums is rejected', () => {
  const xs = [3n, -7n, 0n, 127n, -128n, 5n, 9n, -2n, 44n, -100n, 1n, 0n];
  const r = circuit(xs, (b, x) => products(b, x.slice(0, 6), x.slice(6), terms));
  // Shift value between two product wires of output 0 so its sum is unchanged.
  const first = 1 + r.c.nPubOut + r.c.nPubIn + r.c.nPrvIn;
  const w = r.c.witness.slice();
  w[first] = w[first]! + 5n;
  w[first + 1] = w[first + 1]! - 5n;
  assertMultiWireTamperFails(r.c, w, 'products (moved value between terms)');
});

test('products: x·x of one wire is a square', () => {
  const r = circuit([-9n], (b, [x]) => products(b, [x!], [x!], { offsets: [0, 1], aIndex: [0], bIndex: [0] }));
  assert.deepEqual(r.out, [81n]);
  assertEveryNonInputWirePinned(r.c, 'square');
});

const DIV = { qOffset: -600n, qBits: 11, rBits: 4 };

test('divide: floor(n / d) for every sign of n and d in 1..16, cost qBits + 2·rBits + 2, every wire pinned, fully constrained', () => {
  for (const n of [-600n, -97n, -16n, -1n, 0n, 1n, 15n, 16n, 255n, 600n]) {
    for (const d of [1n, 2n, 3n, 7n, 15n, 16n]) {
      const r = circuit([n, d], (b, [x, y]) => [divide(b, x!, y!, DIV)]);
      assert.deepEqual(r.out, [floorDiv(n, d)], `${n} / ${d}`);
      assert.equal(r.cost, divideCost(DIV));
      assertEveryNonInputWirePinned(r.c, `${n} / ${d}`);
      assertFullyConstrained(r.c, `${n} / ${d}`);
    }
  }
});

test('divide: every constraint is needed (removing one frees a wire)', () => {
  const a = circuit([-97n, 7n], (b, [x, y]) => [divide(b, x!, y!, DIV)]).c;
  const c = circuit([255n, 16n], (b, [x, y]) => [divide(b, x!, y!, DIV)]).c;
  assertEveryConstraintNeeded([a, c], 'divide');
});

/** Rewrites the quotient, remainder and bound bits of a divide circuit to (q, r) (t = d − 1 − r), keeping the output consistent. */
function rewriteDivision(c: ReturnType<typeof circuit>['c'], d: bigint, q: bigint, r: bigint): bigint[] {
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
  const r = circuit([n, d], (b, [x, y]) => [divide(b, x!, y!, DIV)]);
  assert.equal(findViolatedConstraint(r.c.constraints, rewriteDivision(r.c, d, 14n, 2n)), -1, 'the rewrite reproduces the honest witness');
  assertMultiWireTamperFails(r.c, rewriteDivision(r.c, d, 15n, 2n - 7n), 'divide (q + 1, r − d)');
  assertMultiWireTamperFails(r.c, rewriteDivision(r.c, d, 13n, 2n + 7n), 'divide (q − 1, r + d)');
  // The field solution for remainder r + 1 is q − 1/d mod p: far outside the quotient's range check.
  assertMultiWireTamperFails(r.c, rewriteDivision(r.c, d, 14n - fieldInv(d), 3n), 'divide (field quotient for r + 1)');
});

test('divide: a denominator below 1 has no witness, and the checker rule ignores unmarked or malformed pairs', () => {
  assert.throws(() => circuit([5n, 0n], (b, [x, y]) => [divide(b, x!, y!, DIV)]), /below 1/);
  const r = circuit([100n, 7n], (b, [x, y]) => [divide(b, x!, y!, DIV)]);
  assert.ok(checkDeterminism(r.c).determined);
  assert.equal(checkDeterminism({ ...r.c, divisions: [] }).determined, false, 'without its mark the rule does not fire');
  const [p, k] = r.c.divisions![0]!;
  assert.equal(checkDeterminism({ ...r.c, divisions: [[k, p]] }).determined, false, 'a swapped mark proves nothing');
});
