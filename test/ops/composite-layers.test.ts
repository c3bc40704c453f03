/**
 * Composite layers (issue 11): LayerNormalization, InstanceNormalization, GroupNormalization,
 * LSTM, GRU, RNN and the ONNX Attention op, each compiled from a small model: the witness
 * satisfies the circuit, the circuit output equals the integer reference exactly, the
 * determinism checker proves every wire forced by the inputs, a witness whose internal wires
 * come from another input is rejected (small circuits: every wire ±1 too), and the output is within the
 * quantization tolerance of onnxruntime. Unsupported attributes fail with one line naming the node.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findViolatedConstraint } from '../../circuits/builder.js';
import { buildCircuit } from '../../src/compile/build-circuit.js';
import { magnitudeScale, tolerance } from '../../tools/conformance/conformance-case.js';
import { UserError } from '../../src/core/errors.js';
import { parseOnnx } from '../../src/onnx/load-onnx.js';
import { runFloatGraph } from '../../src/quantize/float-ir.js';
import { lowerGraph } from '../../src/quantize/lower-graph.js';
import { runOnnxRuntime } from '../../src/quantize/onnx-runtime.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import { dequantizeOutput, runIntegerModel } from '../../src/quantize/quantized-model.js';
import { quantizeInput } from '../../src/quantize/quantize-input.js';
import { modelBytes, ModelSpec, NodeSpec, prng, randArray } from '../helpers/onnx-fixtures.js';
import {
  assertEveryNonInputWirePinned,
  assertFullyConstrained,
  assertMultiWireTamperFails,
  spliceWitness,
} from '../helpers/soundness-helpers.js';

const dir = await mkdtemp(join(tmpdir(), 'zkinfer-composite-'));
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const rnd = prng(11);
const init = (dims: number[], lo = -0.5, hi = 0.5) => ({
  dims,
  data: randArray(
    rnd,
    dims.reduce((a, b) => a * b, 1),
    lo,
    hi,
  ),
});
const size = (d: number[]) => d.reduce((a, b) => a * b, 1);

/** Compiles `spec` and checks circuit == reference, determinism and closeness to onnxruntime; returns the constraint count. */
async function check(name: string, spec: ModelSpec, seed = 5): Promise<number> {
  const bytes = modelBytes(spec);
  const path = join(dir, `${name}.onnx`);
  await writeFile(path, bytes);
  const fg = lowerGraph(parseOnnx(bytes, path));
  const n = size(fg.input.shape);
  const inputs = prng(seed);
  const calib = [0, 1, 2, 3].map(() => Float64Array.from(randArray(inputs, n, -1, 1)));
  const q = quantizeGraph(fg, calib, { activationBits: 8 });
  const x = calib[0]!;
  const xq = quantizeInput(q, x);
  const ref = runIntegerModel(q, xq).get(q.output.name)!;
  const build = buildCircuit(q, xq);
  assert.equal(
    findViolatedConstraint(build.circuit.constraints, build.circuit.witness),
    -1,
    `${name}: witness satisfies`,
  );
  assert.deepEqual(build.output.map(Number), ref, `${name}: circuit == integer reference`);
  assertFullyConstrained(build.circuit, name);
  // Every internal wire taken from an honest run at another input: the seam to the real inputs must break.
  const donor = buildCircuit(q, quantizeInput(q, calib[1]!));
  assertMultiWireTamperFails(
    build.circuit,
    spliceWitness(build.circuit, donor.circuit),
    `${name} (internal wires of another input)`,
  );
  if (build.circuit.nConstraints < 1500) assertEveryNonInputWirePinned(build.circuit, name);
  const [want] = await runOnnxRuntime(path, spec.input.name, spec.input.dims, [x]);
  const floatOut = runFloatGraph(fg, x).get(fg.output.name)!;
  let floatErr = 0;
  floatOut.forEach((v, i) => (floatErr = Math.max(floatErr, Math.abs(v - want![i]!))));
  assert.ok(floatErr < 1e-4, `${name}: lowered float graph vs onnxruntime ${floatErr}`);
  const got = dequantizeOutput(q, build.output);
  // Rounding the input onto its grid is not the circuit's error: add what it costs the float model.
  const onGrid = runFloatGraph(
    fg,
    Float64Array.from(xq, (v) => v * 2 ** -q.input.frac),
  ).get(fg.output.name)!;
  let inputErr = 0;
  onGrid.forEach((v, i) => (inputErr = Math.max(inputErr, Math.abs(v - floatOut[i]!))));
  const tol = tolerance(q.output.frac, 8, want!, magnitudeScale(fg, x)) + inputErr;
  got.forEach((v, i) =>
    assert.ok(
      Math.abs(v - want![i]!) <= tol,
      `${name}: output ${i} ${v} vs onnxruntime ${want![i]} (tolerance ${tol})`,
    ),
  );
  return build.circuit.nConstraints;
}

function single(
  op: string,
  inDims: number[],
  outDims: number[],
  inputs: string[],
  attrs: NodeSpec['attrs'],
  inits: ModelSpec['initializers'],
  opset: number,
  extra: Partial<ModelSpec> = {},
): ModelSpec {
  return {
    input: { name: 'x', dims: inDims },
    output: { name: 'y', dims: outDims },
    nodes: [{ op, name: `${op.toLowerCase()}0`, inputs: ['x', ...inputs], outputs: ['y'], attrs }],
    initializers: inits,
    opset,
    irVersion: 10,
    ...extra,
  };
}

test('LayerNormalization (width 8, scale and bias) and its statistics', async () => {
  await check(
    'layernorm',
    single(
      'LayerNormalization',
      [3, 8],
      [3, 8],
      ['g', 'b'],
      { axis: { int: -1 }, epsilon: { float: 1e-5 } },
      { g: init([8], 0.5, 1.5), b: init([8]) },
      17,
    ),
  );
});

test('the expanded LayerNorm PyTorch emits before opset 17 (ReduceMean, Sub, Pow 2, Sqrt, Div) compiles to the fused circuit', async () => {
  const g = init([8], 0.5, 1.5);
  const b = init([8]);
  const expanded = await check('layernorm-expanded', {
    input: { name: 'x', dims: [3, 8] },
    output: { name: 'y', dims: [3, 8] },
    nodes: [
      { op: 'ReduceMean', name: 'mean', inputs: ['x'], outputs: ['m'], attrs: { axes: { ints: [-1] } } },
      { op: 'Sub', name: 'sub', inputs: ['x', 'm'], outputs: ['d'] },
      { op: 'Pow', name: 'pow', inputs: ['d', 'two'], outputs: ['d2'] },
      { op: 'ReduceMean', name: 'var', inputs: ['d2'], outputs: ['v'], attrs: { axes: { ints: [-1] } } },
      { op: 'Add', name: 'eps', inputs: ['v', 'e'], outputs: ['ve'] },
      { op: 'Sqrt', name: 'sqrt', inputs: ['ve'], outputs: ['s'] },
      { op: 'Div', name: 'div', inputs: ['d', 's'], outputs: ['n'] },
      { op: 'Mul', name: 'gamma', inputs: ['n', 'g'], outputs: ['ng'] },
      { op: 'Add', name: 'beta', inputs: ['ng', 'b'], outputs: ['y'] },
    ],
    initializers: { two: { dims: [], data: [2] }, e: { dims: [], data: [1e-5] }, g, b },
    opset: 14,
  });
  const fused = await check(
    'layernorm-fused',
    single(
      'LayerNormalization',
      [3, 8],
      [3, 8],
      ['g', 'b'],
      { axis: { int: -1 }, epsilon: { float: 1e-5 } },
      { g, b },
      17,
    ),
  );
  assert.equal(expanded, fused, 'the expanded graph compiles to the same number of constraints as LayerNormalization');
});

test('InstanceNormalization and GroupNormalization (opset 21 per-channel, opset 18 per-group scale)', async () => {
  await check(
    'instancenorm',
    single(
      'InstanceNormalization',
      [1, 3, 5],
      [1, 3, 5],
      ['g', 'b'],
      { epsilon: { float: 1e-5 } },
      { g: init([3], 0.5, 1.5), b: init([3]) },
      13,
    ),
  );
  await check(
    'groupnorm',
    single(
      'GroupNormalization',
      [1, 4, 3],
      [1, 4, 3],
      ['g', 'b'],
      { num_groups: { int: 2 } },
      { g: init([4], 0.5, 1.5), b: init([4]) },
      21,
    ),
  );
  await check(
    'groupnorm-18',
    single(
      'GroupNormalization',
      [1, 4, 3],
      [1, 4, 3],
      ['g', 'b'],
      { num_groups: { int: 2 } },
      { g: init([2], 0.5, 1.5), b: init([2]) },
      18,
    ),
  );
});

test('LSTM: bidirectional, peepholes, bias, computed initial_h, all gates', async () => {
  const [S, I, H] = [3, 4, 4];
  await check('lstm', {
    input: { name: 'x', dims: [S, 1, I] },
    moreInputs: [{ name: 'h0', dims: [2, 1, H] }],
    output: { name: 'y', dims: [S, 2, 1, H] },
    nodes: [
      {
        op: 'LSTM',
        name: 'lstm0',
        inputs: ['x', 'W', 'R', 'B', '', 'h0', 'c0', 'P'],
        outputs: ['y'],
        attrs: { hidden_size: { int: H }, direction: { str: 'bidirectional' } },
      },
    ],
    initializers: {
      W: init([2, 4 * H, I]),
      R: init([2, 4 * H, H]),
      B: init([2, 8 * H]),
      c0: init([2, 1, H]),
      P: init([2, 3 * H]),
    },
    opset: 14,
  });
});

test('LSTM with clip and input_forget (forget gate 1 − i)', async () => {
  const [S, I, H] = [4, 3, 3];
  await check('lstm-clip', {
    input: { name: 'x', dims: [S, 1, I] },
    output: { name: 'y', dims: [S, 1, 1, H] },
    nodes: [
      {
        op: 'LSTM',
        name: 'lstm1',
        inputs: ['x', 'W', 'R', 'B'],
        outputs: ['y'],
        attrs: { hidden_size: { int: H }, clip: { float: 0.7 }, input_forget: { int: 1 } },
      },
    ],
    initializers: { W: init([1, 4 * H, I], -1.5, 1.5), R: init([1, 4 * H, H], -1.5, 1.5), B: init([1, 8 * H]) },
    opset: 14,
  });
});

test('LSTM outputs Y_h and Y_c', async () => {
  const [S, B, I, H] = [3, 2, 3, 4];
  for (const [k, name] of [
    [1, 'yh'],
    [2, 'yc'],
  ] as const) {
    const outputs = ['', '', ''];
    outputs[k] = name;
    await check(`lstm-${name}`, {
      input: { name: 'x', dims: [S, B, I] },
      output: { name, dims: [1, B, H] },
      nodes: [
        { op: 'LSTM', name: `lstm-${name}`, inputs: ['x', 'W', 'R', 'B'], outputs, attrs: { hidden_size: { int: H } } },
      ],
      initializers: { W: init([1, 4 * H, I]), R: init([1, 4 * H, H]), B: init([1, 8 * H]) },
      opset: 14,
    });
  }
});

test('GRU: reverse, linear_before_reset, constant sequence_lens (rows of different length); batch-first layout is in the conformance cases (onnxruntime lacks it)', async () => {
  const [B, S, I, H] = [2, 3, 3, 4];
  await check('gru', {
    input: { name: 'x', dims: [S, B, I] },
    output: { name: 'yh', dims: [1, B, H] },
    nodes: [
      {
        op: 'GRU',
        name: 'gru0',
        inputs: ['x', 'W', 'R', 'B', 'lens'],
        outputs: ['', 'yh'],
        attrs: { hidden_size: { int: H }, direction: { str: 'reverse' }, linear_before_reset: { int: 1 } },
      },
    ],
    initializers: {
      W: init([1, 3 * H, I]),
      R: init([1, 3 * H, H]),
      B: init([1, 6 * H]),
      lens: { dims: [B], data: [3, 2], int32: true },
    },
    opset: 14,
  });
});

test('constant initial states: GRU (h₀ through the reset gate), bidirectional RNN, reverse LSTM with h₀ and c₀', async () => {
  const [S, B, I, H] = [3, 2, 3, 4];
  for (const [op, G, extra] of [
    ['GRU', 3, {}],
    ['RNN', 1, { direction: { str: 'bidirectional' } }],
    ['LSTM', 4, { direction: { str: 'reverse' } }],
  ] as const) {
    const dirs = 'direction' in extra && extra.direction.str === 'bidirectional' ? 2 : 1;
    await check(`${op}-h0`, {
      input: { name: 'x', dims: [S, B, I] },
      output: { name: 'y', dims: [S, dirs, B, H] },
      nodes: [
        {
          op,
          name: `${op.toLowerCase()}-h0`,
          inputs: ['x', 'W', 'R', 'B', '', 'h0', ...(op === 'LSTM' ? ['c0'] : [])],
          outputs: ['y'],
          attrs: { hidden_size: { int: H }, ...extra },
        },
      ],
      initializers: {
        W: init([dirs, G * H, I]),
        R: init([dirs, G * H, H]),
        B: init([dirs, 2 * G * H]),
        h0: init([dirs, B, H]),
        ...(op === 'LSTM' ? { c0: init([dirs, B, H]) } : {}),
      },
      opset: 14,
    });
  }
});

test('RNN: Relu activation with clip', async () => {
  const [S, I, H] = [3, 3, 4];
  await check('rnn', {
    input: { name: 'x', dims: [S, 1, I] },
    output: { name: 'y', dims: [S, 1, 1, H] },
    nodes: [
      {
        op: 'RNN',
        name: 'rnn0',
        inputs: ['x', 'W', 'R', 'B'],
        outputs: ['y'],
        attrs: { hidden_size: { int: H }, activations: { strs: ['Relu'] }, clip: { float: 2 } },
      },
    ],
    initializers: { W: init([1, H, I]), R: init([1, H, H]), B: init([1, 2 * H]) },
    opset: 14,
  });
});

test('Attention (opset 23): 4-D, computed K and V, causal, grouped-query heads', async () => {
  const [Bt, Hq, Hk, S, D] = [1, 4, 2, 3, 4];
  await check('attention-gqa', {
    input: { name: 'q', dims: [Bt, Hq, S, D] },
    moreInputs: [
      { name: 'k', dims: [Bt, Hk, S, D] },
      { name: 'v', dims: [Bt, Hk, S, D] },
    ],
    output: { name: 'y', dims: [Bt, Hq, S, D] },
    nodes: [
      { op: 'Attention', name: 'att0', inputs: ['q', 'k', 'v'], outputs: ['y'], attrs: { is_causal: { int: 1 } } },
    ],
    opset: 23,
  });
});

test('Attention (opset 23): 3-D, constant K and V, float mask and softcap', async () => {
  const [S, Sk, heads, D] = [3, 4, 2, 2];
  await check('attention-3d', {
    input: { name: 'q', dims: [1, S, heads * D] },
    output: { name: 'y', dims: [1, S, heads * D] },
    nodes: [
      {
        op: 'Attention',
        name: 'att1',
        inputs: ['q', 'k', 'v', 'mask'],
        outputs: ['y'],
        attrs: {
          q_num_heads: { int: heads },
          kv_num_heads: { int: heads },
          softcap: { float: 2 },
          scale: { float: 0.8 },
        },
      },
    ],
    initializers: {
      k: init([1, Sk, heads * D], -1, 1),
      v: init([1, Sk, heads * D], -1, 1),
      mask: init([S, Sk], -0.3, 0.3),
    },
    opset: 23,
  });
});

test('PyTorch-style causal self-attention: MatMul of activations, Softmax, an additive −∞ mask from an initializer', async () => {
  const [S, D] = [4, 8];
  const mask = Array.from({ length: S * S }, (_, k) => (k % S > Math.floor(k / S) ? -Infinity : 0));
  await check('causal-attention', {
    input: { name: 'x', dims: [1, S, D] },
    output: { name: 'y', dims: [1, S, D] },
    nodes: [
      { op: 'MatMul', name: 'q', inputs: ['x', 'wq'], outputs: ['q'] },
      { op: 'MatMul', name: 'k', inputs: ['x', 'wk'], outputs: ['k'] },
      { op: 'MatMul', name: 'v', inputs: ['x', 'wv'], outputs: ['v'] },
      { op: 'Transpose', name: 'kt', inputs: ['k'], outputs: ['kt'], attrs: { perm: { ints: [0, 2, 1] } } },
      { op: 'MatMul', name: 'scores', inputs: ['q', 'kt'], outputs: ['s'] },
      { op: 'Div', name: 'scale', inputs: ['s', 'root'], outputs: ['ss'] },
      { op: 'Add', name: 'mask', inputs: ['ss', 'm'], outputs: ['sm'] },
      { op: 'Softmax', name: 'softmax', inputs: ['sm'], outputs: ['p'], attrs: { axis: { int: -1 } } },
      { op: 'MatMul', name: 'out', inputs: ['p', 'v'], outputs: ['y'] },
    ],
    initializers: {
      wq: init([D, D], -0.6, 0.6),
      wk: init([D, D], -0.6, 0.6),
      wv: init([D, D], -0.6, 0.6),
      root: { dims: [], data: [Math.sqrt(D)] },
      m: { dims: [S, S], data: mask },
    },
    opset: 14,
  });
});

test('an −∞ constant anywhere but an additive mask before Softmax is refused naming the node', () => {
  const inf = { dims: [4], data: [0, -Infinity, 0, 0] };
  const notSoftmax = modelBytes({
    input: { name: 'x', dims: [1, 4] },
    output: { name: 'y', dims: [1, 4] },
    nodes: [
      { op: 'Add', name: 'badmask', inputs: ['x', 'c'], outputs: ['a'] },
      { op: 'Relu', name: 'r', inputs: ['a'], outputs: ['y'] },
    ],
    initializers: { c: inf },
  });
  assert.throws(
    () => lowerGraph(parseOnnx(notSoftmax, 'mask.onnx')),
    (e: Error) => e instanceof UserError && /badmask.*only as an additive mask read by a Softmax/.test(e.message),
  );
  const weight = modelBytes({
    input: { name: 'x', dims: [1, 4] },
    output: { name: 'y', dims: [1, 4] },
    nodes: [{ op: 'Mul', name: 'infscale', inputs: ['x', 'c'], outputs: ['y'] }],
    initializers: { c: inf },
  });
  assert.throws(
    () => lowerGraph(parseOnnx(weight, 'weight.onnx')),
    (e: Error) => e instanceof UserError && /infscale.*holds -Infinity/.test(e.message),
  );
  const nan = modelBytes({
    input: { name: 'x', dims: [1, 4] },
    output: { name: 'y', dims: [1, 4] },
    nodes: [{ op: 'Add', name: 'n', inputs: ['x', 'c'], outputs: ['y'] }],
    initializers: { c: { dims: [4], data: [0, NaN, 0, 0] } },
  });
  assert.throws(
    () => parseOnnx(nan, 'nan.onnx'),
    (e: Error) => e instanceof UserError && /holds NaN/.test(e.message),
  );
});

test('unsupported recurrent and attention inputs fail with one line naming the node', () => {
  const lstm = modelBytes({
    input: { name: 'x', dims: [2, 1, 2] },
    moreInputs: [{ name: 'lens', dims: [1] }],
    output: { name: 'y', dims: [2, 1, 1, 2] },
    nodes: [
      {
        op: 'LSTM',
        name: 'seqlstm',
        inputs: ['x', 'W', 'R', '', 'lens'],
        outputs: ['y'],
        attrs: { hidden_size: { int: 2 } },
      },
    ],
    initializers: { W: init([1, 8, 2]), R: init([1, 8, 2]) },
    opset: 14,
  });
  assert.throws(
    () => lowerGraph(parseOnnx(lstm, 'seq.onnx')),
    (e: Error) =>
      e instanceof UserError &&
      /seqlstm.*sequence_lens must be a constant/.test(e.message) &&
      !e.message.includes('\n'),
  );
  const rnn = modelBytes(
    single(
      'RNN',
      [2, 1, 2],
      [2, 1, 1, 2],
      ['W', 'R'],
      { hidden_size: { int: 2 }, activations: { strs: ['Gelu'] } },
      { W: init([1, 2, 2]), R: init([1, 2, 2]) },
      14,
    ),
  );
  assert.throws(
    () => lowerGraph(parseOnnx(rnn, 'act.onnx')),
    (e: Error) => e instanceof UserError && /rnn0.*activation "Gelu" is not supported/.test(e.message),
  );
  const att = modelBytes({
    input: { name: 'q', dims: [1, 1, 2, 2] },
    output: { name: 'y', dims: [1, 1, 2, 2] },
    nodes: [{ op: 'Attention', name: 'cached', inputs: ['q', 'k', 'v', '', 'pk', 'pv'], outputs: ['y'] }],
    initializers: { k: init([1, 1, 2, 2]), v: init([1, 1, 2, 2]), pk: init([1, 1, 1, 2]), pv: init([1, 1, 1, 2]) },
    opset: 23,
  });
  assert.throws(
    () => lowerGraph(parseOnnx(att, 'att.onnx')),
    (e: Error) => e instanceof UserError && /cached.*past_key/.test(e.message),
  );
});
