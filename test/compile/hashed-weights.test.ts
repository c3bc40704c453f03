/**
 * Compiling a hashed-weights model (issue 21): the r1cs and model id depend on the architecture
 * only, so two weight sets of one architecture share them; the witness for model A's weights
 * satisfies that circuit, exposes W at layout.weights and computes A's outputs; a witness that
 * mixes A's weights with B's wires does not; and the constraint counts against fixed weights.
 * The hashed models are the shipped digits MLP quantized as usual, with the hashed fields added
 * (the widths its own weights need) and read back through the model.quant.json reader.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { findViolatedConstraint } from '../../circuits/builder.js';
import { weightCommitmentCost } from '../../circuits/weight-commitment.js';
import { buildCircuit } from '../../src/compile/build-circuit.js';
import { compileQuantized } from '../../src/compile/compile-circuit.js';
import { encodeR1cs } from '../../src/compile/r1cs-file.js';
import { weightSegments, weightsCommitment } from '../../src/compile/weight-signals.js';
import { sha256Hex } from '../../src/core/hash.js';
import { signedWidth } from '../../src/formats/hashed-weights.js';
import { architectureBytes, parseQuantizedModel } from '../../src/formats/quantized-model.js';
import type { QuantizedModel } from '../../src/formats/quantized-schema.js';
import { circuitKeyMeta, vkeyMetaSchema } from '../../src/formats/vkey.js';
import { readCalibrationFile } from '../../src/onnx/input-file.js';
import { loadOnnx } from '../../src/onnx/load-onnx.js';
import { lowerGraph } from '../../src/quantize/lower-graph.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import { quantizeInput } from '../../src/quantize/quantize-input.js';
import { assertMultiWireTamperFails, spliceWitness } from '../helpers/soundness-helpers.js';
import { MODELS } from '../helpers/paths.js';

const g = loadOnnx(join(MODELS, 'digits-mlp.onnx'));
const samples = readCalibrationFile(join(MODELS, 'calibration.json'), g.input.shape);
const fixed = quantizeGraph(lowerGraph(g), samples);

/** `m` with hashed weights, each linear op's widths those of its own values; read back by the file reader. */
function hashed(m: QuantizedModel): QuantizedModel {
  const ops = m.ops.map((op) =>
    op.kind === 'linear' ? { ...op, weightBits: signedWidth(op.weight), biasBits: signedWidth(op.bias) } : op,
  );
  return parseQuantizedModel(JSON.parse(JSON.stringify({ ...m, weights: 'hashed', ops })), 'model B');
}

/**
 * Model B: A with every dense row reversed — other weights, the same widths, and the same
 * worst-case accumulator range per output (the same multiset of weights meets inputs that share
 * one range), so the architecture and every recorded width stay valid.
 */
function reversedRows(m: QuantizedModel): QuantizedModel {
  const ops = m.ops.map((op) => {
    if (op.kind !== 'linear' || op.spec.type !== 'dense') return op;
    const n = op.spec.inFeatures;
    const weight = op.weight.map((_, k) => op.weight[Math.floor(k / n) * n + (n - 1 - (k % n))]!);
    return { ...op, weight };
  });
  return { ...m, ops };
}

const modelA = hashed(fixed);
const modelB = hashed(reversedRows(fixed));
const bytesOf = (m: QuantizedModel) => Buffer.from(JSON.stringify(m));
const x = quantizeInput(fixed, samples[3]!);
// Compiled once (default visibilities: input hashed, output public); A with the determinism check.
const compiledA = compileQuantized(modelA, bytesOf(modelA), { check: true });
const compiledFixed = compileQuantized(fixed, bytesOf(fixed), { check: false });

test('two weight sets of one architecture: byte-identical r1cs, one model id, one architecture hash', () => {
  assert.notDeepEqual(modelA.ops[0], modelB.ops[0], 'the two models have different weights');
  const a = compiledA;
  const b = compileQuantized(modelB, bytesOf(modelB), { check: false });
  assert.ok(a.check.ran, 'the determinism checker ran and accepted the circuit (weights are inputs)');
  assert.ok(Buffer.from(a.r1cs).equals(Buffer.from(b.r1cs)), 'r1cs bytes differ');
  assert.equal(a.info.modelId, b.info.modelId);
  assert.equal(a.info.quantizedSha256, sha256Hex(architectureBytes(modelA)));
  assert.equal(a.info.modelId, sha256Hex(architectureBytes(modelA), a.r1cs));
  assert.ok(architectureBytes(modelA).equals(architectureBytes(modelB)));
  // The architecture holds no weight or bias: no hash of the raw weights is published.
  const arch = JSON.parse(architectureBytes(modelA).toString()) as QuantizedModel;
  for (const op of arch.ops) if (op.kind === 'linear') assert.deepEqual([op.weight, op.bias], [[], []]);
  const segments = weightSegments(modelA);
  assert.deepEqual(a.info.weights, {
    mode: 'hashed',
    values: segments.reduce((n, s) => n + s.values.length, 0),
    // The weights' own constraints: range checks and W's Poseidon chain (not the products).
    constraints: weightCommitmentCost(segments.map((s) => ({ bits: s.bits, count: s.values.length }))).total,
  });
  assert.deepEqual(a.info.layout.weights, { visibility: 'hashed', offset: 11, count: 1 });
  // Setup copies the weights mode into the key's metadata, which the key schema accepts.
  const meta = circuitKeyMeta(a.info, { weightBits: 8, activationBits: 8 });
  // (the mode and value count: the key says what W covers, not what it costs)
  assert.deepEqual(meta.weights, { mode: 'hashed', values: a.info.weights!.values });
  assert.ok(vkeyMetaSchema.safeParse({ ...meta, setup: 'dev' }).success);
  // Fixed weights keep their model id: the file bytes, not the architecture.
  const f = compiledFixed;
  assert.equal(f.info.modelId, sha256Hex(bytesOf(fixed), f.r1cs));
  assert.equal(f.info.weights, undefined);
  assert.equal(f.info.layout.weights, undefined);
});

test("model A's witness satisfies the shared circuit and exposes A's W; spliced with B's wires it fails", async () => {
  const r = 123456789012345678901234567890n;
  const compiled = compiledA;
  const a = buildCircuit(modelA, x, { inputVisibility: 'hashed', weightsBlinding: r });
  const b = buildCircuit(modelB, x, { inputVisibility: 'hashed', weightsBlinding: r });
  assert.ok(encodeR1cs(a.circuit).equals(Buffer.from(compiled.r1cs)), 'the witness is for the compiled circuit');
  assert.equal(findViolatedConstraint(a.circuit.constraints, a.circuit.witness), -1);
  const at = a.layout.weights!.offset;
  assert.equal(a.publicSignals[at], (await weightsCommitment(modelA, r)).toString());
  assert.equal(b.publicSignals[at], (await weightsCommitment(modelB, r)).toString());
  assert.notEqual(a.publicSignals[at], b.publicSignals[at]);
  // Same weights, same outputs as fixed weights; B computes something else.
  assert.deepEqual(a.output, buildCircuit(fixed, x, { inputVisibility: 'hashed', witnessOnly: true }).output);
  assert.notDeepEqual(a.output, b.output);
  // A's weights (private inputs) with every other wire of B's run — B's outputs, W and products.
  assertMultiWireTamperFails(a.circuit, spliceWitness(a.circuit, b.circuit), "A's weights with B's wires");
  // With a public input, W sits between the outputs and the public inputs.
  const pub = buildCircuit(modelA, x, { inputVisibility: 'public', weightsBlinding: r, witnessOnly: true });
  assert.deepEqual(pub.layout.weights, { visibility: 'hashed', offset: 10, count: 1 });
  assert.equal(pub.layout.input.offset, 11);
  assert.equal(pub.publicSignals[10], a.publicSignals[at]);
  assert.deepEqual(pub.publicSignals.slice(11), x.map(String));
  // A blinding for a fixed-weights model is a caller's error, never ignored.
  assert.throws(() => buildCircuit(fixed, x, { weightsBlinding: 1n }), /fixed-weights/);
});

test('digits MLP: constraints with hashed weights against fixed weights', (t) => {
  const f = compiledFixed.info;
  const h = compiledA.info;
  const linearCost = (info: typeof h) =>
    info.opCosts!.filter((o) => o.kind === 'linear').reduce((n, o) => n + o.constraints, 0);
  const products = linearCost(h);
  const commitment = weightCommitmentCost(
    weightSegments(modelA).map((s) => ({ bits: s.bits, count: s.values.length })),
  );
  const weights = weightSegments(modelA)
    .filter((s) => s.part === 'weight')
    .reduce((n, s) => n + s.values.length, 0);
  assert.equal(linearCost(f), 0, 'fixed weights: linear layers are free');
  assert.equal(products, weights, 'one constraint per product');
  // Everything else is unchanged (A's widths bound its accumulators as tightly as its values): the
  // difference is the products, the commitment and the one constraint exposing W.
  assert.equal(h.nConstraints, f.nConstraints + products + commitment.total + 1);
  t.diagnostic(
    `fixed ${f.nConstraints}; hashed ${h.nConstraints} = products ${products} + commitment ${commitment.total} ` +
      `(range checks ${commitment.rangeChecks}, Poseidon ${commitment.hash}, ${(commitment.hash / h.weights!.values).toFixed(3)} per value) + W 1 + ` +
      `the rest ${f.nConstraints}`,
  );
});
