/**
 * ONNX models crafted so that the lowered graph would compute something other than what
 * onnxruntime computes: look-alikes of the expanded LayerNorm pattern whose statistics broadcast
 * differently, recurrent weights and states of the right size but the wrong shape, −∞ in a
 * constant that masked attention only reaches through 0 · −∞, Einsum equations onnxruntime
 * refuses, and integer Div (rounding toward zero). Each is refused with one line naming the node,
 * or lowered exactly; the genuine forms still lower.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/core/errors.js';
import { parseOnnx } from '../../src/onnx/load-onnx.js';
import { runFloatGraph } from '../../src/quantize/float-ir.js';
import { lowerGraph } from '../../src/quantize/lower-graph.js';
import { runOnnxRuntime } from '../../src/quantize/onnx-runtime.js';
import { modelBytes, ModelSpec, NodeSpec, prng, randArray } from '../helpers/onnx-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'zkinfer-onnx-lowering-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Lowers `nodes` over input x [n, n] (a = x·W is the computed activation) and returns the largest |float IR − onnxruntime| and the op names. */
async function lowerAndCompare(
  name: string,
  n: number,
  nodes: NodeSpec[],
  eps = 1e-5,
): Promise<{ err: number; ops: string[] }> {
  const rnd = prng(5);
  const path = join(dir, `${name}.onnx`);
  const bytes = modelBytes({
    input: { name: 'x', dims: [n, n] },
    output: { name: 'y', dims: [n, n] },
    opset: 17,
    initializers: { W: { dims: [n, n], data: randArray(rnd, n * n, -1, 1) }, eps: { dims: [], data: [eps] } },
    nodes: [{ op: 'MatMul', inputs: ['x', 'W'], outputs: ['a'] }, ...nodes],
  });
  writeFileSync(path, bytes);
  const fg = lowerGraph(parseOnnx(bytes, path));
  const x = Float64Array.from(randArray(rnd, n * n, -1, 1));
  const ours = runFloatGraph(fg, x).get(fg.output.name)!;
  const [want] = await runOnnxRuntime(path, 'x', [n, n], [x]);
  let err = 0;
  ours.forEach((v, i) => (err = Math.max(err, Math.abs(v - want![i]!))));
  return { err, ops: fg.ops.map((o) => o.name) };
}

const mean = (input: string, output: string, keepdims: number): NodeSpec => ({
  op: 'ReduceMean',
  inputs: [input],
  outputs: [output],
  attrs: { axes: { ints: [1] }, keepdims: { int: keepdims } },
});
/** PyTorch's expanded LayerNorm (x − μ) / √(mean((x − μ)²) + ε) over a's last axis. */
const expandedLayerNorm = (keepdims: number): NodeSpec[] => [
  mean('a', 'mu', keepdims),
  { op: 'Sub', inputs: ['a', 'mu'], outputs: ['dev'] },
  { op: 'Mul', inputs: ['dev', 'dev'], outputs: ['sq'] },
  mean('sq', 'v', keepdims),
  { op: 'Add', inputs: ['v', 'eps'], outputs: ['ve'] },
  { op: 'Sqrt', inputs: ['ve'], outputs: ['s'] },
  { op: 'Div', inputs: ['dev', 's'], outputs: ['y'] },
];

test('expanded-normalization pattern: with keepdims=0 the statistics broadcast along the last axis (not a LayerNorm) — it must not be lowered as one', async () => {
  // a is [4, 4]; ReduceMean(keepdims=0) gives μ of shape [4], and a − μ subtracts μ[j] from column j.
  const r = await lowerAndCompare('keepdims0', 4, expandedLayerNorm(0));
  assert.ok(r.err < 1e-4, `lowered graph differs from onnxruntime by ${r.err} (ops: ${r.ops.join(' ')})`);
  assert.ok(!r.ops.some((o) => o.endsWith('::sum-of-squares')), 'not fused into a LayerNorm');
});

test('expanded-normalization pattern (ONNX function body): ReduceMean(x²) with keepdims=0 minus μ² with keepdims=1 broadcasts to a matrix — not a LayerNorm', async () => {
  // v[i][j] = mean(a²)[j] − μ[i]²: the statistics of one row mixed with those of another.
  const nodes: NodeSpec[] = [
    mean('a', 'mu', 1),
    { op: 'Sub', inputs: ['a', 'mu'], outputs: ['dev'] },
    { op: 'Mul', inputs: ['a', 'a'], outputs: ['aa'] },
    mean('aa', 'ms', 0),
    { op: 'Mul', inputs: ['mu', 'mu'], outputs: ['mu2'] },
    { op: 'Sub', inputs: ['ms', 'mu2'], outputs: ['v'] },
    { op: 'Add', inputs: ['v', 'eps'], outputs: ['ve'] },
    { op: 'Sqrt', inputs: ['ve'], outputs: ['s'] },
    { op: 'Div', inputs: ['dev', 's'], outputs: ['y'] },
  ];
  // |a| ≤ 4, so μ² ≤ 16 and ε = 20 keeps every v + ε positive (no NaN on either side).
  const r = await lowerAndCompare('function-body-mixed', 4, nodes, 20);
  assert.ok(r.err < 1e-4, `lowered graph differs from onnxruntime by ${r.err} (ops: ${r.ops.join(' ')})`);
  assert.ok(!r.ops.some((o) => o.endsWith('::sum-of-squares')), 'not fused into a LayerNorm');
});

test('expanded-normalization pattern: the genuine form (keepdims=1) is still fused and exact', async () => {
  const r = await lowerAndCompare('keepdims1', 4, expandedLayerNorm(1));
  assert.ok(r.err < 1e-4, `lowered graph differs from onnxruntime by ${r.err}`);
  assert.ok(
    r.ops.some((o) => o.endsWith('::sum-of-squares')),
    `fused into a LayerNorm: ${r.ops.join(' ')}`,
  );
});

test('recurrent weights and states of the right size but the wrong shape (a transposed W, a [1, H, 1] initial_h) are refused with one line naming the node', () => {
  const rnd = prng(9);
  const init = (dims: number[]) => ({
    dims,
    data: randArray(
      rnd,
      dims.reduce((a, b) => a * b, 1),
      -0.5,
      0.5,
    ),
  });
  const [S, I, H] = [2, 3, 2];
  const lstm = (inits: ModelSpec['initializers'], inputs: string[]) =>
    modelBytes({
      input: { name: 'x', dims: [S, 1, I] },
      output: { name: 'y', dims: [S, 1, 1, H] },
      nodes: [
        {
          op: 'LSTM',
          name: 'lstm-shape',
          inputs: ['x', ...inputs],
          outputs: ['y'],
          attrs: { hidden_size: { int: H } },
        },
      ],
      initializers: inits,
      opset: 14,
    });
  const oneLine = (what: RegExp) => (e: Error) =>
    e instanceof UserError && /lstm-shape/.test(e.message) && what.test(e.message) && !e.message.includes('\n');
  // W must be [1, 4H, I] = [1, 8, 3]; [1, 3, 8] has the same 24 elements in another order.
  assert.throws(
    () => lowerGraph(parseOnnx(lstm({ W: init([1, I, 4 * H]), R: init([1, 4 * H, H]) }, ['W', 'R']), 'w.onnx')),
    oneLine(/W has shape \[1,3,8\]/),
  );
  assert.throws(
    () =>
      lowerGraph(
        parseOnnx(
          lstm({ W: init([1, 4 * H, I]), R: init([1, 4 * H, H]), h0: init([1, H, 1]) }, ['W', 'R', '', '', 'h0']),
          'h.onnx',
        ),
      ),
    oneLine(/initial_h has shape \[1,2,1\]/),
  );
  // The genuine shapes still lower.
  assert.ok(
    lowerGraph(
      parseOnnx(
        lstm({ W: init([1, 4 * H, I]), R: init([1, 4 * H, H]), h0: init([1, 1, H]) }, ['W', 'R', '', '', 'h0']),
        'ok.onnx',
      ),
    ).ops.length > 0,
  );
});

test('masked attention: −∞ in a constant V row that only masked keys reach is refused by name, not zeroed (the model computes 0 · −∞ = NaN there)', () => {
  const bytes = modelBytes({
    input: { name: 'x', dims: [1, 4] },
    output: { name: 'y', dims: [1, 2] },
    opset: 17,
    nodes: [
      { op: 'Add', inputs: ['x', 'mask'], outputs: ['s'] },
      { op: 'Softmax', inputs: ['s'], outputs: ['p'] },
      { op: 'MatMul', name: 'pv', inputs: ['p', 'V'], outputs: ['y'] },
    ],
    initializers: {
      mask: { dims: [1, 4], data: [-Infinity, 0, 0, 0] },
      V: { dims: [4, 2], data: [-Infinity, -Infinity, 1, 2, 3, 4, 5, 6] },
    },
  });
  assert.throws(
    () => lowerGraph(parseOnnx(bytes, 'poison.onnx')),
    (e: Error) => e instanceof UserError && /"pv".*-Infinity/.test(e.message) && !e.message.includes('\n'),
  );
  // A finite value there is still ignored (the product is unchanged): the model lowers.
  const finite = modelBytes({
    input: { name: 'x', dims: [1, 4] },
    output: { name: 'y', dims: [1, 2] },
    opset: 17,
    nodes: [
      { op: 'Add', inputs: ['x', 'mask'], outputs: ['s'] },
      { op: 'Softmax', inputs: ['s'], outputs: ['p'] },
      { op: 'MatMul', name: 'pv', inputs: ['p', 'V'], outputs: ['y'] },
    ],
    initializers: {
      mask: { dims: [1, 4], data: [-Infinity, 0, 0, 0] },
      V: { dims: [4, 2], data: [1e30, -1e30, 1, 2, 3, 4, 5, 6] },
    },
  });
  assert.ok(lowerGraph(parseOnnx(finite, 'finite.onnx')).ops.length > 0);
});

test('Einsum: equations onnxruntime refuses (an output letter twice, two arrows, digits) are refused with one line naming the node', () => {
  const model = (equation: string) =>
    modelBytes({
      input: { name: 'x', dims: [2, 2] },
      output: { name: 'y', dims: [2, 2] },
      opset: 17,
      initializers: { W: { dims: [2, 2], data: [1, 2, 3, 4] } },
      nodes: [
        { op: 'MatMul', inputs: ['x', 'W'], outputs: ['a'] },
        { op: 'Einsum', name: 'es', inputs: ['a', 'x'], outputs: ['y'], attrs: { equation: { str: equation } } },
      ],
    });
  for (const eq of ['ij,jk->ii', 'ij,jk->ik->k', 'i0,0k->ik']) {
    assert.throws(
      () => lowerGraph(parseOnnx(model(eq), 'e.onnx')),
      (e: Error) => e instanceof UserError && /"es"/.test(e.message) && !e.message.includes('\n'),
      eq,
    );
  }
  assert.ok(lowerGraph(parseOnnx(model('ij,jk->ik'), 'ok.onnx')).ops.some((o) => o.kind === 'product'));
});

test('Div of two computed integer tensors (ONNX: rounds toward zero) is refused by name, not proven as a real quotient', () => {
  const model = (elemType: number) =>
    modelBytes({
      input: { name: 'a', dims: [1, 4], elemType },
      moreInputs: [{ name: 'b', dims: [1, 4], elemType }],
      output: { name: 'y', dims: [1, 4] },
      opset: 17,
      nodes: [
        { op: 'Relu', inputs: ['b'], outputs: ['rb'] },
        { op: 'Div', name: 'idiv', inputs: ['a', 'rb'], outputs: ['y'] },
      ],
    });
  // INT64 (7): 7 / 2 is 3 in the model; the DivideOp would prove 3.5.
  assert.throws(
    () => lowerGraph(parseOnnx(model(7), 'int.onnx')),
    (e: Error) => e instanceof UserError && /"idiv".*INT64/.test(e.message) && !e.message.includes('\n'),
  );
  assert.ok(lowerGraph(parseOnnx(model(1), 'float.onnx')).ops.some((o) => o.kind === 'divide'));
});
