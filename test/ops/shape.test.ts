/**
 * Constant folding, data movement, reductions, several graph inputs and integer inputs:
 * every model is checked against onnxruntime (float) and through the circuit (witness
 * satisfies, circuit output == integer reference); the new circuit paths are perturbation
 * tested; the error messages name ops, counts and element types.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuiltCircuit, findViolatedConstraint } from '../../circuits/builder.js';
import { buildCircuit } from '../../src/compile/build-circuit.js';
import { requireDetermined } from '../../src/compile/determinism-check.js';
import { UserError } from '../../src/core/errors.js';
import { readInputFile } from '../../src/onnx/input-file.js';
import { parseOnnx } from '../../src/onnx/load-onnx.js';
import { runFloatGraph } from '../../src/quantize/float-ir.js';
import { lowerGraph } from '../../src/quantize/lower-graph.js';
import { runOnnxRuntime } from '../../src/quantize/onnx-runtime.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import { QuantizedModel, runIntegerModel } from '../../src/quantize/quantized-model.js';
import { quantizeInput } from '../../src/quantize/quantize-input.js';
import { ModelSpec, modelBytes, prng, randArray } from '../helpers/onnx-fixtures.js';
import { assertEveryNonInputWirePinned } from '../helpers/soundness-helpers.js';

const T = mkdtempSync(join(tmpdir(), 'zkinfer-ops-'));
after(() => rmSync(T, { recursive: true, force: true }));

let n = 0;
function write(spec: ModelSpec): string {
  const path = join(T, `m${n++}.onnx`);
  writeFileSync(path, modelBytes(spec));
  return path;
}

/** Lowered float == onnxruntime; quantized circuit satisfied, == integer reference and determined. Returns the model. */
async function check(
  spec: ModelSpec,
  inputs: Float64Array[],
  what: string,
): Promise<{ q: QuantizedModel; circuits: BuiltCircuit[] }> {
  const path = write(spec);
  const g = parseOnnx(modelBytes(spec), path);
  const fg = lowerGraph(g);
  const ort = await runOnnxRuntime(path, g.input.name, g.input.shape, inputs);
  inputs.forEach((x, i) => {
    const ours = runFloatGraph(fg, x).get(fg.output.name)!;
    assert.equal(ours.length, ort[i]!.length, `${what}: output size`);
    ours.forEach((v, j) =>
      assert.ok(
        Math.abs(v - ort[i]![j]!) <= 1e-4 * (1 + Math.abs(v)),
        `${what}: element ${j}: ${v} vs onnxruntime ${ort[i]![j]}`,
      ),
    );
  });
  const q = quantizeGraph(fg, inputs);
  const circuits = inputs.map((x) => {
    const xq = quantizeInput(q, x);
    const b = buildCircuit(q, xq);
    assert.equal(findViolatedConstraint(b.circuit.constraints, b.circuit.witness), -1, `${what}: witness satisfies`);
    assert.deepEqual(
      b.output,
      runIntegerModel(q, xq).get(q.output.name)!.map(BigInt),
      `${what}: circuit == integer reference`,
    );
    // No wire is left free once the inputs are fixed (the determinism checker).
    requireDetermined(b.circuit);
    return b.circuit;
  });
  return { q, circuits };
}

const rnd = prng(7);
const samples = (k: number, len: number, lo = -1, hi = 1) =>
  Array.from({ length: k }, () => Float64Array.from(randArray(rnd, len, lo, hi)));
const ints = (name: string, data: number[]) => ({ [name]: { dims: [data.length], data, int64: true } });

test("PyTorch's x.view(x.size(0), -1) chain folds away: Shape → Gather → Unsqueeze → Concat → Reshape costs nothing", async () => {
  const spec: ModelSpec = {
    input: { name: 'x', dims: [1, 2, 3, 4] },
    output: { name: 'y', dims: [1, 24] },
    initializers: { ...ints('zero', [0]), ...ints('minus1', [-1]), first: { dims: [], data: [0], int64: true } },
    nodes: [
      { op: 'Shape', inputs: ['x'], outputs: ['s'] },
      { op: 'Gather', inputs: ['s', 'first'], outputs: ['n'], attrs: { axis: { int: 0 } } },
      { op: 'Unsqueeze', inputs: ['n', 'zero'], outputs: ['n1'] },
      { op: 'Concat', inputs: ['n1', 'minus1'], outputs: ['target'], attrs: { axis: { int: 0 } } },
      { op: 'Reshape', inputs: ['x', 'target'], outputs: ['r'] },
      { op: 'Relu', inputs: ['r'], outputs: ['y'] },
    ],
  };
  await check(spec, samples(3, 24), 'view chain');
  const fg = lowerGraph(parseOnnx(modelBytes(spec), 'view.onnx'));
  assert.deepEqual(
    fg.ops.map((o) => o.kind),
    ['reshape', 'relu'],
  );
});

test('arithmetic, comparisons, Where, Cast, Range, ConstantOfShape and ReduceProd fold on constants', async () => {
  const spec: ModelSpec = {
    input: { name: 'x', dims: [2, 6] },
    output: { name: 'y', dims: [3, 4] },
    initializers: {
      ...ints('two', [2]),
      ...ints('three', [3]),
      zero: { dims: [], data: [0], int64: true },
      one: { dims: [], data: [1], int64: true },
      s3: { dims: [], data: [3], int64: true },
    },
    nodes: [
      { op: 'Shape', inputs: ['x'], outputs: ['s'] },
      { op: 'ReduceProd', inputs: ['s'], outputs: ['total'], attrs: { keepdims: { int: 0 } } },
      { op: 'Div', inputs: ['total', 'three'], outputs: ['cols0'] },
      { op: 'Sub', inputs: ['cols0', 'zero'], outputs: ['cols'] },
      { op: 'Range', inputs: ['zero', 's3', 'one'], outputs: ['rng'] },
      { op: 'Equal', inputs: ['rng', 'two'], outputs: ['isTwo'] },
      { op: 'Cast', inputs: ['isTwo'], outputs: ['isTwoI'], attrs: { to: { int: 7 } } },
      { op: 'ReduceSum', inputs: ['isTwoI'], outputs: ['one1'], attrs: { keepdims: { int: 1 } } },
      { op: 'Mul', inputs: ['one1', 'three'], outputs: ['rows'] },
      { op: 'Less', inputs: ['rows', 'cols'], outputs: ['lt'] },
      { op: 'Where', inputs: ['lt', 'rows', 'cols'], outputs: ['r0'] },
      { op: 'Concat', inputs: ['r0', 'cols'], outputs: ['target'], attrs: { axis: { int: 0 } } },
      { op: 'ConstantOfShape', inputs: ['target'], outputs: ['zeros'] },
      { op: 'Reshape', inputs: ['x', 'target'], outputs: ['r'] },
      { op: 'Add', inputs: ['r', 'zeros'], outputs: ['y'] },
    ],
  };
  await check(spec, samples(2, 12), 'folded arithmetic');
});

test('data movement lowers to free wiring and matches onnxruntime (Slice, Pad, Tile, Expand, Gather, Split+Concat, DepthToSpace)', async () => {
  const cases: Array<[string, ModelSpec, number]> = [
    [
      'Slice with negative step',
      {
        input: { name: 'x', dims: [3, 5] },
        output: { name: 'y', dims: [3, 2] },
        initializers: { ...ints('st', [4]), ...ints('en', [0]), ...ints('ax', [1]), ...ints('sp', [-2]) },
        nodes: [{ op: 'Slice', inputs: ['x', 'st', 'en', 'ax', 'sp'], outputs: ['y'] }],
      },
      15,
    ],
    [
      'Pad reflect',
      {
        input: { name: 'x', dims: [1, 1, 3, 3] },
        output: { name: 'y', dims: [1, 1, 5, 7] },
        initializers: ints('p', [0, 0, 1, 2, 0, 0, 1, 2]),
        nodes: [{ op: 'Pad', inputs: ['x', 'p'], outputs: ['y'], attrs: { mode: { str: 'reflect' } } }],
      },
      9,
    ],
    [
      'Tile',
      {
        input: { name: 'x', dims: [2, 3] },
        output: { name: 'y', dims: [4, 3] },
        initializers: ints('r', [2, 1]),
        nodes: [{ op: 'Tile', inputs: ['x', 'r'], outputs: ['y'] }],
      },
      6,
    ],
    [
      'Expand',
      {
        input: { name: 'x', dims: [3, 1] },
        output: { name: 'y', dims: [2, 3, 4] },
        initializers: ints('s', [2, 1, 4]),
        nodes: [{ op: 'Expand', inputs: ['x', 's'], outputs: ['y'] }],
      },
      3,
    ],
    [
      'Gather rows',
      {
        input: { name: 'x', dims: [4, 3] },
        output: { name: 'y', dims: [2, 2, 3] },
        initializers: { idx: { dims: [2, 2], data: [3, 0, -1, 1], int64: true } },
        nodes: [{ op: 'Gather', inputs: ['x', 'idx'], outputs: ['y'], attrs: { axis: { int: 0 } } }],
      },
      12,
    ],
    [
      'Split then Concat in another order',
      {
        input: { name: 'x', dims: [2, 6] },
        output: { name: 'y', dims: [2, 6] },
        initializers: ints('sp', [2, 4]),
        nodes: [
          { op: 'Split', inputs: ['x', 'sp'], outputs: ['a', 'b'], attrs: { axis: { int: 1 } } },
          { op: 'Concat', inputs: ['b', 'a'], outputs: ['y'], attrs: { axis: { int: 1 } } },
        ],
      },
      12,
    ],
    [
      'DepthToSpace',
      {
        input: { name: 'x', dims: [1, 8, 2, 2] },
        output: { name: 'y', dims: [1, 2, 4, 4] },
        nodes: [{ op: 'DepthToSpace', inputs: ['x'], outputs: ['y'], attrs: { blocksize: { int: 2 } } }],
      },
      32,
    ],
  ];
  for (const [what, spec, len] of cases) {
    const { q } = await check(spec, samples(2, len), what);
    assert.ok(
      q.ops.every((o) => o.kind === 'permute' || o.kind === 'reshape' || o.kind === 'concat'),
      `${what}: only wiring (${q.ops.map((o) => o.kind)})`,
    );
  }
});

test('Concat of two activation branches at different scales: both are aligned to the finer scale exactly', async () => {
  const spec: ModelSpec = {
    input: { name: 'x', dims: [1, 6] },
    output: { name: 'y', dims: [1, 4] },
    initializers: { big: { dims: [1], data: [40] }, w: { dims: [12, 4], data: randArray(prng(3), 48, -1, 1) } },
    nodes: [
      { op: 'Relu', inputs: ['x'], outputs: ['a'] },
      { op: 'Mul', inputs: ['x', 'big'], outputs: ['b'] },
      { op: 'Concat', inputs: ['a', 'b'], outputs: ['c'], attrs: { axis: { int: 1 } } },
      { op: 'MatMul', inputs: ['c', 'w'], outputs: ['y'] },
    ],
  };
  const { q } = await check(spec, samples(4, 6), 'concat of branches');
  const concat = q.ops.find((o) => o.kind === 'concat');
  assert.ok(
    concat && concat.kind === 'concat' && concat.scales.some((s) => s > 1),
    'one branch is shifted up to the other scale',
  );
});

test('reductions (ReduceMin/Max/Mean/L1 over several axes), grouped 1-D Conv and 3-D pooling match onnxruntime; comparator wires are pinned', async () => {
  const red = (op: string, axes: number[]): ModelSpec => ({
    input: { name: 'x', dims: [2, 3, 4] },
    output: { name: 'y', dims: [1, 3, 1] },
    initializers: ints('ax', axes),
    nodes: [{ op, inputs: ['x', 'ax'], outputs: ['y'], attrs: { keepdims: { int: 1 } } }],
    opset: 18,
  });
  for (const op of ['ReduceMin', 'ReduceMax', 'ReduceMean', 'ReduceL1']) {
    const { circuits } = await check(red(op, [0, 2]), samples(2, 24), op);
    if (op === 'ReduceMin' || op === 'ReduceL1') assertEveryNonInputWirePinned(circuits[0]!, op);
  }
  await check(
    {
      input: { name: 'x', dims: [1, 4, 9] },
      output: { name: 'y', dims: [1, 6, 4] },
      initializers: {
        w: { dims: [6, 2, 3], data: randArray(prng(5), 36, -1, 1) },
        b: { dims: [6], data: randArray(prng(6), 6, -1, 1) },
      },
      nodes: [
        {
          op: 'Conv',
          inputs: ['x', 'w', 'b'],
          outputs: ['y'],
          attrs: { group: { int: 2 }, strides: { ints: [2] }, pads: { ints: [1, 0] } },
        },
      ],
    },
    samples(2, 36),
    'grouped 1-D Conv',
  );
  await check(
    {
      input: { name: 'x', dims: [1, 2, 4, 4, 4] },
      output: { name: 'y', dims: [1, 2, 2, 2, 2] },
      nodes: [
        {
          op: 'MaxPool',
          inputs: ['x'],
          outputs: ['y'],
          attrs: { kernel_shape: { ints: [2, 2, 2] }, strides: { ints: [2, 2, 2] } },
        },
      ],
    },
    samples(1, 128),
    '3-D MaxPool',
  );
});

test('two graph inputs, one of them INT64: joined in graph order, the integer proven at scale 1 and range-checked', async () => {
  const spec: ModelSpec = {
    input: { name: 'a', dims: [1, 4] },
    moreInputs: [{ name: 'k', dims: [1, 4], elemType: 7 }],
    output: { name: 'y', dims: [1, 8] },
    nodes: [
      { op: 'Cast', inputs: ['k'], outputs: ['kf'], attrs: { to: { int: 1 } } },
      { op: 'Add', inputs: ['a', 'kf'], outputs: ['s'] },
      { op: 'Concat', inputs: ['s', 'kf'], outputs: ['y'], attrs: { axis: { int: 1 } } },
    ],
  };
  const inputs = [
    Float64Array.of(0.5, -0.25, 0.75, 0.1, 3, -2, 0, 7),
    Float64Array.of(-0.5, 0.3, 0.2, -0.9, -5, 1, 2, 6),
  ];
  const { q } = await check(spec, inputs, 'float + int64 inputs');
  assert.equal(q.input.name, 'zkinfer::inputs');
  assert.deepEqual(
    q.input.parts?.map((p) => [p.name, p.elemType, p.frac, p.lo, p.hi]),
    [
      ['a', 'FLOAT', q.input.parts![0]!.frac, q.input.parts![0]!.lo, q.input.parts![0]!.hi],
      ['k', 'INT64', 0, -5, 7],
    ],
  );
  assert.throws(
    () => quantizeInput(q, Float64Array.of(0, 0, 0, 0, 8, 0, 0, 0)),
    /input "k" \(INT64\) value 8 is not an integer in the calibrated range \[-5, 7\]/,
  );
  assert.throws(() => quantizeInput(q, Float64Array.of(0, 0, 0, 0, 0.5, 0, 0, 0)), UserError);
  // Input files: keyed by graph input name, EZKL's input_data, or flat in graph order.
  const layout = q.input;
  const want = [0.5, -0.25, 0.75, 0.1, 3, -2, 0, 7];
  const files: Array<[string, string]> = [
    ['keyed.json', JSON.stringify({ k: [[3, -2, 0, 7]], a: [[0.5, -0.25, 0.75, 0.1]], label: 1 })],
    [
      'ezkl.json',
      JSON.stringify({
        input_data: [
          [0.5, -0.25, 0.75, 0.1],
          [3, -2, 0, 7],
        ],
      }),
    ],
    ['flat.json', JSON.stringify(want)],
  ];
  for (const [name, text] of files) {
    writeFileSync(join(T, name), text);
    assert.deepEqual(Array.from(readInputFile(join(T, name), layout)), want, name);
  }
  writeFileSync(join(T, 'missing.json'), JSON.stringify({ a: [0, 0, 0, 0] }));
  assert.throws(() => readInputFile(join(T, 'missing.json'), layout), /missing graph input\(s\) "k"; the file has "a"/);
  writeFileSync(join(T, 'short.json'), JSON.stringify({ a: [0, 0, 0], k: [1, 2, 3, 4] }));
  assert.throws(
    () => readInputFile(join(T, 'short.json'), layout),
    /short\.json "a": input has 3 values but the model expects shape \[1,4\]/,
  );
});

/** A .npy file, written as the format document describes (version 1, little endian). */
function npy(descr: string, shape: number[], bytes: Uint8Array, fortran = false): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  while ((10 + header.length + 1) % 64 !== 0) header += ' ';
  header += '\n';
  const out = new Uint8Array(10 + header.length + bytes.length);
  out.set([0x93, ...Buffer.from('NUMPY'), 1, 0, header.length & 0xff, header.length >> 8]);
  out.set(Buffer.from(header, 'latin1'), 10);
  out.set(bytes, 10 + header.length);
  return out;
}

test('.npy input files: float32/float64/int64, C and Fortran order; bad files are one-line errors', () => {
  const f4 = new Uint8Array(Float32Array.of(1, 2, 3, 4, 5, 6).buffer);
  writeFileSync(join(T, 'a.npy'), npy('<f4', [2, 3], f4));
  assert.deepEqual(Array.from(readInputFile(join(T, 'a.npy'), [2, 3])), [1, 2, 3, 4, 5, 6]);
  // Fortran order stores columns first: [[1,2,3],[4,5,6]] is 1,4,2,5,3,6.
  writeFileSync(join(T, 'f.npy'), npy('<f8', [2, 3], new Uint8Array(Float64Array.of(1, 4, 2, 5, 3, 6).buffer), true));
  assert.deepEqual(Array.from(readInputFile(join(T, 'f.npy'), [2, 3])), [1, 2, 3, 4, 5, 6]);
  writeFileSync(join(T, 'i.npy'), npy('<i8', [3], new Uint8Array(BigInt64Array.of(-1n, 0n, 9n).buffer)));
  assert.deepEqual(Array.from(readInputFile(join(T, 'i.npy'), [3])), [-1, 0, 9]);
  writeFileSync(join(T, 'bad.npy'), Buffer.from('not numpy at all'));
  assert.throws(() => readInputFile(join(T, 'bad.npy'), [3]), /bad\.npy: not a \.npy file/);
  writeFileSync(join(T, 'u.npy'), npy('<U3', [1], new Uint8Array(12)));
  assert.throws(() => readInputFile(join(T, 'u.npy'), [1]), /unsupported \.npy dtype "<U3"/);
});

test('errors: unsupported ops grouped with counts before any input check; element types by name; ai.onnx.ml hint', () => {
  const nodes = Array.from({ length: 5 }, (_, i) => ({
    op: 'SVMClassifier',
    inputs: [i ? `t${i - 1}` : 'x'],
    outputs: [`t${i}`],
    name: `tree${i}`,
    domain: 'ai.onnx.ml',
  }));
  const g = parseOnnx(
    modelBytes({
      input: { name: 'x', dims: [1, 4], elemType: 8 },
      output: { name: 't4', dims: [1, 4] },
      nodes: [...nodes, { op: 'NonZero', inputs: ['t4'], outputs: ['e'], name: 'e0' }],
    }),
    'ml.onnx',
  );
  assert.throws(
    () => lowerGraph(g),
    (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.match(
        e.message,
        /^ml\.onnx: unsupported ONNX ops: ai\.onnx\.ml:SVMClassifier ×5 \(nodes "tree0", "tree1", "tree2" and 2 more\), NonZero ×1 \(node "e0"\); of the ai\.onnx\.ml domain .* only TreeEnsembleClassifier and TreeEnsembleRegressor are supported/,
      );
      return true;
    },
  );
  const str = parseOnnx(
    modelBytes({
      input: { name: 'x', dims: [1, 4], elemType: 8 },
      output: { name: 'y', dims: [1, 4] },
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
    }),
    'str.onnx',
  );
  assert.throws(() => lowerGraph(str), /^UserError: str\.onnx: graph input "x" has element type STRING; supported are/);
  const mul = parseOnnx(
    modelBytes({
      input: { name: 'x', dims: [1, 4] },
      output: { name: 'y', dims: [1, 4] },
      nodes: [{ op: 'Mul', inputs: ['x', 'x'], outputs: ['y'], name: 'sq' }],
    }),
    'sq.onnx',
  );
  // Products of two activations lower (issue 11): x·x is one product op reading x twice.
  const sq = lowerGraph(mul).ops.find((o) => o.name === 'sq');
  assert.ok(sq && sq.kind === 'product' && sq.input === 'x' && sq.other === 'x');
  const att = parseOnnx(
    modelBytes({
      input: { name: 'x', dims: [2, 2] },
      output: { name: 'y', dims: [2, 2] },
      nodes: [{ op: 'MatMul', inputs: ['x', 'x'], outputs: ['y'], name: 'qk' }],
    }),
    'qk.onnx',
  );
  const qk = lowerGraph(att).ops.find((o) => o.name === 'qk');
  assert.ok(qk && qk.kind === 'product' && qk.offsets.length === 5 && qk.aIndex.length === 8);
  const lookup = parseOnnx(
    modelBytes({
      input: { name: 'ids', dims: [1, 2], elemType: 7 },
      output: { name: 'y', dims: [1, 2, 3] },
      initializers: { table: { dims: [5, 3], data: new Array(15).fill(0.5) } },
      nodes: [{ op: 'Gather', inputs: ['table', 'ids'], outputs: ['y'], name: 'embed' }],
    }),
    'embed.onnx',
  );
  // An embedding lookup (indices computed from the input) lowers to a one-hot selection (issue 23).
  const embed = lowerGraph(lookup).ops.find((o) => o.name === 'embed');
  assert.ok(embed && embed.kind === 'gatherIndex' && 'constant' in embed.data && embed.base.length === 6);
});
