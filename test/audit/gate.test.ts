/**
 * `zkinfer gate`: a passing gate, a failing one (minimum accuracy and trusted setup), bad
 * configs, with GITHUB_STEP_SUMMARY pointed at a temp file and GITHUB_ACTIONS=true. stdout must
 * be one JSON document (as `zkinfer gate cfg > gate.json` needs); the workflow commands are read
 * from stderr as the Actions runner reads them. Then the downstream one-command verification of
 * the published claim.
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

/** A workflow command as the Actions runner parses it: `::name key=value,…::message`, GitHub's escapes undone. */
interface Annotation {
  readonly command: string;
  readonly properties: Record<string, string>;
  readonly message: string;
}

const unescapeData = (t: string) => t.replace(/%0D/gi, '\r').replace(/%0A/gi, '\n').replace(/%25/g, '%');
const unescapeProperty = (t: string) => unescapeData(t.replace(/%3A/gi, ':').replace(/%2C/gi, ','));

function parseWorkflowCommands(stream: string): Annotation[] {
  const out: Annotation[] = [];
  for (const line of stream.split(/\r?\n/)) {
    const m = /^::([A-Za-z-]+)(?: ([^:]*))?::(.*)$/.exec(line.trimStart());
    if (!m) continue;
    const properties: Record<string, string> = {};
    for (const kv of (m[2] ?? '').split(',').filter(Boolean)) {
      const i = kv.indexOf('=');
      properties[kv.slice(0, i)] = unescapeProperty(kv.slice(i + 1));
    }
    out.push({ command: m[1]!, properties, message: unescapeData(m[3]!) });
  }
  return out;
}

function gate(
  config: object,
  name: string,
): { status: number | null; summary: GateJson; annotations: Annotation[]; stderr: string; stepSummary: string } {
  const path = join(dir, `${name}.gate.json`);
  writeFileSync(path, JSON.stringify(config));
  const stepSummary = join(dir, `${name}.summary.md`);
  writeFileSync(stepSummary, '# earlier step\n');
  const r = spawnSync(process.execPath, [CLI, 'gate', path], {
    encoding: 'utf8',
    timeout: 600_000,
    env: { ...process.env, GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: stepSummary },
  });
  assert.deepEqual(parseWorkflowCommands(r.stdout), [], 'no workflow command on stdout');
  return {
    status: r.status,
    // The whole of stdout is the one JSON summary: what `zkinfer gate cfg > gate.json` writes.
    summary: JSON.parse(r.stdout) as GateJson,
    annotations: parseWorkflowCommands(r.stderr),
    stderr: r.stderr,
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

test('a passing gate: exit 0, one JSON summary, Markdown appended, ::warning for the dev setup and the unpinned dataset; the claim verifies downstream in one command', () => {
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
  // Passed, but on trust the run made itself: a dev setup and a dataset commitment no one published.
  assert.deepEqual(
    r.annotations.map((a) => a.command),
    ['warning', 'warning'],
  );
  assert.match(r.annotations[0]!.message, /dev setup/);
  assert.match(r.annotations[1]!.message, /dataset commitment 0x[0-9a-f]+ was made by this gate run, not pinned/);
  assert.equal(r.annotations[1]!.properties['title'], 'zkinfer gate');
  assert.deepEqual(
    r.summary.warnings,
    r.annotations.map((a) => a.message),
  );
  for (const w of r.summary.warnings) assert.ok(r.stderr.includes(`zkinfer: warning: ${w}`));
  assert.match(r.stepSummary, /- ⚠️ dataset commitment/);
  // The same dataset pinned to the commitment just published (with its opening): that warning goes.
  const pinned = gate(
    { ...base, datasetCommitment: r.summary.datasetCommitment, opening: 'gate-out/dataset.opening.json' },
    'pinned',
  );
  assert.equal(pinned.status, 0, JSON.stringify(pinned.summary));
  assert.deepEqual(
    pinned.annotations.map((a) => [a.command, /dev setup/.test(a.message)]),
    [['warning', true]],
  );
  assert.match(r.stepSummary, /^# earlier step\n## zkinfer gate: ✅ passed/);
  assert.match(r.stepSummary, /\| min-accuracy \| ✅ \| verified accuracy 100\.00 %/);
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
  const errors = r.annotations.filter((a) => a.command === 'error');
  assert.deepEqual(
    errors.map((a) => a.properties['title']),
    ['zkinfer gate max-disagreement', 'zkinfer gate trusted-setup'],
  );
  // Escaped on the wire (%25), the runner's unescaping gives back the check's own detail.
  assert.match(errors[0]!.message, /^float\/quantized disagreement 5\.00 % \(limit 1\.00 %\)/);
  assert.equal(errors[0]!.message, r.summary.checks.find((c) => c.check === 'max-disagreement')!.detail);
  assert.match(r.stepSummary, /## zkinfer gate: ❌ failed/);
});

test('a bad config: exit 2 naming the field, still one JSON summary on stdout and an ::error on stderr', () => {
  // Through the CLI, one of each kind; test/audit/thresholds.test.ts covers the reader's other cases in-process.
  const cases: Array<[object, RegExp]> = [
    [
      { ...base, minAccuracy: 95 },
      /bad-0\.gate\.json: field minAccuracy: "95" is above 1: write the fraction 0\.95 or the percentage 95%/,
    ],
    [{ ...base, minAccuracy: undefined }, /bad-1\.gate\.json: missing required field minAccuracy$/],
    [{ ...base, maxDisagrement: 0.1 }, /unknown field "maxDisagrement"; did you mean maxDisagreement\?$/],
  ];
  for (const [i, [config, error]] of cases.entries()) {
    const r = gate(config, `bad-${i}`);
    assert.equal(r.status, 2, JSON.stringify(r.summary));
    assert.equal(r.summary.error?.code, 2);
    assert.match(r.summary.error!.message, error);
    assert.deepEqual(
      r.annotations.map((a) => [a.command, a.properties['title'], a.message]),
      [['error', 'zkinfer gate config', r.summary.error!.message]],
    );
  }
  const missing = gate({ ...base, dataset: 'nope.jsonl' }, 'missing');
  assert.equal(missing.status, 2);
  assert.match(missing.summary.error!.message, /nope\.jsonl: cannot read dataset/);
});
