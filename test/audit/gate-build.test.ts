/**
 * The gate's build directory and its min-accuracy decision (security review F8, F9), at library level
 * on the tiny MLP so nothing here proves: quantizing options given with a build-directory `model` are
 * errors naming the field; an ONNX `model` whose `build` already has keys is refused (files untouched)
 * unless the quantization is unchanged; and the `min-accuracy` check reads the verified claim's report,
 * not the prover's summary.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { minAccuracyCheck, runGate } from '../../src/audit/gate.js';
import type { ClaimReport } from '../../src/accuracy/verify-claim.js';
import { compileCircuit } from '../../src/compile/compile-circuit.js';
import { quantizeModel } from '../../src/quantize/quantize-model.js';
import { shutdown } from '../../src/runtime/curve.js';
import { setupKeys } from '../../src/setup/setup-keys.js';
import { writeTinyModel } from '../helpers/trusted-fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-gate-build-'));
const model = join(tmp, 'tiny.onnx');
const calibration = join(tmp, 'calibration.json');
const build = join(tmp, 'build');
let vkeyHash = '';

/** Every file of the build with its content, to show a refusal left it as it was. */
const snapshot = () =>
  Object.fromEntries(
    readdirSync(build)
      .filter((f) => f.includes('.'))
      .map((f) => [f, readFileSync(join(build, f)).toString('base64')]),
  );

function config(name: string, c: object): string {
  const p = join(tmp, `${name}.gate.json`);
  writeFileSync(p, JSON.stringify({ dataset: 'missing.jsonl', minAccuracy: 0.5, ...c }));
  return p;
}

before(async () => {
  writeTinyModel(model);
  const rows = [
    [0.5, -0.25, 0.75, 0.1],
    [-0.5, 0.25, 0.1, 0.9],
    [0.3, 0.3, -0.6, 0.2],
  ];
  writeFileSync(calibration, JSON.stringify({ inputs: rows }));
  await quantizeModel({ modelPath: model, outDir: build, calibrationPath: calibration });
  compileCircuit({ buildDir: build, check: false });
  vkeyHash = (await setupKeys({ buildDir: build })).info.vkeyHash;
});
after(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await shutdown();
});

test('a build-directory model: build, calibration, weightBits and activationBits are errors naming the field', async () => {
  const cases: Array<[string, object]> = [
    ['build', { build: 'elsewhere' }],
    ['calibration', { calibration: 'calibration.json' }],
    ['weightBits', { weightBits: 6 }],
    ['activationBits', { activationBits: 6 }],
  ];
  for (const [field, extra] of cases) {
    const path = config(`dir-${field}`, { model: 'build', ...extra });
    const r = await runGate(path);
    assert.equal(r.exitCode, 2, field);
    assert.match(r.error!, new RegExp(`^${path}: field ${field} does not apply: model ${build} is a build directory`));
  }
  // Without them the build is gated as it is: the run gets past the build to the (missing) dataset.
  const plain = await runGate(config('dir-plain', { model: 'build' }));
  assert.equal(plain.exitCode, 2);
  assert.match(plain.error!, /missing\.jsonl/);
});

test('an ONNX model whose build has keys: another quantization refused, files untouched; the same one kept', async () => {
  const before = snapshot();
  const other = await runGate(
    config('onnx-other', { model: 'tiny.onnx', build: 'build', calibration: 'calibration.json', weightBits: 6 }),
  );
  assert.equal(other.exitCode, 2);
  assert.match(
    other.error!,
    new RegExp(`^${build}: already holds a dev key \\(vkey hash ${vkeyHash}\\); re-quantizing`),
  );
  assert.match(other.error!, /set field build to another directory/);
  assert.deepEqual(snapshot(), before, 'the keyed build is untouched');
  const same = await runGate(
    config('onnx-same', { model: 'tiny.onnx', build: 'build', calibration: 'calibration.json' }),
  );
  assert.equal(same.exitCode, 2);
  assert.doesNotMatch(same.error!, /already holds/);
  assert.match(same.error!, /missing\.jsonl/, 'the unchanged quantization got past the build to the dataset');
  assert.deepEqual(snapshot(), before);
});

/** A verified claim's report with the given accuracy and verifier min-accuracy verdict (absent: not counted). */
function report(accuracy: number | undefined, verdict: boolean | undefined): ClaimReport {
  return {
    kind: 'accuracy-claim',
    valid: verdict !== false,
    checks: verdict === undefined ? [] : [{ check: 'min-accuracy', ok: verdict, detail: '' }],
    pinned: true,
    keySource: 'file',
    ...(accuracy === undefined ? {} : { accuracy }),
    unverified: [],
    warnings: [],
  } as ClaimReport;
}

test("min-accuracy is decided by the verified claim's report, never the prover's number", () => {
  assert.deepEqual(minAccuracyCheck(report(0.96, true), 0.95), {
    check: 'min-accuracy',
    ok: true,
    detail: 'verified accuracy 96.00 % (minimum 95.00 %)',
  });
  assert.equal(minAccuracyCheck(report(0.9, false), 0.95).ok, false);
  // The verifier's own verdict counts even when the number looks high enough.
  assert.equal(minAccuracyCheck(report(0.96, false), 0.95).ok, false);
  // A claim that never got to counting shows no accuracy at all.
  const unverified = minAccuracyCheck(report(undefined, undefined), 0.5);
  assert.equal(unverified.ok, false);
  assert.match(unverified.detail, /^not shown: the claim did not verify/);
});
