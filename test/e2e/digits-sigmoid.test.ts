/**
 * The Sigmoid/Tanh model (models/train_digits_sigmoid.py): its table-proven activations keep
 * top-1 agreement with onnxruntime ≥ 98% on the 360-sample test split, the circuit equals the
 * integer reference, and one sample proves and verifies end to end through the CLI.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
import { ROOT, MODELS, CLI } from '../helpers/paths.js';

const M = (f: string) => join(MODELS, f);
const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-sigmoid-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('digits-sigmoid.onnx: top-1 agreement with onnxruntime ≥ 98% on the test split, circuit == integer reference', async (t) => {
  const g = loadOnnx(M('digits-sigmoid.onnx'));
  const split = JSON.parse(readFileSync(M('digits-test.json'), 'utf8')) as { inputs: number[][]; labels: number[] };
  const inputs = split.inputs.map((x) => Float64Array.from(x));
  const q = quantizeGraph(lowerGraph(g), readCalibrationFile(M('calibration.json'), g.input.shape));
  assert.deepEqual(
    q.ops.filter((o) => o.kind === 'table').map((o) => (o.kind === 'table' ? o.fn : '')),
    ['Sigmoid', 'Tanh'],
  );
  const floats = await runOnnxRuntime(M('digits-sigmoid.onnx'), g.input.name, g.input.shape, inputs);
  let agree = 0;
  let correct = 0;
  inputs.forEach((x, i) => {
    const xq = quantizeInput(q, x);
    const y = runIntegerModel(q, xq).get(q.output.name)!;
    if (i < 5) {
      const b = buildCircuit(q, xq);
      assert.equal(
        findViolatedConstraint(b.circuit.constraints, b.circuit.witness),
        -1,
        `sample ${i}: witness satisfies`,
      );
      assert.deepEqual(b.output, y.map(BigInt), `sample ${i}: circuit == integer reference`);
    }
    if (argmax(y) === argmax(floats[i]!)) agree++;
    if (argmax(y) === split.labels[i]) correct++;
  });
  const agreement = (100 * agree) / inputs.length;
  t.diagnostic(
    `top-1 agreement ${agreement.toFixed(2)}%, quantized accuracy ${((100 * correct) / inputs.length).toFixed(2)}%`,
  );
  assert.ok(agreement >= 98, `agreement ${agreement}%`);
});

test('digits-sigmoid.onnx proves and verifies a sample through the CLI', () => {
  const r = spawnSync(
    process.execPath,
    [
      CLI,
      'run',
      M('digits-sigmoid.onnx'),
      '--input',
      M('samples/digit-3.json'),
      '--calibration',
      M('calibration.json'),
      '--out',
      join(tmp, 'b'),
      '--json',
    ],
    { cwd: ROOT, encoding: 'utf8', timeout: 300_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.valid, true);
  assert.equal(out.prediction, 3);
  assert.equal(out.fidelity.floatPrediction, 3);
});
