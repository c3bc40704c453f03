/**
 * The ONNX conformance suites through zkinfer, run once: every case's result against its
 * expected output, and (the determinism checker on the same build of each case) every
 * supported case's circuit fully determined by its input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scoreByOp } from '../../tools/conformance/conformance-scope.js';
import { OUT_OF_SCOPE, outOfScopeReason } from '../../tools/conformance/out-of-scope.js';
import { listCases, runConformance, summaryLine } from '../../tools/conformance/run-conformance.js';
import type { CaseResult } from '../../tools/conformance/conformance-case.js';

/** One run of every case for both tests: building the circuits is most of its cost. */
let run: Promise<CaseResult[]> | undefined;
const allResults = () => (run ??= runConformance({ determinism: true }));

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
  const results = await allResults();
  t.diagnostic(summaryLine(results));
  // A case that runs must be right: witness satisfies the circuit, circuit == reference, within tolerance.
  // A listed out-of-scope case may miss its tolerance (a range limit, with the circuit equal to the
  // integer reference, which is checked first), never fail any other way.
  for (const r of results)
    if (r.status === 'fail' && !(outOfScopeReason(r.name) && r.maxError !== undefined))
      assert.fail(`${r.name}: ${r.detail}`);
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

test('every supported ONNX conformance case compiles to a fully determined circuit', async (t) => {
  if (listCases().length === 0) {
    t.skip('shared conformance data not found (set ZKINFER_SHARED)');
    return;
  }
  const results = await allResults();
  // A free wire fails its case (status 'fail', naming the wire), so the test above fails too;
  // here: the checker ran on every case that reached a circuit.
  for (const r of results)
    if (r.status === 'fail' && /wires are not determined/.test(r.detail)) assert.fail(`${r.name}: ${r.detail}`);
  const checked = results.filter((r) => r.determinedKinds);
  const kinds = new Set(checked.flatMap((r) => r.determinedKinds!));
  const unchecked = results.filter((r) => r.status === 'pass' && (r.constraints ?? 0) > 0 && !r.determinedKinds);
  assert.deepEqual(
    unchecked.map((r) => r.name),
    [],
    'every passing case with constraints went through the checker',
  );
  t.diagnostic(`${checked.length} cases, op kinds: ${[...kinds].sort().join(' ')}`);
  assert.ok(checked.length >= 95, `only ${checked.length} supported cases checked`);
  // Every lowering that emits constraints is among them.
  for (const k of ['requantize', 'maxpool', 'clamp', 'leakyRelu'])
    assert.ok(kinds.has(k), `no conformance case lowers to ${k}`);
});
