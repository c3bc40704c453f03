/**
 * Selection by a computed index against onnxruntime: TopK (values and indices), and Gather /
 * GatherElements whose indices are computed from the input — among activations, from a
 * constant table (the embedding lookup), chained through a constant node array (a tree
 * traversal's step), with negative indices. Each model must satisfy its constraints, pass the
 * determinism checker, equal the integer reference exactly and stay within a quantization bound
 * of onnxruntime; an index outside its axis is refused naming the node, never proven.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/core/errors.js';
import { buildCircuit } from '../../src/compile/build-circuit.js';
import { parseOnnx } from '../../src/onnx/load-onnx.js';
import { lowerGraph } from '../../src/quantize/lower-graph.js';
import { runOnnxRuntime } from '../../src/quantize/onnx-runtime.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import { runIntegerModel } from '../../src/quantize/quantized-model.js';
import { quantizeInput } from '../../src/quantize/quantize-input.js';
import { modelBytes, NodeSpec, prng, randArray } from '../helpers/onnx-fixtures.js';
import { compareCircuitWithRuntime } from '../helpers/differential-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'zkinfer-index-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const N = 6;
const rnd = prng(23);
const initializers = {
  W1: { dims: [N, N], data: randArray(rnd, N * N, -0.8, 0.8) },
  W2: { dims: [N, N], data: randArray(rnd, N * N, -0.8, 0.8) },
  k3: { dims: [1], data: [3], int64: true },
  k1: { dims: [1], data: [1], int64: true },
  table: { dims: [N, 4], data: randArray(rnd, N * 4, -2, 2) },
  // A node array: child of node j (a permutation, integers as a tree's left/right arrays are).
  children: { dims: [1, N], data: [3, 0, 5, 1, 2, 4], int64: true },
  n: { dims: [], data: [N], int64: true },
  small: { dims: [4, 2], data: randArray(rnd, 8, -1, 1) },
  rows: { dims: [2], data: [2, 3], int64: true },
  offsets: { dims: [2, 1], data: [0, 3], int64: true },
  leaves: { dims: [N], data: randArray(rnd, N, -1, 1) },
  sidx: { dims: [1, 3], data: [4, -1, 1], int64: true },
  zeros: { dims: [1, N], data: new Array<number>(N).fill(0) },
  ones: { dims: [1, 3], data: [1, 1, 1] },
  cdata: { dims: [1, N], data: randArray(rnd, N, -1, 1) },
};
const base: NodeSpec[] = [
  { op: 'MatMul', inputs: ['x', 'W1'], outputs: ['a'] },
  { op: 'MatMul', inputs: ['x', 'W2'], outputs: ['c'] },
];

const CASES: Array<{ name: string; nodes: NodeSpec[]; outDims: number[] }> = [
  {
    name: 'TopK largest k=3 (values)',
    nodes: [{ op: 'TopK', inputs: ['a', 'k3'], outputs: ['y', 'i'] }],
    outDims: [1, 3],
  },
  {
    name: 'TopK smallest k=3 on axis 0 of a transposed tensor (values)',
    nodes: [
      { op: 'Transpose', inputs: ['a'], outputs: ['t'] },
      { op: 'TopK', inputs: ['t', 'k3'], outputs: ['y', 'i'], attrs: { axis: { int: 0 }, largest: { int: 0 } } },
    ],
    outDims: [3, 1],
  },
  {
    name: 'GatherElements of activations by TopK indices',
    nodes: [
      { op: 'TopK', inputs: ['a', 'k3'], outputs: ['v', 'i'] },
      { op: 'GatherElements', inputs: ['c', 'i'], outputs: ['y'], attrs: { axis: { int: 1 } } },
    ],
    outDims: [1, 3],
  },
  {
    name: 'Gather from a constant table by TopK indices (embedding lookup)',
    nodes: [
      { op: 'TopK', inputs: ['a', 'k3'], outputs: ['v', 'i'] },
      { op: 'Gather', inputs: ['table', 'i'], outputs: ['y'] },
    ],
    outDims: [1, 3, 4],
  },
  {
    name: 'tree step: argmax index → constant child array → activation',
    nodes: [
      { op: 'TopK', inputs: ['a', 'k1'], outputs: ['v', 'i'] },
      { op: 'GatherElements', inputs: ['children', 'i'], outputs: ['j'], attrs: { axis: { int: 1 } } },
      { op: 'GatherElements', inputs: ['c', 'j'], outputs: ['y'], attrs: { axis: { int: 1 } } },
    ],
    outDims: [1, 1],
  },
  {
    name: 'GatherElements with negative computed indices (i − N)',
    nodes: [
      { op: 'TopK', inputs: ['a', 'k3'], outputs: ['v', 'i'] },
      { op: 'Sub', inputs: ['i', 'n'], outputs: ['m'] },
      { op: 'GatherElements', inputs: ['c', 'm'], outputs: ['y'], attrs: { axis: { int: 1 } } },
    ],
    outDims: [1, 3],
  },
];

/** ScatterElements cases (opset 16 for `reduction`); u3 = the first 3 entries of c. */
const u3: NodeSpec[] = [{ op: 'Slice', inputs: ['c', 's0', 's3', 's1'], outputs: ['u'] }];
const sliceInits = {
  s0: { dims: [1], data: [0], int64: true },
  s3: { dims: [1], data: [3], int64: true },
  s1: { dims: [1], data: [1], int64: true },
};
const SCATTER: Array<{ name: string; nodes: NodeSpec[] }> = [
  {
    name: 'constant indices, none: updates wired into the data',
    nodes: [...u3, { op: 'ScatterElements', inputs: ['a', 'sidx', 'u'], outputs: ['y'], attrs: { axis: { int: 1 } } }],
  },
  {
    name: 'constant indices, add: activations summed into constant data',
    nodes: [
      ...u3,
      {
        op: 'ScatterElements',
        inputs: ['cdata', 'sidx', 'u'],
        outputs: ['y'],
        attrs: { axis: { int: 1 }, reduction: { str: 'add' } },
      },
    ],
  },
  {
    name: 'computed indices, none: ones at the TopK positions (a mask)',
    nodes: [
      { op: 'TopK', inputs: ['a', 'k3'], outputs: ['v', 'i'] },
      { op: 'ScatterElements', inputs: ['zeros', 'i', 'ones'], outputs: ['y'], attrs: { axis: { int: 1 } } },
    ],
  },
  {
    name: 'computed indices, none: activations replace activations',
    nodes: [
      ...u3,
      { op: 'TopK', inputs: ['a', 'k3'], outputs: ['v', 'i'] },
      { op: 'ScatterElements', inputs: ['a', 'i', 'u'], outputs: ['y'], attrs: { axis: { int: 1 } } },
    ],
  },
  {
    name: 'computed indices, add: activations added to activations',
    nodes: [
      ...u3,
      { op: 'TopK', inputs: ['a', 'k3'], outputs: ['v', 'i'] },
      {
        op: 'ScatterElements',
        inputs: ['a', 'i', 'u'],
        outputs: ['y'],
        attrs: { axis: { int: 1 }, reduction: { str: 'add' } },
      },
    ],
  },
];

for (const c of SCATTER) {
  test(`ScatterElements: ${c.name}`, async () => {
    const path = join(dir, `scatter-${c.name.replace(/[^a-z0-9]+/gi, '-')}.onnx`);
    writeFileSync(
      path,
      modelBytes({
        input: { name: 'x', dims: [1, N] },
        output: { name: 'y', dims: [1, N] },
        nodes: [...base, ...c.nodes],
        initializers: { ...initializers, ...sliceInits },
        opset: 16,
      }),
    );
    const fg = lowerGraph(parseOnnx(new Uint8Array(readFileSync(path)), path));
    const tests = separatedInputs(6);
    // Calibrated on the test inputs too, so no error comes from saturating outside the calibrated range.
    const q = quantizeGraph(fg, [
      ...Array.from({ length: 24 }, () => Float64Array.from(randArray(rnd, N, -1, 1))),
      ...tests,
    ]);
    const floats = await runOnnxRuntime(path, 'x', [1, N], tests);
    const { worst, scale } = compareCircuitWithRuntime(q, tests, floats);
    assert.ok(worst <= 0.06 * (1 + scale), `max |error| ${worst} vs magnitude ${scale}`);
  });
}

/**
 * Test inputs whose values of a = x·W1 (what TopK ranks) are at least 0.08 apart: a closer pair
 * can swap under 8-bit quantization, which selects another element (an argmax flip, not an error
 * of the selection itself, which the circuit == integer reference check covers exactly).
 */
function separatedInputs(count: number): Float64Array[] {
  const out: Float64Array[] = [];
  while (out.length < count) {
    const x = Float64Array.from(randArray(rnd, N, -1, 1));
    const a = Array.from({ length: N }, (_, j) => x.reduce((s, v, i) => s + v * initializers.W1.data[i * N + j]!, 0));
    a.sort((p, q) => p - q);
    if (a.every((v, i) => i === 0 || v - a[i - 1]! >= 0.08)) out.push(x);
  }
  return out;
}

function writeModel(name: string, nodes: NodeSpec[], outDims: number[]): string {
  const path = join(dir, `${name.replace(/[^a-z0-9]+/gi, '-')}.onnx`);
  writeFileSync(
    path,
    modelBytes({ input: { name: 'x', dims: [1, N] }, output: { name: 'y', dims: outDims }, nodes, initializers }),
  );
  return path;
}

for (const c of CASES) {
  test(`computed index: ${c.name}`, async () => {
    const path = writeModel(c.name, [...base, ...c.nodes], c.outDims);
    const fg = lowerGraph(parseOnnx(new Uint8Array(readFileSync(path)), path));
    const tests = separatedInputs(6);
    // Calibrated on the test inputs too, so no error comes from saturating outside the calibrated range.
    const q = quantizeGraph(fg, [
      ...Array.from({ length: 24 }, () => Float64Array.from(randArray(rnd, N, -1, 1))),
      ...tests,
    ]);
    const floats = await runOnnxRuntime(path, 'x', [1, N], tests);
    const { worst, scale } = compareCircuitWithRuntime(q, tests, floats);
    assert.ok(worst <= 0.06 * (1 + scale), `max |error| ${worst} vs magnitude ${scale}`);
  });
}

test('each index element keeps its own range: two "trees" of 3 nodes each select among 3, not 6', async () => {
  const path = writeModel(
    'per-element ranges',
    [
      ...base,
      { op: 'Reshape', inputs: ['a', 'rows'], outputs: ['r'] },
      { op: 'TopK', inputs: ['r', 'k1'], outputs: ['v', 'i'] },
      { op: 'Add', inputs: ['i', 'offsets'], outputs: ['g'] },
      { op: 'Gather', inputs: ['leaves', 'g'], outputs: ['y'] },
    ],
    [2, 1],
  );
  const fg = lowerGraph(parseOnnx(new Uint8Array(readFileSync(path)), path));
  const q = quantizeGraph(
    fg,
    Array.from({ length: 24 }, () => Float64Array.from(randArray(rnd, N, -1, 1))),
  );
  const gather = q.ops.find((o) => o.kind === 'gatherIndex')!;
  assert.ok(gather.kind === 'gatherIndex');
  assert.deepEqual(
    [gather.lo, gather.span],
    [
      [0, 3],
      [3, 3],
    ],
  );
  const tests = separatedInputs(6);
  const floats = await runOnnxRuntime(path, 'x', [1, N], tests);
  const { worst, scale } = compareCircuitWithRuntime(q, tests, floats);
  assert.ok(worst <= 0.06 * (1 + scale), `max |error| ${worst} vs magnitude ${scale}`);
});

test('an index past its axis is refused naming the node, and the circuit has no witness for it', () => {
  // TopK over 6 values indexes a table of 4 rows: indices 4 and 5 are outside the axis.
  const path = writeModel(
    'out of range',
    [
      ...base,
      { op: 'TopK', inputs: ['a', 'k1'], outputs: ['v', 'i'] },
      { op: 'Gather', inputs: ['small', 'i'], outputs: ['y'] },
    ],
    [1, 1, 2],
  );
  const fg = lowerGraph(parseOnnx(new Uint8Array(readFileSync(path)), path));
  const argmaxA = (x: Float64Array) => {
    const a = Array.from({ length: N }, (_, j) => x.reduce((s, v, i) => s + v * initializers.W1.data[i * N + j]!, 0));
    return a.indexOf(Math.max(...a));
  };
  const samples = Array.from({ length: 400 }, () => Float64Array.from(randArray(rnd, N, -1, 1)));
  // The float model itself fails on an index past the axis (as onnxruntime does): calibrate on the others.
  assert.throws(() => quantizeGraph(fg, samples), /node "n3": index [45] is out of range for an axis of 4/);
  const q = quantizeGraph(
    fg,
    samples.filter((x) => argmaxA(x) < 4),
  );
  const gather = q.ops.find((o) => o.kind === 'gatherIndex')!;
  assert.ok(gather.kind === 'gatherIndex' && gather.lo[0] === 0 && gather.span[0] === 4, 'range cut to the axis');
  let hit = 0;
  for (const x of samples) {
    if (hit === 2) break;
    const xq = quantizeInput(q, x);
    const top = runIntegerModel({ ...q, ops: q.ops.slice(0, q.ops.indexOf(gather)) }, xq);
    const idx = top.get(gather.input)![0]! / 2 ** gather.indexFrac;
    if (idx < 4) continue;
    hit++;
    assert.throws(
      () => runIntegerModel(q, xq),
      (e: Error) => e instanceof UserError && /node "n3".*index [45] is outside/.test(e.message),
    );
    assert.throws(() => buildCircuit(q, xq), /outside the proven range/);
  }
  assert.ok(hit > 0, 'some input selects index 4 or 5');
});

test('NonZero folds on a constant and is refused with its reason on a computed value', () => {
  const folded = writeModel(
    'nonzero constant',
    [
      ...base,
      { op: 'NonZero', inputs: ['children'], outputs: ['nz'] },
      { op: 'Cast', inputs: ['nz'], outputs: ['nzf'], attrs: { to: { int: 1 } } },
      { op: 'ReduceSum', inputs: ['nzf'], outputs: ['s'], attrs: { keepdims: { int: 0 } } },
      { op: 'Add', inputs: ['a', 's'], outputs: ['y'] },
    ],
    [1, N],
  );
  // children = [3, 0, 5, 1, 2, 4] has nonzeros at (0, j) for j = 0, 2, 3, 4, 5: the coordinates sum to 14.
  const fg = lowerGraph(parseOnnx(new Uint8Array(readFileSync(folded)), folded));
  const shift = fg.ops.find((o) => o.kind === 'linear' && o.bias.some((b) => b === 14));
  assert.ok(shift, 'the folded NonZero coordinates reach the graph as a constant');
  const computed = writeModel('nonzero computed', [...base, { op: 'NonZero', inputs: ['a'], outputs: ['y'] }], [2, N]);
  assert.throws(
    () => lowerGraph(parseOnnx(new Uint8Array(readFileSync(computed)), computed)),
    (e: Error) => e instanceof UserError && /NonZero ×1 \(node "n2"\).*data-dependent output shape/.test(e.message),
  );
});
