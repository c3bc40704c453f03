/**
 * The acceptance test of CNN support: the ONNX Model Zoo's mnist-8 (a model nobody here
 * wrote) proven and verified end to end through the CLI on a shared labelled sample, with the
 * input committed and then checked against the right and a wrong input file.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, CLI, SHARED } from '../helpers/paths.js';

const models = join(SHARED, 'conformance', 'models');
const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-mnist-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function zkinfer(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('mnist-8 proves and verifies on a labelled sample and agrees with onnxruntime', () => {
  const { labels } = JSON.parse(readFileSync(join(models, 'mnist-8-samples', 'labels.json'), 'utf8')) as {
    labels: number[];
  };
  const sample = join(models, 'mnist-8-samples', 'input_0.pb');
  const run = zkinfer(['run', join(models, 'mnist-8.onnx'), '--input', sample, '--out', join(tmp, 'b'), '--json']);
  assert.equal(run.code, 0, run.stderr);
  const r = JSON.parse(run.stdout);
  assert.equal(r.valid, true);
  assert.equal(r.prediction, labels[0]);
  assert.equal(r.fidelity.floatPrediction, r.prediction);
  const pin = ['--vkey', join(tmp, 'b', 'vkey.json'), '--opening', r.opening as string];
  assert.equal(zkinfer(['verify', r.bundle, ...pin, '--input', sample]).code, 0);
  const other = zkinfer([
    'verify',
    r.bundle,
    ...pin,
    '--input',
    join(models, 'mnist-8-samples', 'input_1.pb'),
    '--json',
  ]);
  assert.equal(other.code, 1);
  assert.equal(JSON.parse(other.stdout).failed, 'input-commitment');
});
