/**
 * Comparisons, selections and table functions on operands that are all activations (the ONNX
 * node cases only exercise activation-vs-constant): small models written here, run by
 * onnxruntime, quantized, and proven. Each must satisfy its constraints, pass the determinism
 * checker, equal the integer reference exactly, and stay within a quantization bound of
 * onnxruntime.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findViolatedConstraint } from '../../circuits/builder.js';
import { buildCircuit } from '../../src/compile/build-circuit.js';
import { parseOnnx } from '../../src/onnx/load-onnx.js';
import { lowerGraph } from '../../src/quantize/lower-graph.js';
import { runOnnxRuntime } from '../../src/quantize/onnx-runtime.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import { dequantizeOutput, runIntegerModel } from '../../src/quantize/quantized-model.js';
import { quantizeInput } from '../../src/quantize/quantize-input.js';
import { modelBytes, NodeSpec, prng, randArray } from '../helpers/onnx-fixtures.js';
import { compareCircuitWithRuntime } from '../helpers/differential-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'zkinfer-selection-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const N = 6;
const rnd = prng(77);
/** Two dense layers of the input, a = x·W1 + b1 and c = x·W2 + b2, plus a scalar s = x·w3. */
const initializers = {
  W1: { dims: [N, N], data: randArray(rnd, N * N, -0.8, 0.8) },
  b1: { dims: [N], data: randArray(rnd, N, -0.3, 0.3) },
  W2: { dims: [N, N], data: randArray(rnd, N * N, -0.8, 0.8) },
  b2: { dims: [N], data: randArray(rnd, N, -0.3, 0.3) },
  W3: { dims: [N, 1], data: randArray(rnd, N, -0.8, 0.8) },
  three: { dims: [], data: [3] },
  four: { dims: [], data: [4] },
  two: { dims: [], data: [2] },
  one: { dims: [], data: [1] },
  zero: { dims: [], data: [0] },
  half: { dims: [], data: [0.5] },
  scalar: { dims: [0], data: [], int64: true },
};
const base: NodeSpec[] = [
  { op: 'MatMul', inputs: ['x', 'W1'], outputs: ['a0'] },
  { op: 'Add', inputs: ['a0', 'b1'], outputs: ['a'] },
  { op: 'MatMul', inputs: ['x', 'W2'], outputs: ['c0'] },
  { op: 'Add', inputs: ['c0', 'b2'], outputs: ['c'] },
  { op: 'MatMul', inputs: ['x', 'W3'], outputs: ['s'] },
];

const CASES: Array<{ name: string; nodes: NodeSpec[]; outDims?: number[] }> = [
  { name: 'Max of three activations', nodes: [{ op: 'Max', inputs: ['a', 'c', 'x'], outputs: ['y'] }] },
  {
    name: 'Min of two activations and a broadcast scalar activation',
    nodes: [{ op: 'Min', inputs: ['a', 'c', 's'], outputs: ['y'] }],
  },
  {
    name: 'Sum of three activations and a constant',
    nodes: [{ op: 'Sum', inputs: ['a', 'c', 'x', 'two'], outputs: ['y'] }],
  },
  {
    name: 'Mean of three activations (proven division by 3)',
    nodes: [{ op: 'Mean', inputs: ['a', 'c', 'x'], outputs: ['y'] }],
  },
  { name: 'Mean of two activations (exact halving)', nodes: [{ op: 'Mean', inputs: ['a', 'c'], outputs: ['y'] }] },
  {
    name: 'Where(a < c, a, c)',
    nodes: [
      { op: 'Less', inputs: ['a', 'c'], outputs: ['m'] },
      { op: 'Where', inputs: ['m', 'a', 'c'], outputs: ['y'] },
    ],
  },
  {
    name: 'Where(a ≥ c, 1, 0) (constant branches)',
    nodes: [
      { op: 'GreaterOrEqual', inputs: ['a', 'c'], outputs: ['m'] },
      { op: 'Where', inputs: ['m', 'one', 'zero'], outputs: ['y'] },
    ],
  },
  {
    name: 'Where(a = a, c, x) (Equal)',
    nodes: [
      { op: 'Equal', inputs: ['a', 'a'], outputs: ['m'] },
      { op: 'Where', inputs: ['m', 'c', 'x'], outputs: ['y'] },
    ],
  },
  {
    name: 'Where(a > s, x, 0) (Greater with broadcast)',
    nodes: [
      { op: 'Greater', inputs: ['a', 's'], outputs: ['m'] },
      { op: 'Where', inputs: ['m', 'x', 'zero'], outputs: ['y'] },
    ],
  },
  {
    name: 'Clip(x, s, s + 0.5) with scalar activation bounds',
    nodes: [
      { op: 'Reshape', inputs: ['s', 'scalar'], outputs: ['lo'] },
      { op: 'Add', inputs: ['lo', 'half'], outputs: ['hi'] },
      { op: 'Clip', inputs: ['x', 'lo', 'hi'], outputs: ['y'] },
    ],
  },
  {
    name: 'Clip(x, max = s) with only an upper activation bound',
    nodes: [
      { op: 'Reshape', inputs: ['s', 'scalar'], outputs: ['hi'] },
      { op: 'Clip', inputs: ['x', '', 'hi'], outputs: ['y'] },
    ],
  },
  {
    name: 'Div by 3 (proven remainder) then Sigmoid',
    nodes: [
      { op: 'Div', inputs: ['a', 'three'], outputs: ['d'] },
      { op: 'Sigmoid', inputs: ['d'], outputs: ['y'] },
    ],
  },
  {
    name: 'Div by 4 (exact shift) then Tanh',
    nodes: [
      { op: 'Div', inputs: ['a', 'four'], outputs: ['d'] },
      { op: 'Tanh', inputs: ['d'], outputs: ['y'] },
    ],
  },
  {
    name: '2 / (1 + Exp(a)) (reciprocal table)',
    nodes: [
      { op: 'Exp', inputs: ['a'], outputs: ['e'] },
      { op: 'Add', inputs: ['e', 'one'], outputs: ['e1'] },
      { op: 'Div', inputs: ['two', 'e1'], outputs: ['y'] },
    ],
  },
  {
    name: 'Softplus(Abs(a − c))',
    nodes: [
      { op: 'Sub', inputs: ['a', 'c'], outputs: ['d'] },
      { op: 'Abs', inputs: ['d'], outputs: ['e'] },
      { op: 'Softplus', inputs: ['e'], outputs: ['y'] },
    ],
  },
];

for (const c of CASES) {
  test(`all-activation operands: ${c.name}`, async () => {
    const path = join(dir, `${c.name.replace(/[^a-z0-9]+/gi, '-')}.onnx`);
    writeFileSync(
      path,
      modelBytes({
        input: { name: 'x', dims: [1, N] },
        output: { name: 'y', dims: c.outDims ?? [1, N] },
        nodes: [...base, ...c.nodes],
        initializers,
      }),
    );
    const graph = parseOnnx(new Uint8Array(readFileSync(path)), path);
    const fg = lowerGraph(graph);
    const cal = Array.from({ length: 24 }, () => Float64Array.from(randArray(rnd, N, -1, 1)));
    const q = quantizeGraph(fg, cal);
    const tests = Array.from({ length: 6 }, () => Float64Array.from(randArray(rnd, N, -1, 1)));
    const floats = await runOnnxRuntime(path, 'x', [1, N], tests);
    const { worst, scale } = compareCircuitWithRuntime(q, tests, floats);
    // 8-bit activations and weights: a few steps of an 8-bit grid of the output's magnitude.
    assert.ok(worst <= 0.06 * (1 + scale), `max |error| ${worst} vs magnitude ${scale}`);
  });
}

test('a table after a 12-bit activation saturates it into 8 bits first; circuit == integer reference at the clamps', async () => {
  const path = join(dir, 'wide-sigmoid.onnx');
  writeFileSync(
    path,
    modelBytes({
      input: { name: 'x', dims: [1, N] },
      output: { name: 'y', dims: [1, N] },
      nodes: [...base, { op: 'Sigmoid', inputs: ['a'], outputs: ['y'] }],
      initializers,
    }),
  );
  const fg = lowerGraph(parseOnnx(new Uint8Array(readFileSync(path)), path));
  const q = quantizeGraph(
    fg,
    Array.from({ length: 24 }, () => Float64Array.from(randArray(rnd, N, -1, 1))),
    { activationBits: 12 },
  );
  const table = q.ops.find((o) => o.kind === 'table')!;
  const feed = q.ops.find((o) => o.output === table.input);
  assert.ok(feed && feed.kind === 'requantize' && feed.outBits === 8, 'the table input is a requantize into 8 bits');
  assert.equal(table.kind === 'table' && table.bits, 8);
  // Inputs far outside the calibration range drive the rescale into both clamps.
  for (const x of [
    new Float64Array(N).fill(40),
    new Float64Array(N).fill(-40),
    Float64Array.from(randArray(rnd, N, -1, 1)),
  ]) {
    const xq = quantizeInput(q, x);
    const ref = runIntegerModel(q, xq).get(q.output.name)!;
    const build = buildCircuit(q, xq);
    assert.equal(findViolatedConstraint(build.circuit.constraints, build.circuit.witness), -1);
    assert.deepEqual(build.output, ref.map(BigInt));
  }
  const floats = await runOnnxRuntime(path, 'x', [1, N], [new Float64Array(N).fill(0.25)]);
  const got = dequantizeOutput(
    q,
    runIntegerModel(q, quantizeInput(q, new Float64Array(N).fill(0.25))).get(q.output.name)!,
  );
  got.forEach((v, i) => assert.ok(Math.abs(v - floats[0]![i]!) < 0.03, `sigmoid ${v} vs ${floats[0]![i]}`));
});
