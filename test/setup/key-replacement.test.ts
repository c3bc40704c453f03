/**
 * Keys are never replaced silently (issue 24, item 2). On the tiny MLP with public input and
 * output (so a locally made 2^8 ptau is enough): a ceremony-finalized key survives `setup`,
 * `run --out` and `ceremony init` on its build (exit 2, one line naming the key's kind and
 * hash and --force); `run --out` on the same model and input keeps the key (nothing would
 * change); and with --force the key is replaced, both hashes are printed, and the earlier
 * proof then fails the `vkey` check against the build's new key — as --force says it will.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevPtau } from '../../tools/bench/bench-gas.js';
import { shutdown } from '../../src/runtime/curve.js';
import { zkinfer, zkinferOk, type CliRun } from '../helpers/cli.js';
import { writeTinyModel } from '../helpers/trusted-fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-keyrep-'));
after(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await shutdown();
});

const model = join(tmp, 'tiny.onnx');
const other = join(tmp, 'other.onnx');
const input = join(tmp, 'x.json');
const PUBLIC = ['--input-visibility', 'public', '--output-visibility', 'public'];
const show = (r: CliRun) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
const read = (path: string) => readFileSync(path, 'utf8');
const setupOf = (dir: string) => JSON.parse(read(join(dir, 'setup.json'))) as { kind: string; vkeyHash: string };
/** Every file of a build directory (proofs and ceremony aside) with its content. */
const snapshot = (dir: string) =>
  Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f.includes('.'))
      .map((f) => [f, readFileSync(join(dir, f)).toString('base64')]),
  );

/** A refusal: exit 2, one line on stderr naming the key's kind and hash and how to go on. */
function assertRefused(r: CliRun, kind: RegExp, hash: string): void {
  assert.equal(r.code, 2, show(r));
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, show(r));
  assert.match(lines[0]!, kind);
  assert.ok(lines[0]!.includes(hash), show(r));
  assert.match(lines[0]!, /pass --force to replace it/);
}

writeTinyModel(model);
writeTinyModel(other, 0.5);
writeFileSync(input, JSON.stringify([0.5, -0.25, 0.75, 0.1]));

test('a ceremony-finalized key survives setup, run --out and ceremony init; --force replaces it and the old proof fails vkey', async () => {
  const ptau = join(tmp, 'local-2^8.ptau');
  writeFileSync(ptau, (await createDevPtau({ power: 8 })).data!);
  const build = join(tmp, 'build');
  const cer = join(build, 'ceremony');
  zkinferOk(['quantize', model, '--out', build, '--input', input]);
  zkinferOk(['compile', build, ...PUBLIC]);
  zkinferOk(['ceremony', 'init', build, '--ptau', ptau]);
  // init again on the same circuit and ptau, before any contribution: the same key, kept.
  const again = zkinferOk(['ceremony', 'init', build, '--ptau', ptau]);
  assert.match(again.stderr, /kept as it is/);
  zkinferOk(['ceremony', 'contribute', join(cer, '0000-init.zkey'), join(cer, '0001-alice.zkey'), '--name', 'alice']);
  zkinferOk(['ceremony', 'beacon', join(cer, '0001-alice.zkey'), join(cer, '0002-beacon.zkey'), '--beacon', '5f3c1a']);
  zkinferOk(['ceremony', 'finalize', build, '--ptau', ptau]);
  const bundle = (JSON.parse(zkinferOk(['prove', build, '--input', input, '--json']).stdout) as { bundle: string })
    .bundle;
  const { vkeyHash } = setupOf(build);
  const before = snapshot(build);

  assertRefused(zkinfer(['setup', build]), /2-party ceremony key/, vkeyHash);
  // The same model and input: the circuit is unchanged, so the ceremony's key is kept.
  const rerun = zkinferOk(['run', model, '--input', input, '--out', build, ...PUBLIC]);
  assert.match(rerun.stderr, /kept the 2-party ceremony key/);
  // Another model: refused before anything in the build is written.
  assertRefused(zkinfer(['run', other, '--input', input, '--out', build, ...PUBLIC]), /2-party ceremony key/, vkeyHash);
  assert.deepEqual(snapshot(build), before, 'a refused run changed the build directory');
  const init = zkinfer(['ceremony', 'init', build, '--ptau', ptau]);
  assert.equal(init.code, 2, show(init));
  assert.match(init.stderr, /2-contribution ceremony \(alice, beacon\).*pass --force/);
  assert.equal(init.stderr.trim().split('\n').length, 1);
  assert.deepEqual(snapshot(build), before, 'a refused command changed the build directory');
  zkinferOk(['verify', bundle, '--vkey', join(build, 'vkey.json')]);

  const forced = zkinferOk(['setup', build, '--force']);
  const now = setupOf(build);
  assert.equal(now.kind, 'dev');
  assert.notEqual(now.vkeyHash, vkeyHash);
  assert.ok(forced.stderr.includes(vkeyHash) && forced.stderr.includes(now.vkeyHash), show(forced));
  assert.match(forced.stderr, /replaced the 2-party ceremony key .* by a dev key/);
  const old = zkinfer(['verify', bundle, '--vkey', join(build, 'vkey.json'), '--json']);
  assert.equal(old.code, 1, show(old));
  assert.equal((JSON.parse(old.stdout) as { failed: string }).failed, 'vkey');

  // ceremony init --force starts over: the old chain's keys are gone, the old hash is printed.
  const lastContribution = (
    JSON.parse(read(join(cer, 'transcript.json'))) as { contributions: { hash: string }[] }
  ).contributions.at(-1)!.hash;
  const restart = zkinferOk(['ceremony', 'init', build, '--ptau', ptau, '--force']);
  assert.ok(restart.stderr.includes(lastContribution), show(restart));
  assert.deepEqual(readdirSync(cer).sort(), ['0000-init.zkey', 'transcript.json']);
  assert.deepEqual((JSON.parse(read(join(cer, 'transcript.json'))) as { contributions: [] }).contributions, []);
});

test('run --out twice: the same model keeps the key (earlier proofs still verify); another model is refused, or replaced with --force', () => {
  const build = join(tmp, 'run');
  const first = JSON.parse(zkinferOk(['run', model, '--input', input, '--out', build, ...PUBLIC, '--json']).stdout) as {
    bundle: string;
  };
  const { vkeyHash } = setupOf(build);
  const second = zkinferOk(['run', model, '--input', input, '--out', build, ...PUBLIC]);
  assert.match(second.stderr, /kept the dev key/);
  assert.equal(setupOf(build).vkeyHash, vkeyHash);
  zkinferOk(['verify', first.bundle, '--vkey', join(build, 'vkey.json')]);

  assertRefused(zkinfer(['run', other, '--input', input, '--out', build, ...PUBLIC]), /dev key/, vkeyHash);
  // The old bundle is kept by --force (a bundle is written over only for the same input name).
  const keep = join(tmp, 'first.proof.json');
  writeFileSync(keep, read(first.bundle));
  const forced = zkinferOk(['run', other, '--input', input, '--out', build, ...PUBLIC, '--force']);
  const now = setupOf(build).vkeyHash;
  assert.notEqual(now, vkeyHash);
  assert.ok(forced.stderr.includes(vkeyHash) && forced.stderr.includes(now), show(forced));
  const old = zkinfer(['verify', keep, '--vkey', join(build, 'vkey.json'), '--json']);
  assert.equal(old.code, 1, show(old));
  assert.equal((JSON.parse(old.stdout) as { failed: string }).failed, 'vkey');
});
