/**
 * The issue-21 review's attacks on hashed weights that worked before their fixes, plus cheap
 * regressions of ones that did not. Builds are tiny (writeTinyModel, a 3×3 two-layer model) and
 * made in process; only the verifier runs through the CLI, since its exit code is the point.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zkinfer } from '../helpers/cli.js';
import { writeTinyModel } from '../helpers/trusted-fixtures.js';
import { modelBytes, prng, randArray } from '../../tools/onnx/write-onnx.js';
import { quantizeModel } from '../../src/quantize/quantize-model.js';
import { compileCircuit } from '../../src/compile/compile-circuit.js';
import { setupKeys } from '../../src/setup/setup-keys.js';
import { commitWeights } from '../../src/prove/weights-opening.js';
import { createProver, writeBundle } from '../../src/prove/prover.js';
import { readInputFile } from '../../src/onnx/input-file.js';
import { shutdown } from '../../src/runtime/curve.js';
import { UserError } from '../../src/core/errors.js';
import { weightSegments, weightsCommitment, weightValueCount } from '../../src/compile/weight-signals.js';
import type { QuantizedModel } from '../../src/formats/quantized-schema.js';
import { findViolatedConstraint } from '../../circuits/builder.js';
import { buildCircuit } from '../../src/compile/build-circuit.js';
import { requireDetermined } from '../../src/compile/determinism-check.js';
import { assertEveryNonInputWirePinned } from '../helpers/soundness-helpers.js';
import { parseQuantizedModel } from '../../src/formats/quantized-model.js';
import { quantizeInput } from '../../src/quantize/quantize-input.js';

const T = mkdtempSync(join(tmpdir(), 'zkinfer-i21-review-'));
const ONNX = join(T, 'tiny.onnx');
const INPUT = join(T, 'input.json');
const A = join(T, 'hashed');
const F = join(T, 'fixed');
let bundleA = '';

before(async () => {
  writeTinyModel(ONNX);
  writeFileSync(INPUT, JSON.stringify([0.5, -0.25, 0.75, 0.1]));
  await quantizeModel({ modelPath: ONNX, outDir: A, inputPaths: [INPUT], weights: 'hashed' });
  compileCircuit({ buildDir: A });
  await setupKeys({ buildDir: A });
  await commitWeights({ buildDir: A });
  const r = await createProver({ buildDir: A, fidelity: false }).prove(readInputFile(INPUT, [1, 4]), {
    source: INPUT,
  });
  bundleA = join(A, 'proofs', 'x.proof.json');
  writeBundle(bundleA, r);
  // The same ONNX file quantized with fixed weights: its settings.json replays a model with no W.
  await quantizeModel({ modelPath: ONNX, outDir: F, inputPaths: [INPUT] });
});

after(async () => {
  await shutdown();
  rmSync(T, { recursive: true, force: true });
});

test('--weights-opening with the settings of a fixed-weights build fails its checks (exit 1), no internal error', () => {
  const r = zkinfer([
    'verify',
    bundleA,
    '--vkey',
    join(A, 'vkey.json'),
    '--weights-commitment',
    join(A, 'weights.json'),
    '--model',
    ONNX,
    '--settings',
    join(F, 'settings.json'),
    '--weights-opening',
    join(A, 'weights.opening.json'),
    '--json',
  ]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const report = JSON.parse(r.stdout) as { valid: boolean; checks: Array<{ check: string; ok: boolean }> };
  assert.equal(report.valid, false);
  const opening = report.checks.find((c) => c.check === 'weights-opening');
  assert.equal(opening?.ok, false, 'the weights-opening check fails: the replayed model has no W');
});

test('a pinned weights.json naming another architecture fails the weights check, even with the right W', () => {
  const pub = JSON.parse(readFileSync(join(A, 'weights.json'), 'utf8')) as { modelId: string };
  const other = join(T, 'other-weights.json');
  writeFileSync(other, JSON.stringify({ ...pub, modelId: 'f'.repeat(64) }));
  const r = zkinfer(['verify', bundleA, '--vkey', join(A, 'vkey.json'), '--weights-commitment', other]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /INVALID: weights check failed/);
});

/** A hashed build of a two-layer model whose layers have equal shapes (3×3), so names can be swapped. */
async function twinLayerBuild(dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const rnd = prng(3);
  const onnx = join(dir, 'twin.onnx');
  writeFileSync(
    onnx,
    modelBytes({
      input: { name: 'x', dims: [1, 3] },
      output: { name: 'y', dims: [1, 3] },
      nodes: [
        { name: 'fc1', op: 'Gemm', inputs: ['x', 'w1', 'b1'], outputs: ['h'], attrs: { transB: { int: 1 } } },
        { name: 'act', op: 'Relu', inputs: ['h'], outputs: ['r'] },
        { name: 'fc2', op: 'Gemm', inputs: ['r', 'w2', 'b2'], outputs: ['y'], attrs: { transB: { int: 1 } } },
      ],
      initializers: {
        w1: { dims: [3, 3], data: randArray(rnd, 9, -1, 1) },
        b1: { dims: [3], data: randArray(rnd, 3, -0.2, 0.2) },
        w2: { dims: [3, 3], data: randArray(rnd, 9, -1, 1) },
        b2: { dims: [3], data: randArray(rnd, 3, -0.2, 0.2) },
      },
    }),
  );
  const input = join(dir, 'input.json');
  writeFileSync(input, JSON.stringify([0.5, -0.25, 0.75]));
  const build = join(dir, 'build');
  await quantizeModel({ modelPath: onnx, outDir: build, inputPaths: [input], weights: 'hashed' });
  return build;
}

test('two linear ops of one name in a hashed model.quant.json: compile refuses (the first would read the second weights)', async () => {
  const build = await twinLayerBuild(join(T, 'twin'));
  const path = join(build, 'model.quant.json');
  const q = JSON.parse(readFileSync(path, 'utf8')) as QuantizedModel;
  const linear = q.ops.filter((o) => o.kind === 'linear');
  assert.equal(linear.length, 2);
  linear[1]!.name = linear[0]!.name;
  writeFileSync(path, JSON.stringify(q));
  assert.throws(
    () => compileCircuit({ buildDir: build }),
    (e: unknown) => e instanceof UserError && e.message.includes(`op "${linear[0]!.name}"`),
  );
  // The segment builder refuses it as well (a model object that never went through the reader).
  assert.throws(() => weightSegments(q), /two linear ops are named/);
});

/** x → Mul by a constant tensor → 2×2 Conv: the Mul folds into the shared kernel only if its values agree per entry. */
function writeScaledConv(path: string, mul: number[], kernel: number[]): void {
  writeFileSync(
    path,
    modelBytes({
      input: { name: 'x', dims: [1, 1, 4, 4] },
      output: { name: 'y', dims: [1, 1, 3, 3] },
      nodes: [
        { name: 'scale', op: 'Mul', inputs: ['x', 'm'], outputs: ['s'] },
        {
          name: 'conv',
          op: 'Conv',
          inputs: ['s', 'k', 'kb'],
          outputs: ['y'],
          attrs: { kernel_shape: { ints: [2, 2] } },
        },
      ],
      initializers: {
        m: { dims: [1, 1, 4, 4], data: mul },
        k: { dims: [1, 1, 2, 2], data: kernel },
        kb: { dims: [1], data: [0.1] },
      },
    }),
  );
}

test('quantize --settings refuses a model whose layers fuse otherwise (fusion follows the values), instead of another key', async () => {
  const dir = join(T, 'fusion');
  mkdirSync(dir, { recursive: true });
  const rnd = prng(5);
  const kernel = randArray(rnd, 4, -1, 1);
  writeScaledConv(join(dir, 'varied.onnx'), randArray(rnd, 16, 0.5, 1.5), kernel);
  writeScaledConv(join(dir, 'uniform.onnx'), new Array<number>(16).fill(0.75), kernel);
  const input = join(dir, 'input.json');
  writeFileSync(input, JSON.stringify(randArray(rnd, 16, -1, 1)));
  const varied = await quantizeModel({
    modelPath: join(dir, 'varied.onnx'),
    outDir: join(dir, 'varied'),
    inputPaths: [input],
    weights: 'hashed',
  });
  const linear = varied.model.ops.find((o) => o.kind === 'linear');
  assert.equal(linear?.kind === 'linear' && linear.spec.type, 'sparse', 'varied values: composed, not folded');
  await assert.rejects(
    quantizeModel({
      modelPath: join(dir, 'uniform.onnx'),
      outDir: join(dir, 'uniform'),
      inputPaths: [input],
      settingsPath: join(dir, 'varied', 'settings.json'),
    }),
    (e: unknown) =>
      e instanceof UserError && /layer 0 is scale\+conv \(linear sparse\) there.*another architecture/.test(e.message),
  );
});

/** `model` with every weight and bias drawn by `pick(lo, hi)` inside its layer's widths. */
function withWeights(model: QuantizedModel, pick: (lo: number, hi: number) => number): QuantizedModel {
  const draw = (n: number, bits: number) =>
    Array.from({ length: n }, () => pick(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1));
  return {
    ...model,
    ops: model.ops.map((op) =>
      op.kind === 'linear'
        ? { ...op, weight: draw(op.weight.length, op.weightBits!), bias: draw(op.bias.length, op.biasBits!) }
        : op,
    ),
  };
}

test('randomized witness search on the tiny hashed circuit: no stray weight wire, no other weights behind W', async () => {
  const model = parseQuantizedModel(JSON.parse(readFileSync(join(A, 'model.quant.json'), 'utf8')), 'model.quant.json');
  const x = quantizeInput(model, [0.5, -0.25, 0.75, 0.1]);
  const r = 987654321987654321n;
  const a = buildCircuit(model, x, { inputVisibility: 'hashed', weightsBlinding: r });
  // Private inputs: the model input, its blinding, every committed weight and W's blinding — nothing else,
  // and every other wire is forced by them: a layer can only multiply by committed weights.
  assert.equal(a.circuit.nPrvIn, x.length + 1 + weightValueCount(model) + 1);
  requireDetermined(a.circuit);
  // Every product of privateLinearLayer, every bit and hash wire: +1 or −1 alone breaks a constraint.
  assertEveryNonInputWirePinned(a.circuit, 'tiny hashed circuit');
  const at = a.layout.weights!.offset;
  assert.equal(a.publicSignals[at], (await weightsCommitment(model, r)).toString());
  const rnd = prng(21);
  const candidates = [
    withWeights(model, (lo) => lo), // every weight at the bottom of its width: ranges follow from widths
    withWeights(model, (_, hi) => hi),
    ...Array.from({ length: 6 }, () => withWeights(model, (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1)))),
  ];
  for (const [i, other] of candidates.entries()) {
    const b = buildCircuit(other, x, { inputVisibility: 'hashed', weightsBlinding: r });
    assert.equal(b.circuit.constraints.length, a.circuit.constraints.length, 'one architecture, one circuit');
    assert.notEqual(b.publicSignals[at], a.publicSignals[at], `candidate ${i}: other weights, other W`);
    // Other weights claiming A's public signals (A's W and outputs): some constraint fails.
    const forged = b.circuit.witness.slice();
    for (let w = 1; w <= a.circuit.nPubOut; w++) forged[w] = a.circuit.witness[w]!;
    assert.notEqual(findViolatedConstraint(b.circuit.constraints, forged), -1, `candidate ${i} passes as W of A`);
  }
});
