/**
 * Powers-of-tau provenance: the table of published files equals what snarkjs's README lists,
 * hashing streams and agrees with coreutils' b2sum, a file that claims a published power (by
 * its name or its header) but hashes differently is refused with exit 2, and an unlisted file
 * is accepted as `unrecognised` with a warning.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createDevPtau } from '../../tools/bench/bench-gas.js';
import { PUBLISHED_PTAU } from '../../src/setup/ptau/ptau-table.js';
import { hashFileBlake2b, identifyPtau, readPtauHeader } from '../../src/setup/ptau/ptau-file.js';
import { UserError } from '../../src/core/errors.js';
import { shutdown } from '../../src/runtime/curve.js';
import { ROOT, MODELS, CLI } from '../helpers/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-ptau-prov-'));
const ptauPath = join(tmp, 'local.ptau');
after(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await shutdown();
});
before(async () => {
  writeFileSync(ptauPath, (await createDevPtau({ power: 4 })).data!);
});

function zkinfer(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("the published table is exactly the one in snarkjs's README (powers 8..28)", () => {
  const readme = readFileSync(
    join(dirname(createRequire(import.meta.url).resolve('snarkjs')), '..', 'README.md'),
    'utf8',
  );
  const rows = [
    ...readme.matchAll(
      /^\|\s*(\d+)\s*\|[^|]*\|\s*\[(powersOfTau28_hez_final[_0-9]*\.ptau)\]\([^)]*\)\s*\|\s*([0-9a-f]{128})\s*\|/gm,
    ),
  ].map((m) => ({ power: Number(m[1]), name: m[2], blake2b: m[3] }));
  assert.equal(rows.length, 21);
  assert.deepEqual(PUBLISHED_PTAU, rows);
  assert.deepEqual(
    PUBLISHED_PTAU.map((p) => p.power),
    Array.from({ length: 21 }, (_, i) => i + 8),
  );
});

test('streamed blake2b-512 equals a one-shot hash and b2sum', async () => {
  const streamed = await hashFileBlake2b(ptauPath);
  assert.equal(streamed, createHash('blake2b512').update(readFileSync(ptauPath)).digest('hex'));
  const b2 = spawnSync('b2sum', [ptauPath], { encoding: 'utf8' });
  if (b2.status === 0) assert.equal(b2.stdout.split(' ')[0], streamed);
  const p = await identifyPtau(ptauPath);
  assert.deepEqual(
    { name: p.name, power: p.power, recognised: p.recognised, source: p.source },
    { name: 'local.ptau', power: 4, recognised: false, source: 'unrecognised' },
  );
  const trusted = await identifyPtau(ptauPath, { trusted: [streamed] });
  assert.equal(trusted.source, 'trusted');
});

test('a file named like a published ptau but hashing differently is refused', async () => {
  const renamed = join(tmp, 'powersOfTau28_hez_final_08.ptau');
  copyFileSync(ptauPath, renamed);
  await assert.rejects(
    identifyPtau(renamed),
    (e: Error) =>
      e instanceof UserError &&
      /claims by its name to be powersOfTau28_hez_final_08\.ptau.*differs from the published d6a8fb3a04feb600/.test(
        e.message,
      ),
  );
  // Through the CLI: exit 2, one line, and no key written.
  const dir = join(tmp, 'build');
  const model = join(MODELS, 'digits-mlp.onnx');
  assert.equal(zkinfer(['quantize', model, '--out', dir, '--calibration', join(MODELS, 'calibration.json')]).code, 0);
  assert.equal(zkinfer(['compile', dir]).code, 0);
  for (const args of [
    ['setup', dir, '--ptau', renamed],
    ['ceremony', 'init', dir, '--ptau', renamed],
  ]) {
    const r = zkinfer(args);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /refusing it/);
  }
  assert.equal(spawnSync('ls', [dir], { encoding: 'utf8' }).stdout.includes('vkey.json'), false);
});

test('a file whose header claims the 2^28 perpetual ceremony but hashes differently is refused', async () => {
  const forged = join(tmp, 'innocent-name.ptau');
  const bytes = readFileSync(ptauPath);
  // Header section (id 1) is the first: magic, version, nSections, id, u64 size, then n8, q, power, ceremonyPower.
  assert.equal(bytes.readUInt32LE(12), 1);
  const n8 = bytes.readUInt32LE(24);
  bytes.writeUInt32LE(8, 24 + 4 + n8);
  bytes.writeUInt32LE(28, 24 + 4 + n8 + 4);
  writeFileSync(forged, bytes);
  assert.deepEqual(readPtauHeader(forged), { power: 8, ceremonyPower: 28 });
  await assert.rejects(
    identifyPtau(forged),
    (e: Error) =>
      e instanceof UserError &&
      /claims by its header \(ceremony power 28\) to be powersOfTau28_hez_final_08\.ptau/.test(e.message),
  );
});
