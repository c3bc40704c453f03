/**
 * The two models of models/train_shapes.py, end to end: PyTorch's x.view(x.size(0), -1)
 * chain plus a Concat of two branches, and two graph inputs. Top-1 agreement with
 * onnxruntime over the 360-sample test split (integer reference, which the circuit equals:
 * checked on a few samples), then one real proof of each through `zkinfer run`.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
import { modelBytes } from '../helpers/onnx-fixtures.js';
import { ROOT, MODELS, CLI } from '../helpers/paths.js';

const M = (f: string) => join(MODELS, f);
const T = mkdtempSync(join(tmpdir(), 'zkinfer-shape-models-'));
process.env['ZKINFER_CONFIG_DIR'] = join(T, 'config');
after(() => rmSync(T, { recursive: true, force: true }));

function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const split = JSON.parse(readFileSync(M('digits-test.json'), 'utf8')) as { inputs: number[][]; labels: number[] };

for (const model of ['digits-branches.onnx', 'digits-two-inputs.onnx']) {
  test(`${model}: top-1 agreement with onnxruntime ≥ 98% on the test split; circuit == integer reference`, async (t) => {
    const g = loadOnnx(M(model));
    const fg = lowerGraph(g);
    // The shape chain left nothing behind: only arithmetic and wiring ops remain.
    assert.ok(
      fg.ops.every((o) => ['linear', 'relu', 'maxpool', 'reshape', 'permute', 'concat'].includes(o.kind)),
      fg.ops.map((o) => o.kind).join(' '),
    );
    const layout = { shape: g.input.shape, name: g.input.name, parts: g.inputs };
    const q = quantizeGraph(fg, readCalibrationFile(M('calibration.json'), layout));
    const inputs = split.inputs.map((x) => Float64Array.from(x));
    const floats = await runOnnxRuntime(M(model), g.input.name, g.input.shape, inputs);
    let agree = 0;
    let correct = 0;
    inputs.forEach((x, i) => {
      const xq = quantizeInput(q, x);
      const y = runIntegerModel(q, xq).get(q.output.name)!;
      if (i < 3) {
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
    const pct = (100 * agree) / inputs.length;
    t.diagnostic(
      `top-1 agreement ${pct.toFixed(2)}%, quantized accuracy ${((100 * correct) / inputs.length).toFixed(2)}%`,
    );
    assert.ok(pct >= 98, `agreement ${pct}%`);
  });
}

test('zkinfer run proves and verifies both models (the two-input one from an EZKL-style input_data file)', async () => {
  const sample = JSON.parse(readFileSync(M('samples/digit-3.json'), 'utf8')) as { input: number[]; label: number };
  const two = join(T, 'digit-3-halves.json');
  writeFileSync(two, JSON.stringify({ input_data: [sample.input.slice(0, 32), sample.input.slice(32)] }));
  // A regression output ([1, 1]) is not a vector of class scores: --json says so instead of a prediction.
  const reg = join(T, 'regression.onnx');
  writeFileSync(
    reg,
    modelBytes({
      input: { name: 'x', dims: [1, 4] },
      output: { name: 'y', dims: [1, 1] },
      initializers: { w: { dims: [4, 1], data: [0.5, -0.25, 1, 0.75] } },
      nodes: [{ op: 'MatMul', inputs: ['x', 'w'], outputs: ['y'] }],
    }),
  );
  writeFileSync(join(T, 'x.json'), JSON.stringify([0.1, 0.2, 0.3, 0.4]));
  const runs = await Promise.all([
    cli(
      'run',
      'models/digits-branches.onnx',
      '--input',
      'models/samples/digit-3.json',
      '--calibration',
      'models/calibration.json',
      '--out',
      join(T, 'branches'),
      '--json',
    ),
    cli(
      'run',
      'models/digits-two-inputs.onnx',
      '--input',
      two,
      '--calibration',
      'models/calibration.json',
      '--out',
      join(T, 'two'),
      '--json',
    ),
  ]);
  const r3 = await cli('run', reg, '--input', join(T, 'x.json'), '--out', join(T, 'reg'), '--json');
  assert.equal(r3.code, 0, `${r3.stdout}\n${r3.stderr}`);
  const j3 = JSON.parse(r3.stdout) as Record<string, unknown>;
  assert.equal(j3['prediction'], undefined);
  assert.match(String(j3['predictionOmitted']), /shape \[1,1\] is not a vector of class scores/);
  assert.ok(
    Array.isArray(j3['floatOutput']) && Math.abs((j3['floatOutput'] as number[])[0]! - 0.6) < 1e-6,
    'the float output is next to the proven one',
  );
  for (const r of runs) {
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const j = JSON.parse(r.stdout) as { valid: boolean; prediction: number };
    assert.equal(j.valid, true);
    assert.equal(j.prediction, sample.label);
  }
});
