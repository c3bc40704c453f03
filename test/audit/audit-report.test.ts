/**
 * `zkinfer audit`: float vs quantized vs proven on a labelled dataset, the --max-disagreement
 * gate, and the HTML report rendered by a real headless Chromium (text read back from the
 * rendered DOM, charts counted, screenshot taken).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditReport } from '../../src/audit/audit.js';
import { runPipeline } from '../../src/pipeline.js';
import { shutdown } from '../../src/runtime/curve.js';
import { CLI, MODELS } from '../helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'zkinfer-audit-'));
const build = join(dir, 'build');
const digits = JSON.parse(readFileSync(join(MODELS, 'digits-test.json'), 'utf8')) as {
  inputs: number[][];
  labels: number[];
};
const data = join(dir, 'test.jsonl');
const proofs = join(dir, 'proofs');

function zkinfer(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function chromium(...args: string[]): { status: number | null; stdout: string } {
  const profile = mkdtempSync(join(dir, 'chromium-'));
  const r = spawnSync(
    'chromium',
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--user-data-dir=${profile}`,
      '--virtual-time-budget=5000',
      ...args,
    ],
    { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 },
  );
  return { status: r.status, stdout: r.stdout };
}

before(async () => {
  // Sample 83 of the test split is the one the float and quantized MLP disagree on.
  writeFileSync(
    data,
    [...digits.inputs.slice(80, 100)]
      .map((x, i) => JSON.stringify({ input: x, label: digits.labels[80 + i] }))
      .join('\n') + '\n',
  );
  await runPipeline({
    modelPath: join(MODELS, 'digits-mlp.onnx'),
    inputPath: join(MODELS, 'samples', 'digit-3.json'),
    outDir: build,
    calibrationPath: join(MODELS, 'calibration.json'),
  });
  await shutdown();
  // Proofs of the first 5 samples only.
  writeFileSync(join(dir, 'first5.jsonl'), readFileSync(data, 'utf8').split('\n').slice(0, 5).join('\n') + '\n');
  const r = zkinfer('prove', build, '--inputs', join(dir, 'first5.jsonl'), '--out', proofs, '--workers', '2', '--json');
  assert.equal(r.status, 0, r.stderr);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('audit of a build with bundles: accuracies, agreement, the disagreement named, and a tampered bundle rejected', () => {
  // Bundles name their input as first5.jsonl:N; point them at the same lines of the dataset file.
  for (const name of readdirSync(proofs).filter((n) => n.endsWith('.proof.json'))) {
    const p = join(proofs, name);
    const b = JSON.parse(readFileSync(p, 'utf8')) as { input: { source: string } };
    b.input.source = b.input.source.replace('first5.jsonl', 'test.jsonl');
    writeFileSync(p, JSON.stringify(b));
  }
  const r = zkinfer('audit', build, '--dataset', data, '--bundles', proofs, '--json');
  assert.equal(r.status, 0, r.stderr);
  const a = JSON.parse(r.stdout) as AuditReport;
  assert.equal(a.samples, 20);
  assert.equal(a.accuracy.proven?.samples, 5);
  assert.equal(a.agreement.provenQuantized, 1);
  assert.deepEqual(
    a.disagreements.map((d) => [d.index, d.float, d.quantized]),
    [[3, 1, 4]],
  );
  assert.equal(a.confusion[1]![4], 1);
  assert.equal(a.maxAbsErrorPerOutput.length, 10);
  assert.equal(
    a.errorHistogram.counts.reduce((x, y) => x + y, 0),
    200,
  );
  // A bundle whose prediction was edited no longer verifies and is not counted.
  const first = join(
    proofs,
    readdirSync(proofs)
      .filter((n) => n.endsWith('.proof.json'))
      .sort()[0]!,
  );
  const b = JSON.parse(readFileSync(first, 'utf8')) as { prediction: number };
  b.prediction = (b.prediction + 1) % 10;
  writeFileSync(first, JSON.stringify(b));
  const t = JSON.parse(zkinfer('audit', build, '--dataset', data, '--bundles', proofs, '--json').stdout) as AuditReport;
  assert.equal(t.accuracy.proven?.samples, 4);
  assert.equal(t.bundles?.rejected.length, 1);
  assert.match(t.bundles!.rejected[0]!.reason, /check failed/);
});

test('--max-disagreement fails above the threshold with suggestions, passes at it', () => {
  const fail = zkinfer('audit', join(MODELS, 'digits-mlp.onnx'), '--dataset', data, '--max-disagreement', '0.01');
  assert.equal(fail.status, 1);
  assert.match(fail.stderr, /disagreement 5\.00 % > 1\.00 %/);
  assert.match(fail.stderr, /--activation-bits 10/);
  const pass = zkinfer(
    'audit',
    join(MODELS, 'digits-mlp.onnx'),
    '--dataset',
    data,
    '--max-disagreement',
    '0.05',
    '--json',
  );
  assert.equal(pass.status, 0);
  // --json renames the gate's `passed` to `ok` (docs/json-output.md).
  assert.equal((JSON.parse(pass.stdout) as { gate?: { ok: boolean } }).gate?.ok, true);
  assert.equal(zkinfer('audit', build, '--dataset', data, '--max-disagreement', '2').status, 2);
});

test('the HTML report is self-contained and renders its numbers and four charts in headless Chromium', () => {
  const html = join(dir, 'audit.html');
  const r = zkinfer(
    'audit',
    build,
    '--dataset',
    data,
    '--bundles',
    proofs,
    '--report',
    html,
    '--max-disagreement',
    '0.01',
  );
  assert.equal(r.status, 1);
  const page = readFileSync(html, 'utf8');
  assert.doesNotMatch(
    page,
    /<script[^>]+src=|<link[^>]+href=|<img[^>]+src=["']?https?:|url\(["']?https?:/,
    'no external resources',
  );
  const dom = chromium('--dump-dom', `file://${html}`);
  assert.equal(dom.status, 0);
  assert.match(dom.stdout, /data-charts="4"/, 'Chart.js drew every chart');
  const text = dom.stdout.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
  assert.match(text, /Float accuracy 95\.00 % 19\/20/);
  assert.match(text, /Quantized accuracy 100\.00 % 20\/20/);
  assert.match(text, /Proven accuracy 100\.00 % 4\/4/);
  assert.match(text, /Gate failed: disagreement 5\.00 %/);
  assert.match(text, /Disagreeing samples, worst first/);
  const png = join(dir, 'audit.png');
  const shot = chromium('--window-size=1280,1400', `--screenshot=${png}`, `file://${html}`);
  assert.equal(shot.status, 0);
  const img = readFileSync(png);
  assert.deepEqual([...img.subarray(1, 4)], [...Buffer.from('PNG')]);
  assert.equal(img.readUInt32BE(16), 1280);
});
