/**
 * Values beyond what the arithmetic can hold exactly: product terms past 2^53 that cancel, a
 * quantized model file whose softmax or quotient exceeds 2^53, and a hand-written
 * model.quant.json chaining products until they wrap around the field. The quantizer, the
 * integer reference and the model-file reader must refuse by name — never round or wrap away
 * from the exact circuit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { productValues } from '../../circuits/product.js';
import { softmaxRow } from '../../circuits/softmax.js';
import { divideNumbers, productNumbers, softmaxNumbers } from '../../src/quantize/quantized-products.js';
import { QSoftmax } from '../../src/formats/quantized-products.js';
import { UserError } from '../../src/core/errors.js';
import { parseOnnx } from '../../src/onnx/load-onnx.js';
import { quantizeProduct } from '../../src/quantize/quantize-products.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import { parseQuantizedModel } from '../../src/formats/quantized-model.js';
import { lowerGraph } from '../../src/quantize/lower-graph.js';
import { modelBytes } from '../helpers/onnx-fixtures.js';
import { gadgetCircuit } from '../helpers/soundness-helpers.js';

test('product bounds: terms beyond 2^53 that cancel are refused, not rounded (the bounds and the reference would disagree with the exact circuit)', () => {
  // (2^27 + 1)² − 2^27·(2^27 + 2) = 1 exactly, but (2^27 + 1)² rounds in float64, so the float sum is 0.
  const big = 2 ** 27;
  const terms = { offsets: [0, 2], aIndex: [0, 1], bIndex: [0, 1] };
  assert.deepEqual(
    productValues([BigInt(big + 1), BigInt(big)], [BigInt(big + 1), BigInt(-(big + 2))], terms),
    [1n],
    'the circuit computes 1',
  );
  const a = { frac: 0, kind: 'act' as const, lo: [big + 1, big], hi: [big + 1, big] };
  const b = { frac: 0, kind: 'act' as const, lo: [big + 1, -(big + 2)], hi: [big + 1, -(big + 2)] };
  assert.throws(
    () =>
      quantizeProduct({ kind: 'product', name: 'p', input: 'a', other: 'b', output: 'y', ...terms }, 'a', 'b', a, b),
    (e: Error) => e instanceof UserError && /node "p".*2\^53/.test(e.message),
  );
});

test('integer reference: a quantized model file whose softmax or quotient exceeds 2^53 makes the reference refuse, not round away from the exact circuit', () => {
  // A schema-valid softmax row (outFrac 40): e = [1132531, 212], S = 1132743. The circuit divides exactly
  // (rounding e·2^40 / S to nearest); float64 would round the quotient itself.
  const op: QSoftmax = {
    kind: 'softmax',
    name: 'sm',
    input: 'x',
    output: 'y',
    offsets: [0, 2],
    index: [0, 1],
    log: false,
    cmpBits: [2],
    expBits: 1,
    expTable: [212, 1132531],
    outFrac: 40,
    sumBits: 21,
    logShift: 0,
    logTable: [],
  };
  const exact = ((1132531n << 41n) + 1132743n) / (2n * 1132743n);
  const { result } = gadgetCircuit([0n, -1n], (b, x) =>
    softmaxRow(b, x, { ...op, expTable: op.expTable.map(BigInt), logTable: [] }),
  );
  assert.equal(result[0]!.value, exact, 'the circuit is exact');
  let ref: number[] | undefined;
  try {
    ref = softmaxNumbers(op, [0, -1]);
  } catch (e) {
    assert.match((e as Error).message, /integer overflow in op "sm"/);
  }
  if (ref) assert.equal(BigInt(ref[0]!), exact, 'the reference agrees with the circuit or refuses');
  // A quotient beyond 2^53 (shift 60) and a product term beyond 2^53 are refused the same way.
  const div = {
    kind: 'divide' as const,
    name: 'dv',
    input: 'a',
    other: 'b',
    output: 'y',
    aIndex: [0],
    bIndex: [0],
    sign: 1 as const,
    shift: 60,
    clamp: [false],
    qOffset: [0],
    qBits: [64],
    rBits: [2],
  };
  assert.throws(() => divideNumbers(div, [3], [3]), /integer overflow in op "dv"/);
  const prod = {
    kind: 'product' as const,
    name: 'pr',
    input: 'a',
    other: 'b',
    output: 'y',
    offsets: [0, 2],
    aIndex: [0, 1],
    bIndex: [0, 1],
  };
  assert.throws(
    () => productNumbers(prod, [2 ** 27 + 1, 2 ** 27], [2 ** 27 + 1, -(2 ** 27 + 2)]),
    /integer overflow in op "pr"/,
  );
});

test('a hand-written model.quant.json chaining products without a requantize (x → x² → … → x⁶⁴) is refused by name before its values wrap around the field', () => {
  const bytes = modelBytes({
    input: { name: 'x', dims: [1, 4] },
    output: { name: 'y', dims: [1, 4] },
    opset: 17,
    initializers: { W: { dims: [4, 4], data: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] } },
    nodes: [{ op: 'MatMul', inputs: ['x', 'W'], outputs: ['y'] }],
  });
  const q = quantizeGraph(lowerGraph(parseOnnx(bytes, 'id.onnx')), [Float64Array.of(0.5, -0.5, 0.25, 1)]);
  assert.ok(parseQuantizedModel(JSON.parse(JSON.stringify(q)), 'ok.json'), 'the compiled model is accepted');
  const id = [0, 1, 2, 3];
  const chain = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'].map((name, k) => ({
    kind: 'product',
    name,
    input: k ? `p${k}` : q.input.name,
    other: k ? `p${k}` : q.input.name,
    output: name,
    offsets: [0, 1, 2, 3, 4],
    aIndex: id,
    bIndex: id,
  }));
  const requantize = {
    kind: 'requantize',
    name: 'rq',
    input: 'p6',
    output: 'y',
    shift: 0,
    outBits: 8,
    lowerOffset: 128,
    accBits: [240, 240, 240, 240],
  };
  const hostile = { ...JSON.parse(JSON.stringify(q)), ops: [...chain, requantize], output: { ...q.output, name: 'y' } };
  // |x| ≤ 2^7, so p6 = x⁶⁴ reaches 2^448: past the field's half (p ≈ 2^253.6) the circuit computes x⁶⁴ mod p,
  // and the requantize's 240-bit decomposition accepts any residue that happens to fit.
  assert.throws(
    () => parseQuantizedModel(hostile, 'hostile.json'),
    (e: Error) =>
      e instanceof UserError && /hostile\.json: op "p6".*2\^448/.test(e.message) && !e.message.includes('\n'),
  );
  // x³² (2^224) fits, but a division of it shifted by 2^64 has a numerator of 2^289: refused by the division's name.
  const divide = {
    kind: 'divide',
    name: 'dv',
    input: 'p5',
    other: q.input.name,
    output: 'y',
    aIndex: id,
    bIndex: id,
    sign: 1,
    shift: 64,
    clamp: id.map(() => true),
    qOffset: id.map(() => 0),
    qBits: id.map(() => 100),
    rBits: id.map(() => 8),
  };
  const shifted = { ...hostile, ops: [...chain.slice(0, 5), divide] };
  assert.throws(
    () => parseQuantizedModel(shifted, 'shifted.json'),
    (e: Error) => e instanceof UserError && /shifted\.json: op "dv".*2\^289/.test(e.message),
  );
});
