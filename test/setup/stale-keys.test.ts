/**
 * `quantize --out` and `compile` on a build that has keys (security review F9): without --force they
 * are refused (exit 2, one line naming the key's kind and hash, the build left as it was), since the
 * keys would stay behind made for another circuit; with --force they run and say on stderr that the
 * keys no longer match and how to make new ones.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileCircuit } from '../../src/compile/compile-circuit.js';
import { quantizeModel } from '../../src/quantize/quantize-model.js';
import { shutdown } from '../../src/runtime/curve.js';
import { setupKeys } from '../../src/setup/setup-keys.js';
import { zkinfer, type CliRun } from '../helpers/cli.js';
import { writeTinyModel } from '../helpers/trusted-fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-stale-keys-'));
const model = join(tmp, 'tiny.onnx');
const input = join(tmp, 'x.json');
const build = join(tmp, 'build');
let vkeyHash = '';
const show = (r: CliRun) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
const snapshot = () =>
  Object.fromEntries(
    readdirSync(build)
      .filter((f) => f.includes('.'))
      .map((f) => [f, readFileSync(join(build, f)).toString('base64')]),
  );

before(async () => {
  writeTinyModel(model);
  writeFileSync(input, JSON.stringify([0.5, -0.25, 0.75, 0.1]));
  await quantizeModel({ modelPath: model, outDir: build, inputPaths: [input] });
  compileCircuit({ buildDir: build, check: false });
  vkeyHash = (await setupKeys({ buildDir: build })).info.vkeyHash;
});
after(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await shutdown();
});

test('quantize --out and compile refuse a build with keys without --force; with it they warn', () => {
  const before = snapshot();
  const commands = [
    ['quantize', model, '--out', build, '--input', input, '--weight-bits', '6'],
    ['compile', build, '--no-check'],
  ];
  for (const args of commands) {
    const r = zkinfer(args);
    assert.equal(r.code, 2, show(r));
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, show(r));
    assert.ok(
      lines[0]!.includes(`${build}: already holds a dev key (vkey hash ${vkeyHash}); \`${args[0]}\` would rewrite`),
      show(r),
    );
    assert.match(lines[0]!, /pass --force/);
    assert.deepEqual(snapshot(), before, `${args[0]} left the build as it was`);
  }
  for (const args of commands) {
    const r = zkinfer([...args, '--force']);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stderr, new RegExp(`run \`zkinfer setup ${build} --force\` for keys that match`));
  }
  assert.notDeepEqual(snapshot()['model.quant.json'], before['model.quant.json'], 'quantize --force rewrote it');
});
