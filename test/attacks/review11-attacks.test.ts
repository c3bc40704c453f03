/**
 * Security review of issue 11 (products, division, softmax, normalizations, recurrent layers,
 * attention): each test performs one attack — a model file, an input or a witness chosen by an
 * adversary — and expects it to be refused or to change nothing. Every test here failed before
 * the fix named in its title.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { productValues } from '../../circuits/product.js';
import { softmaxRow } from '../../circuits/softmax.js';
import { divideNumbers, productNumbers, QSoftmax, softmaxNumbers } from '../../src/quantize/quantized-products.js';
import { UserError } from '../../src/core/errors.js';
import { parseOnnx } from '../../src/onnx/load-onnx.js';
import { quantizeProduct } from '../../src/quantize/quantize-products.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import { parseQuantizedModel } from '../../src/formats/quantized-model.js';
import { runFloatGraph } from '../../src/quantize/float-ir.js';
import { lowerGraph } from '../../src/quantize/lower-graph.js';
import { runOnnxRuntime } from '../../src/quantize/onnx-runtime.js';
import { modelBytes, ModelSpec, NodeSpec, prng, randArray } from '../helpers/onnx-fixtures.js';
import { gadgetCircuit } from '../helpers/soundness-helpers.js';
import { findViolatedConstraint, R1csBuilder, Signal } from '../../circuits/builder.js';
import { checkDeterminism } from '../../src/compile/determinism-check.js';

const dir = mkdtempSync(join(tmpdir(), 'zkinfer-review11-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Lowers `nodes` over input x [n, n] (a = x·W is the computed activation) and returns the largest |float IR − onnxruntime| and the op names. */
async function lowerAndCompare(name: string, n: number, nodes: NodeSpec[], eps = 1e-5): Promise<{ err: number; ops: string[] }> {
  const rnd = prng(5);
  const path = join(dir, `${name}.onnx`);
  const bytes = modelBytes({
    input: { name: 'x', dims: [n, n] }, output: { name: 'y', dims: [n, n] }, opset: 17,
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

const mean = (input: string, output: string, keepdims: number): NodeSpec => ({ op: 'ReduceMean', inputs: [input], outputs: [output], attrs: { axes: { ints: [1] }, keepdims: { int: keepdims } } });
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
  assert.ok(r.ops.some((o) => o.endsWith('::sum-of-squares')), `fused into a LayerNorm: ${r.ops.join(' ')}`);
});

test('product bounds: terms beyond 2^53 that cancel are refused, not rounded (the bounds and the reference would disagree with the exact circuit)', () => {
  // (2^27 + 1)² − 2^27·(2^27 + 2) = 1 exactly, but (2^27 + 1)² rounds in float64, so the float sum is 0.
  const big = 2 ** 27;
  const terms = { offsets: [0, 2], aIndex: [0, 1], bIndex: [0, 1] };
  assert.deepEqual(productValues([BigInt(big + 1), BigInt(big)], [BigInt(big + 1), BigInt(-(big + 2))], terms), [1n], 'the circuit computes 1');
  const a = { frac: 0, kind: 'act' as const, lo: [big + 1, big], hi: [big + 1, big] };
  const b = { frac: 0, kind: 'act' as const, lo: [big + 1, -(big + 2)], hi: [big + 1, -(big + 2)] };
  assert.throws(
    () => quantizeProduct({ kind: 'product', name: 'p', input: 'a', other: 'b', output: 'y', ...terms }, 'a', 'b', a, b),
    (e: Error) => e instanceof UserError && /node "p".*2\^53/.test(e.message),
  );
});

test('recurrent weights and states of the right size but the wrong shape (a transposed W, a [1, H, 1] initial_h) are refused with one line naming the node', () => {
  const rnd = prng(9);
  const init = (dims: number[]) => ({ dims, data: randArray(rnd, dims.reduce((a, b) => a * b, 1), -0.5, 0.5) });
  const [S, I, H] = [2, 3, 2];
  const lstm = (inits: ModelSpec['initializers'], inputs: string[]) => modelBytes({
    input: { name: 'x', dims: [S, 1, I] },
    output: { name: 'y', dims: [S, 1, 1, H] },
    nodes: [{ op: 'LSTM', name: 'lstm-shape', inputs: ['x', ...inputs], outputs: ['y'], attrs: { hidden_size: { int: H } } }],
    initializers: inits,
    opset: 14,
  });
  const oneLine = (what: RegExp) => (e: Error) => e instanceof UserError && /lstm-shape/.test(e.message) && what.test(e.message) && !e.message.includes('\n');
  // W must be [1, 4H, I] = [1, 8, 3]; [1, 3, 8] has the same 24 elements in another order.
  assert.throws(() => lowerGraph(parseOnnx(lstm({ W: init([1, I, 4 * H]), R: init([1, 4 * H, H]) }, ['W', 'R']), 'w.onnx')), oneLine(/W has shape \[1,3,8\]/));
  assert.throws(() => lowerGraph(parseOnnx(lstm({ W: init([1, 4 * H, I]), R: init([1, 4 * H, H]), h0: init([1, H, 1]) }, ['W', 'R', '', '', 'h0']), 'h.onnx')), oneLine(/initial_h has shape \[1,2,1\]/));
  // The genuine shapes still lower.
  assert.ok(lowerGraph(parseOnnx(lstm({ W: init([1, 4 * H, I]), R: init([1, 4 * H, H]), h0: init([1, 1, H]) }, ['W', 'R', '', '', 'h0']), 'ok.onnx')).ops.length > 0);
});

test('integer reference: a quantized model file whose softmax or quotient exceeds 2^53 makes the reference refuse, not round away from the exact circuit', () => {
  // A schema-valid softmax row (outFrac 40): e = [1132531, 212], S = 1132743. The circuit divides exactly
  // (rounding e·2^40 / S to nearest); float64 would round the quotient itself.
  const op: QSoftmax = {
    kind: 'softmax', name: 'sm', input: 'x', output: 'y', offsets: [0, 2], index: [0, 1], log: false, cmpBits: [2],
    expBits: 1, expTable: [212, 1132531], outFrac: 40, sumBits: 21, logShift: 0, logTable: [],
  };
  const exact = ((1132531n << 41n) + 1132743n) / (2n * 1132743n);
  const { result } = gadgetCircuit([0n, -1n], (b, x) => softmaxRow(b, x, { ...op, expTable: op.expTable.map(BigInt), logTable: [] }));
  assert.equal(result[0]!.value, exact, 'the circuit is exact');
  let ref: number[] | undefined;
  try {
    ref = softmaxNumbers(op, [0, -1]);
  } catch (e) {
    assert.match((e as Error).message, /integer overflow in op "sm"/);
  }
  if (ref) assert.equal(BigInt(ref[0]!), exact, 'the reference agrees with the circuit or refuses');
  // A quotient beyond 2^53 (shift 60) and a product term beyond 2^53 are refused the same way.
  const div = { kind: 'divide' as const, name: 'dv', input: 'a', other: 'b', output: 'y', aIndex: [0], bIndex: [0], sign: 1 as const, shift: 60, clamp: [false], qOffset: [0], qBits: [64], rBits: [2] };
  assert.throws(() => divideNumbers(div, [3], [3]), /integer overflow in op "dv"/);
  const prod = { kind: 'product' as const, name: 'pr', input: 'a', other: 'b', output: 'y', offsets: [0, 2], aIndex: [0, 1], bIndex: [0, 1] };
  assert.throws(() => productNumbers(prod, [2 ** 27 + 1, 2 ** 27], [2 ** 27 + 1, -(2 ** 27 + 2)]), /integer overflow in op "pr"/);
});

test('masked attention: −∞ in a constant V row that only masked keys reach is refused by name, not zeroed (the model computes 0 · −∞ = NaN there)', () => {
  const bytes = modelBytes({
    input: { name: 'x', dims: [1, 4] }, output: { name: 'y', dims: [1, 2] }, opset: 17,
    nodes: [{ op: 'Add', inputs: ['x', 'mask'], outputs: ['s'] }, { op: 'Softmax', inputs: ['s'], outputs: ['p'] }, { op: 'MatMul', name: 'pv', inputs: ['p', 'V'], outputs: ['y'] }],
    initializers: { mask: { dims: [1, 4], data: [-Infinity, 0, 0, 0] }, V: { dims: [4, 2], data: [-Infinity, -Infinity, 1, 2, 3, 4, 5, 6] } },
  });
  assert.throws(() => lowerGraph(parseOnnx(bytes, 'poison.onnx')), (e: Error) => e instanceof UserError && /"pv".*-Infinity/.test(e.message) && !e.message.includes('\n'));
  // A finite value there is still ignored (the product is unchanged): the model lowers.
  const finite = modelBytes({
    input: { name: 'x', dims: [1, 4] }, output: { name: 'y', dims: [1, 2] }, opset: 17,
    nodes: [{ op: 'Add', inputs: ['x', 'mask'], outputs: ['s'] }, { op: 'Softmax', inputs: ['s'], outputs: ['p'] }, { op: 'MatMul', name: 'pv', inputs: ['p', 'V'], outputs: ['y'] }],
    initializers: { mask: { dims: [1, 4], data: [-Infinity, 0, 0, 0] }, V: { dims: [4, 2], data: [1e30, -1e30, 1, 2, 3, 4, 5, 6] } },
  });
  assert.ok(lowerGraph(parseOnnx(finite, 'finite.onnx')).ops.length > 0);
});

/**
 * A hand-made remainder division q·d = n − r, 1·t = d − 1 − r, marked for rule 4 of the
 * determinism checker, with the quotient, remainder and t given as weighted wires (weight,
 * value, boolean?) so a malformed shape can be written down.
 */
function markedDivision(n: bigint, d: bigint, q: Array<[bigint, bigint, boolean]>, r: Array<[bigint, bigint, boolean]>, t: Array<[bigint, bigint, boolean]>) {
  const b = new R1csBuilder();
  const [ns, ds] = [b.input(n, 'private'), b.input(d, 'private')];
  const lc = (parts: Array<[bigint, bigint, boolean]>): Signal => b.linear(parts.map(([w, v, bool]) => {
    const s = b.wire(v);
    if (bool) b.assertBool(s);
    return [s, w] as [Signal, bigint];
  }));
  const [qs, rs, ts] = [lc(q), lc(r), lc(t)];
  const k = b.nConstraints;
  b.assertMul(qs, ds, b.sub(ns, rs));
  b.assertMul(b.constant(1n), ts, b.linear([[ds, 1n], [rs, -1n]], -1n));
  b.hintDivision(k, k + 1);
  return b.finalize();
}

test('determinism rule 4: marked divisions with two satisfying witnesses (t not range-checked; a remainder bit weight used twice) are never reported determined', () => {
  const bits = (v: bigint, w: number): Array<[bigint, bigint, boolean]> => Array.from({ length: w }, (_, i) => [1n << BigInt(i), (v >> BigInt(i)) & 1n, true]);
  // t a free wire: 20 = 2·7 + 6 (t = 0) and 20 = 1·7 + 13 (t = −7) both satisfy.
  const freeT = [markedDivision(20n, 7n, bits(2n, 4), bits(6n, 4), [[1n, 0n, false]]), markedDivision(20n, 7n, bits(1n, 4), bits(13n, 4), [[1n, -7n, false]])];
  // r = r0 + r1 (weight 1 twice): r = 1 has two bit patterns.
  const dupR = [[1n, 0n], [0n, 1n]].map(([a, c]) => markedDivision(5n, 2n, bits(2n, 2), [[1n, a!, true], [1n, c!, true]], bits(0n, 1)));
  for (const [what, pair] of [['t not range-checked', freeT], ['remainder weight used twice', dupR]] as const) {
    for (const c of pair) {
      assert.equal(findViolatedConstraint(c.constraints, c.witness), -1, `${what}: the witness satisfies`);
      assert.equal(checkDeterminism(c).determined, false, `${what}: reported determined`);
    }
    assert.equal(pair[0]!.constraints.length, pair[1]!.constraints.length);
    assert.notDeepEqual(pair[0]!.witness, pair[1]!.witness, `${what}: two different witnesses for the same inputs`);
  }
  // The well-formed shape is proven.
  assert.ok(checkDeterminism(markedDivision(20n, 7n, bits(2n, 4), bits(6n, 4), bits(0n, 4))).determined);
});

test('Einsum: equations onnxruntime refuses (an output letter twice, two arrows, digits) are refused with one line naming the node', () => {
  const model = (equation: string) => modelBytes({
    input: { name: 'x', dims: [2, 2] }, output: { name: 'y', dims: [2, 2] }, opset: 17,
    initializers: { W: { dims: [2, 2], data: [1, 2, 3, 4] } },
    nodes: [{ op: 'MatMul', inputs: ['x', 'W'], outputs: ['a'] }, { op: 'Einsum', name: 'es', inputs: ['a', 'x'], outputs: ['y'], attrs: { equation: { str: equation } } }],
  });
  for (const eq of ['ij,jk->ii', 'ij,jk->ik->k', 'i0,0k->ik']) {
    assert.throws(() => lowerGraph(parseOnnx(model(eq), 'e.onnx')), (e: Error) => e instanceof UserError && /"es"/.test(e.message) && !e.message.includes('\n'), eq);
  }
  assert.ok(lowerGraph(parseOnnx(model('ij,jk->ik'), 'ok.onnx')).ops.some((o) => o.kind === 'product'));
});

test('Div of two computed integer tensors (ONNX: rounds toward zero) is refused by name, not proven as a real quotient', () => {
  const model = (elemType: number) => modelBytes({
    input: { name: 'a', dims: [1, 4], elemType }, moreInputs: [{ name: 'b', dims: [1, 4], elemType }], output: { name: 'y', dims: [1, 4] }, opset: 17,
    nodes: [{ op: 'Relu', inputs: ['b'], outputs: ['rb'] }, { op: 'Div', name: 'idiv', inputs: ['a', 'rb'], outputs: ['y'] }],
  });
  // INT64 (7): 7 / 2 is 3 in the model; the DivideOp would prove 3.5.
  assert.throws(() => lowerGraph(parseOnnx(model(7), 'int.onnx')), (e: Error) => e instanceof UserError && /"idiv".*INT64/.test(e.message) && !e.message.includes('\n'));
  assert.ok(lowerGraph(parseOnnx(model(1), 'float.onnx')).ops.some((o) => o.kind === 'divide'));
});

test('a hand-written model.quant.json chaining products without a requantize (x → x² → … → x⁶⁴) is refused by name before its values wrap around the field', () => {
  const bytes = modelBytes({
    input: { name: 'x', dims: [1, 4] }, output: { name: 'y', dims: [1, 4] }, opset: 17,
    initializers: { W: { dims: [4, 4], data: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] } },
    nodes: [{ op: 'MatMul', inputs: ['x', 'W'], outputs: ['y'] }],
  });
  const q = quantizeGraph(lowerGraph(parseOnnx(bytes, 'id.onnx')), [Float64Array.of(0.5, -0.5, 0.25, 1)]);
  assert.ok(parseQuantizedModel(JSON.parse(JSON.stringify(q)), 'ok.json'), 'the compiled model is accepted');
  const id = [0, 1, 2, 3];
  const chain = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'].map((name, k) => ({ kind: 'product', name, input: k ? `p${k}` : q.input.name, other: k ? `p${k}` : q.input.name, output: name, offsets: [0, 1, 2, 3, 4], aIndex: id, bIndex: id }));
  const requantize = { kind: 'requantize', name: 'rq', input: 'p6', output: 'y', shift: 0, outBits: 8, lowerOffset: 128, accBits: [240, 240, 240, 240] };
  const hostile = { ...JSON.parse(JSON.stringify(q)), ops: [...chain, requantize], output: { ...q.output, name: 'y' } };
  // |x| ≤ 2^7, so p6 = x⁶⁴ reaches 2^448: past the field's half (p ≈ 2^253.6) the circuit computes x⁶⁴ mod p,
  // and the requantize's 240-bit decomposition accepts any residue that happens to fit.
  assert.throws(() => parseQuantizedModel(hostile, 'hostile.json'), (e: Error) => e instanceof UserError && /hostile\.json: op "p6".*2\^448/.test(e.message) && !e.message.includes('\n'));
  // x³² (2^224) fits, but a division of it shifted by 2^64 has a numerator of 2^289: refused by the division's name.
  const divide = { kind: 'divide', name: 'dv', input: 'p5', other: q.input.name, output: 'y', aIndex: id, bIndex: id, sign: 1, shift: 64, clamp: id.map(() => true), qOffset: id.map(() => 0), qBits: id.map(() => 100), rBits: id.map(() => 8) };
  const shifted = { ...hostile, ops: [...chain.slice(0, 5), divide] };
  assert.throws(() => parseQuantizedModel(shifted, 'shifted.json'), (e: Error) => e instanceof UserError && /shifted\.json: op "dv".*2\^289/.test(e.message));
});
