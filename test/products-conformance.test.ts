/**
 * The ONNX node cases of the products issue with BOTH operands as computed values (the
 * conformance harness turns every operand but the first into a constant, which exercises the
 * constant-weight lowerings instead): MatMul, Mul, Div, Gemm and Einsum cases load with their
 * first two inputs as graph inputs; Softmax and LogSoftmax cases get an Identity appended so
 * the op is no longer final and is proven in the circuit. Each must satisfy its constraints,
 * equal the integer reference, and match the expected output within the conformance tolerance.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { findViolatedConstraint } from '../circuits/builder.js';
import { buildCircuit } from '../src/circuit/build-circuit.js';
import { magnitudeScale, tolerance } from '../src/conformance/conformance-case.js';
import { sharedDir } from '../src/conformance/run-conformance.js';
import { parseOnnx } from '../src/onnx/load-onnx.js';
import { parseTensorProto } from '../src/onnx/tensor.js';
import { runFloatGraph } from '../src/quantize/float-ir.js';
import { lowerGraph } from '../src/quantize/lower-graph.js';
import { quantizeGraph } from '../src/quantize/quantize-graph.js';
import { dequantizeOutput, QuantizedModel, quantizeInput, runIntegerModel } from '../src/quantize/quantized-model.js';

const { onnx } = onnxProto;
const root = join(sharedDir(), 'conformance');
const PATTERN = /^test_(matmul_\w+|mul(_bcast|_example)?|div(_bcast|_example)?|gemm_\w+|einsum_\w+|softmax_\w+|logsoftmax_\w+)$/;

/** Case folders of both suites whose name matches, without `_expanded` bodies. */
function cases(): Array<{ name: string; dir: string }> {
  const out: Array<{ name: string; dir: string }> = [];
  for (const suite of ['onnx-node', 'onnx-node-extended']) {
    const d = join(root, suite);
    if (!existsSync(d)) continue;
    for (const name of readdirSync(d).sort()) if (PATTERN.test(name) && !name.includes('expanded') && !out.some((c) => c.name === name)) out.push({ name, dir: join(d, name) });
  }
  return out;
}

/** The case's model with inputs 0 and 1 kept as graph inputs (the rest become constants) and, for a softmax, an Identity after it. */
function loadTwoInputs(dir: string): { bytes: Uint8Array; input: Float64Array; nInputs: number; expected: Float64Array } {
  const data = join(dir, 'test_data_set_0');
  const model = onnx.ModelProto.decode(readFileSync(join(dir, 'model.onnx')));
  const g = model.graph!;
  const inputs = g.input ?? [];
  const keep = Math.min(2, inputs.length);
  for (let k = keep; k < inputs.length; k++) {
    const t = onnx.TensorProto.decode(readFileSync(join(data, `input_${k}.pb`)));
    t.name = inputs[k]!.name ?? '';
    g.initializer = [...(g.initializer ?? []), t];
  }
  g.input = inputs.slice(0, keep);
  const node = g.node![0]!;
  if (/Softmax/.test(node.opType ?? '')) {
    const out = node.output![0]!;
    node.output = [`${out}::inner`];
    g.node = [...g.node!, onnx.NodeProto.create({ opType: 'Identity', input: [`${out}::inner`], output: [out], name: 'appended' })];
  }
  const parts = Array.from({ length: keep }, (_, k) => parseTensorProto(readFileSync(join(data, `input_${k}.pb`)), `input_${k}`).data);
  const input = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    input.set(p, at);
    at += p.length;
  }
  const expected = Float64Array.from(parseTensorProto(readFileSync(join(data, 'output_0.pb')), 'output_0').data);
  return { bytes: onnx.ModelProto.encode(model).finish(), input, nInputs: keep, expected };
}

/** The scale of flat input element i (models with several inputs record one per part). */
function inputFrac(q: QuantizedModel, i: number): number {
  let at = 0;
  for (const p of q.input.parts!) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    if (i < at + n) return p.frac;
    at += n;
  }
  return q.input.frac;
}

const list = cases();
test('the products issue has node cases to run', (t) => {
  if (list.length === 0) t.skip('shared conformance data not found');
  else assert.ok(list.length >= 30, `found ${list.length} cases`);
});

for (const c of list) {
  test(`node case with computed operands: ${c.name}`, () => {
    const l = loadTwoInputs(c.dir);
    const fg = lowerGraph(parseOnnx(l.bytes, c.name));
    const kinds = fg.ops.map((o) => o.kind);
    if (l.nInputs === 2 && !/einsum_(sum|transpose|batch_diagonal)/.test(c.name)) assert.ok(kinds.includes('product') || kinds.includes('divide'), `two computed operands make a product or division: ${kinds.join(' ')}`);
    if (/softmax/.test(c.name)) assert.ok(kinds.includes('softmax'), 'the softmax is proven, not dropped');
    const q = quantizeGraph(fg, [l.input]);
    const xq = quantizeInput(q, l.input);
    const ref = runIntegerModel(q, xq).get(q.output.name)!;
    const build = buildCircuit(q, xq);
    assert.equal(findViolatedConstraint(build.circuit.constraints, build.circuit.witness), -1, 'witness satisfies');
    assert.deepEqual(build.output, ref.map(BigInt), 'circuit == integer reference');
    const got = dequantizeOutput(q, ref);
    assert.equal(got.length, l.expected.length);
    // The conformance tolerance, plus what rounding the inputs onto their grid costs the float graph.
    const floatOf = (x: Float64Array) => runFloatGraph(fg, x).get(fg.output.name)!;
    const gridded = Float64Array.from(xq, (v, i) => v * 2 ** -(q.input.parts ? inputFrac(q, i) : q.input.frac));
    let inputErr = 0;
    floatOf(gridded).forEach((v, i) => (inputErr = Math.max(inputErr, Math.abs(v - floatOf(l.input)[i]!))));
    const tol = tolerance(q.output.frac, 8, l.expected, magnitudeScale(fg, l.input)) + inputErr;
    let err = 0;
    got.forEach((v, i) => (err = Math.max(err, Math.abs(v - l.expected[i]!))));
    assert.ok(err <= tol, `max |error| ${err.toExponential(2)} > tolerance ${tol.toExponential(2)}`);
  });
}
