import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scoreByOp } from '../../tools/conformance/conformance-scope.js';
import { OUT_OF_SCOPE, outOfScopeReason } from '../../tools/conformance/out-of-scope.js';
import { listCases, runConformance, summaryLine } from '../../tools/conformance/run-conformance.js';

test('ONNX backend conformance (onnx-node, onnx-node-extended, PyTorch-converted): no wrong result, ≥ 90% of the in-scope cases of every supported op pass', async (t) => {
  const cases = listCases();
  if (cases.length === 0) {
    t.skip('shared conformance data not found (set ZKINFER_SHARED)');
    return;
  }
  assert.ok(
    cases.some((c) => c.name.startsWith('onnx-node-extended/')),
    'the extended suite is part of the run',
  );
  const results = await runConformance();
  t.diagnostic(summaryLine(results));
  // A case that runs must be right: witness satisfies the circuit, circuit == reference, within tolerance.
  for (const r of results) if (r.status === 'fail') assert.fail(`${r.name}: ${r.detail}`);
  const scores = scoreByOp(results, new Map(cases.map((c) => [c.name, c.dir])));
  for (const s of scores.filter((x) => x.supported && x.inScope > 0)) {
    t.diagnostic(`${s.op}: ${s.pass}/${s.inScope} in scope pass, ${s.outOfScope} out of scope`);
    assert.ok(s.pass >= 0.9 * s.inScope, `${s.op}: only ${s.pass} of ${s.inScope} in-scope cases pass`);
  }
  // The out-of-scope list stays honest: every entry matches a case, and no listed case passes.
  for (const o of OUT_OF_SCOPE)
    assert.ok(
      cases.some((c) => o.cases.test(c.name)),
      `out-of-scope entry ${o.cases} matches no case`,
    );
  for (const r of results)
    if (r.status === 'pass' && outOfScopeReason(r.name))
      assert.fail(`${r.name} passes but is listed out of scope (${outOfScopeReason(r.name)})`);
  const passed = results.filter((r) => r.status === 'pass').length;
  assert.ok(passed >= 280, `only ${passed} cases pass`);
});
