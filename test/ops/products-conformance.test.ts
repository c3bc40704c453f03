/**
 * The ONNX node cases of the products issue with BOTH operands as computed values (the
 * conformance harness turns every operand but the first into a constant, which exercises the
 * constant-weight lowerings instead): MatMul, Mul, Div, Gemm and Einsum cases load with their
 * first two inputs as graph inputs; Softmax and LogSoftmax cases get an Identity appended so
 * the op is no longer final and is proven in the circuit. Each must satisfy its constraints,
 * equal the integer reference, and match the expected output within the conformance tolerance.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { SHARED } from '../helpers/paths.js';
import { parseOnnx } from '../../src/onnx/load-onnx.js';
import { lowerGraph } from '../../src/quantize/lower-graph.js';
import { assertCircuitMatchesCase, loadComputed } from '../helpers/computed-operands.js';

const { onnx } = onnxProto;
const root = join(SHARED, 'conformance');
const PATTERN =
  /^test_(matmul_\w+|mul(_bcast|_example)?|div(_bcast|_example)?|gemm_\w+|einsum_\w+|softmax_\w+|logsoftmax_\w+)$/;

/** Case folders of both suites whose name matches, without `_expanded` bodies. */
function cases(): Array<{ name: string; dir: string }> {
  const out: Array<{ name: string; dir: string }> = [];
  for (const suite of ['onnx-node', 'onnx-node-extended']) {
    const d = join(root, suite);
    if (!existsSync(d)) continue;
    for (const name of readdirSync(d).sort())
      if (PATTERN.test(name) && !name.includes('expanded') && !out.some((c) => c.name === name))
        out.push({ name, dir: join(d, name) });
  }
  return out;
}

/** For a softmax, an Identity after it, so the softmax is not the final op (a final one is dropped). */
function softmaxNotFinal(g: onnxProto.onnx.IGraphProto): void {
  const node = g.node![0]!;
  if (!/Softmax/.test(node.opType ?? '')) return;
  const out = node.output![0]!;
  node.output = [`${out}::inner`];
  g.node = [
    ...g.node!,
    onnx.NodeProto.create({ opType: 'Identity', input: [`${out}::inner`], output: [out], name: 'appended' }),
  ];
}

const list = cases();
test('the products issue has node cases to run', (t) => {
  if (list.length === 0) t.skip('shared conformance data not found');
  else assert.ok(list.length >= 30, `found ${list.length} cases`);
});

for (const c of list) {
  test(`node case with computed operands: ${c.name}`, () => {
    const l = loadComputed(c.dir, [0, 1], softmaxNotFinal);
    const fg = lowerGraph(parseOnnx(l.bytes, c.name));
    const kinds = fg.ops.map((o) => o.kind);
    if (l.nInputs === 2 && !/einsum_(sum|transpose|batch_diagonal)/.test(c.name))
      assert.ok(
        kinds.includes('product') || kinds.includes('divide'),
        `two computed operands make a product or division: ${kinds.join(' ')}`,
      );
    if (/softmax/.test(c.name)) assert.ok(kinds.includes('softmax'), 'the softmax is proven, not dropped');
    assertCircuitMatchesCase(fg, l);
  });
}
