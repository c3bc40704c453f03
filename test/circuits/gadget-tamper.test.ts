/**
 * Multi-wire adversarial witnesses, per gadget: several wires changed at once and consistently
 * with each other (the whole bit decomposition of another value, a flipped comparator with its
 * product recomputed, a Poseidon state changed in one round with every later round recomputed,
 * …), inputs kept. Each must violate a constraint. The single-wire ±1 perturbations are in
 * gadgets.test.ts and gadget-max.test.ts; these catch what they cannot.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Constraint, evalLc, R1csBuilder, Signal } from '../../circuits/builder.js';
import { FIELD_PRIME, fieldInv, fieldMod } from '../../circuits/field.js';
import { assertInInterval, bitDecompose } from '../../circuits/range-check.js';
import { isZero } from '../../circuits/is-zero.js';
import { requantize, requantizeAccBits, RequantizeParams } from '../../circuits/requantize.js';
import { clamp, max2, min2, poolMax, windowMax } from '../../circuits/max.js';
import { leakyRelu } from '../../circuits/leaky-relu.js';
import { poseidon, poseidonCost } from '../../circuits/poseidon.js';
import { commitSignals } from '../../circuits/commitment.js';
import { packSignals } from '../../circuits/pack.js';
import { linearLayer } from '../../circuits/linear.js';
import { linearTerms } from '../../src/formats/linear-spec.js';
import {
  assertMultiWireTamperFails,
  firstInternalWire,
  gadgetCircuit,
  spliceWitness,
  wireOf,
} from '../helpers/soundness-helpers.js';

/** The single wire of a constraint side. */
function sideWire(k: Constraint, side: 'a' | 'b' | 'c'): number {
  const keys = [...k[side].keys()].filter((w) => w !== 0);
  assert.equal(keys.length, 1, `side ${side} is one wire`);
  return keys[0]!;
}

/** Circuit of `body` at every input vector in `inputs`; each splices every other's wires in. */
function assertSplicesFail(
  what: string,
  inputs: ReadonlyArray<readonly bigint[]>,
  body: (b: R1csBuilder, x: Signal[]) => unknown,
): void {
  const circuits = inputs.map((xs) => gadgetCircuit(xs, body).circuit);
  for (let i = 0; i < circuits.length; i++) {
    for (let j = 0; j < circuits.length; j++) {
      if (i !== j)
        assertMultiWireTamperFails(
          circuits[i]!,
          spliceWitness(circuits[i]!, circuits[j]!),
          `${what}: wires of input ${j} on input ${i}`,
        );
    }
  }
}

test('bitDecompose: the whole decomposition of another value, and non-boolean bits with the right sum, fail', () => {
  for (const sumConstraint of [false, true]) {
    const what = sumConstraint ? 'sum layout' : 'compact layout';
    assertSplicesFail(what, [[0n], [3n], [77n], [200n], [255n]], (b, [x]) => bitDecompose(b, x!, 8, { sumConstraint }));
    // 6 = 0·1 + 1·2 + 1·4 rewritten as 2·1 + 0·2 + 1·4 (and as 6·1 + 0 + 0): sums hold, booleans do not.
    const { circuit, result } = gadgetCircuit([6n], (b, [x]) => bitDecompose(b, x!, 8, { sumConstraint }));
    const [b0, b1, b2] = result.slice(0, 3).map(wireOf);
    for (const [v0, v1, v2] of [
      [2n, 0n, 1n],
      [6n, 0n, 0n],
      [0n, 3n, 0n],
    ]) {
      const w = circuit.witness.slice();
      [w[b0!], w[b1!], w[b2!]] = [v0, v1, v2];
      assertMultiWireTamperFails(circuit, w, `${what}: bits ${v0},${v1},${v2} for 6`);
    }
    // Field wrap-around: bits 1..6 set to 1 and bit 0 = 6 − Σ 2^i·bit_i mod p, a huge field element.
    const w = circuit.witness.slice();
    let rest = 6n;
    for (let i = 1; i < 7; i++) {
      w[wireOf(result[i]!)] = 1n;
      rest -= 1n << BigInt(i);
    }
    w[b0!] = fieldMod(rest);
    assertMultiWireTamperFails(circuit, w, `${what}: bit 0 absorbing the rest of 6 mod p`);
  }
});

test('assertInInterval: both decompositions of another value fail', () => {
  assertSplicesFail('assertInInterval [−5, 9]', [[-5n], [-2n], [2n], [9n]], (b, [x]) =>
    assertInInterval(b, x!, -5n, 9n),
  );
  assertSplicesFail('assertInInterval [0, 1000]', [[0n], [517n], [1000n]], (b, [x]) =>
    assertInInterval(b, x!, 0n, 1000n),
  );
});

test('isZero: claiming zero for a non-zero x (z = 1, inv = 0) and non-zero for zero (z = 0, inv = any) fail', () => {
  for (const [xv, z, inv] of [
    [7n, 1n, 0n],
    [-3n, 1n, 0n],
    [0n, 0n, 1n],
    [0n, 0n, 12345n],
  ] as const) {
    const { circuit, result } = gadgetCircuit([xv], (b, [x]) => isZero(b, x!));
    const w = circuit.witness.slice();
    w[wireOf(result)] = z;
    w[wireOf(result) + 1] = inv;
    assertMultiWireTamperFails(circuit, w, `isZero(${xv}) claimed ${z}`);
  }
});

const RQ: RequantizeParams = {
  shift: 4,
  outBits: 4,
  lowerOffset: 0n,
  accBits: requantizeAccBits(-6000n, 6000n, { shift: 4, outBits: 4, lowerOffset: 0n }),
};
const RQ_SIGNED: RequantizeParams = {
  shift: 3,
  outBits: 6,
  lowerOffset: 32n,
  accBits: requantizeAccBits(-4000n, 4000n, { shift: 3, outBits: 6, lowerOffset: 32n }),
};

test('requantize: all bits, is-zero and output recomputed for another accumulator fail', () => {
  const accs = [[-500n], [-1n], [0n], [17n], [250n], [5000n]] as const;
  assertSplicesFail('requantize ReLU', accs, (b, [x]) => requantize(b, x!, RQ));
  assertSplicesFail('requantize signed', [[-3000n], [-20n], [20n], [255n], [3000n]], (b, [x]) =>
    requantize(b, x!, RQ_SIGNED),
  );
});

test('requantize: honest bits with the clamp flag flipped and the output recomputed from it fail', () => {
  for (const acc of [-500n, 0n, 100n, 5000n]) {
    const { circuit } = gadgetCircuit([acc], (b, [x]) => requantize(b, x!, RQ));
    const last = circuit.constraints[circuit.constraints.length - 1]!;
    const g = sideWire(last, 'a');
    const low = evalLc(last.b, circuit.witness);
    const t = Math.max(...[...last.c.keys()]);
    const w = circuit.witness.slice();
    const gNew = 1n - w[g]!;
    const x = fieldMod(evalLc(circuit.constraints[circuit.constraints.length - 4]!.a, w));
    w[g] = gNew;
    w[g + 1] = gNew === 1n || x === 0n ? 0n : fieldInv(x); // is-zero's inverse, consistent with the claim where it can be
    w[t] = fieldMod(w[t]! + (gNew - circuit.witness[g]!) * (low - 15n));
    assertMultiWireTamperFails(circuit, w, `requantize(${acc}) with flipped clamp flag`);
  }
});

test("max2 / min2 / clamp / windowMax / poolMax: flipped comparator with recomputed product, and other inputs' wires, fail", () => {
  for (const [av, cv] of [
    [5n, -3n],
    [-3n, 5n],
    [2n, 1n],
  ] as const) {
    const { circuit } = gadgetCircuit([av, cv], (b, [a, c]) => max2(b, a!, c!, 6));
    const last = circuit.constraints[circuit.constraints.length - 1]!;
    const s = sideWire(last, 'a');
    const m = Math.max(...[...last.c.keys()]);
    const w = circuit.witness.slice();
    w[s] = 1n - w[s]!;
    w[m] = fieldMod(cv + w[s]! * (av - cv)); // the product constraint holds for the flipped bit
    assertMultiWireTamperFails(circuit, w, `max2(${av}, ${cv}) with flipped comparator`);
  }
  assertSplicesFail(
    'max2',
    [
      [5n, -3n],
      [-3n, 5n],
      [2n, 2n],
      [-9n, -10n],
    ],
    (b, [a, c]) => max2(b, a!, c!, 6),
  );
  assertSplicesFail(
    'min2',
    [
      [5n, -3n],
      [-3n, 5n],
      [0n, 0n],
    ],
    (b, [a, c]) => min2(b, a!, c!, 6),
  );
  assertSplicesFail('clamp', [[-9n], [0n], [4n], [9n]], (b, [x]) => clamp(b, x!, -3n, 5n, 6, 6));
  assertSplicesFail(
    'windowMax',
    [
      [1n, 7n, -2n, 7n],
      [9n, 0n, 3n, -1n],
      [-5n, -6n, -2n, 8n],
    ],
    (b, x) => windowMax(b, x, [6, 6, 6]),
  );
  assertSplicesFail(
    'poolMax',
    [
      [1n, 7n, -2n, 3n],
      [9n, 0n, 3n, 4n],
    ],
    (b, x) => poolMax(b, x, [0, 3, 5], [0, 1, 2, 2, 3], [6, 6, 6]),
  );
});

test("leakyRelu: flipped sign bit with recomputed product, and other inputs' wires, fail", () => {
  const p = { shift: 7, alpha: 13n, signBits: 9 };
  for (const xv of [-40n, -1n, 1n, 37n]) {
    const { circuit } = gadgetCircuit([xv], (b, [x]) => leakyRelu(b, x!, p));
    const last = circuit.constraints[circuit.constraints.length - 1]!;
    const s = sideWire(last, 'a');
    const sx = sideWire(last, 'c');
    const w = circuit.witness.slice();
    w[s] = 1n - w[s]!;
    w[sx] = fieldMod(w[s]! * xv);
    assertMultiWireTamperFails(circuit, w, `leakyRelu(${xv}) with flipped sign`);
  }
  assertSplicesFail('leakyRelu', [[-40n], [0n], [37n], [255n]], (b, [x]) => leakyRelu(b, x!, p));
});

test('poseidon: the state of another input from round r on (every later round recomputed) fails at every r', () => {
  for (const arity of [1, 2, 5]) {
    const honest = gadgetCircuit(
      Array.from({ length: arity }, (_, i) => BigInt(i + 1)),
      (b, x) => poseidon(b, x),
    ).circuit;
    const donor = gadgetCircuit(
      Array.from({ length: arity }, (_, i) => BigInt(i + 1) + (i === arity - 1 ? 1n : 0n)),
      (b, x) => poseidon(b, x),
    ).circuit;
    assert.equal(honest.constraints.length, poseidonCost(arity));
    const first = firstInternalWire(honest);
    // Three wires per S-box: start the splice at each S-box boundary (every 7th to stay quick).
    for (let from = first; from < honest.nWires; from += 3 * 7) {
      assertMultiWireTamperFails(
        honest,
        spliceWitness(honest, donor, { from }),
        `poseidon(${arity}) from wire ${from}`,
      );
    }
    // One S-box's three wires recomputed for its input + 1, everything else honest.
    const w = honest.witness.slice();
    const x = fieldMod(evalLc(honest.constraints[30]!.a, w) + 1n);
    const [x2, x4, x5] = [
      sideWire(honest.constraints[30]!, 'c'),
      sideWire(honest.constraints[31]!, 'c'),
      sideWire(honest.constraints[32]!, 'c'),
    ];
    w[x2] = (x * x) % FIELD_PRIME;
    w[x4] = (w[x2]! * w[x2]!) % FIELD_PRIME;
    w[x5] = (w[x4]! * x) % FIELD_PRIME;
    assertMultiWireTamperFails(honest, w, `poseidon(${arity}) one S-box recomputed`);
  }
});

test('commitment: bits and hash of another vector, and the hash of another vector over honest bits, fail', () => {
  const opts = { bits: 4, offset: 8n };
  const vectors = [
    [3n, -2n, 0n],
    [-8n, 7n, 1n],
    [3n, -2n, 1n],
  ] as const;
  assertSplicesFail('commitment', vectors, (b, x) => b.exposeOutput(commitSignals(b, x, opts).hash));
  const honest = gadgetCircuit(vectors[0], (b, x) => b.exposeOutput(commitSignals(b, x, opts).hash)).circuit;
  const donor = gadgetCircuit(vectors[2], (b, x) => b.exposeOutput(commitSignals(b, x, opts).hash)).circuit;
  // Bits come first (3 values × 3 wire bits, the top bit is a combination), then the Poseidon.
  assertMultiWireTamperFails(
    honest,
    spliceWitness(honest, donor, { from: firstInternalWire(honest) + 9 }),
    'commitment: Poseidon of another vector',
  );
  // Blinded: the hash chain computed with another blinding value, the values and bits honest.
  const blinded = (r: bigint) =>
    gadgetCircuit([...vectors[0], r], (b, x) =>
      b.exposeOutput(commitSignals(b, x.slice(0, 3), { ...opts, blinding: x[3] }).hash),
    ).circuit;
  const [h, d] = [blinded(123456789n), blinded(123456790n)];
  assertMultiWireTamperFails(h, spliceWitness(h, d), 'blinded commitment: Poseidon of another blinding');
});

test('pack and linear layer: outputs of another input, all at once, fail', () => {
  const vals = Array.from({ length: 12 }, (_, i) => BigInt(i * 3 - 10));
  const other = vals.map((v, i) => (i === 4 || i === 11 ? v + 1n : v));
  assertSplicesFail('pack', [vals, other], (b, x) =>
    packSignals(b, x, { bits: 25, offset: 1n << 20n }).map((e) => b.exposeOutput(e)),
  );
  const t = linearTerms({ type: 'dense', inFeatures: 3, outFeatures: 2 });
  assertSplicesFail(
    'linear',
    [
      [3n, -2n, 1n],
      [-7n, 7n, 7n],
    ],
    (b, x) => linearLayer(b, x, t, [1, -2, 3, 4, 5, -6], [7, -8]).map((s) => b.exposeOutput(s)),
  );
});
