import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { buildPoseidonReference } from 'circomlibjs';
import { BuiltCircuit, R1csBuilder, findViolatedConstraint } from '../../circuits/builder.js';
import { FIELD_PRIME } from '../../circuits/field.js';
import { POSEIDON_MAX_INPUTS, poseidon, poseidonCost, poseidonHashValues } from '../../circuits/poseidon.js';

/** Deterministic pseudo-random field element, so failures reproduce. */
function fieldElement(label: string): bigint {
  return BigInt('0x' + createHash('sha256').update(label).digest('hex')) % FIELD_PRIME;
}

/** The test vectors for one arity: random, near p, and small/zero values. */
function vectors(n: number): bigint[][] {
  return [
    Array.from({ length: n }, (_, i) => fieldElement(`a-${n}-${i}`)),
    Array.from({ length: n }, (_, i) => fieldElement(`b-${n}-${i}`)),
    Array.from({ length: n }, (_, i) => FIELD_PRIME - 1n - BigInt(i)),
    Array.from({ length: n }, (_, i) => BigInt(i % 2)),
  ];
}

/** Hashes `values` as private inputs and exposes the hash as the only public output. */
function hashCircuit(values: readonly bigint[], witnessOnly = false): { circuit: BuiltCircuit; hash: bigint } {
  const b = new R1csBuilder({ witnessOnly });
  const inputs = values.map((v) => b.input(v, 'private'));
  const h = poseidon(b, inputs);
  b.exposeOutput(h);
  return { circuit: b.finalize(), hash: h.value };
}

/** Wires that are neither the constant 1 nor an input: every one of them must be pinned. */
function pinnedWires(c: BuiltCircuit): number[] {
  const firstInternal = 1 + c.nPubOut + c.nPubIn + c.nPrvIn;
  const outputs = Array.from({ length: c.nPubOut }, (_, i) => 1 + i);
  const internal = Array.from({ length: c.nWires - firstInternal }, (_, i) => firstInternal + i);
  return [...outputs, ...internal];
}

test('poseidon gadget matches circomlibjs for every arity 1..16', async () => {
  const reference = await buildPoseidonReference();
  for (let n = 1; n <= POSEIDON_MAX_INPUTS; n++) {
    for (const values of vectors(n)) {
      const { circuit, hash } = hashCircuit(values);
      const expected = await poseidonHashValues(values);
      assert.equal(hash, expected, `n=${n}`);
      // The optimized wasm hasher and the textbook reference must agree with each other too.
      assert.equal(reference.F.toObject(reference(values)), expected, `reference n=${n}`);
      assert.equal(circuit.witness[1], expected, `output wire n=${n}`);
      assert.equal(findViolatedConstraint(circuit.constraints, circuit.witness), -1, `n=${n}`);
      assert.equal(circuit.nConstraints, poseidonCost(n) + 1, `cost n=${n}`);
      assert.equal(circuit.constraints.length, circuit.nConstraints);
    }
  }
});

test('poseidon matches the published circomlib vector', async () => {
  const expected = 7853200120776062878684798364095072458815029376092732009249414926327459813530n;
  assert.equal(await poseidonHashValues([1n, 2n]), expected);
  assert.equal(hashCircuit([1n, 2n]).hash, expected);
});

test('poseidon costs: 3 constraints per S-box, capacity S-box of round 0 free', (t) => {
  const counts = Array.from({ length: POSEIDON_MAX_INPUTS }, (_, i) => poseidonCost(i + 1));
  t.diagnostic(`poseidon constraints for 1..16 inputs: ${counts.join(', ')}`);
  // circom's Poseidon(2) compiles to the same 240 non-linear constraints.
  assert.equal(poseidonCost(2), 240);
  assert.throws(() => poseidonCost(0));
  assert.throws(() => poseidonCost(17));
});

test('poseidon rejects 0 and 17 inputs in and out of the circuit', async () => {
  const b = new R1csBuilder();
  assert.throws(() => poseidon(b, []));
  assert.throws(() =>
    poseidon(
      b,
      Array.from({ length: 17 }, () => b.constant(1n)),
    ),
  );
  await assert.rejects(poseidonHashValues([]));
  await assert.rejects(poseidonHashValues(Array.from({ length: 17 }, () => 1n)));
});

test('witness-only mode allocates the same wires and computes the same witness', () => {
  const values = vectors(5)[0]!;
  const full = hashCircuit(values).circuit;
  const fast = hashCircuit(values, true).circuit;
  assert.deepEqual(fast.witness, full.witness);
  assert.equal(fast.nConstraints, full.nConstraints);
});

test('poseidon soundness: perturbing any non-input wire violates a constraint', () => {
  for (const n of [1, 2]) {
    const { circuit } = hashCircuit(vectors(n)[0]!);
    const wires = pinnedWires(circuit);
    // One output plus three wires (x², x⁴, x⁵) per constrained S-box.
    assert.equal(wires.length, 1 + poseidonCost(n));
    for (const w of wires) {
      const witness = [...circuit.witness];
      witness[w] = (witness[w]! + 1n) % FIELD_PRIME;
      assert.notEqual(
        findViolatedConstraint(circuit.constraints, witness),
        -1,
        `wire ${w} of ${circuit.nWires} is free`,
      );
    }
  }
});

test('poseidon of signed inputs hashes their field embedding', async () => {
  const { hash } = hashCircuit([-1n, 5n]);
  assert.equal(hash, await poseidonHashValues([FIELD_PRIME - 1n, 5n]));
});
