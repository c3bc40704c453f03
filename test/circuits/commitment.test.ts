import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { BuiltCircuit, R1csBuilder, findViolatedConstraint } from '../../circuits/builder.js';
import { FIELD_PRIME } from '../../circuits/field.js';
import { WitnessRangeError } from '../../circuits/range-check.js';
import { poseidonCost } from '../../circuits/poseidon.js';
import {
  CommitmentOptions,
  commitSignals,
  commitValues,
  commitmentChunkSizes,
  commitmentCost,
  commitmentElements,
  valuesPerElement,
} from '../../circuits/commitment.js';

/** Deterministic pseudo-random values in [−offset, 2^bits − offset). */
function randomValues(n: number, options: CommitmentOptions, seed: string): bigint[] {
  const offset = options.offset ?? 0n;
  return Array.from({ length: n }, (_, i) => {
    const r = BigInt('0x' + createHash('sha256').update(`${seed}-${i}`).digest('hex'));
    return (r % (1n << BigInt(options.bits))) - offset;
  });
}

/** Commits to private `values` and exposes the hash as the only public output. */
function commitCircuit(values: readonly bigint[], options: CommitmentOptions, witnessOnly = false) {
  const b = new R1csBuilder({ witnessOnly });
  const inputs = values.map((v) => b.input(v, 'private'));
  const commitment = commitSignals(b, inputs, options);
  b.exposeOutput(commitment.hash);
  return { circuit: b.finalize(), commitment };
}

/** Wires that are neither the constant 1 nor an input: every one of them must be pinned. */
function pinnedWires(c: BuiltCircuit): number[] {
  const firstInternal = 1 + c.nPubOut + c.nPubIn + c.nPrvIn;
  const outputs = Array.from({ length: c.nPubOut }, (_, i) => 1 + i);
  const internal = Array.from({ length: c.nWires - firstInternal }, (_, i) => firstInternal + i);
  return [...outputs, ...internal];
}

const CASES: ReadonlyArray<readonly [number, CommitmentOptions]> = [
  [0, { bits: 8 }],
  [1, { bits: 8, offset: 128n }],
  [5, { bits: 1 }],
  [31, { bits: 8 }],
  [32, { bits: 8, offset: 128n }],
  [100, { bits: 4, offset: 8n }],
  [200, { bits: 16, offset: 32768n }],
  [17, { bits: 250 }],
  [600, { bits: 8 }],
];

test('commitment in circuit equals the off-circuit twin, with the predicted cost', async () => {
  for (const [n, options] of CASES) {
    const values = randomValues(n, options, `case-${n}-${options.bits}`);
    const { circuit, commitment } = commitCircuit(values, options);
    const label = `n=${n} bits=${options.bits}`;
    assert.equal(commitment.hash.value, await commitValues(values, options), label);
    assert.equal(circuit.witness[1], commitment.hash.value, label);
    assert.equal(findViolatedConstraint(circuit.constraints, circuit.witness), -1, label);
    assert.equal(circuit.nConstraints, commitmentCost(n, options.bits) + 1, label);
    assert.deepEqual(
      commitment.values.map((s) => s.value),
      values,
      label,
    );
    assert.equal(commitment.bits!.length, n);
    for (const bits of commitment.bits!) assert.equal(bits.length, options.bits);
  }
});

test('784 private 8-bit pixels commit in one public hash', async (t) => {
  const options = { bits: 8, offset: 0n };
  const values = randomValues(784, options, 'mnist');
  const { circuit, commitment } = commitCircuit(values, options);
  const cost = commitmentCost(784, 8);
  const chunks = commitmentChunkSizes(1 + Math.ceil(784 / valuesPerElement(8)));
  t.diagnostic(
    `commitment of 784×8 bits: ${cost} constraints (${784 * 8} range-check + ${cost - 784 * 8} Poseidon, chunks ${chunks.join('+')})`,
  );
  assert.equal(circuit.nConstraints, cost + 1);
  assert.equal(findViolatedConstraint(circuit.constraints, circuit.witness), -1);
  assert.equal(commitment.hash.value, await commitValues(values, options));
  assert.ok(cost <= 7400, `cost ${cost}`);
});

test('witness-only mode computes the same witness', () => {
  const options = { bits: 8, offset: 128n };
  const values = randomValues(40, options, 'witness-only');
  assert.deepEqual(
    commitCircuit(values, options, true).circuit.witness,
    commitCircuit(values, options).circuit.witness,
  );
});

test('vectors of different lengths never share a commitment', async () => {
  const options = { bits: 8 };
  // Trailing zeros pack to the same field elements; only the length header tells them apart.
  const base = [1n, 2n, 3n];
  const seen = new Set<bigint>();
  for (const v of [[], [0n], [0n, 0n], base, [...base, 0n], [...base, 0n, 0n]]) {
    const h = await commitValues(v, options);
    assert.equal(commitCircuit(v, options).commitment.hash.value, h);
    assert.ok(!seen.has(h), `collision for [${v.join(',')}]`);
    seen.add(h);
  }
  // Same elements but split across a chunk boundary differently must differ too.
  const long = randomValues(31 * 16, options, 'long');
  assert.notEqual(await commitValues(long, options), await commitValues([...long, 0n], options));
});

test('changing one value changes the commitment', async () => {
  const options = { bits: 8, offset: 128n };
  const values = randomValues(64, options, 'flip');
  const h = await commitValues(values, options);
  for (const i of [0, 30, 31, 63]) {
    const changed = [...values];
    changed[i] = changed[i]! === 127n ? 126n : changed[i]! + 1n;
    assert.notEqual(await commitValues(changed, options), h, `index ${i}`);
  }
});

test('out-of-range values make the witness computation throw', async () => {
  const options = { bits: 8, offset: 128n };
  for (const bad of [-129n, 128n, 1000n]) {
    assert.throws(() => commitCircuit([0n, bad, 1n], options), WitnessRangeError);
    assert.throws(() => commitCircuit([0n, bad, 1n], options, true), WitnessRangeError);
    await assert.rejects(commitValues([0n, bad, 1n], options), WitnessRangeError);
  }
  assert.doesNotThrow(() => commitCircuit([-128n, 127n], options));
  assert.throws(() => commitmentElements([1n], { bits: 0 }));
  assert.throws(() => commitmentElements([1n], { bits: 251 }));
});

test('commitment soundness: perturbing any non-input wire violates a constraint', () => {
  const options = { bits: 4, offset: 8n };
  const { circuit } = commitCircuit([-8n, -1n, 0n, 5n, 7n], options);
  const wires = pinnedWires(circuit);
  // One output, three bit wires per value (the top bit is a combination), three per S-box.
  assert.equal(wires.length, 1 + 5 * 3 + poseidonCost(2));
  for (const w of wires) {
    const witness = [...circuit.witness];
    witness[w] = (witness[w]! + 1n) % FIELD_PRIME;
    assert.notEqual(findViolatedConstraint(circuit.constraints, witness), -1, `wire ${w} of ${circuit.nWires} is free`);
  }
});

test('chunk plan: one Poseidon up to 16 elements, never costlier than the greedy chain', () => {
  const chainCost = (sizes: number[]) => sizes.reduce((acc, c, i) => acc + poseidonCost(i === 0 ? c : c + 1), 0);
  for (let e = 1; e <= 200; e++) {
    const sizes = commitmentChunkSizes(e);
    assert.equal(
      sizes.reduce((a, c) => a + c, 0),
      e,
    );
    assert.ok(sizes[0]! <= 16 && sizes.slice(1).every((c) => c >= 1 && c <= 15));
    if (e <= 16) assert.deepEqual(sizes, [e]);
    const greedy = [Math.min(16, e)];
    for (let r = e - greedy[0]!; r > 0; r -= greedy.at(-1)!) greedy.push(Math.min(15, r));
    assert.ok(chainCost(sizes) <= chainCost(greedy), `e=${e}`);
  }
});
