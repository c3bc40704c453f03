/**
 * ONNX backend node cases of the table-proven functions and of the comparison and selection
 * ops, from both shared suites: every case passes (witness, circuit == integer reference,
 * within the quantization tolerance of ONNX's expected output) unless the reviewed list in
 * tools/conformance/out-of-scope.ts names it. On top of test/ops/conformance.test.ts, float cases
 * are compared with onnxruntime and comparisons must be exact away from ties. The `_expanded`
 * function bodies are left to the conformance test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadCase, runCase } from '../../tools/conformance/conformance-case.js';
import { lowerGraph } from '../../src/quantize/lower-graph.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import { dequantizeOutput, reportedOutput, runIntegerModel } from '../../src/quantize/quantized-model.js';
import { quantizeInput } from '../../src/quantize/quantize-input.js';
import { runOnnxRuntime } from '../../src/quantize/onnx-runtime.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after } from 'node:test';

const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-conf-ops-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** onnxruntime on the case (operands after the first as initializers) agrees with ONNX's expected output, and ours with it. */
async function assertCloseToOnnxRuntime(dir: string, name: string, tolerance: number): Promise<boolean> {
  const c = loadCase(dir);
  // onnxruntime-node is fed float32 here; the float64 cases are checked against ONNX's output only.
  if (c.input.dataType !== 'FLOAT') return false;
  const path = join(tmp, `${name}.onnx`);
  writeFileSync(path, c.bytes);
  let ort: Float64Array | undefined;
  try {
    [ort] = await runOnnxRuntime(path, c.graph.input.name, c.graph.input.shape, [c.input.data]);
  } catch (e) {
    // onnxruntime has no kernel for some type combinations (Pow with an unsigned exponent).
    if (/Could not find an implementation/.test((e as Error).message)) return false;
    throw e;
  }
  const q = quantizeGraph(lowerGraph(c.graph), [c.input.data]);
  const ours = reportedOutput(
    q,
    dequantizeOutput(q, runIntegerModel(q, quantizeInput(q, c.input.data)).get(q.output.name)!),
  ).values;
  ort!.forEach((v, i) => {
    const want = c.expected.data[i]!;
    assert.ok(
      Math.abs(v - want) <= 1e-3 * (1 + Math.abs(want)) || (Number.isNaN(v) && Number.isNaN(want)),
      `${name}[${i}]: onnxruntime ${v} vs ONNX ${want}`,
    );
    assert.ok(
      Math.abs(ours[i]! - v) <= tolerance + 1e-3 * (1 + Math.abs(v)),
      `${name}[${i}]: zkinfer ${ours[i]} vs onnxruntime ${v}`,
    );
  });
  return true;
}
import { SHARED } from '../helpers/paths.js';
import { outOfScopeReason } from '../../tools/conformance/out-of-scope.js';

const OPS =
  /^test_(sigmoid|tanh|exp|log|sqrt|reciprocal|erf|gelu|softplus|softsign|elu|selu|celu|hardsigmoid|hardswish|mish|thresholdedrelu|pow|abs|neg|sign|floor|ceil|round|prelu|sin|cos|tan|asin|acos|atan|sinh|cosh|asinh|acosh|atanh|min|max|sum|mean|equal|less|less_equal|greater|greater_equal|where|clip|div)(_|$)/;

const COMPARISONS = /^test_(equal|less|greater)/;

/**
 * The tolerance check of runCase is loose for 0/1 outputs, so comparisons are held to more:
 * every result equals ONNX's, except where the operands lie within one input step of each
 * other (rounding both onto the grid may then order them either way).
 */
function assertComparisonExact(dir: string, name: string): void {
  const c = loadCase(dir);
  const other = c.graph.constants.get(c.graph.nodes[0]!.inputs[1]!)!;
  const q = quantizeGraph(lowerGraph(c.graph), [c.input.data]);
  const got = runIntegerModel(q, quantizeInput(q, c.input.data)).get(q.output.name)!;
  const step = 2 ** -q.input.frac;
  got.forEach((v, i) => {
    const x = c.input.data[i]!;
    const y = other.data[i % other.data.length]!;
    if (v !== c.expected.data[i])
      assert.ok(Math.abs(x - y) <= step, `${name}[${i}]: ${x} vs ${y} compared wrongly (${v})`);
  });
}

test('ONNX node cases of table functions, comparisons and selections', async (t) => {
  const roots = ['onnx-node', 'onnx-node-extended'].map((s) => join(SHARED, 'conformance', s)).filter(existsSync);
  if (roots.length === 0) {
    t.skip('shared conformance data not found (set ZKINFER_SHARED)');
    return;
  }
  let pass = 0;
  let withOrt = 0;
  for (const root of roots) {
    for (const name of readdirSync(root).sort()) {
      if (
        !OPS.test(name) ||
        name.includes('_expanded') ||
        name.startsWith('test_maxpool') ||
        name.startsWith('test_maxunpool')
      )
        continue;
      const suiteName = `${root.split('/').pop()}/${name}`;
      const r = await runCase(join(root, name), name);
      if (r.status === 'pass') {
        assert.ok(!outOfScopeReason(suiteName), `${name} passes but is listed out of scope`);
        if (COMPARISONS.test(name)) assertComparisonExact(join(root, name), name);
        else if (await assertCloseToOnnxRuntime(join(root, name), name, r.tolerance!)) withOrt++;
        pass++;
        continue;
      }
      assert.ok(r.status === 'unsupported' && outOfScopeReason(suiteName), `${name}: ${r.status}: ${r.detail}`);
    }
  }
  t.diagnostic(`${pass} cases pass, ${withOrt} of them also compared with onnxruntime`);
  assert.ok(withOrt >= 60, `only ${withOrt} cases compared with onnxruntime`);
  assert.ok(pass >= 90, `only ${pass} cases pass`);
});
