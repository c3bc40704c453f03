/**
 * Products of two activations, divisions and softmaxes anywhere (issue 11): small models
 * written here, run by onnxruntime, quantized and proven. Each must satisfy its constraints,
 * pass the determinism checker, equal the integer reference exactly, and stay within a
 * quantization bound of onnxruntime.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { R1csBuilder } from '../../circuits/builder.js';
import { modelSignals } from '../../src/compile/build-circuit.js';
import { parseOnnx } from '../../src/onnx/load-onnx.js';
import { lowerGraph } from '../../src/quantize/lower-graph.js';
import { runOnnxRuntime } from '../../src/quantize/onnx-runtime.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import { runIntegerModel } from '../../src/quantize/quantized-model.js';
import { quantizeInput } from '../../src/quantize/quantize-input.js';
import { shutdown } from '../../src/runtime/curve.js';
import { runPipeline } from '../../src/pipeline.js';
import { modelBytes, NodeSpec, prng, randArray } from '../helpers/onnx-fixtures.js';
import { compareCircuitWithRuntime } from '../helpers/differential-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'zkinfer-products-'));
after(async () => {
  await shutdown();
  rmSync(dir, { recursive: true, force: true });
});

const N = 6;
const rnd = prng(1101);
const initializers = {
  W1: { dims: [N, N], data: randArray(rnd, N * N, -0.8, 0.8) },
  b1: { dims: [N], data: randArray(rnd, N, -0.3, 0.3) },
  W2: { dims: [N, N], data: randArray(rnd, N * N, -0.8, 0.8) },
  b2: { dims: [N], data: randArray(rnd, N, -0.3, 0.3) },
  one: { dims: [], data: [1] },
  two: { dims: [], data: [2] },
  sqrt3: { dims: [], data: [Math.sqrt(3)] },
  C: { dims: [2], data: [0.25, -0.5] },
  s23: { dims: [2], data: [2, 3], int64: true },
  s32: { dims: [2], data: [3, 2], int64: true },
  s123: { dims: [3], data: [1, 2, 3], int64: true },
  s6: { dims: [1], data: [6], int64: true },
  s213: { dims: [3], data: [2, 1, 3], int64: true },
};
/** a = x·W1 + b1 and c = x·W2 + b2: two activations computed from the input. */
const base: NodeSpec[] = [
  { op: 'MatMul', inputs: ['x', 'W1'], outputs: ['a0'] },
  { op: 'Add', inputs: ['a0', 'b1'], outputs: ['a'] },
  { op: 'MatMul', inputs: ['x', 'W2'], outputs: ['c0'] },
  { op: 'Add', inputs: ['c0', 'b2'], outputs: ['c'] },
  { op: 'Reshape', inputs: ['a', 's23'], outputs: ['A'] },
  { op: 'Reshape', inputs: ['c', 's23'], outputs: ['B'] },
  { op: 'Reshape', inputs: ['x', 's23'], outputs: ['X'] },
];

/** One all-activation case; `kinds` are quantized op kinds the model must contain. */
export interface ProductCase {
  readonly name: string;
  readonly nodes: NodeSpec[];
  readonly outDims: number[];
  readonly kinds: string[];
  /** Tolerance factor of the output magnitude (default 0.06: a few steps of an 8-bit grid). */
  readonly tol?: number;
}

const CASES: ProductCase[] = [
  {
    name: 'Mul a ⊙ c',
    nodes: [{ op: 'Mul', inputs: ['a', 'c'], outputs: ['y'] }],
    outDims: [1, N],
    kinds: ['product'],
  },
  {
    name: 'Mul with broadcast [2,3] ⊙ [1,3]',
    nodes: [
      { op: 'Reshape', inputs: ['c', 's213'], outputs: ['c3'] },
      { op: 'Slice', inputs: ['c3', 'z1', 'o1', 'z1'], outputs: ['c1'] },
      { op: 'Reshape', inputs: ['c1', 's13'], outputs: ['r'] },
      { op: 'Mul', inputs: ['A', 'r'], outputs: ['y'] },
    ],
    outDims: [2, 3],
    kinds: ['product'],
  },
  {
    name: 'Pow(a, 2) as a product',
    nodes: [{ op: 'Pow', inputs: ['a', 'two'], outputs: ['y'] }],
    outDims: [1, N],
    kinds: ['product'],
  },
  {
    name: 'MatMul A · Bᵀ (attention scores)',
    nodes: [
      { op: 'Transpose', inputs: ['B'], outputs: ['Bt'], attrs: { perm: { ints: [1, 0] } } },
      { op: 'MatMul', inputs: ['A', 'Bt'], outputs: ['y'] },
    ],
    outDims: [2, 2],
    kinds: ['product'],
  },
  {
    name: 'batched MatMul [1,2,3]·[3,2] with broadcast',
    nodes: [
      { op: 'Reshape', inputs: ['a', 's123'], outputs: ['A3'] },
      { op: 'Reshape', inputs: ['c', 's32'], outputs: ['C2'] },
      { op: 'MatMul', inputs: ['A3', 'C2'], outputs: ['y'] },
    ],
    outDims: [1, 2, 2],
    kinds: ['product'],
  },
  {
    name: 'MatMul of 1-D vectors (inner product)',
    nodes: [
      { op: 'Reshape', inputs: ['a', 's6'], outputs: ['v'] },
      { op: 'Reshape', inputs: ['c', 's6'], outputs: ['w'] },
      { op: 'MatMul', inputs: ['v', 'w'], outputs: ['y'] },
    ],
    outDims: [],
    kinds: ['product'],
  },
  {
    name: 'Gemm(A, B, C) transB alpha beta',
    nodes: [
      {
        op: 'Gemm',
        inputs: ['A', 'B', 'C'],
        outputs: ['y'],
        attrs: { transB: { int: 1 }, alpha: { float: 0.5 }, beta: { float: 2 } },
      },
    ],
    outDims: [2, 2],
    kinds: ['product'],
  },
  {
    name: 'Gemm transA',
    nodes: [{ op: 'Gemm', inputs: ['A', 'B'], outputs: ['y'], attrs: { transA: { int: 1 } } }],
    outDims: [3, 3],
    kinds: ['product'],
  },
  {
    name: 'Einsum bij,bkj->bik',
    nodes: [
      { op: 'Reshape', inputs: ['a', 's123'], outputs: ['A3'] },
      { op: 'Reshape', inputs: ['c', 's123'], outputs: ['C3'] },
      { op: 'Einsum', inputs: ['A3', 'C3'], outputs: ['y'], attrs: { equation: { str: 'bij,bkj->bik' } } },
    ],
    outDims: [1, 2, 2],
    kinds: ['product'],
  },
  {
    name: 'Einsum bhqd,bhkd->bhqk (attention scores, 4-D)',
    nodes: [
      { op: 'Reshape', inputs: ['a', 's1123'], outputs: ['Q4'] },
      { op: 'Reshape', inputs: ['c', 's1123'], outputs: ['K4'] },
      { op: 'Einsum', inputs: ['Q4', 'K4'], outputs: ['y'], attrs: { equation: { str: 'bhqd,bhkd->bhqk' } } },
    ],
    outDims: [1, 1, 2, 2],
    kinds: ['product'],
  },
  {
    name: 'Einsum ...ii->...i (diagonal of an activation) then Mul by itself',
    nodes: [
      { op: 'MatMul', inputs: ['x', 'W9'], outputs: ['x9'] },
      { op: 'Reshape', inputs: ['x9', 's33'], outputs: ['X9'] },
      { op: 'Einsum', inputs: ['X9'], outputs: ['dg'], attrs: { equation: { str: '...ii->...i' } } },
      { op: 'Mul', inputs: ['dg', 'dg'], outputs: ['y'] },
    ],
    outDims: [1, 3],
    kinds: ['product'],
  },
  {
    name: 'GELU-like a · Sigmoid(1.702 a)',
    nodes: [
      { op: 'Mul', inputs: ['a', 'k'], outputs: ['ak'] },
      { op: 'Sigmoid', inputs: ['ak'], outputs: ['g'] },
      { op: 'Mul', inputs: ['a', 'g'], outputs: ['y'] },
    ],
    outDims: [1, N],
    kinds: ['product', 'table'],
  },
  {
    name: 'Div a / (Relu(c) + 1)',
    nodes: [
      { op: 'Relu', inputs: ['c'], outputs: ['r'] },
      { op: 'Add', inputs: ['r', 'one'], outputs: ['d'] },
      { op: 'Div', inputs: ['a', 'd'], outputs: ['y'] },
    ],
    outDims: [1, N],
    kinds: ['divide'],
  },
  {
    name: 'Div a / Exp(c) (denominator clamped at 1 ulp)',
    nodes: [
      { op: 'Exp', inputs: ['c'], outputs: ['d'] },
      { op: 'Div', inputs: ['a', 'd'], outputs: ['y'] },
    ],
    outDims: [1, N],
    kinds: ['divide'],
    tol: 0.1,
  },
  {
    name: 'Div by a negative activation a / (−1 − Relu(c)), broadcast [2,3] / [2,1]',
    nodes: [
      { op: 'Relu', inputs: ['c'], outputs: ['r'] },
      { op: 'Neg', inputs: ['r'], outputs: ['nr'] },
      { op: 'Sub', inputs: ['nr', 'one'], outputs: ['d6'] },
      { op: 'Reshape', inputs: ['d6', 's23'], outputs: ['D'] },
      { op: 'Slice', inputs: ['D', 'z1', 'o1', 'o1'], outputs: ['D1'] },
      { op: 'Div', inputs: ['A', 'D1'], outputs: ['y'] },
    ],
    outDims: [2, 3],
    kinds: ['divide'],
  },
  {
    name: 'Softmax(A · Bᵀ / √3) · X (an attention head)',
    nodes: [
      { op: 'Transpose', inputs: ['B'], outputs: ['Bt'], attrs: { perm: { ints: [1, 0] } } },
      { op: 'MatMul', inputs: ['A', 'Bt'], outputs: ['s0'] },
      { op: 'Div', inputs: ['s0', 'sqrt3'], outputs: ['s'] },
      { op: 'Softmax', inputs: ['s'], outputs: ['p'], attrs: { axis: { int: -1 } } },
      { op: 'MatMul', inputs: ['p', 'X'], outputs: ['y'] },
    ],
    outDims: [2, 3],
    kinds: ['product', 'softmax'],
  },
  {
    name: 'Softmax over axis 0, then Relu',
    nodes: [
      { op: 'Softmax', inputs: ['A'], outputs: ['p'], attrs: { axis: { int: 0 } } },
      { op: 'Relu', inputs: ['p'], outputs: ['y'] },
    ],
    outDims: [2, 3],
    kinds: ['softmax'],
  },
  {
    name: 'LogSoftmax over the last axis, then Relu(−y)',
    nodes: [
      { op: 'LogSoftmax', inputs: ['A'], outputs: ['l'], attrs: { axis: { int: 1 } } },
      { op: 'Neg', inputs: ['l'], outputs: ['nl'] },
      { op: 'Relu', inputs: ['nl'], outputs: ['y'] },
    ],
    outDims: [2, 3],
    kinds: ['softmax'],
  },
  {
    name: 'expanded softmax Exp(a − ReduceMax) / ReduceSum (a division)',
    nodes: [
      { op: 'ReduceMax', inputs: ['A'], outputs: ['m'], attrs: { axes: { ints: [1] } } },
      { op: 'Sub', inputs: ['A', 'm'], outputs: ['d'] },
      { op: 'Exp', inputs: ['d'], outputs: ['e'] },
      { op: 'ReduceSum', inputs: ['e', 'ax1'], outputs: ['sum'] },
      { op: 'Div', inputs: ['e', 'sum'], outputs: ['y'] },
    ],
    outDims: [2, 3],
    kinds: ['divide'],
  },
];
Object.assign(initializers, {
  ax1: { dims: [1], data: [1], int64: true },
  s1123: { dims: [4], data: [1, 1, 2, 3], int64: true },
  s33: { dims: [3], data: [1, 3, 3], int64: true },
  W9: { dims: [N, 9], data: randArray(prng(9), N * 9, -0.8, 0.8) },
  z1: { dims: [1], data: [0], int64: true },
  o1: { dims: [1], data: [1], int64: true },
  s13: { dims: [2], data: [1, 3], int64: true },
  k: { dims: [], data: [1.702] },
});

/** Runs one case through onnxruntime, the quantizer, the integer reference and the circuit. */
export async function runProductCase(c: ProductCase, opset = 17): Promise<void> {
  const path = join(dir, `${c.name.replace(/[^a-z0-9]+/gi, '-')}.onnx`);
  writeFileSync(
    path,
    modelBytes({
      input: { name: 'x', dims: [1, N] },
      output: { name: 'y', dims: c.outDims },
      nodes: [...base, ...c.nodes],
      initializers,
      opset,
    }),
  );
  const fg = lowerGraph(parseOnnx(new Uint8Array(readFileSync(path)), path));
  const cal = Array.from({ length: 24 }, () => Float64Array.from(randArray(rnd, N, -1, 1)));
  const q = quantizeGraph(fg, cal);
  for (const k of c.kinds)
    assert.ok(
      q.ops.some((o) => o.kind === k),
      `the model has a ${k} op: ${q.ops.map((o) => o.kind).join(' ')}`,
    );
  const tests = Array.from({ length: 5 }, () => Float64Array.from(randArray(rnd, N, -1, 1)));
  const floats = await runOnnxRuntime(path, 'x', [1, N], tests);
  const { worst, scale } = compareCircuitWithRuntime(q, tests, floats);
  assert.ok(worst <= (c.tol ?? 0.06) * (1 + scale), `max |error| ${worst} vs magnitude ${scale}`);
}

for (const c of CASES) test(`two activations: ${c.name}`, () => runProductCase(c));

test('cost goal: a d×d by d×n activation MatMul compiles to d·d·n product constraints, then one requantize per output', async () => {
  const [d, n] = [4, 3];
  const rows = prng(7);
  const path = join(dir, 'cost.onnx');
  const inits = {
    Wa: { dims: [N, d * d], data: randArray(rows, N * d * d, -0.5, 0.5) },
    Wb: { dims: [N, d * n], data: randArray(rows, N * d * n, -0.5, 0.5) },
    sa: { dims: [2], data: [d, d], int64: true },
    sb: { dims: [2], data: [d, n], int64: true },
  };
  const nodes: NodeSpec[] = [
    { op: 'MatMul', inputs: ['x', 'Wa'], outputs: ['a'] },
    { op: 'Reshape', inputs: ['a', 'sa'], outputs: ['A'] },
    { op: 'MatMul', inputs: ['x', 'Wb'], outputs: ['b'] },
    { op: 'Reshape', inputs: ['b', 'sb'], outputs: ['B'] },
    { op: 'MatMul', inputs: ['A', 'B'], outputs: ['p'] },
    { op: 'Relu', inputs: ['p'], outputs: ['y'] },
  ];
  writeFileSync(
    path,
    modelBytes({ input: { name: 'x', dims: [1, N] }, output: { name: 'y', dims: [d, n] }, nodes, initializers: inits }),
  );
  const fg = lowerGraph(parseOnnx(new Uint8Array(readFileSync(path)), path));
  const q = quantizeGraph(
    fg,
    Array.from({ length: 16 }, () => Float64Array.from(randArray(rows, N, -1, 1))),
  );
  const xq = quantizeInput(q, Float64Array.from(randArray(rows, N, -1, 1)));
  // Constraints of each op: the difference between circuits of growing op prefixes.
  const costs = q.ops.map((_, i) => {
    const prefix = (k: number) => {
      const b = new R1csBuilder();
      modelSignals(
        b,
        { ...q, ops: q.ops.slice(0, k), output: { ...q.output, name: k ? q.ops[k - 1]!.output : q.input.name } },
        xq.map((v) => b.input(BigInt(v), 'private')),
      );
      return b.nConstraints;
    };
    return prefix(i + 1) - prefix(i);
  });
  const pi = q.ops.findIndex((o) => o.kind === 'product');
  assert.equal(costs[pi], d * d * n, `product op cost: ${costs[pi]}`);
  const product = q.ops[pi]!;
  const readers = q.ops.filter((o) => o.input === product.output || ('other' in o && o.other === product.output));
  assert.equal(readers.length, 1);
  const rq = readers[0]!;
  assert.equal(rq.kind, 'requantize');
  assert.equal(rq.kind === 'requantize' && rq.accBits.length, d * n, 'one requantize per output');
  // The operands are the two materialized activations (requantized once each), nothing else in between.
  const operands = [product.input, product.kind === 'product' ? product.other : ''];
  for (const t of operands) assert.equal(q.ops.find((o) => o.output === t)?.kind, 'requantize');
  assert.equal(runIntegerModel(q, xq).get(q.output.name)!.length, d * n);
});

test('end to end: an attention head with a normalizing division compiles (determinism check on), proves with snarkjs and verifies', async () => {
  const path = join(dir, 'attention-e2e.onnx');
  const nodes: NodeSpec[] = [
    { op: 'Transpose', inputs: ['B'], outputs: ['Bt'], attrs: { perm: { ints: [1, 0] } } },
    { op: 'MatMul', inputs: ['A', 'Bt'], outputs: ['s0'] },
    { op: 'Div', inputs: ['s0', 'sqrt3'], outputs: ['s'] },
    { op: 'Softmax', inputs: ['s'], outputs: ['p'], attrs: { axis: { int: -1 } } },
    { op: 'MatMul', inputs: ['p', 'X'], outputs: ['h'] },
    { op: 'Mul', inputs: ['h', 'h'], outputs: ['h2'] },
    { op: 'ReduceSum', inputs: ['h2', 'ax1'], outputs: ['n'], attrs: { keepdims: { int: 1 } } },
    { op: 'Add', inputs: ['n', 'one'], outputs: ['n1'] },
    { op: 'Div', inputs: ['h', 'n1'], outputs: ['y'] },
  ];
  writeFileSync(
    path,
    modelBytes({
      input: { name: 'x', dims: [1, N] },
      output: { name: 'y', dims: [2, 3] },
      nodes: [...base, ...nodes],
      initializers,
      opset: 17,
    }),
  );
  const inputPath = join(dir, 'attention-input.json');
  writeFileSync(inputPath, JSON.stringify(randArray(rnd, N, -1, 1)));
  const r = await runPipeline({ modelPath: path, inputPath, outDir: join(dir, 'attention-build') });
  assert.ok(r.verification.valid, `proof verifies: ${r.verification.failed ?? ''}`);
  const q = JSON.parse(readFileSync(join(dir, 'attention-build', 'model.quant.json'), 'utf8')) as {
    ops: Array<{ kind: string }>;
  };
  for (const k of ['product', 'softmax', 'divide'])
    assert.ok(
      q.ops.some((o) => o.kind === k),
      `model.quant.json has a ${k} op`,
    );
});
