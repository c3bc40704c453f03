/**
 * The determinism checker itself: its fixpoint on tiny hand-built systems (free wires found,
 * each rule's boundary), then every gadget of circuits/ fully determined, and not determined
 * any more once any single one of its constraints is removed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { R1csBuilder, Signal } from '../../circuits/builder.js';
import { fieldInv } from '../../circuits/field.js';
import { assertInInterval, bitDecompose, bitsToValue } from '../../circuits/range-check.js';
import { isZero } from '../../circuits/is-zero.js';
import { requantize, requantizeAccBits, RequantizeParams } from '../../circuits/requantize.js';
import { clamp, comparatorBits, max2, min2, poolMax, windowMax } from '../../circuits/max.js';
import { leakyRelu } from '../../circuits/leaky-relu.js';
import { poseidon } from '../../circuits/poseidon.js';
import { commitSignals } from '../../circuits/commitment.js';
import { packSignals } from '../../circuits/pack.js';
import { linearLayer } from '../../circuits/linear.js';
import { linearTerms } from '../../src/formats/linear-spec.js';
import { checkDeterminism } from '../../src/compile/determinism-check.js';
import { booleanForm } from '../../src/compile/determinism-forms.js';
import {
  assertEveryConstraintNeeded,
  assertFullyConstrained,
  gadgetCircuit,
  wireOf,
} from '../helpers/soundness-helpers.js';

/** Undetermined wire indices of a finished builder. */
function free(b: R1csBuilder): number[] {
  return checkDeterminism(b.finalize()).undetermined.map((u) => u.wire);
}

test('fixpoint: a wire in no constraint, and two wires tied by one equation, are reported', () => {
  const b = new R1csBuilder();
  const x = b.input(3n, 'private');
  const loose = b.wire(7n);
  const y = b.wire(4n);
  const z = b.wire(5n);
  b.assertEqual(b.add(y, z), b.linear([[x, 3n]]));
  const forced = b.mul(x, x);
  const r = checkDeterminism(b.finalize());
  assert.equal(r.determined, false);
  assert.deepEqual(
    r.undetermined.map((u) => u.wire),
    [wireOf(loose), wireOf(y), wireOf(z)],
  );
  assert.equal(r.undetermined[0]!.constraint, -1);
  assert.equal(r.undetermined[1]!.constraint, 0);
  assert.ok(!r.undetermined.some((u) => u.wire === wireOf(forced)));
});

test('fixpoint: outputs are not fixed; an output bound to a forced value is determined, a bare one is not', () => {
  const b = new R1csBuilder();
  const x = b.input(3n, 'public');
  b.exposeOutput(b.mul(x, x));
  assert.deepEqual(free(b), []);
  const b2 = new R1csBuilder();
  b2.input(3n, 'public');
  const out = b2.wire(9n, 'output');
  b2.assertMul(out, b2.constant(0n), b2.constant(0n));
  const r = checkDeterminism(b2.finalize());
  assert.deepEqual(
    r.undetermined.map((u) => [u.wire, u.role]),
    [[1, 'output']],
  );
});

test('fixpoint: a known factor forces the other only when it is non-zero at this witness', () => {
  for (const [xv, expectFree] of [
    [3n, false],
    [0n, true],
  ] as const) {
    const b = new R1csBuilder();
    const x = b.input(xv, 'private');
    const y = b.wire(0n);
    b.assertMul(x, y, b.constant(0n)); // x·y = 0: y = 0 only if x ≠ 0
    assert.equal(free(b).length > 0, expectFree, `x = ${xv}`);
  }
});

test('fixpoint: is-zero without its third constraint leaves the inverse free at x = 0 (and only there)', () => {
  for (const xv of [0n, 5n]) {
    const b = new R1csBuilder();
    const x = b.input(xv, 'private');
    const z = isZero(b, x);
    const full = b.finalize();
    assertFullyConstrained(full, `isZero(${xv})`);
    const r = checkDeterminism({ ...full, constraints: full.constraints.slice(0, 2), nConstraints: 2 });
    if (xv === 0n)
      assert.deepEqual(
        r.undetermined.map((u) => u.wire),
        [wireOf(z) + 1],
      );
    else assert.equal(r.determined, true);
  }
});

test('fixpoint: a decomposition needs every bit boolean, distinct powers of two and no wrap-around', () => {
  // Bits of 5 with a sum constraint; bit 1 not constrained boolean: nothing can be concluded.
  const b = new R1csBuilder();
  const x = b.input(5n, 'private');
  const bits = [1n, 0n, 1n].map((v) => b.wire(v));
  b.assertBool(bits[0]!);
  b.assertBool(bits[2]!);
  b.assertMul(b.constant(1n), bitsToValue(b, bits, 0, 3), x);
  assert.deepEqual(free(b), bits.map(wireOf));
  // Repeated weight: b0 + 2·b1 + 2·b2 = 3 has two solutions.
  const b2 = new R1csBuilder();
  const x2 = b2.input(3n, 'private');
  const bs = [1n, 1n, 0n].map((v) => b2.wire(v));
  for (const s of bs) b2.assertBool(s);
  b2.assertEqual(
    b2.linear([
      [bs[0]!, 1n],
      [bs[1]!, 2n],
      [bs[2]!, 2n],
    ]),
    x2,
  );
  assert.equal(free(b2).length, 3);
  // A common factor and negative exponents are fine: (b0/4 + b1/2 + b2)·3 = 3·(5/4).
  const b3 = new R1csBuilder();
  const x3 = b3.input(5n, 'private');
  const cs = [1n, 0n, 1n].map((v) => b3.wire(v));
  for (const s of cs) b3.assertBool(s);
  const q = fieldInv(4n);
  b3.assertEqual(
    b3.linear([
      [cs[0]!, 3n * q],
      [cs[1]!, 6n * q],
      [cs[2]!, 12n * q],
    ]),
    b3.linear([[x3, 3n * q]]),
  );
  assert.deepEqual(free(b3), []);
  // 254 bits span more than 2^253: two decompositions of the same field element can exist.
  for (const [n, expectFree] of [
    [253, false],
    [254, true],
  ] as const) {
    const bb = new R1csBuilder();
    const xx = bb.input(1n, 'private');
    const bits254 = Array.from({ length: n }, (_, i) => bb.wire(i === 0 ? 1n : 0n));
    for (const s of bits254) bb.assertBool(s);
    bb.assertMul(bb.constant(1n), bitsToValue(bb, bits254, 0, n), xx);
    assert.equal(free(bb).length > 0, expectFree, `${n} bits`);
  }
});

test('booleanForm recognises x(x−1), (1−x)·x, scaled factors and the compact top bit; rejects products', () => {
  const b = new R1csBuilder();
  const x = b.input(1n, 'private');
  const w = b.wire(1n);
  b.assertBool(w);
  b.assertMul(b.linear([[w, 1n]], -1n), w, b.constant(0n));
  b.assertMul(b.linear([[w, 3n]]), b.linear([[w, -6n]], 6n), b.constant(0n));
  bitDecompose(b, x, 4);
  b.assertMul(w, x, b.constant(0n));
  const c = b.finalize();
  const forms = c.constraints.map(booleanForm);
  for (let i = 0; i < 3; i++) {
    const f = forms[i]!;
    assert.ok(f, `constraint ${i}`);
    assert.equal(f.vars.length, 1);
  }
  assert.equal(forms[6]!.vars.length, 4); // top bit = (x − b0 − 2b1 − 4b2)/8
  assert.equal(forms[7], undefined);
});

const R = (shift: number, outBits: number, lowerOffset: bigint, lo: bigint, hi: bigint): RequantizeParams => ({
  shift,
  outBits,
  lowerOffset,
  accBits: requantizeAccBits(lo, hi, { shift, outBits, lowerOffset }),
});

/** Circuits of one gadget at several inputs (one per branch), for the removal test. */
function at<T>(inputs: ReadonlyArray<readonly bigint[]>, body: (b: R1csBuilder, x: Signal[]) => T) {
  return inputs.map((xs) => gadgetCircuit(xs, body).circuit);
}

const GADGETS: Array<[string, ReturnType<typeof at>]> = [
  ['bitDecompose compact', at([[0n], [5n], [200n], [255n]], (b, [x]) => bitDecompose(b, x!, 8))],
  ['bitDecompose sum', at([[0n], [77n], [255n]], (b, [x]) => bitDecompose(b, x!, 8, { sumConstraint: true }))],
  // (A 1-bit compact decomposition of an input is a single constraint on the input alone: it
  // determines no wire, so removing it cannot free one. It is a range check, covered by the
  // perturbation and tamper tests instead.)
  ['isZero', at([[0n], [9n], [-4n]], (b, [x]) => isZero(b, x!))],
  [
    'requantize ReLU with overflow bits',
    at([[-500n], [0n], [300n], [5000n]], (b, [x]) => requantize(b, x!, R(4, 4, 0n, -6000n, 6000n))),
  ],
  [
    'requantize signed',
    at([[-3000n], [-20n], [20n], [3000n]], (b, [x]) => requantize(b, x!, R(3, 6, 32n, -4000n, 4000n))),
  ],
  [
    'requantize without overflow bits',
    at([[-17n], [3n], [15n]], (b, [x]) => requantize(b, x!, { shift: 1, outBits: 4, lowerOffset: 0n, accBits: 6 })),
  ],
  [
    'max2',
    at(
      [
        [4n, -3n],
        [-3n, 4n],
        [2n, 2n],
      ],
      (b, [x, y]) => max2(b, x!, y!, comparatorBits(-20, 20)),
    ),
  ],
  [
    'min2',
    at(
      [
        [4n, -3n],
        [-3n, 4n],
      ],
      (b, [x, y]) => min2(b, x!, y!, 6),
    ),
  ],
  ['clamp', at([[-9n], [0n], [9n]], (b, [x]) => clamp(b, x!, -3n, 5n, 6, 6))],
  [
    'windowMax',
    at(
      [
        [1n, 7n, -2n, 7n],
        [9n, 0n, 3n, -1n],
        [-5n, -6n, -2n, 8n],
      ],
      (b, x) => windowMax(b, x, [6, 6, 6]),
    ),
  ],
  [
    'poolMax',
    at(
      [
        [1n, 7n, -2n, 3n],
        [9n, 0n, 3n, 4n],
        [-5n, -6n, -2n, 8n],
      ],
      (b, x) => poolMax(b, x, [0, 3, 5], [0, 1, 2, 2, 3], [6, 6, 6]),
    ),
  ],
  ['leakyRelu', at([[-40n], [0n], [37n]], (b, [x]) => leakyRelu(b, x!, { shift: 7, alpha: 13n, signBits: 9 }))],
  ['poseidon(1)', at([[0n], [12345n]], (b, x) => b.exposeOutput(poseidon(b, x)))],
  ['poseidon(3)', at([[1n, 2n, 3n]], (b, x) => b.exposeOutput(poseidon(b, x)))],
  [
    'commitment',
    at(
      [
        [3n, -2n, 0n],
        [-8n, 7n, 1n],
      ],
      (b, x) => b.exposeOutput(commitSignals(b, x, { bits: 4, offset: 8n }).hash),
    ),
  ],
  [
    'commitment with blinding',
    at(
      [
        [3n, -2n, 0n, 987654321n],
        [-8n, 7n, 1n, 5n],
      ],
      (b, x) => b.exposeOutput(commitSignals(b, x.slice(0, 3), { bits: 4, offset: 8n, blinding: x[3] }).hash),
    ),
  ],
  [
    'assertInInterval [−5, 9] (two decompositions)',
    at([[-5n], [0n], [9n]], (b, [x]) => assertInInterval(b, x!, -5n, 9n)),
  ],
  ['assertInInterval [0, 255] (one decomposition)', at([[0n], [200n]], (b, [x]) => assertInInterval(b, x!, 0n, 255n))],
  [
    'pack',
    at([[3n, -2n, 0n, 5n]], (b, x) => packSignals(b, x, { bits: 5, offset: 16n }).map((e) => b.exposeOutput(e))),
  ],
  [
    'linear + requantize',
    at(
      [
        [3n, -2n, 1n],
        [-7n, 7n, 7n],
        [0n, 0n, -3n],
      ],
      (b, x) => {
        const t = linearTerms({ type: 'dense', inFeatures: 3, outFeatures: 2 });
        return linearLayer(b, x, t, [1, -2, 3, 4, 5, -6], [7, -8]).map((s) =>
          requantize(b, s, R(2, 4, 0n, -200n, 200n)),
        );
      },
    ),
  ],
];

for (const [name, circuits] of GADGETS) {
  test(`${name}: every wire determined by the inputs; removing any one constraint frees a wire`, () => {
    for (const c of circuits) assertFullyConstrained(c, name);
    const freed = assertEveryConstraintNeeded(circuits, name);
    assert.equal(freed.length, circuits[0]!.constraints.length);
  });
}
