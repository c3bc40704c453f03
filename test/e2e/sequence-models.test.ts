/**
 * The sequence models of issue 11 (models/train_digits_transformer.py, models/train_digits_lstm.py):
 * quantized top-1 agreement with onnxruntime ≥ 97% on the 360-sample test split (integer
 * reference executor, no proofs), the circuit equals the integer reference, and one sample per
 * model goes quantize → compile → dev setup → prove → verify (pinned key) through the CLI with
 * the proven output equal to the integer reference; then `zkinfer accuracy` proves, on a committed
 * two-sample dataset (one the model gets right, one it gets wrong), a count equal to the integer
 * reference's, and the claim verifies with the pinned chunk key and dataset commitment.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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
import { readQuantizedModelFile } from '../../src/formats/build-dir.js';
import { CLI, MODELS as MODELS_DIR, ROOT } from '../helpers/paths.js';

const M = (f: string) => join(MODELS_DIR, f);
const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-sequence-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** The quantization settings that reach ≥ 97% agreement (README, models table), as CLI flags and as options. */
const MODELS = [
  { file: 'digits-transformer.onnx', activationBits: 8, ops: ['product', 'softmax'] },
  { file: 'digits-lstm.onnx', activationBits: 8, ops: ['product', 'table'] },
] as const;

const split = JSON.parse(readFileSync(M('digits-test.json'), 'utf8')) as { inputs: number[][]; labels: number[] };
const inputs = split.inputs.map((x) => Float64Array.from(x));

function zkinfer(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

for (const m of MODELS) {
  test(`${m.file}: top-1 agreement with onnxruntime ≥ 97% on the test split, circuit == integer reference`, async (t) => {
    const g = loadOnnx(M(m.file));
    const q = quantizeGraph(lowerGraph(g), readCalibrationFile(M('calibration.json'), g.input.shape), {
      activationBits: m.activationBits,
    });
    const kinds = new Set(q.ops.map((o) => o.kind as string));
    for (const k of m.ops) assert.ok(kinds.has(k), `quantized model has a ${k} op (kinds: ${[...kinds].join(', ')})`);
    const floats = await runOnnxRuntime(M(m.file), g.input.name, g.input.shape, inputs);
    let agree = 0;
    let correct = 0;
    inputs.forEach((x, i) => {
      const xq = quantizeInput(q, x);
      const y = runIntegerModel(q, xq).get(q.output.name)!;
      if (i < 2) {
        const b = buildCircuit(q, xq);
        assert.equal(
          findViolatedConstraint(b.circuit.constraints, b.circuit.witness),
          -1,
          `sample ${i}: witness satisfies`,
        );
        assert.deepEqual(b.output, y.map(BigInt), `sample ${i}: circuit == integer reference`);
        if (i === 0) t.diagnostic(`${b.circuit.nConstraints} constraints`);
      }
      if (argmax(y) === argmax(floats[i]!)) agree++;
      if (argmax(y) === split.labels[i]) correct++;
    });
    const agreement = (100 * agree) / inputs.length;
    t.diagnostic(
      `top-1 agreement ${agreement.toFixed(2)}% (${agree}/360), quantized accuracy ${((100 * correct) / inputs.length).toFixed(2)}% (${correct}/360)`,
    );
    assert.ok(agreement >= 97, `agreement ${agreement}%`);
  });

  test(`${m.file} proves one sample stage by stage and verifies with the pinned key; proven output == integer reference`, () => {
    const build = join(tmp, m.file);
    const sample = M('samples/digit-3.json');
    const steps = [
      [
        'quantize',
        M(m.file),
        '--out',
        build,
        '--calibration',
        M('calibration.json'),
        '--activation-bits',
        String(m.activationBits),
      ],
      ['compile', build, '--input-visibility', 'public', '--output-visibility', 'public'],
      ['setup', build],
      ['prove', build, '--input', sample, '--json'],
    ];
    let proved = { bundle: '' };
    for (const s of steps) {
      const r = zkinfer(s);
      assert.equal(r.code, 0, `${s[0]}: ${r.stderr}`);
      if (s[0] === 'prove') proved = JSON.parse(r.stdout) as { bundle: string };
    }
    const v = zkinfer(['verify', proved.bundle, '--vkey', join(build, 'vkey.json'), '--json']);
    assert.equal(v.code, 0, v.stderr);
    const bundle = JSON.parse(readFileSync(proved.bundle, 'utf8')) as {
      output: { integers: string[] };
      prediction: number;
    };
    const { model } = readQuantizedModelFile(build);
    const x = Float64Array.from((JSON.parse(readFileSync(sample, 'utf8')) as { input: number[] }).input);
    const y = runIntegerModel(model, quantizeInput(model, x)).get(model.output.name)!;
    assert.deepEqual(bundle.output.integers, y.map(String), 'proven output == integer reference');
    assert.equal(bundle.prediction, 3);
  });
}

for (const m of MODELS) {
  test(`${m.file}: zkinfer accuracy on a committed two-sample dataset proves the integer reference's count`, () => {
    const build = join(tmp, m.file);
    const { model } = readQuantizedModelFile(build);
    const predicted = (i: number) =>
      argmax(runIntegerModel(model, quantizeInput(model, inputs[i]!)).get(model.output.name)!);
    // A sample the quantized model gets wrong makes the proven count differ from "all correct".
    const wrong = split.labels.findIndex((label, i) => predicted(i) !== label);
    assert.ok(wrong >= 0, 'the quantized model misclassifies some test sample');
    const picked = [0, wrong];
    const stem = m.file.replace(/\.onnx$/, '');
    const data = join(tmp, `${stem}.jsonl`);
    writeFileSync(
      data,
      picked.map((i) => JSON.stringify({ input: split.inputs[i], label: split.labels[i] })).join('\n') + '\n',
    );
    const expected = picked.filter((i) => predicted(i) === split.labels[i]).length;
    const commit = zkinfer(['dataset', 'commit', data, '--build', build, '--chunk', '1']);
    assert.equal(commit.code, 0, commit.stderr);
    const opening = join(build, 'datasets', `${stem}.opening.json`);
    const out = join(tmp, `${stem}-accuracy`);
    const run = zkinfer([
      'accuracy',
      build,
      '--dataset',
      data,
      '--opening',
      opening,
      '--out',
      out,
      '--chunk',
      '1',
      '--workers',
      '2',
    ]);
    assert.equal(run.code, 0, run.stderr);
    const claim = JSON.parse(readFileSync(join(out, 'claim.json'), 'utf8')) as {
      result: { correct: number };
      dataset: { commitment: string; samples: number };
    };
    assert.deepEqual([claim.result.correct, claim.dataset.samples], [expected, 2]);
    const v = zkinfer([
      'verify',
      join(out, 'claim.json'),
      '--vkey',
      join(build, 'accuracy', 'chunk-1', 'vkey.json'),
      '--dataset-commitment',
      claim.dataset.commitment,
      '--json',
    ]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.equal((JSON.parse(v.stdout) as { correct: number }).correct, expected);
  });
}

for (const m of MODELS) {
  test(`${m.file}: quantize + compile in two processes give byte-identical model.quant.json and circuit.r1cs`, () => {
    const dirs = ['a', 'b'].map((n) => join(tmp, `${m.file}-det-${n}`));
    for (const dir of dirs) {
      for (const s of [
        ['quantize', M(m.file), '--out', dir, '--calibration', M('calibration.json')],
        ['compile', dir, '--no-check'],
      ]) {
        const r = zkinfer(s);
        assert.equal(r.code, 0, `${s[0]}: ${r.stderr}`);
      }
    }
    for (const f of ['model.quant.json', 'circuit.r1cs'])
      assert.ok(readFileSync(join(dirs[0]!, f)).equals(readFileSync(join(dirs[1]!, f))), `${f} differs between runs`);
  });
}
