/**
 * The single-process ptau route: `setup --ptau FILE` on a (small, locally made) powers-of-tau
 * file. Its keys are labelled `ptau`, record the ptau's provenance (unrecognised here), prove
 * and verify like dev keys, and fail `--require-trusted-setup`: one phase-2 contribution made
 * inside one process is no trusted setup (test/setup/ceremony.test.ts covers the route that passes).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevPtau } from '../../tools/bench/bench-gas.js';
import { shutdown } from '../../src/runtime/curve.js';
import { modelBytes, prng, randArray } from '../../tools/onnx/write-onnx.js';
import { ROOT, CLI } from '../helpers/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-ptau-'));
after(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await shutdown();
});

function zkinfer(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('setup --ptau makes ptau-labelled keys that prove and verify, record the ptau, and fail --require-trusted-setup', async () => {
  const rnd = prng(7);
  const model = join(tmp, 'tiny.onnx');
  writeFileSync(
    model,
    modelBytes({
      input: { name: 'x', dims: [1, 4] },
      output: { name: 'y', dims: [1, 2] },
      nodes: [
        { op: 'Gemm', inputs: ['x', 'w1', 'b1'], outputs: ['h'], attrs: { transB: { int: 1 } } },
        { op: 'Relu', inputs: ['h'], outputs: ['r'] },
        { op: 'Gemm', inputs: ['r', 'w2', 'b2'], outputs: ['y'], attrs: { transB: { int: 1 } } },
      ],
      initializers: {
        w1: { dims: [3, 4], data: randArray(rnd, 12, -1, 1) },
        b1: { dims: [3], data: randArray(rnd, 3, -0.2, 0.2) },
        w2: { dims: [2, 3], data: randArray(rnd, 6, -1, 1) },
        b2: { dims: [2], data: randArray(rnd, 2, -0.2, 0.2) },
      },
    }),
  );
  const input = join(tmp, 'x.json');
  writeFileSync(input, JSON.stringify([0.5, -0.25, 0.75, 0.1]));
  // Public input and output keep the circuit tiny, so a 2^8 ceremony file is enough and quick to make.
  const ptau = await createDevPtau({ power: 8 });
  const ptauPath = join(tmp, 'tiny.ptau');
  writeFileSync(ptauPath, ptau.data!);

  const dir = join(tmp, 'build');
  assert.equal(zkinfer(['quantize', model, '--out', dir, '--input', input]).code, 0);
  assert.equal(zkinfer(['compile', dir, '--input-visibility', 'public']).code, 0);
  const setup = zkinfer(['setup', dir, '--ptau', ptauPath, '--json']);
  assert.equal(setup.code, 0, setup.stderr);
  assert.equal(JSON.parse(setup.stdout)['kind'], 'ptau');
  assert.match(setup.stderr, /warning: ptau: unrecognised/);
  assert.equal(JSON.parse(setup.stdout)['ptau'].recognised, false);
  const vkeyMeta = JSON.parse(readFileSync(join(dir, 'vkey.json'), 'utf8')).zkinfer;
  assert.equal(vkeyMeta.setup, 'ptau');
  assert.deepEqual(
    { name: vkeyMeta.ptau.name, power: vkeyMeta.ptau.power, recognised: vkeyMeta.ptau.recognised },
    { name: 'tiny.ptau', power: 8, recognised: false },
  );
  assert.match(vkeyMeta.ptau.blake2b, /^[0-9a-f]{128}$/);
  const proof = zkinfer(['prove', dir, '--input', input, '--json']);
  assert.equal(proof.code, 0, proof.stderr);
  const bundlePath = JSON.parse(proof.stdout)['bundle'] as string;
  const bundleSetup = JSON.parse(readFileSync(bundlePath, 'utf8')).setup;
  assert.equal(bundleSetup.kind, 'ptau');
  assert.deepEqual(bundleSetup.ptau, {
    name: 'tiny.ptau',
    power: 8,
    blake2b: vkeyMeta.ptau.blake2b,
    recognised: false,
  });
  const lenient = zkinfer(['verify', bundlePath, '--vkey', join(dir, 'vkey.json')]);
  assert.equal(lenient.code, 0, lenient.stdout);
  assert.match(lenient.stderr, /warning: ptau: unrecognised/);
  const strict = zkinfer([
    'verify',
    bundlePath,
    '--vkey',
    join(dir, 'vkey.json'),
    '--require-trusted-setup',
    '--trust-ptau',
    ptauPath,
    '--json',
  ]);
  assert.equal(strict.code, 1, strict.stdout);
  const strictReport = JSON.parse(strict.stdout);
  assert.equal(strictReport['failed'], 'trusted-setup');
  assert.match(
    strictReport['checks'].find((c: { check: string }) => c.check === 'trusted-setup').detail,
    /no ceremony transcript.*one phase-2 contribution/,
  );

  // The same circuit with dev keys: a warning, and --require-trusted-setup makes it invalid.
  // --force: the ptau key is replaced (setup refuses to replace keys silently).
  assert.equal(zkinfer(['setup', dir, '--force']).code, 0);
  const devProof = zkinfer(['prove', dir, '--input', input, '--out', join(tmp, 'dev.json')]);
  assert.equal(devProof.code, 0, devProof.stderr);
  const lax = zkinfer(['verify', join(tmp, 'dev.json'), '--vkey', join(dir, 'vkey.json')]);
  assert.equal(lax.code, 0);
  assert.match(lax.stderr, /warning: .*dev setup/);
  const devStrict = zkinfer([
    'verify',
    join(tmp, 'dev.json'),
    '--vkey',
    join(dir, 'vkey.json'),
    '--require-trusted-setup',
    '--json',
  ]);
  assert.equal(devStrict.code, 1);
  assert.equal(JSON.parse(devStrict.stdout)['failed'], 'trusted-setup');

  const tooSmall = await createDevPtau({ power: 2 });
  writeFileSync(join(tmp, 'small.ptau'), tooSmall.data!);
  const bad = zkinfer(['setup', dir, '--ptau', join(tmp, 'small.ptau')]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
});
