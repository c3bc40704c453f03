/**
 * Queue submission's resume check (planJobs) without a database: a bundle already on disk for
 * an input is skipped — except under --strict-range when its input was clamped, where it is no
 * result and must be proved again (and refused by the worker), as batch proving does.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planJobs } from '../../src/queue/queue-plan.js';
import { readQuantizedModel } from '../../src/compile/compile-circuit.js';
import { vkeyHash, type ZkinferVkey } from '../../src/formats/vkey.js';
import { shutdown } from '../../src/runtime/curve.js';
import { zkinferOk } from '../helpers/cli.js';
import { MODELS } from '../helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'zkinfer-queue-plan-'));
const build = join(dir, 'build');
const out = join(dir, 'proofs');
const clampedInput = join(dir, 'hot.json');
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await shutdown();
});

before(() => {
  zkinferOk(['run', join(MODELS, 'digits-mlp.onnx'), '--input', join(MODELS, 'samples/digit-3.json'), '--out', build]);
  const x = (JSON.parse(readFileSync(join(MODELS, 'samples/digit-3.json'), 'utf8')) as { input: number[] }).input;
  // One pixel far above the calibrated range: proving clamps it (without --strict-range).
  writeFileSync(clampedInput, JSON.stringify({ input: x.map((v, i) => (i === 10 ? 1000 : v)) }));
  zkinferOk(['prove', build, '--input', clampedInput, '--out', join(out, 'hot.proof.json')]);
});

test('a clamped bundle on disk is skipped without --strict-range and planned again with it', async () => {
  const vkeyPath = join(build, 'vkey.json');
  const vkey = JSON.parse(readFileSync(vkeyPath, 'utf8')) as ZkinferVkey;
  const plan = { model: readQuantizedModel(build).model, vkeyPath, meta: vkey.zkinfer, keyHash: vkeyHash(vkey) };
  const inputs = [{ name: 'hot', source: clampedInput, path: clampedInput }];
  const lax = await planJobs(inputs, plan, out, false);
  assert.deepEqual([lax.skip.length, lax.specs.length], [1, 0], 'the existing bundle stands for the input');
  const strict = await planJobs(inputs, plan, out, true);
  assert.deepEqual(
    [strict.skip.length, strict.specs.length],
    [0, 1],
    'a clamped bundle is no result under --strict-range',
  );
  assert.equal(strict.specs[0]!.payload.strictRange, true);
});
