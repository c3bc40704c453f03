import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findViolatedConstraint } from '../../circuits/builder.js';
import { buildCircuit } from '../../src/compile/build-circuit.js';
import { readCalibrationFile } from '../../src/onnx/input-file.js';
import { loadOnnx } from '../../src/onnx/load-onnx.js';
import { lowerGraph } from '../../src/quantize/lower-graph.js';
import { runOnnxRuntime } from '../../src/quantize/onnx-runtime.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import { argmax, runIntegerModel } from '../../src/quantize/quantized-model.js';
import { quantizeInput } from '../../src/quantize/quantize-input.js';
import { MODELS } from '../helpers/paths.js';

const M = (f: string) => join(MODELS, f);

interface Accuracy {
  readonly float: number;
  readonly quantized: number;
  readonly agreement: number;
}

/** Float (onnxruntime) and quantized (integer reference) accuracy over the 360-sample test split. */
async function accuracy(model: string, circuitSamples: number): Promise<Accuracy> {
  const g = loadOnnx(M(model));
  const split = JSON.parse(readFileSync(M('digits-test.json'), 'utf8')) as { inputs: number[][]; labels: number[] };
  const inputs = split.inputs.map((x) => Float64Array.from(x));
  const q = quantizeGraph(lowerGraph(g), readCalibrationFile(M('calibration.json'), g.input.shape));
  const floats = await runOnnxRuntime(M(model), g.input.name, g.input.shape, inputs);
  let fOk = 0;
  let qOk = 0;
  let agree = 0;
  inputs.forEach((x, i) => {
    const xq = quantizeInput(q, x);
    const y = runIntegerModel(q, xq).get(q.output.name)!;
    if (i < circuitSamples) {
      const b = buildCircuit(q, xq);
      assert.equal(
        findViolatedConstraint(b.circuit.constraints, b.circuit.witness),
        -1,
        `${model} sample ${i}: witness satisfies`,
      );
      assert.deepEqual(b.output, y.map(BigInt), `${model} sample ${i}: circuit == integer reference`);
    }
    const fp = argmax(floats[i]!);
    const qp = argmax(y);
    if (fp === split.labels[i]) fOk++;
    if (qp === split.labels[i]) qOk++;
    if (fp === qp) agree++;
  });
  const n = inputs.length;
  return { float: (100 * fOk) / n, quantized: (100 * qOk) / n, agreement: (100 * agree) / n };
}

for (const [model, minAgreement] of [
  ['digits-mlp.onnx', 99],
  ['digits-cnn.onnx', 99],
] as const) {
  test(`${model}: quantized test accuracy within 1 point of float (onnxruntime), top-1 agreement ≥ ${minAgreement}%`, async (t) => {
    const a = await accuracy(model, 5);
    t.diagnostic(
      `float ${a.float.toFixed(2)}%, quantized ${a.quantized.toFixed(2)}%, top-1 agreement ${a.agreement.toFixed(2)}%`,
    );
    assert.equal(a.float > 90, true, `float accuracy ${a.float}`);
    assert.ok(Math.abs(a.quantized - a.float) <= 1, `|${a.quantized} − ${a.float}| ≤ 1 point`);
    assert.ok(a.agreement >= minAgreement, `agreement ${a.agreement}%`);
  });
}
