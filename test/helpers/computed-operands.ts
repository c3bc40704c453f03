/**
 * Shared by the node-case tests that keep more operands computed than the conformance harness
 * does (test/ops/products-conformance.test.ts, test/ops/composite-conformance.test.ts): load a case with
 * chosen inputs left as graph inputs, then check the compiled circuit against the integer
 * reference and the case's expected output.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { findViolatedConstraint } from '../../circuits/builder.js';
import { buildCircuit } from '../../src/compile/build-circuit.js';
import { magnitudeScale, tolerance } from '../../tools/conformance/conformance-case.js';
import { parseTensorProto } from '../../src/onnx/tensor.js';
import type { FloatGraph } from '../../src/quantize/float-ir.js';
import { runFloatGraph } from '../../src/quantize/float-ir.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import { dequantizeOutput, QuantizedModel, runIntegerModel } from '../../src/quantize/quantized-model.js';
import { quantizeInput } from '../../src/quantize/quantize-input.js';

const { onnx } = onnxProto;

/** A node case with some inputs kept computed. */
export interface ComputedCase {
  readonly bytes: Uint8Array;
  /** The kept inputs' values, concatenated in order. */
  readonly input: Float64Array;
  readonly nInputs: number;
  readonly expected: Float64Array;
}

/**
 * The case's model with the inputs in `keep` as graph inputs (the others become initializers
 * holding their test data); `edit` may change the graph before it is encoded.
 */
export function loadComputed(
  dir: string,
  keep: readonly number[],
  edit?: (g: onnxProto.onnx.IGraphProto) => void,
): ComputedCase {
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
  edit?.(g);
  const parts = kept.map((k) => parseTensorProto(readFileSync(join(data, `input_${k}.pb`)), `input_${k}`).data);
  const input = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    input.set(p, at);
    at += p.length;
  }
  const expected = Float64Array.from(parseTensorProto(readFileSync(join(data, 'output_0.pb')), 'output_0').data);
  return { bytes: onnx.ModelProto.encode(model).finish(), input, nInputs: kept.length, expected };
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

/**
 * Quantizes `fg` on the case's own input, then asserts: the witness satisfies every constraint,
 * the circuit equals the integer reference, and the output is within the conformance tolerance
 * of the expected one (plus what rounding the inputs onto their grid costs the float graph).
 */
export function assertCircuitMatchesCase(fg: FloatGraph, c: ComputedCase): void {
  const q = quantizeGraph(fg, [c.input]);
  const xq = quantizeInput(q, c.input);
  const ref = runIntegerModel(q, xq).get(q.output.name)!;
  const build = buildCircuit(q, xq);
  assert.equal(findViolatedConstraint(build.circuit.constraints, build.circuit.witness), -1, 'witness satisfies');
  assert.deepEqual(build.output, ref.map(BigInt), 'circuit == integer reference');
  const got = dequantizeOutput(q, ref);
  assert.equal(got.length, c.expected.length);
  const floatOf = (x: Float64Array) => runFloatGraph(fg, x).get(fg.output.name)!;
  const gridded = Float64Array.from(xq, (v, i) => v * 2 ** -inputFrac(q, i));
  let inputErr = 0;
  floatOf(gridded).forEach((v, i) => (inputErr = Math.max(inputErr, Math.abs(v - floatOf(c.input)[i]!))));
  const tol = tolerance(q.output.frac, 8, c.expected, magnitudeScale(fg, c.input)) + inputErr;
  let err = 0;
  got.forEach((v, i) => (err = Math.max(err, Math.abs(v - c.expected[i]!))));
  assert.ok(err <= tol, `max |error| ${err.toExponential(2)} > tolerance ${tol.toExponential(2)}`);
}
