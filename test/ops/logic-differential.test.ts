/**
 * Logic, index and cast ops on computed tensors (And/Or/Xor/Not, ArgMax/ArgMin, OneHot, Cast
 * to integer and bool types, Where on a logic result), and the Hummingbird GEMM tree chain
 * (MatMul → Less → Cast → MatMul → Equal → Cast → MatMul → ArgMax): small graphs written
 * here, run by onnxruntime, quantized and proven. Each must satisfy its constraints, pass the
 * determinism checker, equal the integer reference exactly and match onnxruntime.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOnnx } from '../../src/onnx/load-onnx.js';
import { lowerGraph } from '../../src/quantize/lower-graph.js';
import { runOnnxRuntime } from '../../src/quantize/onnx-runtime.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import { modelBytes, ModelSpec, NodeSpec, prng, randArray } from '../helpers/onnx-fixtures.js';
import { compareCircuitWithRuntime } from '../helpers/differential-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'zkinfer-logic-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const N = 6;
const INT64 = 7;
const rnd = prng(23);
const initializers: ModelSpec['initializers'] = {
  W1: { dims: [N, N], data: randArray(rnd, N * N, -0.8, 0.8) },
  W2: { dims: [N, N], data: randArray(rnd, N * N, -0.8, 0.8) },
  zero: { dims: [], data: [0] },
  quarter: { dims: [], data: [0.25] },
  twoHalf: { dims: [], data: [2.5] },
  depth: { dims: [], data: [N], int64: true },
  onOff: { dims: [2], data: [-1, 3] },
};
/** a = x·W1, c = x·W2: two computed activations. */
const base: NodeSpec[] = [
  { op: 'MatMul', inputs: ['x', 'W1'], outputs: ['a'] },
  { op: 'MatMul', inputs: ['x', 'W2'], outputs: ['c'] },
  { op: 'Less', inputs: ['a', 'c'], outputs: ['lt'] },
  { op: 'Greater', inputs: ['a', 'zero'], outputs: ['pos'] },
];
const toFloat = (i: string, o: string): NodeSpec => ({
  op: 'Cast',
  inputs: [i],
  outputs: [o],
  attrs: { to: { int: 1 } },
});

interface Case {
  name: string;
  nodes: NodeSpec[];
  out?: { dims: number[]; elemType?: number };
  /** Largest |error|: 0 where the output is an integer, an 8-bit step where an activation is selected. */
  tolerance: number;
}

const CASES: Case[] = [
  {
    name: 'Where(Xor(a < c, a > 0), a, c)',
    nodes: [
      { op: 'Xor', inputs: ['lt', 'pos'], outputs: ['m'] },
      { op: 'Where', inputs: ['m', 'a', 'c'], outputs: ['y'] },
    ],
    tolerance: 0.05,
  },
  {
    name: 'Cast(Or(And(a < c, Not(a > 0)), c > 0.25)) to float',
    nodes: [
      { op: 'Not', inputs: ['pos'], outputs: ['np'] },
      { op: 'And', inputs: ['lt', 'np'], outputs: ['m'] },
      { op: 'Greater', inputs: ['c', 'quarter'], outputs: ['cq'] },
      { op: 'Or', inputs: ['m', 'cq'], outputs: ['o'] },
      toFloat('o', 'y'),
    ],
    tolerance: 0,
  },
  {
    name: 'ArgMax(a, axis 1) and ArgMin with select_last_index over ties (a 0/1 tensor)',
    nodes: [
      { op: 'ArgMax', inputs: ['a'], outputs: ['i'], attrs: { axis: { int: 1 } } },
      toFloat('lt', 'ltf'),
      { op: 'ArgMin', inputs: ['ltf'], outputs: ['j'], attrs: { axis: { int: 1 }, select_last_index: { int: 1 } } },
      { op: 'Concat', inputs: ['i', 'j'], outputs: ['y'], attrs: { axis: { int: 1 } } },
    ],
    out: { dims: [1, 2], elemType: INT64 },
    tolerance: 0,
  },
  {
    name: 'OneHot(ArgMax(c) − 6) with values [−1, 3] on axis 0 (negative indices)',
    nodes: [
      { op: 'ArgMax', inputs: ['c'], outputs: ['i'], attrs: { axis: { int: 1 }, keepdims: { int: 0 } } },
      { op: 'Sub', inputs: ['i', 'depth'], outputs: ['neg'] },
      { op: 'OneHot', inputs: ['neg', 'depth', 'onOff'], outputs: ['y'], attrs: { axis: { int: 0 } } },
    ],
    out: { dims: [N, 1] },
    tolerance: 0,
  },
  {
    name: 'Cast(2.5·x) to INT32 (truncation toward zero) and Cast(a) to BOOL',
    nodes: [
      { op: 'Mul', inputs: ['x', 'twoHalf'], outputs: ['s'] },
      { op: 'Cast', inputs: ['s'], outputs: ['t'], attrs: { to: { int: 6 } } },
      toFloat('t', 'tf'),
      { op: 'Cast', inputs: ['a'], outputs: ['b'], attrs: { to: { int: 9 } } },
      toFloat('b', 'bf'),
      { op: 'Add', inputs: ['tf', 'bf'], outputs: ['y'] },
    ],
    tolerance: 0,
  },
];

/** Writes, quantizes and proves `spec` on `tests`; the circuit's output is within `tolerance` of onnxruntime's. */
async function check(
  name: string,
  spec: ModelSpec,
  tests: Float64Array[],
  cal: Float64Array[],
  tolerance: number,
): Promise<void> {
  const path = join(dir, `${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}.onnx`);
  writeFileSync(path, modelBytes(spec));
  const graph = parseOnnx(new Uint8Array(readFileSync(path)), path);
  const q = quantizeGraph(lowerGraph(graph), cal);
  const floats = await runOnnxRuntime(path, graph.input.name, graph.input.shape, tests);
  const { worst } = compareCircuitWithRuntime(q, tests, floats);
  assert.ok(worst <= tolerance, `max |error| ${worst} > ${tolerance}`);
}

/** Inputs on the 2^-7 grid the 8-bit input scale of [−1, 1] uses, so quantization is exact. */
const onGrid = (v: number[]) => Float64Array.from(v, (t) => Math.round(t * 128) / 128);

for (const c of CASES) {
  test(`logic ops on computed tensors: ${c.name}`, async () => {
    const spec: ModelSpec = {
      input: { name: 'x', dims: [1, N] },
      output: { name: 'y', dims: c.out?.dims ?? [1, N], ...(c.out?.elemType ? { elemType: c.out.elemType } : {}) },
      nodes: [...base, ...c.nodes],
      initializers,
    };
    const cal = [onGrid(new Array(N).fill(-1)), onGrid(new Array(N).fill(0.99))];
    for (let k = 0; k < 16; k++) cal.push(Float64Array.from(randArray(rnd, N, -1, 1)));
    const tests = Array.from({ length: 5 }, () => onGrid(randArray(rnd, N, -1, 1)));
    await check(c.name, spec, tests, cal, c.tolerance);
  });
}

test('the Hummingbird GEMM chain of a depth-2 tree: MatMul → Less → Cast → MatMul → Equal → Cast → MatMul → ArgMax', async () => {
  // Internal nodes test x0 < 0 (root), x1 < 0.3 (left child), x2 < −0.2 (right child); leaves L0..L3.
  const spec: ModelSpec = {
    input: { name: 'x', dims: [1, 4] },
    output: { name: 'y', dims: [1], elemType: INT64 },
    initializers: {
      A: { dims: [4, 3], data: [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0] },
      B: { dims: [3], data: [0, 0.3, -0.2] },
      C: { dims: [3, 4], data: [1, 1, -1, -1, 1, -1, 0, 0, 0, 0, 1, -1] },
      D: { dims: [4], data: [2, 1, 1, 0] },
      E: { dims: [4, 3], data: [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0] },
    },
    nodes: [
      { op: 'MatMul', inputs: ['x', 'A'], outputs: ['t'] },
      { op: 'Less', inputs: ['t', 'B'], outputs: ['s'] },
      toFloat('s', 'sf'),
      { op: 'MatMul', inputs: ['sf', 'C'], outputs: ['p'] },
      { op: 'Equal', inputs: ['p', 'D'], outputs: ['leaf'] },
      toFloat('leaf', 'lf'),
      { op: 'MatMul', inputs: ['lf', 'E'], outputs: ['votes'] },
      { op: 'ArgMax', inputs: ['votes'], outputs: ['y'], attrs: { axis: { int: 1 }, keepdims: { int: 0 } } },
    ],
  };
  const cal = Array.from({ length: 16 }, () => Float64Array.from(randArray(rnd, 4, -1, 1)));
  // Inputs away from the thresholds on every side: each leaf is reached.
  const tests = [
    [-0.5, 0.1, 0.5, 0.9],
    [-0.5, 0.7, 0.5, -0.9],
    [0.5, 0.1, -0.5, 0.2],
    [0.5, 0.1, 0.5, 0.2],
  ].map((v) => Float64Array.from(v));
  await check('tree', spec, tests, cal, 0);
});

test('a BOOL graph input drives Where(And(b, a < c), a, c); calibration seeing only false still accepts true', async () => {
  const spec: ModelSpec = {
    input: { name: 'x', dims: [1, N] },
    moreInputs: [{ name: 'b', dims: [1, N], elemType: 9 }],
    output: { name: 'y', dims: [1, N] },
    nodes: [
      ...base,
      { op: 'And', inputs: ['b', 'lt'], outputs: ['m'] },
      { op: 'Where', inputs: ['m', 'a', 'c'], outputs: ['y'] },
    ],
    initializers,
  };
  const withBool = (x: number[], b: number[]) => Float64Array.from([...x, ...b]);
  const cal = Array.from({ length: 16 }, () => withBool(randArray(rnd, N, -1, 1), new Array(N).fill(0)));
  const tests = Array.from({ length: 4 }, (_, k) =>
    withBool(
      randArray(rnd, N, -1, 1),
      Array.from({ length: N }, (_, i) => (i + k) % 2),
    ),
  );
  // The selected a or c carries its 8-bit quantization error; the decisions themselves are exact.
  await check('bool-input', spec, tests, cal, 0.05);
});

test('Bitwise And/Or/Xor/Not on INT32 and UINT8 inputs, with a constant operand, then Cast to float', async () => {
  const INT32 = 6;
  const UINT8 = 2;
  const spec: ModelSpec = {
    input: { name: 'k', dims: [1, N], elemType: INT32 },
    moreInputs: [
      { name: 'm', dims: [1, N], elemType: INT32 },
      { name: 'u', dims: [1, N], elemType: UINT8 },
    ],
    output: { name: 'y', dims: [1, N] },
    initializers: { twelve: { dims: [], data: [12], int32: true } },
    nodes: [
      { op: 'BitwiseAnd', inputs: ['k', 'm'], outputs: ['km'] },
      { op: 'BitwiseOr', inputs: ['k', 'twelve'], outputs: ['k12'] },
      { op: 'BitwiseNot', inputs: ['k12'], outputs: ['nk'] },
      { op: 'BitwiseXor', inputs: ['km', 'nk'], outputs: ['r'] },
      toFloat('r', 'rf'),
      { op: 'BitwiseNot', inputs: ['u'], outputs: ['nu'] },
      toFloat('nu', 'nuf'),
      { op: 'Add', inputs: ['rf', 'nuf'], outputs: ['y'] },
    ],
    opset: 18,
  };
  const ints = (lo: number, hi: number) => Array.from({ length: N }, () => Math.floor(lo + rnd() * (hi - lo + 1)));
  const sample = () => Float64Array.from([...ints(-50, 50), ...ints(-50, 50), ...ints(0, 255)]);
  const cal = [
    Float64Array.from([...new Array(2 * N).fill(-50), ...new Array(N).fill(0)]),
    Float64Array.from([...new Array(2 * N).fill(50), ...new Array(N).fill(255)]),
  ];
  await check('bitwise', spec, [sample(), sample(), sample()], cal, 0);
});

test('the Hummingbird chain batched over two trees (3-D weights), summed over trees, then ArgMax', async () => {
  const [T, F, I, L, C] = [2, 4, 3, 4, 3];
  const path = [1, 1, -1, -1, 1, -1, 0, 0, 0, 0, 1, -1];
  const spec: ModelSpec = {
    input: { name: 'x', dims: [1, F] },
    output: { name: 'y', dims: [1], elemType: INT64 },
    initializers: {
      // Tree 0 tests features 0, 1, 2; tree 1 features 1, 2, 3.
      A: { dims: [T, F, I], data: [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1] },
      B: { dims: [T, 1, I], data: [0, 0.3, -0.2, 0.1, -0.4, 0.5] },
      P: { dims: [T, I, L], data: [...path, ...path] },
      D: { dims: [T, 1, L], data: [2, 1, 1, 0, 2, 1, 1, 0] },
      E: { dims: [T, L, C], data: randArray(rnd, T * L * C, 0, 1) },
      axes: { dims: [1], data: [0], int64: true },
    },
    nodes: [
      { op: 'MatMul', inputs: ['x', 'A'], outputs: ['t'] },
      { op: 'Less', inputs: ['t', 'B'], outputs: ['s'] },
      toFloat('s', 'sf'),
      { op: 'MatMul', inputs: ['sf', 'P'], outputs: ['p'] },
      { op: 'Equal', inputs: ['p', 'D'], outputs: ['leaf'] },
      toFloat('leaf', 'lf'),
      { op: 'MatMul', inputs: ['lf', 'E'], outputs: ['v'] },
      { op: 'ReduceSum', inputs: ['v', 'axes'], outputs: ['votes'], attrs: { keepdims: { int: 0 } } },
      { op: 'ArgMax', inputs: ['votes'], outputs: ['y'], attrs: { axis: { int: 1 }, keepdims: { int: 0 } } },
    ],
  };
  const cal = Array.from({ length: 32 }, () => Float64Array.from(randArray(rnd, F, -1, 1)));
  const tests = Array.from({ length: 12 }, () => Float64Array.from(randArray(rnd, F, -1, 1)));
  await check('forest', spec, tests, cal, 0);
});
