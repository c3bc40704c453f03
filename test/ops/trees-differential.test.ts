/**
 * TreeEnsembleClassifier / TreeEnsembleRegressor against onnxruntime on small random
 * ensembles: every branch mode, SUM and AVERAGE, base values, post_transform NONE / LOGISTIC /
 * SOFTMAX, multiclass and onnxruntime's two-class conventions. The float semantics must equal
 * onnxruntime's scores; the quantized ensemble must agree on the top-1 of nearly every input
 * and its circuit equal the integer reference.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCircuit } from '../../src/compile/build-circuit.js';
import { loadOnnx } from '../../src/onnx/load-onnx.js';
import { runFloatGraph } from '../../src/quantize/float-ir.js';
import { applyDroppedFinal } from '../../src/quantize/dropped-final.js';
import { lowerGraph } from '../../src/quantize/lower-graph.js';
import { runOnnxRuntime } from '../../src/quantize/onnx-runtime.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import { argmax, runIntegerModel } from '../../src/quantize/quantized-model.js';
import { quantizeInput } from '../../src/quantize/quantize-input.js';
import { UserError } from '../../src/core/errors.js';
import { type Attr, modelBytes, prng, randArray } from '../helpers/onnx-fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-trees-diff-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const F = 3;
const MODES = ['BRANCH_LEQ', 'BRANCH_LT', 'BRANCH_GTE', 'BRANCH_GT', 'BRANCH_EQ', 'BRANCH_NEQ'];
/** Thresholds on the 8-bit input grid of [-1, 1] (step 1/128), so EQ and NEQ can hold. */
const GRID = [-0.5, -0.25, 0, 0.25, 0.5];

interface Ensemble {
  attrs: Record<string, Attr>;
}

/**
 * `trees` random trees of depth 2 (node ids not in walk order, to exercise the renumbering);
 * `votes(leaf)` gives each leaf's (output, weight) pairs.
 */
function ensemble(
  seed: number,
  trees: number,
  prefix: 'class' | 'target',
  votes: (r: () => number) => Array<[number, number]>,
): Ensemble {
  const r = prng(seed);
  const a: Record<string, number[] | string[]> = {};
  const push = (k: string, v: number | string) => ((a[k] ??= [] as never) as Array<number | string>).push(v);
  for (let t = 0; t < trees; t++) {
    // ids: root 4, children 2 and 6, leaves 0 1 3 5 (2's) … shuffled numbering.
    const layout: Array<[number, number, number]> = [
      [4, 2, 6],
      [2, 0, 1],
      [6, 3, 5],
    ];
    for (const [id, yes, no] of layout) {
      push('nodes_treeids', t);
      push('nodes_nodeids', id);
      push('nodes_featureids', Math.floor(r() * F));
      push('nodes_values', GRID[Math.floor(r() * GRID.length)]!);
      push('nodes_modes', MODES[Math.floor(r() * MODES.length)]!);
      push('nodes_truenodeids', yes);
      push('nodes_falsenodeids', no);
    }
    for (const id of [0, 1, 3, 5]) {
      for (const k of [
        'nodes_treeids',
        'nodes_nodeids',
        'nodes_featureids',
        'nodes_values',
        'nodes_modes',
        'nodes_truenodeids',
        'nodes_falsenodeids',
      ])
        push(k, k === 'nodes_treeids' ? t : k === 'nodes_nodeids' ? id : k === 'nodes_modes' ? 'LEAF' : 0);
      for (const [c, w] of votes(r)) {
        push(`${prefix}_treeids`, t);
        push(`${prefix}_nodeids`, id);
        push(`${prefix}_ids`, c);
        push(`${prefix}_weights`, w);
      }
    }
  }
  const attrs: Record<string, Attr> = {};
  for (const [k, v] of Object.entries(a))
    attrs[k] =
      typeof v[0] === 'string'
        ? { strs: v as string[] }
        : k.endsWith('values') || k.endsWith('weights')
          ? { floats: v as number[] }
          : { ints: v as number[] };
  return { attrs };
}

interface Case {
  name: string;
  op: 'TreeEnsembleClassifier' | 'TreeEnsembleRegressor';
  nOut: number;
  attrs: Record<string, Attr>;
}

const weight = (r: () => number, lo = -1, hi = 1) => Math.round((lo + (hi - lo) * r()) * 64) / 64;
const CASES: Case[] = [
  {
    name: 'regressor SUM, 2 targets, base values',
    op: 'TreeEnsembleRegressor',
    nOut: 2,
    attrs: {
      ...ensemble(1, 6, 'target', (r) => [
        [0, weight(r)],
        [1, weight(r)],
      ]).attrs,
      n_targets: { int: 2 },
      base_values: { floats: [0.5, -0.25] },
    },
  },
  {
    name: 'regressor AVERAGE, 3 targets, LOGISTIC',
    op: 'TreeEnsembleRegressor',
    nOut: 3,
    attrs: {
      ...ensemble(2, 5, 'target', (r) => [[Math.floor(r() * 3), weight(r, -3, 3)]]).attrs,
      n_targets: { int: 3 },
      aggregate_function: { str: 'AVERAGE' },
      post_transform: { str: 'LOGISTIC' },
    },
  },
  {
    name: 'classifier, 3 classes, base values, SOFTMAX',
    op: 'TreeEnsembleClassifier',
    nOut: 3,
    attrs: {
      ...ensemble(3, 8, 'class', (r) => [
        [0, weight(r)],
        [1, weight(r)],
        [2, weight(r)],
      ]).attrs,
      classlabels_int64s: { ints: [0, 1, 2] },
      base_values: { floats: [0.1, 0, -0.1] },
      post_transform: { str: 'SOFTMAX' },
    },
  },
  {
    name: 'classifier, 2 classes, votes for both, no base values',
    op: 'TreeEnsembleClassifier',
    nOut: 2,
    attrs: {
      ...ensemble(4, 7, 'class', (r) => [
        [0, weight(r, 0, 1)],
        [1, weight(r, 0, 1)],
      ]).attrs,
      classlabels_int64s: { ints: [0, 1] },
    },
  },
  {
    name: 'classifier, 2 classes, base_values of size 2 with class-1 votes (onnxruntime reads class 0)',
    op: 'TreeEnsembleClassifier',
    nOut: 2,
    attrs: {
      ...ensemble(5, 7, 'class', (r) => [
        [0, weight(r)],
        [1, weight(r)],
      ]).attrs,
      classlabels_int64s: { ints: [0, 1] },
      base_values: { floats: [0.2, 0.3] },
    },
  },
  {
    name: 'classifier, 2 classes, class-0 votes only, weights ≥ 0 (1 − s, s)',
    op: 'TreeEnsembleClassifier',
    nOut: 2,
    attrs: { ...ensemble(6, 5, 'class', (r) => [[0, weight(r, 0, 0.2)]]).attrs, classlabels_int64s: { ints: [0, 1] } },
  },
  {
    name: 'classifier, 2 classes, class-0 votes only, mixed weights, LOGISTIC (σ(−s), σ(s))',
    op: 'TreeEnsembleClassifier',
    nOut: 2,
    attrs: {
      ...ensemble(7, 6, 'class', (r) => [[0, weight(r, -2, 2)]]).attrs,
      classlabels_int64s: { ints: [0, 1] },
      base_values: { floats: [0.125] },
      post_transform: { str: 'LOGISTIC' },
    },
  },
];

function writeModel(c: Case, i: number): string {
  const classifier = c.op === 'TreeEnsembleClassifier';
  const path = join(tmp, `m${i}.onnx`);
  writeFileSync(
    path,
    modelBytes({
      input: { name: 'x', dims: [1, F] },
      output: { name: 'y', dims: [1, c.nOut] },
      nodes: [
        {
          op: c.op,
          domain: 'ai.onnx.ml',
          name: 'trees',
          inputs: ['x'],
          outputs: classifier ? ['label', 'y'] : ['y'],
          attrs: c.attrs,
        },
      ],
      opset: 17,
    }),
  );
  return path;
}

CASES.forEach((c, i) => {
  test(`${c.name}: float semantics = onnxruntime, quantized top-1 agrees, circuit = integer reference`, async () => {
    const path = writeModel(c, i);
    const g = loadOnnx(path);
    const fg = lowerGraph(g);
    const r = prng(100 + i);
    // Random inputs plus grid points, so EQ/NEQ and the boundary of every LEQ/LT split are hit.
    const inputs = [
      ...Array.from({ length: 40 }, () => Float64Array.from(randArray(r, F, -1, 1))),
      ...Array.from({ length: 40 }, () => Float64Array.from({ length: F }, () => GRID[Math.floor(r() * GRID.length)]!)),
    ];
    const ort = await runOnnxRuntime(path, g.input.name, g.input.shape, inputs);
    const q = quantizeGraph(fg, inputs, { activationBits: 8 });
    let agree = 0;
    inputs.forEach((x, k) => {
      let y = Array.from(runFloatGraph(fg, x).get(fg.output.name)!);
      if (fg.droppedFinal) y = applyDroppedFinal(fg.droppedFinal, fg.output.shape, y);
      y.forEach((v, j) =>
        assert.ok(Math.abs(v - ort[k]![j]!) < 1e-5, `input ${k} output ${j}: ${v} vs onnxruntime ${ort[k]![j]}`),
      );
      const xq = quantizeInput(q, x);
      const yq = runIntegerModel(q, xq).get(q.output.name)!;
      if (argmax(yq) === argmax(ort[k]!)) agree++;
      if (k % 20 === 0) assert.deepEqual(buildCircuit(q, xq).output, yq.map(BigInt), `input ${k}: circuit`);
    });
    // Ties between outputs (argmax picks the first) and a LOGISTIC table step may flip a rare one.
    assert.ok(agree >= inputs.length - 2, `top-1 agreement ${agree}/${inputs.length}`);
  });
});

test('refused by name: label as the first output, PROBIT, MIN aggregate, class-1 votes on some leaves only', () => {
  const base = CASES[3]!;
  const bad = (attrs: Record<string, Attr>, op = base.op, outputs = ['label', 'y'], output = 'y') => {
    const path = join(tmp, 'bad.onnx');
    writeFileSync(
      path,
      modelBytes({
        input: { name: 'x', dims: [1, F] },
        output: { name: output, dims: [1, 2] },
        nodes: [{ op, domain: 'ai.onnx.ml', name: 'trees', inputs: ['x'], outputs, attrs }],
        opset: 17,
      }),
    );
    return () => lowerGraph(loadOnnx(path));
  };
  assert.throws(
    bad(base.attrs, base.op, ['label', 'y'], 'label'),
    (e: unknown) => e instanceof UserError && /label output is not proven/.test(e.message),
  );
  assert.throws(bad({ ...base.attrs, post_transform: { str: 'PROBIT' } }), /post_transform "PROBIT" is not supported/);
  assert.throws(
    bad({ ...CASES[0]!.attrs, aggregate_function: { str: 'MIN' } }, 'TreeEnsembleRegressor', ['y']),
    /aggregate_function "MIN"/,
  );
  const some = ensemble(9, 3, 'class', (r) =>
    r() < 0.5
      ? [[0, 0.5]]
      : [
          [0, 0.5],
          [1, 0.5],
        ],
  );
  assert.throws(bad({ ...some.attrs, classlabels_int64s: { ints: [0, 1] } }), /class-1 votes on only some leaves/);
});
