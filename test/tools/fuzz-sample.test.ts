/**
 * A fixed-seed sample of the fuzz suite (tools/fuzz): 300 generated hostile, malformed and valid
 * cases across every class, each run in process through the CLI. Every defect column (exit 3,
 * stack trace, stderr lines ≠ 1, partial artifact, wrongly accepted or refused, hang) must be 0.
 * `npm run fuzz -- --cases N --seed S` runs more.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GENERATORS } from '../../tools/fuzz/generators.js';
import { formatFuzzTable, runFuzz } from '../../tools/fuzz/run-fuzz.js';

test('300 fuzz cases (seed 14): no defect in any class', async () => {
  const report = await runFuzz({ cases: 300, seed: 14 });
  const table = formatFuzzTable(report);
  assert.equal(report.cases, 300);
  assert.deepEqual(Object.keys(report.table).sort(), GENERATORS.map((g) => g.name).sort(), table);
  const detail = report.defects
    .slice(0, 5)
    .map((d) => `${d.generator} ${d.outcomes.join(',')}: ${d.label}\n${d.stderr}`)
    .join('\n');
  assert.equal(report.defects.length, 0, `${table}\n${detail}`);
  // The sample exercises both sides: refusals and successful proofs/quantizations.
  const all = Object.values(report.table);
  assert.ok(all.reduce((a, r) => a + r['exit 0'], 0) > 0 && all.reduce((a, r) => a + r['exit 2'], 0) > 0, table);
});
