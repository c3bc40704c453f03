/**
 * Soundness of the accuracy gadgets: argmax (first maximum wins), label equality and count.
 * Every non-input wire is pinned (±1 on any one breaks a constraint), and multi-wire cheating
 * witnesses — a wrong argmax index with every later comparator recomputed consistently, a
 * match claimed for a wrong or padded label with the isZero helpers chosen to fit, every wire
 * spliced from another input — are rejected; the determinism checker forces every wire and
 * needs every constraint.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findViolatedConstraint, R1csBuilder, Signal } from '../../circuits/builder.js';
import { fieldInv, fieldMod } from '../../circuits/field.js';
import { argmax, argmaxBits, argmaxCost } from '../../circuits/argmax.js';
import { countMatches, countMatchesCost, labelCode } from '../../circuits/count-matches.js';
import { argmax as referenceArgmax } from '../../src/quantize/quantized-model.js';
import { prng } from '../helpers/onnx-fixtures.js';
import {
  assertEveryConstraintNeeded,
  assertMultiWireTamperFails,
  exposedCircuit,
  gadgetCircuit,
  spliceWitness,
  assertEveryNonInputWirePinned,
} from '../helpers/soundness-helpers.js';

test('argmax: first maximum wins exactly like the integer reference, on ties and random vectors', () => {
  const rnd = prng(11);
  const cases: bigint[][] = [[5n], [3n, 3n], [1n, 7n, 7n, 2n], [-4n, -4n, -9n], [0n, 0n, 0n, 0n, 1n], [9n, 1n, 9n]];
  for (let t = 0; t < 40; t++) cases.push(Array.from({ length: 10 }, () => BigInt(Math.floor(rnd() * 9) - 4)));
  const [lo, hi] = [-9, 9];
  const bits = argmaxBits(lo, hi);
  for (const xs of cases) {
    const r = exposedCircuit(xs, (b, x) => {
      const a = argmax(b, x, bits);
      return [a.index, a.max];
    });
    assert.deepEqual(r.out, [BigInt(referenceArgmax(xs)), xs.reduce((a, v) => (v > a ? v : a))], `argmax ${xs}`);
    assert.equal(r.cost, argmaxCost(xs.length, bits));
  }
});

test('argmax: every non-input wire pinned (±1), at the extremes of the declared range', () => {
  const bits = argmaxBits(-100, 100);
  for (const xs of [
    [-100n, 100n, 100n, -100n],
    [100n, -100n, 99n],
    [0n, 0n, 0n],
  ]) {
    const r = exposedCircuit(xs, (b, x) => [argmax(b, x, bits).index]);
    assertEveryNonInputWirePinned(r.c, `argmax ${xs}`);
  }
});

/**
 * A cheating argmax: the same wire allocation as the gadget, but the comparison result of
 * step `flip` is inverted and everything after it (running max, index, later comparators'
 * bits) is recomputed consistently from the cheated state. The flipped step's bits encode
 * d + 2^(bits−1) with the top bit inverted (the lower bits kept), the only freedom left.
 */
function cheatingArgmax(b: R1csBuilder, xs: readonly Signal[], bits: number, flip: number): bigint {
  let m = xs[0]!.value;
  let index = 0n;
  for (let k = 1; k < xs.length; k++) {
    const x = xs[k]!.value;
    const u = x - m - 1n + (1n << BigInt(bits - 1));
    let s = u >> BigInt(bits - 1);
    let v = u;
    if (k === flip) {
      s = 1n - s;
      v = (u & ((1n << BigInt(bits - 1)) - 1n)) | (s << BigInt(bits - 1));
    }
    for (let i = 0; i < bits; i++) b.wire(fieldMod((v >> BigInt(i)) & 1n));
    const nm = s === 1n ? x : m;
    const ni = s === 1n ? BigInt(k) : index;
    b.wire(fieldMod(nm));
    b.wire(ni);
    m = nm;
    index = ni;
  }
  return index;
}

test('argmax: a wrong index with every comparator recomputed violates a constraint', () => {
  const rnd = prng(3);
  const bits = argmaxBits(-50, 50);
  let wrongIndex = 0;
  for (let t = 0; t < 25; t++) {
    const xs = Array.from({ length: 10 }, () => BigInt(Math.floor(rnd() * 101) - 50));
    const honest = exposedCircuit(xs, (b, x) => [argmax(b, x, bits).index]);
    // The mirror allocates exactly like the gadget: without a flip it reproduces the honest witness.
    const same = new R1csBuilder({ witnessOnly: true });
    const sx = xs.map((v) => same.input(v, 'private'));
    same.exposeOutput(same.constant(cheatingArgmax(same, sx, bits, -1)));
    assert.deepEqual(same.finalize().witness, honest.c.witness);
    for (let flip = 1; flip < xs.length; flip++) {
      const cb = new R1csBuilder({ witnessOnly: true });
      const cx = xs.map((v) => cb.input(v, 'private'));
      // The output wire claims the cheated index.
      const claimed = cheatingArgmax(cb, cx, bits, flip);
      if (claimed !== BigInt(referenceArgmax(xs))) wrongIndex++;
      cb.exposeOutput(cb.constant(claimed));
      const w = cb.finalize().witness;
      assert.equal(w.length, honest.c.witness.length);
      assert.notEqual(findViolatedConstraint(honest.c.constraints, w), -1, `flip at step ${flip} of ${xs}`);
    }
  }
  assert.ok(wrongIndex > 25, `cheats that claim a wrong final index: ${wrongIndex}`);
});

test('countMatches: counts index + 1 = code; padding (code 0) never counts; every wire pinned', () => {
  const idx = [0n, 3n, 9n, 2n, 0n];
  const codes = [1n, 4n, 3n, 0n, 0n].map(BigInt); // match, match, wrong, padding, padding
  const r = exposedCircuit([...idx, ...codes], (b, x) => {
    const { count } = countMatches(b, x.slice(0, 5), x.slice(5));
    return [count];
  });
  assert.deepEqual(r.out, [2n]);
  assert.equal(r.cost, countMatchesCost(5));
  assertEveryNonInputWirePinned(r.c, 'countMatches');
  assert.equal(labelCode(null), 0);
  assert.equal(labelCode(0), 1);
});

test('countMatches: claiming a match for a wrong label or a padded sample, with the helpers chosen to fit, is rejected', () => {
  const idx = [4n, 0n];
  const codes = [2n, 0n]; // wrong label, padding
  const r = exposedCircuit([...idx, ...codes], (b, x) => [countMatches(b, x.slice(0, 2), x.slice(2)).count]);
  assert.deepEqual(r.out, [0n]);
  // Wires after the 4 inputs: per sample z then inv; the count is the output wire 1.
  const first = 1 + r.c.nPubOut + r.c.nPrvIn;
  for (let s = 0; s < 2; s++) {
    for (const inv of [0n, 1n, fieldInv(fieldMod(idx[s]! + 1n - codes[s]!))]) {
      const w = r.c.witness.slice();
      w[first + 2 * s] = 1n; // z: "equal"
      w[first + 2 * s + 1] = inv;
      w[1] = 1n; // count
      assert.notEqual(findViolatedConstraint(r.c.constraints, w), -1, `sample ${s}, inv ${inv}`);
    }
  }
});

test('determinism checker: argmax and countMatches force every wire, and every constraint is needed', () => {
  const bits = argmaxBits(-20, 20);
  // Inputs that take every branch: a later value winning, ties (first kept), losing.
  const vectors = [
    [3n, 9n, 9n, 1n],
    [9n, 3n, 9n, 9n],
    [-20n, -20n, 20n, 0n],
    [0n, 0n, 0n, 0n],
  ];
  const argmaxCircuits = vectors.map((xs) => gadgetCircuit(xs, (b, x) => argmax(b, x, bits)).circuit);
  assertEveryConstraintNeeded(argmaxCircuits, 'argmax');
  const matches = [
    [
      [2n, 3n],
      [3n, 0n],
    ],
    [
      [5n, 0n],
      [1n, 1n],
    ],
  ].map(
    ([p, codes]) => gadgetCircuit([...p!, ...codes!], (b, x) => countMatches(b, x.slice(0, 2), x.slice(2))).circuit,
  );
  assertEveryConstraintNeeded(matches, 'countMatches');
  // The strongest generic forgery: every non-input wire taken from an honest run at other inputs.
  for (let i = 1; i < argmaxCircuits.length; i++)
    assertMultiWireTamperFails(
      argmaxCircuits[0]!,
      spliceWitness(argmaxCircuits[0]!, argmaxCircuits[i]!),
      `argmax splice ${i}`,
    );
  assertMultiWireTamperFails(matches[0]!, spliceWitness(matches[0]!, matches[1]!), 'countMatches splice');
});
