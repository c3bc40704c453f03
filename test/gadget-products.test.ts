/**
 * Soundness of the product, division and softmax gadgets (circuits/product.ts, divide.ts,
 * softmax.ts): every non-input wire pinned (±1), multi-wire adversarial witnesses rejected,
 * the determinism checker satisfied, and values equal to the integer semantics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { R1csBuilder, Signal } from '../circuits/builder.js';
import { toSigned } from '../circuits/field.js';
import { products, productsCost, productValues } from '../circuits/product.js';
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
