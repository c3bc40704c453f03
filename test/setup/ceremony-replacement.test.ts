/**
 * Ceremonies never replace keys silently (issue 24 item 2; review findings F1, F3, F5). On the
 * tiny MLP with public input and output and a locally made 2^8 ptau:
 * - F1: `ceremony finalize` installs over a dev key (the documented flow) and over an earlier
 *   state of the same ceremony (a longer chain) with a notice in `warnings`, but refuses another
 *   ceremony's key (a second chain run through the same circuit) without --force, leaving the
 *   build as it was; with --force it replaces it and prints both vkey hashes in `warnings`.
 * - F3: `ceremony init --force` lists the old contributions as discarded, so a kept copy of an
 *   old-chain key cannot be continued (contribute refuses it) nor pass `ceremony verify`.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevPtau } from '../../tools/bench/bench-gas.js';
import { shutdown } from '../../src/runtime/curve.js';
import { zkinfer, zkinferOk, type CliRun } from '../helpers/cli.js';
import { writeTinyModel } from '../helpers/trusted-fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-cerrep-'));
after(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await shutdown();
});

const model = join(tmp, 'tiny.onnx');
const input = join(tmp, 'x.json');
const ptau = join(tmp, 'local-2^8.ptau');
const build = join(tmp, 'build');
const PUBLIC = ['--input-visibility', 'public', '--output-visibility', 'public'];
const show = (r: CliRun) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
const readJson = <T>(path: string) => JSON.parse(readFileSync(path, 'utf8')) as T;
const setupOf = (dir: string) =>
  readJson<{ kind: string; vkeyHash: string; ceremony?: { contributors: string[] } }>(join(dir, 'setup.json'));
const contributionHashes = (transcript: string) =>
  readJson<{ contributions: { hash: string }[] }>(transcript).contributions.map((c) => c.hash);
/** The build's key files with their content. */
const keyFiles = (dir: string) =>
  Object.fromEntries(
    ['circuit.zkey', 'vkey.json', 'setup.json'].map((f) => [f, readFileSync(join(dir, f)).toString('base64')]),
  );
const contribute = (from: string, to: string, name: string) =>
  zkinferOk(['ceremony', 'contribute', from, to, '--name', name, '--json']);
const warningsOf = (r: CliRun) => (JSON.parse(r.stdout) as { warnings: string[] }).warnings;

writeTinyModel(model);
writeFileSync(input, JSON.stringify([0.5, -0.25, 0.75, 0.1]));

test('ceremony setup: a compiled build with a dev key', async () => {
  writeFileSync(ptau, (await createDevPtau({ power: 8 })).data!);
  zkinferOk(['quantize', model, '--out', build, '--input', input]);
  zkinferOk(['compile', build, ...PUBLIC]);
  zkinferOk(['setup', build]);
  assert.equal(setupOf(build).kind, 'dev');
});

test('F1: finalize replaces a dev key and extends its own chain with a notice, refuses another chain unless --force', () => {
  const cer = join(build, 'ceremony');
  const dev = setupOf(build).vkeyHash;
  zkinferOk(['ceremony', 'init', build, '--ptau', ptau]);
  contribute(join(cer, '0000-init.zkey'), join(cer, '0001-alice.zkey'), 'alice');
  const first = zkinferOk(['ceremony', 'finalize', build, '--ptau', ptau, '--json']);
  const alice = setupOf(build).vkeyHash;
  assert.deepEqual(setupOf(build).ceremony?.contributors, ['alice']);
  assert.deepEqual(
    warningsOf(first).filter((w) => w.includes('replaced')),
    [
      `${build}: replaced the dev key (vkey hash ${dev}) by a 1-party ceremony key (vkey hash ${alice}); proofs made with the old key no longer verify against this build`,
    ],
  );

  // Another chain on the same circuit and ptau (the review's repro): refused, nothing written.
  const c2 = join(tmp, 'c2');
  zkinferOk(['ceremony', 'init', build, '--ptau', ptau, '--out', c2]);
  contribute(join(c2, '0000-init.zkey'), join(c2, '0001-mallory.zkey'), 'mallory');
  const before = keyFiles(build);
  const transcriptBefore = readFileSync(join(c2, 'transcript.json'), 'utf8');
  const mallory = ['ceremony', 'finalize', build, '--ptau', ptau, '--zkey', join(c2, '0001-mallory.zkey')];
  const refused = zkinfer(mallory);
  assert.equal(refused.code, 2, show(refused));
  const lines = refused.stderr.trim().split('\n');
  assert.equal(lines.length, 1, show(refused));
  assert.match(lines[0]!, /already holds a 1-party ceremony key .*ceremony finalize would replace.*pass --force/);
  assert.ok(lines[0]!.includes(alice), show(refused));
  assert.deepEqual(keyFiles(build), before, 'a refused finalize changed the keys');
  assert.equal(readFileSync(join(c2, 'transcript.json'), 'utf8'), transcriptBefore, 'a refused finalize wrote');

  // The same ceremony, one contribution further: an extension, installed with a notice.
  contribute(join(cer, '0001-alice.zkey'), join(cer, '0002-bob.zkey'), 'bob');
  const extended = zkinferOk(['ceremony', 'finalize', build, '--ptau', ptau, '--json']);
  const bob = setupOf(build).vkeyHash;
  assert.deepEqual(setupOf(build).ceremony?.contributors, ['alice', 'bob']);
  assert.ok(
    warningsOf(extended).some(
      (w) => w.includes(`replaced the 1-party ceremony key (vkey hash ${alice})`) && w.includes(bob),
    ),
    show(extended),
  );
  // --force replaces the other chain's key, and says so in `warnings` with both hashes.
  const forced = zkinferOk([...mallory, '--force', '--json']);
  const now = setupOf(build);
  assert.deepEqual(now.ceremony?.contributors, ['mallory']);
  assert.ok(
    warningsOf(forced).some(
      (w) => w.includes(`replaced the 2-party ceremony key (vkey hash ${bob})`) && w.includes(now.vkeyHash),
    ),
    show(forced),
  );
});

test('F3: init --force discards the old chain; a kept copy of its key is refused by contribute and fails verify', () => {
  const c3 = join(tmp, 'c3');
  zkinferOk(['ceremony', 'init', build, '--ptau', ptau, '--out', c3]);
  contribute(join(c3, '0000-init.zkey'), join(c3, '0001-alice.zkey'), 'alice');
  contribute(join(c3, '0001-alice.zkey'), join(c3, '0002-bob.zkey'), 'bob');
  const old = contributionHashes(join(c3, 'transcript.json'));
  const kept = join(tmp, 'kept-0002-bob.zkey');
  copyFileSync(join(c3, '0002-bob.zkey'), kept);

  const restart = zkinferOk(['ceremony', 'init', build, '--ptau', ptau, '--out', c3, '--force', '--json']);
  assert.ok(
    warningsOf(restart).some((w) => w.includes('started over') && w.includes(old[1]!) && w.includes('discarded')),
    show(restart),
  );
  assert.deepEqual(readdirSync(c3).sort(), ['0000-init.zkey', 'transcript.json']);
  const t = readJson<{ contributions: []; discarded?: string[] }>(join(c3, 'transcript.json'));
  assert.deepEqual(t.contributions, []);
  assert.deepEqual([...(t.discarded ?? [])].sort(), [...old].sort());

  // The kept key would be caught up into the new transcript (init is deterministic): refused.
  const out = join(c3, '0003-mallory.zkey');
  const r = zkinfer([
    'ceremony',
    'contribute',
    kept,
    out,
    '--name',
    'mallory',
    '--transcript',
    join(c3, 'transcript.json'),
  ]);
  assert.equal(r.code, 2, show(r));
  assert.equal(r.stderr.trim().split('\n').length, 1, show(r));
  assert.match(r.stderr, /contribution #1 "alice" .*discarded/);
  assert.equal(existsSync(out), false);

  // Nor does verify accept it against the new transcript (a named failure, exit 1).
  const v = zkinfer([
    'ceremony',
    'verify',
    kept,
    '--ptau',
    ptau,
    '--r1cs',
    join(build, 'circuit.r1cs'),
    '--transcript',
    join(c3, 'transcript.json'),
    '--json',
  ]);
  assert.equal(v.code, 1, show(v));
  assert.match(
    (JSON.parse(v.stdout) as { failure: string }).failure,
    /contribution 1 \("alice"\): discarded by `ceremony init --force`/,
  );

  // The new ceremony itself goes on and verifies (the optional field reads back).
  contribute(join(c3, '0000-init.zkey'), join(c3, '0001-carol.zkey'), 'carol');
  const ok = zkinferOk(['ceremony', 'verify', c3, '--ptau', ptau, '--r1cs', join(build, 'circuit.r1cs'), '--json']);
  assert.equal((JSON.parse(ok.stdout) as { ok: boolean }).ok, true);
  assert.deepEqual(readJson<{ discarded?: string[] }>(join(c3, 'transcript.json')).discarded?.sort(), [...old].sort());
});
