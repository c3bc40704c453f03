/**
 * The trusted-key store's messages (issue 24, item 7): adding a key already trusted never
 * renames it (the same or no --name: "already trusted as NAME", nothing changes; another
 * --name: exit 2 saying its name); `keys remove` explains the prefix rule (too short,
 * unknown; an ambiguous 8-digit prefix needs two stored hashes sharing it, which dev keys never do); `keys hash FILE` prints the hash bundles record — sha256 of the
 * canonical JSON, not of the file's bytes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shutdown } from '../../src/runtime/curve.js';
import { quantizeModel } from '../../src/quantize/quantize-model.js';
import { compileCircuit } from '../../src/compile/compile-circuit.js';
import { setupKeys } from '../../src/setup/setup-keys.js';
import { canonicalJson } from '../../src/core/hash.js';
import { CLI, ROOT } from '../helpers/paths.js';
import { writeTinyModel } from '../helpers/trusted-fixtures.js';
import type { CliRun } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-keystore-'));
const store = join(tmp, 'config');
/** Two keys of the same tiny circuit from two dev setups, and their hashes. */
const keys: { path: string; hash: string }[] = [];

before(async () => {
  const model = join(tmp, 'tiny.onnx');
  const input = join(tmp, 'x.json');
  writeTinyModel(model);
  writeFileSync(input, JSON.stringify([0.5, -0.25, 0.75, 0.1]));
  const build = join(tmp, 'build');
  await quantizeModel({ modelPath: model, outDir: build, inputPaths: [input] });
  compileCircuit({ buildDir: build, inputVisibility: 'public', outputVisibility: 'public', check: false });
  for (const i of [0, 1]) {
    const { info } = await setupKeys({ buildDir: build, force: true });
    const path = join(tmp, `vkey-${i}.json`);
    writeFileSync(path, readFileSync(join(build, 'vkey.json')));
    keys.push({ path, hash: info.vkeyHash });
  }
});
after(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await shutdown();
});

function zk(...args: string[]): CliRun {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ZKINFER_CONFIG_DIR: store },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const show = (r: CliRun) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
const names = () =>
  (JSON.parse(zk('keys', 'list', '--json').stdout) as { keys: { name: string }[] }).keys.map((k) => k.name);

test('keys hash prints the hash bundles record: sha256 of the canonical JSON, not of the bytes', () => {
  const k = keys[0]!;
  const r = zk('keys', 'hash', k.path);
  assert.equal(r.code, 0, show(r));
  assert.equal(r.stdout, `${k.hash}  ${k.path}\n`);
  const text = readFileSync(k.path, 'utf8');
  assert.equal(
    createHash('sha256')
      .update(canonicalJson(JSON.parse(text)))
      .digest('hex'),
    k.hash,
  );
  assert.notEqual(createHash('sha256').update(text).digest('hex'), k.hash, 'the file bytes hash differently');
  // Reformatting the file does not change the key hash.
  const pretty = join(tmp, 'pretty.json');
  writeFileSync(pretty, JSON.stringify(JSON.parse(text), null, 4));
  assert.equal(zk('keys', 'hash', pretty).stdout.split(' ')[0], k.hash);
  const bad = zk('keys', 'hash', join(tmp, 'x.json'));
  assert.equal(bad.code, 2, show(bad));
  assert.equal(bad.stderr.trim().split('\n').length, 1);
  assert.match(zk('keys', '--help').stdout, /canonical JSON/);
});

test('keys add of a key already trusted keeps its name: "already trusted as NAME", another --name refused', () => {
  assert.equal(zk('keys', 'add', keys[0]!.path, '--name', 'first').code, 0);
  const same = zk('keys', 'add', keys[0]!.path);
  assert.equal(same.code, 0, show(same));
  assert.match(same.stdout, /already trusted as "first"/);
  const renamed = zk('keys', 'add', keys[0]!.path, '--name', 'second');
  assert.equal(renamed.code, 2, show(renamed));
  assert.match(renamed.stderr, /already trusted as "first".*keys remove first/);
  assert.deepEqual(names(), ['first']);
  const json = JSON.parse(zk('keys', 'add', keys[0]!.path, '--json').stdout) as { added: boolean; name: string };
  assert.deepEqual([json.added, json.name], [false, 'first']);
});

test('keys remove explains the prefix rule: too short, unknown; 8 digits in any case remove one', () => {
  assert.equal(zk('keys', 'add', keys[1]!.path, '--name', 'other').code, 0);
  const a = keys[0]!.hash;
  const short = zk('keys', 'remove', a.slice(0, 4));
  assert.equal(short.code, 2, show(short));
  assert.match(short.stderr, /prefix of 4 hex digit\(s\) is too short .*"first".*at least 8 hex digits/);
  const unknown = zk('keys', 'remove', 'nosuchkey');
  assert.equal(unknown.code, 2, show(unknown));
  assert.match(unknown.stderr, /no trusted key has this name or a vkey hash starting with it.*at least 8 hex digits/);
  assert.equal(zk('keys', 'remove', a.slice(0, 8).toUpperCase()).code, 0);
  assert.deepEqual(names(), ['other']);
  assert.equal(zk('keys', 'remove', 'other').code, 0);
  for (const r of [short, unknown]) assert.equal(r.stderr.trim().split('\n').length, 1);
});

test("a name cannot shadow a hash: keys add refuses hash-like names, keys remove refuses a name that is another key's prefix", () => {
  const victim = keys[0]!;
  const prefix = victim.hash.slice(0, 12);
  assert.equal(zk('keys', 'add', victim.path, '--name', 'victim').code, 0);
  for (const name of [prefix, `0x${prefix.toUpperCase()}`]) {
    const r = zk('keys', 'add', keys[1]!.path, '--name', name);
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /may not look like a vkey hash/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
  assert.deepEqual(names(), ['victim']);
  // A store written before the refusal existed can still hold such a name: remove must not pick it over the hash.
  assert.equal(zk('keys', 'add', keys[1]!.path, '--name', 'attacker').code, 0);
  const path = join(store, 'trusted-keys.json');
  const doc = JSON.parse(readFileSync(path, 'utf8')) as { keys: { name: string }[] };
  doc.keys.find((k) => k.name === 'attacker')!.name = prefix;
  writeFileSync(path, JSON.stringify(doc));
  const amb = zk('keys', 'remove', prefix);
  assert.equal(amb.code, 2, show(amb));
  assert.match(amb.stderr, /ambiguous.*"victim".*full vkey hash/);
  assert.deepEqual(names(), ['victim', prefix], 'nothing removed');
  assert.equal(zk('keys', 'remove', victim.hash).code, 0);
  assert.deepEqual(names(), [prefix]);
  assert.equal(zk('keys', 'remove', keys[1]!.hash).code, 0);
});
