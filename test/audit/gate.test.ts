/**
 * `zkinfer gate`: a passing gate, a failing one (minimum accuracy and trusted setup), a bad
 * config, with GITHUB_STEP_SUMMARY and GITHUB_ACTIONS pointed at temp files; then the
 * downstream one-command verification of the published claim.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GateSummary } from '../../src/audit/gate.js';
import { CLI, MODELS } from '../helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'zkinfer-gate-'));
const digits = JSON.parse(readFileSync(join(MODELS, 'digits-test.json'), 'utf8')) as {
  inputs: number[][];
  labels: number[];
};
writeFileSync(
  join(dir, 'test.jsonl'),
  digits.inputs
    .slice(80, 100)
    .map((x, i) => JSON.stringify({ input: x, label: digits.labels[80 + i] }))
    .join('\n') + '\n',
);
after(() => rmSync(dir, { recursive: true, force: true }));

function gate(
  config: object,
  name: string,
): { status: number | null; summary: GateJson; stdout: string[]; stepSummary: string } {
  const path = join(dir, `${name}.gate.json`);
  writeFileSync(path, JSON.stringify(config));
  const stepSummary = join(dir, `${name}.summary.md`);
  writeFileSync(stepSummary, '# earlier step\n');
  const r = spawnSync(process.execPath, [CLI, 'gate', path], {
    encoding: 'utf8',
    timeout: 600_000,
    env: { ...process.env, GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: stepSummary },
  });
  const lines = r.stdout.trim().split('\n');
  return {
    status: r.status,
    summary: JSON.parse(lines.at(-1)!) as GateJson,
    stdout: lines.slice(0, -1),
    stepSummary: readFileSync(stepSummary, 'utf8'),
  };
}

/** The gate's output: its summary in the --json envelope (docs/json-output.md). */
type GateJson = Omit<GateSummary, 'passed' | 'exitCode' | 'error'> & {
  ok: boolean;
  error?: { code: number; message: string };
};

const base = {
  model: join(MODELS, 'digits-mlp.onnx'),
  calibration: join(MODELS, 'calibration.json'),
  dataset: 'test.jsonl',
  build: 'build',
  out: 'gate-out',
  minAccuracy: 0.9,
  maxDisagreement: 0.1,
  chunk: 8,
  workers: 2,
};

test('a passing gate: exit 0, one JSON summary, Markdown appended, no annotations; the claim verifies downstream in one command', () => {
  const r = gate(base, 'pass');
  assert.equal(r.status, 0, JSON.stringify(r.summary));
  assert.equal(r.summary.ok, true);
  assert.deepEqual(
    r.summary.checks.map((c) => [c.check, c.ok]),
    [
      ['config', true],
      ['max-disagreement', true],
      ['accuracy-proof', true],
      ['claim', true],
      ['min-accuracy', true],
    ],
  );
  assert.equal(r.summary.accuracy?.correct, 20);
  assert.deepEqual(r.stdout, []);
  assert.match(r.stepSummary, /^# earlier step\n## zkinfer gate: ✅ passed/);
  assert.match(r.stepSummary, /\| min-accuracy \| ✅ \| proven accuracy 100\.00 %/);
  const v = spawnSync(
    process.execPath,
    [
      CLI,
      'verify',
      r.summary.claim!,
      '--vkey-hash',
      r.summary.vkeyHash!,
      '--dataset-commitment',
      r.summary.datasetCommitment!,
      '--min-accuracy',
      '0.9',
    ],
    { encoding: 'utf8' },
  );
  assert.equal(v.status, 0, v.stdout);
});

test('a failing gate: exit 1, ::error per failed check, ❌ in the step summary', () => {
  const r = gate({ ...base, maxDisagreement: 0.01, requireTrustedSetup: true }, 'fail');
  assert.equal(r.status, 1);
  assert.equal(r.summary.ok, false);
  assert.deepEqual(
    r.summary.checks.filter((c) => !c.ok).map((c) => c.check),
    ['max-disagreement', 'trusted-setup'],
  );
  assert.equal(r.stdout.length, 2);
  assert.match(
    r.stdout[0]!,
    /^::error title=zkinfer gate max-disagreement::float\/quantized disagreement 5\.00 %25 \(limit 1\.00 %25\)/,
  );
  assert.match(r.stdout[1]!, /^::error title=zkinfer gate trusted-setup::/);
  assert.match(r.stepSummary, /## zkinfer gate: ❌ failed/);
});

test('a bad config: exit 2 naming the field, still one JSON summary and an annotation', () => {
  const r = gate({ ...base, minAccuracy: 1.5 }, 'bad');
  assert.equal(r.status, 2);
  assert.equal(r.summary.error?.code, 2);
  assert.match(r.summary.error!.message, /bad\.gate\.json: field minAccuracy/);
  assert.match(r.stdout[0]!, /^::error title=zkinfer gate config::/);
  const missing = gate({ ...base, dataset: 'nope.jsonl' }, 'missing');
  assert.equal(missing.status, 2);
  assert.match(missing.summary.error!.message, /nope\.jsonl: cannot read dataset/);
});
