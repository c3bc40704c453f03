import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listCases, runConformance, summaryLine } from '../src/conformance/run-conformance.js';

/** Why a case may be unsupported: anything else is a regression. */
const EXPECTED_UNSUPPORTED = [/must be float, not element type/, /Unsupported ONNX ops: Sigmoid/, /ONNX opset 6 is outside/, /cannot reshape \[1,3,4\] to \[3,4,0\]/];

test('ONNX backend conformance: every supported case passes (witness, circuit == reference, within tolerance)', async (t) => {
  if (listCases().length === 0) {
    t.skip('shared conformance data not found (set ZKINFER_SHARED)');
    return;
  }
  const results = await runConformance();
  t.diagnostic(summaryLine(results));
  for (const r of results) {
    if (r.status === 'fail') assert.fail(`${r.name}: ${r.detail}`);
    if (r.status === 'unsupported') assert.ok(EXPECTED_UNSUPPORTED.some((re) => re.test(r.detail)), `${r.name} unexpectedly unsupported: ${r.detail}`);
  }
  const supported = results.filter((r) => r.status !== 'unsupported');
  assert.ok(supported.length >= 95, `only ${supported.length} supported cases`);
  assert.match(summaryLine(results), /^\d+ passed, 0 failed, \d+ unsupported$/);
});
