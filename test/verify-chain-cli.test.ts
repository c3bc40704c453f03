/**
 * On-chain verification of real zkinfer bundles through the CLI: the embedded EVM (`verify
 * --chain`) and a real anvil node (`verify --rpc`) must give the local verdict, tampered bundles
 * included; export-verifier and calldata produce what a contract developer needs.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAnvil, stop } from './anvil.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-chain-cli-'));
let bundlePath = '';
let tamperedPath = '';

function zkinfer(args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'bin/zkinfer'), ...args], { cwd: root, encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(stdout: string): Record<string, any> {
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

before(() => {
  const r = zkinfer(['run', 'models/digits-mlp.onnx', '--input', 'models/samples/digit-3.json', '--out', join(tmp, 'b'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  bundlePath = json(r.stdout)['bundle'];
  const b = JSON.parse(readFileSync(bundlePath, 'utf8'));
  b.proof.pi_c[1] = (BigInt(b.proof.pi_c[1]) + 1n).toString();
  tamperedPath = join(tmp, 'tampered.json');
  writeFileSync(tamperedPath, JSON.stringify(b));
});

after(() => rmSync(tmp, { recursive: true, force: true }));

test('verify --chain: the embedded EVM accepts the proof, with plausible gas, and rejects a tampered one', () => {
  const ok = zkinfer(['verify', bundlePath, '--chain', '--json']);
  assert.equal(ok.code, 0, ok.stderr);
  const report = json(ok.stdout);
  assert.equal(report['chain'].valid, true);
  const gas = Number(report['chain'].gas);
  assert.ok(gas > 200_000 && gas < 400_000, `gas ${gas}`);
  const bad = zkinfer(['verify', tamperedPath, '--chain', '--json']);
  assert.equal(bad.code, 1);
  const badReport = json(bad.stdout);
  assert.equal(badReport['chain'].valid, false);
  assert.equal(badReport['failed'], 'proof');
  assert.ok(badReport['checks'].some((c: { check: string; ok: boolean }) => c.check === 'chain' && !c.ok));
});

test('verify --rpc on anvil: deploys, agrees with local verification, reuses a deployed verifier', async () => {
  const node = await startAnvil();
  try {
    const ok = zkinfer(['verify', bundlePath, '--rpc', node.url, '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    const report = json(ok.stdout);
    assert.equal(report['chain'].valid, true);
    assert.equal(report['chain'].deployed, true);
    const address = report['chain'].address as string;
    assert.match(address, /^0x[0-9a-fA-F]{40}$/);
    const again = zkinfer(['verify', bundlePath, '--rpc', node.url, '--address', address, '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(json(again.stdout)['chain'].deployed, false);
    const bad = zkinfer(['verify', tamperedPath, '--rpc', node.url, '--address', address, '--json']);
    assert.equal(bad.code, 1);
    assert.equal(json(bad.stdout)['chain'].valid, false);
    const noCode = zkinfer(['verify', bundlePath, '--rpc', node.url, '--address', '0x' + '11'.repeat(20)]);
    assert.equal(noCode.code, 2);
    assert.match(noCode.stderr, /no contract code/);
  } finally {
    await stop(node.child);
  }
});

test('export-verifier writes a paris-compiled contract; calldata encodes verifyProof', () => {
  const out = join(tmp, 'verifier');
  const r = zkinfer(['export-verifier', join(tmp, 'b'), '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  for (const f of ['Verifier.sol', 'Verifier.abi.json', 'Verifier.bin']) assert.ok(existsSync(join(out, f)), f);
  assert.match(readFileSync(join(out, 'Verifier.sol'), 'utf8'), /function verifyProof/);
  const hex = zkinfer(['calldata', bundlePath, '--hex']);
  assert.equal(hex.code, 0, hex.stderr);
  const nPublic = JSON.parse(readFileSync(bundlePath, 'utf8')).publicSignals.length;
  // selector + 8 proof words + one word per public signal
  assert.equal(hex.stdout.trim().length, 2 + 8 + 64 * (8 + nPublic));
  const text = zkinfer(['calldata', bundlePath]);
  assert.match(text.stdout, /^\["0x[0-9a-f]{64}"/);
});
