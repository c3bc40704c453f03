import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { findViolatedConstraint } from '../../circuits/builder.js';
import { buildCircuit } from '../../src/compile/build-circuit.js';
import { SHARED } from '../helpers/paths.js';
import { readInputFile } from '../../src/onnx/input-file.js';
import { loadOnnx } from '../../src/onnx/load-onnx.js';
import { lowerGraph } from '../../src/quantize/lower-graph.js';
import { runOnnxRuntime } from '../../src/quantize/onnx-runtime.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import { argmax, dequantizeOutput, reportedOutput, runIntegerModel } from '../../src/quantize/quantized-model.js';
import { quantizeInput } from '../../src/quantize/quantize-input.js';
import { modelBytes, prng, randArray } from '../helpers/onnx-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'zkinfer-cnn-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const mnistDir = join(SHARED, 'conformance', 'models');

for (const file of ['mnist-8.onnx', 'opt-mnist.onnx']) {
  test(`${file}: predicts the labels 5, 0, 4, agrees with onnxruntime; circuit == integer reference`, async (t) => {
    if (!existsSync(join(mnistDir, file))) {
      t.skip('shared models not found');
      return;
    }
    const path = join(mnistDir, file);
    const g = loadOnnx(path);
    const samples = [0, 1, 2].map((i) =>
      readInputFile(join(mnistDir, 'mnist-8-samples', `input_${i}.pb`), g.input.shape),
    );
    const { labels } = JSON.parse(readFileSync(join(mnistDir, 'mnist-8-samples', 'labels.json'), 'utf8')) as {
      labels: number[];
    };
    const fg = lowerGraph(g);
    const kinds = fg.ops.map((o) => o.kind).join(' ');
    // MaxPool runs before the ReLU it commutes with, so the rescale runs on the pooled tensor.
    assert.equal(kinds, 'linear maxpool relu linear maxpool relu reshape linear');
    const q = quantizeGraph(fg, samples);
    const ort = await runOnnxRuntime(path, g.input.name, g.input.shape, samples);
    samples.forEach((x, i) => {
      const xq = quantizeInput(q, x);
      const y = runIntegerModel(q, xq).get(q.output.name)!;
      assert.equal(argmax(y), labels[i], `sample ${i}`);
      assert.equal(argmax(y), argmax(ort[i]!), `sample ${i} vs onnxruntime`);
      const deq = dequantizeOutput(q, y);
      const scale = Math.max(...ort[i]!.map(Math.abs));
      deq.forEach((v, k) =>
        assert.ok(Math.abs(v - ort[i]![k]!) < 0.05 * scale, `sample ${i} logit ${k}: ${v} vs ${ort[i]![k]}`),
      );
      const b = buildCircuit(q, xq, { witnessOnly: i > 0 });
      if (i === 0) {
        assert.equal(findViolatedConstraint(b.circuit.constraints, b.circuit.witness), -1);
        t.diagnostic(`${b.circuit.nConstraints} constraints, ${b.circuit.nWires} wires`);
      }
      assert.deepEqual(b.output, y.map(BigInt), `sample ${i}: circuit == integer reference`);
    });
  });
}

/** A small CNN exercising every new op at once, checked against onnxruntime. */
test('synthetic CNN (Conv, BatchNormalization, LeakyRelu, Clip, AveragePool, Add of activations, Transpose, Gemm, Softmax)', async () => {
  const rnd = prng(11);
  const r = (n: number, s = 0.5) => randArray(rnd, n, -s, s);
  const path = join(dir, 'synthetic.onnx');
  writeFileSync(
    path,
    modelBytes({
      input: { name: 'x', dims: [1, 2, 6, 6] },
      output: { name: 'p', dims: [1, 5] },
      opset: 13,
      initializers: {
        W1: { dims: [3, 2, 3, 3], data: r(54) },
        B1: { dims: [3], data: r(3) },
        g: { dims: [3], data: r(3, 1).map((v) => v + 1.5) },
        b: { dims: [3], data: r(3) },
        m: { dims: [3], data: r(3) },
        v: { dims: [3], data: r(3).map((v) => v + 1) },
        lo: { dims: [], data: [-0.5] },
        hi: { dims: [], data: [1] },
        c: { dims: [1, 3, 1, 1], data: r(3) },
        W2: { dims: [5, 27], data: r(135) },
        B2: { dims: [5], data: r(5) },
      },
      nodes: [
        { op: 'Conv', inputs: ['x', 'W1', 'B1'], outputs: ['c1'], attrs: { pads: { ints: [1, 1, 1, 1] } } },
        { op: 'LeakyRelu', inputs: ['c1'], outputs: ['l1'], attrs: { alpha: { float: 0.1 } } },
        { op: 'BatchNormalization', inputs: ['l1', 'g', 'b', 'm', 'v'], outputs: ['n1'] },
        { op: 'Clip', inputs: ['n1', 'lo', 'hi'], outputs: ['k1'] },
        { op: 'Mul', inputs: ['k1', 'c'], outputs: ['s1'] },
        { op: 'Add', inputs: ['k1', 's1'], outputs: ['a1'] },
        {
          op: 'AveragePool',
          inputs: ['a1'],
          outputs: ['p1'],
          attrs: { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, pads: { ints: [1, 1, 0, 0] } },
        },
        { op: 'Transpose', inputs: ['p1'], outputs: ['t1'], attrs: { perm: { ints: [0, 2, 3, 1] } } },
        { op: 'Flatten', inputs: ['t1'], outputs: ['f1'] },
        { op: 'Gemm', inputs: ['f1', 'W2', 'B2'], outputs: ['z'], attrs: { transB: { int: 1 } } },
        { op: 'Softmax', inputs: ['z'], outputs: ['p'] },
      ],
    }),
  );
  const g = loadOnnx(path);
  const fg = lowerGraph(g);
  assert.deepEqual(fg.droppedFinal, { op: 'Softmax', axis: 1, coerce2d: false });
  const inputs = Array.from({ length: 20 }, () => Float64Array.from(r(72, 1)));
  const q = quantizeGraph(fg, inputs);
  const ort = await runOnnxRuntime(path, g.input.name, g.input.shape, inputs);
  let agree = 0;
  inputs.forEach((x, i) => {
    const xq = quantizeInput(q, x);
    const y = runIntegerModel(q, xq).get(q.output.name)!;
    const b = buildCircuit(q, xq);
    assert.equal(findViolatedConstraint(b.circuit.constraints, b.circuit.witness), -1, `input ${i}: witness satisfies`);
    assert.deepEqual(b.output, y.map(BigInt), `input ${i}: circuit == integer reference`);
    const probs = reportedOutput(q, dequantizeOutput(q, y)).values;
    probs.forEach((p, k) =>
      assert.ok(Math.abs(p - ort[i]![k]!) < 0.05, `input ${i} class ${k}: ${p} vs ${ort[i]![k]}`),
    );
    if (argmax(probs) === argmax(ort[i]!)) agree++;
  });
  assert.ok(agree >= 18, `top-1 agreement ${agree}/20`);
});
