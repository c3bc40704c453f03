/**
 * ONNX node cases of the composite layers with more of their operands computed: the
 * conformance harness turns every input but the first into a constant, which for Attention
 * makes K and V weights (free linear maps) and for an LSTM makes the initial state a
 * constant. Here Attention cases keep Q, K and V as graph inputs (scores and output become
 * products of activations) and the peephole LSTM keeps X, initial_h and initial_c. Each must
 * satisfy its constraints, equal the integer reference, and match the expected output within
 * the conformance tolerance.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { outOfScopeReason } from '../../tools/conformance/out-of-scope.js';
import { SHARED } from '../helpers/paths.js';
import { parseOnnx } from '../../src/onnx/load-onnx.js';
import { lowerGraph } from '../../src/quantize/lower-graph.js';
import { assertCircuitMatchesCase, loadComputed } from '../helpers/computed-operands.js';

const root = join(SHARED, 'conformance', 'onnx-node-extended');

/** Attention cases (not the function bodies, not the refused KV-cache ones) keep Q, K, V; the peephole LSTM keeps X and both states. */
function cases(): Array<{ name: string; dir: string; keep: number[] }> {
  if (!existsSync(root)) return [];
  const out: Array<{ name: string; dir: string; keep: number[] }> = [];
  for (const name of readdirSync(root).sort()) {
    const dir = join(root, name);
    if (/^test_attention_/.test(name) && !name.endsWith('_expanded') && !outOfScopeReason(`onnx-node-extended/${name}`))
      out.push({ name, dir, keep: [0, 1, 2] });
    if (name === 'test_lstm_with_peepholes') out.push({ name, dir, keep: [0, 5, 6] });
  }
  return out;
}

const list = cases();
test('the composite layers have node cases to run', (t) => {
  if (list.length === 0) t.skip('shared conformance data not found');
  else assert.ok(list.length >= 30, `found ${list.length} cases`);
});

for (const c of list) {
  test(`node case with computed operands: ${c.name}`, () => {
    const l = loadComputed(c.dir, c.keep);
    const fg = lowerGraph(parseOnnx(l.bytes, c.name));
    assert.ok(
      fg.ops.some((o) => o.kind === 'product'),
      'computed operands make products of activations',
    );
    assertCircuitMatchesCase(fg, l);
  });
}
