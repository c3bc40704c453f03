/**
 * ONNX node cases of the composite layers with more of their operands computed: the
 * conformance harness turns every input but the first into a constant, which for Attention
 * makes K and V weights (free linear maps) and for an LSTM makes the initial state a
 * constant. Here Attention cases keep Q, K and V as graph inputs (scores and output become
 * products of activations) and the peephole LSTM keeps X, initial_h and initial_c. Each must
 * satisfy its constraints, equal the integer reference, and match the expected output within
 * the conformance tolerance.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { findViolatedConstraint } from '../circuits/builder.js';
import { buildCircuit } from '../src/circuit/build-circuit.js';
import { magnitudeScale, tolerance } from '../src/conformance/conformance-case.js';
import { outOfScopeReason } from '../src/conformance/out-of-scope.js';
import { sharedDir } from '../src/conformance/run-conformance.js';
import { parseOnnx } from '../src/onnx/load-onnx.js';
import { parseTensorProto } from '../src/onnx/tensor.js';
import { runFloatGraph } from '../src/quantize/float-ir.js';
import { lowerGraph } from '../src/quantize/lower-graph.js';
import { quantizeGraph } from '../src/quantize/quantize-graph.js';
import { dequantizeOutput, QuantizedModel, quantizeInput, runIntegerModel } from '../src/quantize/quantized-model.js';

const { onnx } = onnxProto;
const root = join(sharedDir(), 'conformance', 'onnx-node-extended');

/** Attention cases (not the function bodies, not the refused KV-cache ones) keep Q, K, V; the peephole LSTM keeps X and both states. */
function cases(): Array<{ name: string; dir: string; keep: number[] }> {
  if (!existsSync(root)) return [];
  const out: Array<{ name: string; dir: string; keep: number[] }> = [];
  for (const name of readdirSync(root).sort()) {
    const dir = join(root, name);
    if (/^test_attention_/.test(name) && !name.endsWith('_expanded') && !outOfScopeReason(`onnx-node-extended/${name}`)) out.push({ name, dir, keep: [0, 1, 2] });
    if (name === 'test_lstm_with_peepholes') out.push({ name, dir, keep: [0, 5, 6] });
  }
  return out;
}

/** The case's model with the inputs in `keep` as graph inputs (the rest become constants), and its data. */
function load(dir: string, keep: number[]): { bytes: Uint8Array; input: Float64Array; expected: Float64Array } {
  const data = join(dir, 'test_data_set_0');
  const model = onnx.ModelProto.decode(readFileSync(join(dir, 'model.onnx')));
  const g = model.graph!;
  const inputs = g.input ?? [];
  const kept = keep.filter((k) => k < inputs.length);
  for (let k = 0; k < inputs.length; k++) {
    if (kept.includes(k)) continue;
    const t = onnx.TensorProto.decode(readFileSync(join(data, `input_${k}.pb`)));
    t.name = inputs[k]!.name ?? '';
    g.initializer = [...(g.initializer ?? []), t];
  }
  g.input = kept.map((k) => inputs[k]!);
  const parts = kept.map((k) => parseTensorProto(readFileSync(join(data, `input_${k}.pb`)), `input_${k}`).data);
  const input = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    input.set(p, at);
    at += p.length;
  }
  const expected = Float64Array.from(parseTensorProto(readFileSync(join(data, 'output_0.pb')), 'output_0').data);
  return { bytes: onnx.ModelProto.encode(model).finish(), input, expected };
}

/** The scale of flat input element i (models with several inputs record one per part). */
function inputFrac(q: QuantizedModel, i: number): number {
  let at = 0;
  for (const p of q.input.parts ?? []) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    if (i < at + n) return p.frac;
    at += n;
  }
  return q.input.frac;
}

const list = cases();
test('the composite layers have node cases to run', (t) => {
  if (list.length === 0) t.skip('shared conformance data not found');
  else assert.ok(list.length >= 30, `found ${list.length} cases`);
});

for (const c of list) {
  test(`node case with computed operands: ${c.name}`, () => {
    const l = load(c.dir, c.keep);
    const fg = lowerGraph(parseOnnx(l.bytes, c.name));
    assert.ok(fg.ops.some((o) => o.kind === 'product'), 'computed operands make products of activations');
    const q = quantizeGraph(fg, [l.input]);
    const xq = quantizeInput(q, l.input);
    const ref = runIntegerModel(q, xq).get(q.output.name)!;
    const build = buildCircuit(q, xq);
    assert.equal(findViolatedConstraint(build.circuit.constraints, build.circuit.witness), -1, 'witness satisfies');
    assert.deepEqual(build.output, ref.map(BigInt), 'circuit == integer reference');
    const got = dequantizeOutput(q, ref);
    assert.equal(got.length, l.expected.length);
    const floatOf = (x: Float64Array) => runFloatGraph(fg, x).get(fg.output.name)!;
    const gridded = Float64Array.from(xq, (v, i) => v * 2 ** -inputFrac(q, i));
    let inputErr = 0;
    floatOf(gridded).forEach((v, i) => (inputErr = Math.max(inputErr, Math.abs(v - floatOf(l.input)[i]!))));
    const tol = tolerance(q.output.frac, 8, l.expected, magnitudeScale(fg, l.input)) + inputErr;
    let err = 0;
    got.forEach((v, i) => (err = Math.max(err, Math.abs(v - l.expected[i]!))));
    assert.ok(err <= tol, `max |error| ${err.toExponential(2)} > tolerance ${tol.toExponential(2)}`);
  });
}
