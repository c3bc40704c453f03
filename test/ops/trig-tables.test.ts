/**
 * The trigonometric and hyperbolic tables (Sin … Atanh) on inputs that cross their domains'
 * edges: onnxruntime's float32 result and zkinfer's float semantics agree (NaN where ONNX gives
 * NaN), the table is that function sampled on the quantized input (NaN → 0, ±∞ saturated, as
 * docs/ops.md "Table semantics" says), and the circuit equals the integer reference with every
 * wire forced by the input (the determinism checker).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findViolatedConstraint } from '../../circuits/builder.js';
import { buildCircuit } from '../../src/compile/build-circuit.js';
import { checkDeterminism } from '../../src/compile/determinism-check.js';
import { loadOnnx } from '../../src/onnx/load-onnx.js';
import { lowerGraph } from '../../src/quantize/lower-graph.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import { quantizeInput } from '../../src/quantize/quantize-input.js';
import { dequantizeOutput, runIntegerModel } from '../../src/quantize/quantized-model.js';
import { runOnnxRuntime } from '../../src/quantize/onnx-runtime.js';
import { evalUnary, UnaryFn } from '../../src/quantize/unary-functions.js';
import { modelBytes } from '../../tools/onnx/write-onnx.js';

const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-trig-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Each op with an input range that reaches past its domain where it has edges. */
const CASES: ReadonlyArray<{ fn: UnaryFn; lo: number; hi: number }> = [
  { fn: 'Sin', lo: -3.5, hi: 3.5 },
  { fn: 'Cos', lo: -3.5, hi: 3.5 },
  { fn: 'Tan', lo: -1.4, hi: 1.4 },
  { fn: 'Asin', lo: -1.5, hi: 1.5 },
  { fn: 'Acos', lo: -1.5, hi: 1.5 },
  { fn: 'Atan', lo: -6, hi: 6 },
  { fn: 'Sinh', lo: -3, hi: 3 },
  { fn: 'Cosh', lo: -3, hi: 3 },
  { fn: 'Asinh', lo: -6, hi: 6 },
  { fn: 'Acosh', lo: 0, hi: 6 },
  { fn: 'Atanh', lo: -1.5, hi: 1.5 },
];

const N = 49;

for (const { fn, lo, hi } of CASES)
  test(`${fn}: onnxruntime's semantics, the table samples it, circuit == integer reference`, async () => {
    const path = join(tmp, `${fn}.onnx`);
    writeFileSync(
      path,
      modelBytes({
        input: { name: 'x', dims: [1, N] },
        output: { name: 'y', dims: [1, N] },
        nodes: [{ op: fn, inputs: ['x'], outputs: ['y'] }],
      }),
    );
    const x = Float64Array.from({ length: N }, (_, i) => lo + ((hi - lo) * i) / (N - 1));
    const [ort] = await runOnnxRuntime(path, 'x', [1, N], [x]);
    const q = quantizeGraph(lowerGraph(loadOnnx(path)), [x]);
    const xq = quantizeInput(q, x);
    const ref = runIntegerModel(q, xq).get(q.output.name)!;
    const ours = dequantizeOutput(q, ref);
    const outStep = 2 ** -q.output.frac;
    const [outLo, outHi] = [q.output.lo * outStep, q.output.hi * outStep];
    let nan = 0;
    x.forEach((v, i) => {
      const want = ort![i]!;
      const f = evalUnary(fn, v);
      // zkinfer's float semantics are onnxruntime's: NaN out of the domain, the same value inside it.
      if (Number.isNaN(want)) assert.ok(Number.isNaN(f), `${fn}(${v}): onnxruntime NaN, zkinfer ${f}`);
      else
        assert.ok(
          f === want || Math.abs(f - want) <= 1e-5 * (1 + Math.abs(want)),
          `${fn}(${v}): ${f} vs onnxruntime ${want}`,
        );
      // The table entry is f at the quantized input: NaN → 0, ±∞ and beyond-range values saturate.
      const at = evalUnary(fn, xq[i]! * 2 ** -q.input.frac);
      if (Number.isNaN(at)) {
        nan++;
        assert.equal(ours[i], 0, `${fn}(${v}) is NaN: the table holds 0`);
      } else if (at >= outHi) assert.equal(ours[i], outHi, `${fn}(${v}) saturates high`);
      else if (at <= outLo) assert.equal(ours[i], outLo, `${fn}(${v}) saturates low`);
      else assert.ok(Math.abs(ours[i]! - at) <= outStep / 2 + 1e-12, `${fn}(${v}): table ${ours[i]} vs ${at}`);
    });
    // The ops with domain edges were given inputs beyond them.
    if (['Asin', 'Acos', 'Atanh', 'Acosh'].includes(fn)) assert.ok(nan > 0, `${fn}: no input outside the domain`);
    const build = buildCircuit(q, xq);
    assert.equal(findViolatedConstraint(build.circuit.constraints, build.circuit.witness), -1);
    assert.deepEqual(build.output.map(Number), ref);
    assert.ok(checkDeterminism(build.circuit).determined, `${fn}: a wire the input does not force`);
  });

test('Sin and Cos of constants (a positional encoding) fold at compile time: no table, the sum is exact', async () => {
  const path = join(tmp, 'posenc.onnx');
  const pos = Array.from({ length: 8 }, (_, i) => i * 0.7);
  writeFileSync(
    path,
    modelBytes({
      input: { name: 'x', dims: [1, 8] },
      output: { name: 'y', dims: [1, 8] },
      nodes: [
        { op: 'Sin', inputs: ['p'], outputs: ['s'] },
        { op: 'Cos', inputs: ['p'], outputs: ['c'] },
        { op: 'Add', inputs: ['s', 'c'], outputs: ['e'] },
        { op: 'Add', inputs: ['x', 'e'], outputs: ['y'] },
      ],
      initializers: { p: { dims: [1, 8], data: pos } },
    }),
  );
  const g = lowerGraph(loadOnnx(path));
  assert.ok(!g.ops.some((o) => o.kind === 'unary'), `ops: ${g.ops.map((o) => o.kind).join(' ')}`);
  const x = Float64Array.from({ length: 8 }, (_, i) => (i - 4) / 4);
  const [ort] = await runOnnxRuntime(path, 'x', [1, 8], [x]);
  const q = quantizeGraph(g, [x]);
  const ours = dequantizeOutput(q, runIntegerModel(q, quantizeInput(q, x)).get(q.output.name)!);
  ort!.forEach((v, i) => assert.ok(Math.abs(ours[i]! - v) <= 2 ** -q.output.frac, `y[${i}]: ${ours[i]} vs ${v}`));
});
