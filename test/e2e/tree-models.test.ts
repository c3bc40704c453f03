/**
 * The shipped tree ensembles (models/train_trees.py: breast cancer, ai.onnx.ml
 * TreeEnsembleClassifier / TreeEnsembleRegressor): top-1 agreement with onnxruntime ≥ 99 % on
 * the 143-sample test split through the integer reference (16-bit input: the features are
 * scaled to [0, 1], so 8 bits would leave 1/256 steps), the circuit equal to the reference on a
 * few samples, and one model proven and verified end to end through the CLI. The two
 * skl2onnx-shaped exports put the label first: zkinfer proves the scores (and says so), and
 * compares them with onnxruntime's, under the ZipMap too.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
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
import onnxProto from 'onnx-proto';
import { UserError } from '../../src/core/errors.js';
import { zkinferOk } from '../helpers/cli.js';
import { MODELS } from '../helpers/paths.js';

const M = (f: string) => join(MODELS, f);
const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-trees-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const split = readFileSync(M('trees-test.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { input: number[]; label: number });

for (const [file, bits] of [
  ['trees-dt.onnx', 16],
  ['trees-rf.onnx', 16],
  ['trees-gbm.onnx', 16],
  ['trees-rf-avg.onnx', 16],
  ['trees-rf100.onnx', 16],
  // skl2onnx's default graph (label first, probabilities through ZipMap) and its zipmap=False one.
  ['trees-rf-skl2onnx.onnx', 16],
  ['trees-rf-nozipmap.onnx', 16],
  // The same dt, rf and gbm as Hummingbird-style GEMM tensor-op graphs (rf, gbm at the default 8 bits).
  ['trees-dt-gemm.onnx', 16],
  ['trees-rf-gemm.onnx', 8],
  ['trees-gbm-gemm.onnx', 8],
] as const) {
  test(`${file}: top-1 agreement with onnxruntime ≥ 99% on the test split, circuit == integer reference`, async (t) => {
    const g = loadOnnx(M(file));
    const q = quantizeGraph(lowerGraph(g), readCalibrationFile(M('trees-calibration.json'), g.input.shape), {
      activationBits: bits,
    });
    // One tree op; the GBM's SOFTMAX post_transform is applied outside the circuit, like a final Softmax.
    // The GEMM graphs are the generic ops (MatMul, comparisons, Cast, Equal), no tree op.
    const gemm = file.endsWith('-gemm.onnx');
    if (gemm) assert.ok(q.ops.every((op) => op.kind !== 'trees'));
    else assert.equal(q.ops[0]!.kind, 'trees');
    if (!gemm) assert.equal(q.droppedFinal?.op, file === 'trees-gbm.onnx' ? 'Softmax' : undefined);
    const inputs = split.map((s) => Float64Array.from(s.input));
    const floats = await runOnnxRuntime(M(file), g.input.name, g.input.shape, inputs);
    let agree = 0;
    let correct = 0;
    inputs.forEach((x, i) => {
      const xq = quantizeInput(q, x);
      const y = runIntegerModel(q, xq).get(q.output.name)!;
      if (i < 3) {
        const b = buildCircuit(q, xq);
        assert.equal(findViolatedConstraint(b.circuit.constraints, b.circuit.witness), -1, `sample ${i}: witness`);
        assert.deepEqual(b.output, y.map(BigInt), `sample ${i}: circuit == integer reference`);
      }
      if (argmax(y) === argmax(floats[i]!)) agree++;
      if (argmax(y) === split[i]!.label) correct++;
    });
    const agreement = (100 * agree) / inputs.length;
    t.diagnostic(
      `${file}: agreement ${agreement.toFixed(2)}%, quantized accuracy ${((100 * correct) / inputs.length).toFixed(2)}%`,
    );
    assert.ok(agreement >= 99, `agreement ${agreement}%`);
  });
}

/** `zkinfer run --json` of `file` on test sample `i` into tmp/`out`; the result and the process. */
function runSample(file: string, i: number, out: string, bits?: number) {
  const input = join(tmp, `sample-${out}.json`);
  writeFileSync(input, JSON.stringify({ input: split[i]!.input }));
  const r = zkinferOk([
    'run',
    M(file),
    '--input',
    input,
    '--calibration',
    M('trees-calibration.json'),
    ...(bits ? ['--activation-bits', String(bits)] : []),
    '--out',
    join(tmp, out),
    '--json',
  ]);
  return { r, out: JSON.parse(r.stdout) as { valid: boolean; prediction: number; warnings: string[] } };
}

test('trees-gbm.onnx (SOFTMAX post_transform) proves and verifies a test sample through the CLI', () => {
  const { out } = runSample('trees-gbm.onnx', 1, 'gbm', 16);
  assert.equal(out.valid, true);
  assert.equal(out.prediction, split[1]!.label);
});

test('trees-rf-gemm.onnx (the forest as Hummingbird GEMM tensor ops) proves and verifies a test sample through the CLI', () => {
  const { out } = runSample('trees-rf-gemm.onnx', 2, 'rf-gemm');
  assert.equal(out.valid, true);
  assert.equal(out.prediction, split[2]!.label);
});

test('trees-rf-skl2onnx.onnx (label first, ZipMap) proves its scores through the CLI and says so once', () => {
  const { r, out } = runSample('trees-rf-skl2onnx.onnx', 7, 'zipmap', 16);
  assert.equal(out.valid, true);
  assert.equal(out.prediction, split[7]!.label);
  const note = out.warnings.filter((w) => w.includes('"output_label" is the label'));
  assert.equal(note.length, 1, r.stderr);
  assert.match(note[0]!, /proves its scores "probabilities"/);
  assert.equal(r.stderr.split('\n').filter((l) => l.includes('"output_label" is the label')).length, 1);
  const settings = JSON.parse(readFileSync(join(tmp, 'zipmap', 'settings.json'), 'utf8')) as {
    model: { output: { name: string } };
    fidelity: { top1Agreement: number };
  };
  assert.equal(settings.model.output.name, 'probabilities');
  assert.ok(settings.fidelity.top1Agreement >= 0.99);
});

/** A shipped model (default: the ZipMap one) with its graph changed by `edit`, written to `file`. */
function editedZipMap(
  file: string,
  edit: (g: onnxProto.onnx.IGraphProto) => void,
  from = 'trees-rf-skl2onnx.onnx',
): string {
  const { onnx } = onnxProto;
  const m = onnx.ModelProto.decode(readFileSync(M(from)));
  edit(m.graph!);
  const path = join(tmp, file);
  writeFileSync(path, onnx.ModelProto.encode(m).finish());
  return path;
}

test('non-tensor graph outputs other than a ZipMap over the scores are refused in one line naming the output', () => {
  const seqOfTensors = editedZipMap('seq.onnx', (g) => {
    g.output![1]!.type = { sequenceType: { elemType: { tensorType: { elemType: 1 } } } };
  });
  assert.throws(
    () => loadOnnx(seqOfTensors),
    (e: unknown) =>
      e instanceof UserError &&
      /graph output "output_probability" is a sequence; zkinfer proves tensors/.test(e.message),
  );
  const notZipMap = editedZipMap('notzip.onnx', (g) => {
    g.node![2]!.opType = 'Identity';
    g.node![2]!.domain = '';
    g.node![2]!.attribute = [];
  });
  assert.throws(() => loadOnnx(notZipMap), /graph output "output_probability" is a sequence/);
  // A ZipMap that is no graph output stays an unsupported op; a label first without the scores is refused.
  const hidden = editedZipMap('hidden.onnx', (g) => (g.output = [g.output![0]!]));
  assert.throws(() => lowerGraph(loadOnnx(hidden)), /unsupported ONNX ops: ai\.onnx\.ml:ZipMap ×1 \(node "ZipMap"\)/);
  const labelOnly = editedZipMap('label-only.onnx', (g) => {
    g.output = [g.output![0]!];
    g.node = g.node!.slice(0, 2);
  });
  assert.throws(
    () => lowerGraph(loadOnnx(labelOnly)),
    /node "TreeEnsembleClassifier" \(TreeEnsembleClassifier\): the label output is not proven \("label"\): make the scores \(output 1\) a graph output/,
  );
});

test('a label-first SOFTMAX classifier proves its scores with the softmax applied outside the circuit', async () => {
  const path = editedZipMap(
    'gbm-label-first.onnx',
    (g) => (g.output = [g.output![1]!, g.output![0]!]),
    'trees-gbm.onnx',
  );
  const g = loadOnnx(path);
  const fg = lowerGraph(g);
  assert.equal(fg.output.name, 'scores');
  assert.equal(fg.droppedFinal?.op, 'Softmax');
  // onnxruntime's reference is the scores output too, not the label (two values, summing to 1).
  const [y] = await runOnnxRuntime(path, g.input.name, g.input.shape, [Float64Array.from(split[0]!.input)]);
  assert.equal(y!.length, 2);
  assert.ok(Math.abs(y![0]! + y![1]! - 1) < 1e-6);
});
