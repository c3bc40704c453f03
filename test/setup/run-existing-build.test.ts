/**
 * `run --out` on a build that already exists (security review F2, F6): a failed `run --force`
 * leaves the build byte-identical (quantize, compile and setup are staged and moved in only when
 * all succeeded); keys whose files no longer match setup.json are not reported as kept, and a
 * missing zkey gets a message saying to restore it rather than to run setup; a build whose model
 * files were rewritten by `quantize` is brought back to the files its keys were made for; and
 * `run --json` says what happened to the keys (`created`, `kept`, `replaced`). Tiny MLP, dev keys.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createDevPtau } from '../../tools/bench/bench-gas.js';
import { shutdown } from '../../src/runtime/curve.js';
import { zkinfer, zkinferOk, type CliRun } from '../helpers/cli.js';
import { writeTinyModel } from '../helpers/trusted-fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-runex-'));
after(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await shutdown();
});

const model = join(tmp, 'tiny.onnx');
const other = join(tmp, 'other.onnx');
const input = join(tmp, 'x.json');
const build = join(tmp, 'b');
const PUBLIC = ['--input-visibility', 'public', '--output-visibility', 'public'];
const show = (r: CliRun) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
writeTinyModel(model);
writeTinyModel(other, 0.5);
writeFileSync(input, JSON.stringify([0.5, -0.25, 0.75, 0.1]));

/** sha256 of every file under `dir` (proofs and hidden entries included), by relative path. */
function hashTree(dir: string, root = dir, out: Record<string, string> = {}): Record<string, string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) hashTree(p, root, out);
    else out[relative(root, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
  }
  return out;
}

const runJson = (args: string[]) =>
  JSON.parse(zkinferOk(['run', ...args, '--input', input, '--out', build, ...PUBLIC, '--json']).stdout) as {
    keys: string;
    valid: boolean;
    bundle: string;
  };

/** A run that must fail with exit 2 and one line matching `message`, leaving the build as it was. */
function assertFailsUnchanged(args: string[], message: RegExp): CliRun {
  const before = hashTree(build);
  const r = zkinfer(['run', ...args, '--input', input, '--out', build, ...PUBLIC]);
  assert.equal(r.code, 2, show(r));
  // Stage lines are progress on stderr; the error is one line of its own.
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('zkinfer: ') && !l.startsWith('zkinfer: warning:'));
  assert.equal(errors.length, 1, show(r));
  assert.match(r.stderr, message);
  assert.deepEqual(hashTree(build), before, 'a failed run changed the build directory');
  return r;
}

test('a failed run --force leaves the build byte-identical; run --json reports created, kept and replaced keys', async () => {
  const created = runJson([model]);
  assert.equal(created.keys, 'created');
  assert.equal(created.valid, true);

  const small = join(tmp, 'small.ptau');
  writeFileSync(small, (await createDevPtau({ power: 2 })).data!);
  // Setup fails after quantize and compile of another model succeeded: nothing of theirs lands.
  const r = assertFailsUnchanged([other, '--ptau', small, '--force'], /small\.ptau: powers of tau for 2\^2/);
  assert.doesNotMatch(r.stderr, /run-staging/, 'the message names a staging path');

  const keyed = (t: Record<string, string>) => Object.entries(t).filter(([f]) => !f.startsWith('proofs'));
  const intact = keyed(hashTree(build));
  assert.equal(runJson([model]).keys, 'kept');
  assert.deepEqual(keyed(hashTree(build)), intact, 'a run that kept the keys changed the build');
  zkinferOk(['verify', created.bundle, '--vkey', join(build, 'vkey.json')]);
  const replaced = runJson([other, '--force']);
  assert.equal(replaced.keys, 'replaced');
  assert.equal(replaced.valid, true);
});

test('kept keys must match setup.json: a missing zkey says restore it; a re-quantized build gets the keyed files back', () => {
  runJson([model, '--force']);
  const zkey = join(build, 'circuit.zkey');
  const saved = join(tmp, 'saved.zkey');
  copyFileSync(zkey, saved);

  rmSync(zkey);
  const missing = assertFailsUnchanged([model], /circuit\.zkey: missing.*restore this key's circuit\.zkey/);
  assert.doesNotMatch(missing.stderr, /zkinfer setup/);
  writeFileSync(zkey, 'not the key');
  assertFailsUnchanged([model], /circuit\.zkey: does not match setup\.json/);
  copyFileSync(saved, zkey);

  // `quantize --force` writes another model's files into the keyed build: the keys no longer match them.
  zkinferOk(['quantize', other, '--out', build, '--input', input, '--force']);
  // Running that other model would need new keys: refused, nothing changed.
  assertFailsUnchanged([other], /dev key .*pass --force to replace it/);
  // The model the keys were made for: its staged files replace the stale ones, and the proof verifies.
  const r = zkinferOk(['run', model, '--input', input, '--out', build, ...PUBLIC]);
  assert.match(
    r.stderr,
    /kept the dev key .*model\.quant\.json had changed since setup and are replaced by this run's/,
  );
  const setup = JSON.parse(readFileSync(join(build, 'setup.json'), 'utf8')) as { hashes: { quantized: string } };
  const quant = createHash('sha256')
    .update(readFileSync(join(build, 'model.quant.json')))
    .digest('hex');
  assert.equal(quant, setup.hashes.quantized);
  assert.equal(readdirSync(build).filter((f) => f.startsWith('.run-staging')).length, 0);
});
