/**
 * An ultragroth bundle of the hashed-input, packed-output digits MLP through the CLI: `verify
 * --chain` and `verify --rpc` (anvil) run the ultragroth contract and agree with the local
 * verdict, a bundle whose C₁ was swapped fails `challenge` locally and on chain, export-verifier
 * writes the ultragroth contract and calldata carries C₁.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAnvil, stop } from '../helpers/anvil.js';
import { ROOT, CLI } from '../helpers/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-ultragroth-cli-'));
let bundlePath = '';
let swappedPath = '';

function zkinfer(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const pin = () => ['--vkey', join(tmp, 'b', 'vkey.json')];

function json(stdout: string): Record<string, any> {
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

before(() => {
  const r = zkinfer([
    'run',
    'models/digits-mlp.onnx',
    '--input',
    'models/samples/digit-3.json',
    '--proof-system',
    'ultragroth',
    '--input-visibility',
    'hashed',
    '--output-visibility',
    'packed',
    '--out',
    join(tmp, 'b'),
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  bundlePath = json(r.stdout)['bundle'];
  const b = JSON.parse(readFileSync(bundlePath, 'utf8'));
  assert.equal(b.proof.protocol, 'ultragroth');
  // C₁ replaced by A, a valid G1 point: only the challenge binds C₁.
  b.proof.pi_c1 = b.proof.pi_a;
  swappedPath = join(tmp, 'swapped.json');
  writeFileSync(swappedPath, JSON.stringify(b));
});

after(() => rmSync(tmp, { recursive: true, force: true }));

test('verify --chain: the ultragroth contract accepts the bundle and refuses a swapped C1', (t) => {
  const ok = zkinfer(['verify', bundlePath, ...pin(), '--chain', '--json']);
  assert.equal(ok.code, 0, ok.stderr);
  const report = json(ok.stdout);
  assert.equal(report['chain'].valid, true);
  const gas = Number(report['chain'].gas);
  // Five pairings (215,000) and three public signals at least; the goal is 260,000.
  assert.ok(gas > 215_000 && gas < 280_000, `gas ${gas}`);
  t.diagnostic(`digits MLP, hashed input, packed output, ultragroth: ${gas} gas`);
  const bad = zkinfer(['verify', swappedPath, ...pin(), '--chain', '--json']);
  assert.equal(bad.code, 1, bad.stderr);
  const badReport = json(bad.stdout);
  assert.equal(badReport['failed'], 'challenge');
  assert.equal(badReport['chain'].valid, false);
});

test('verify --rpc on anvil: deploys the ultragroth contract and agrees with the local verdict', async () => {
  const node = await startAnvil();
  try {
    const ok = zkinfer(['verify', bundlePath, ...pin(), '--rpc', node.url, '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    const report = json(ok.stdout);
    assert.equal(report['chain'].valid, true);
    assert.equal(report['chain'].codeMatches, true);
    // The refusals on anvil are covered on the library level (ultragroth-chain.test.ts): one CLI
    // run of solc and the EVM costs seconds.
  } finally {
    await stop(node.child);
  }
});

test('export-verifier writes the ultragroth contract; calldata carries C1', () => {
  const out = join(tmp, 'verifier');
  const r = zkinfer(['export-verifier', join(tmp, 'b'), '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(readFileSync(join(out, 'Verifier.sol'), 'utf8'), /contract UltraGrothVerifier/);
  const hex = zkinfer(['calldata', bundlePath, '--hex']);
  assert.equal(hex.code, 0, hex.stderr);
  const nPublic = JSON.parse(readFileSync(bundlePath, 'utf8')).publicSignals.length;
  // selector + 10 proof words (A, B, C, C1) + one word per public signal
  assert.equal(hex.stdout.trim().length, 2 + 8 + 64 * (10 + nPublic));
});
