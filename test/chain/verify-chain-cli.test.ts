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
import { startAnvil, stop } from '../helpers/anvil.js';
import { createPublicClient, createWalletClient, http } from 'viem';
import { compileVerifier } from '../../src/chain/verifier-contract.js';
import { ROOT, CLI } from '../helpers/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-chain-cli-'));
let bundlePath = '';
let tamperedPath = '';

function zkinfer(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The build's own key pins every bundle here. */
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
    '--out',
    join(tmp, 'b'),
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  bundlePath = json(r.stdout)['bundle'];
  const b = JSON.parse(readFileSync(bundlePath, 'utf8'));
  b.proof.pi_c[1] = (BigInt(b.proof.pi_c[1]) + 1n).toString();
  tamperedPath = join(tmp, 'tampered.json');
  writeFileSync(tamperedPath, JSON.stringify(b));
});

after(() => rmSync(tmp, { recursive: true, force: true }));

test('verify --chain: the embedded EVM accepts the proof, with plausible gas, and rejects a tampered one', () => {
  const ok = zkinfer(['verify', bundlePath, ...pin(), '--chain', '--json']);
  assert.equal(ok.code, 0, ok.stderr);
  const report = json(ok.stdout);
  assert.equal(report['chain'].valid, true);
  const gas = Number(report['chain'].gas);
  assert.ok(gas > 200_000 && gas < 400_000, `gas ${gas}`);
  const bad = zkinfer(['verify', tamperedPath, ...pin(), '--chain', '--json']);
  assert.equal(bad.code, 1);
  const badReport = json(bad.stdout);
  assert.equal(badReport['chain'].valid, false);
  assert.equal(badReport['failed'], 'proof');
  assert.ok(badReport['checks'].some((c: { check: string; ok: boolean }) => c.check === 'chain' && !c.ok));
});

test('verify --rpc on anvil: deploys, agrees with local verification, reuses a deployed verifier', async () => {
  const node = await startAnvil();
  try {
    const ok = zkinfer(['verify', bundlePath, ...pin(), '--rpc', node.url, '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    const report = json(ok.stdout);
    assert.equal(report['chain'].valid, true);
    assert.equal(report['chain'].deployed, true);
    const address = report['chain'].address as string;
    assert.match(address, /^0x[0-9a-fA-F]{40}$/);
    const again = zkinfer(['verify', bundlePath, ...pin(), '--rpc', node.url, '--address', address, '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(json(again.stdout)['chain'].deployed, false);
    const bad = zkinfer(['verify', tamperedPath, ...pin(), '--rpc', node.url, '--address', address, '--json']);
    assert.equal(bad.code, 1);
    assert.equal(json(bad.stdout)['chain'].valid, false);
    // A contract that answers true to everything is not a verifier: its code must be the
    // verifier compiled for the pinned key.
    const nPublic = JSON.parse(readFileSync(bundlePath, 'utf8')).publicSignals.length;
    const fake = await compileVerifier(`// SPDX-License-Identifier: GPL-3.0
pragma solidity >=0.7.0 <0.9.0;
contract Groth16Verifier {
  function verifyProof(uint[2] calldata, uint[2][2] calldata, uint[2] calldata, uint[${nPublic}] calldata) public pure returns (bool) { return true; }
}`);
    const wallet = createWalletClient({ transport: http(node.url) });
    const [account] = await wallet.getAddresses();
    const tx = await wallet.deployContract({ abi: fake.abi, bytecode: fake.bytecode, account: account!, chain: null });
    const receipt = await createPublicClient({ transport: http(node.url) }).waitForTransactionReceipt({ hash: tx });
    const liar = zkinfer([
      'verify',
      tamperedPath,
      ...pin(),
      '--rpc',
      node.url,
      '--address',
      receipt.contractAddress!,
      '--json',
    ]);
    assert.equal(liar.code, 1, liar.stdout + liar.stderr);
    const liarReport = json(liar.stdout);
    const chainCheck = liarReport['checks'].find((c: { check: string }) => c.check === 'chain');
    assert.equal(chainCheck.ok, false);
    assert.match(chainCheck.detail, /not the verifier compiled for the pinned key/);
    assert.equal(liarReport['chain'].codeMatches, false);
    const noCode = zkinfer(['verify', bundlePath, ...pin(), '--rpc', node.url, '--address', '0x' + '11'.repeat(20)]);
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
