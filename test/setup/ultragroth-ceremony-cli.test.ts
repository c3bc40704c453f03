/**
 * `setup --ptau` and the phase-2 ceremony CLI on an ultragroth build (tiny model, 4-bit limbs, a
 * locally made ptau): keys from both routes prove and verify; the ceremony's transcript and
 * `ceremony verify` name every contribution's δ₁ update; a key whose round-1 points were
 * re-scaled (δ₁ moved without the chain) fails `ceremony verify`, naming section 8.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevPtau } from '../../tools/bench/bench-gas.js';
import { shutdown } from '../../src/runtime/curve.js';
import { zkinfer, zkinferOk } from '../helpers/cli.js';
import { writeTinyModel } from '../helpers/trusted-fixtures.js';
import { fullCurve, joinZkey, splitZkey, ultragrothLayout } from '../../src/setup/ceremony/ultragroth-key.js';

const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-ug-ceremony-'));
const ptau = join(tmp, 'local.ptau');
const input = join(tmp, 'x.json');
const build = join(tmp, 'build');
const cer = join(build, 'ceremony');
const ok = zkinferOk;
const json = (r: { stdout: string }) => JSON.parse(r.stdout) as Record<string, any>;
after(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await shutdown();
});

before(async () => {
  writeTinyModel(join(tmp, 'tiny.onnx'));
  writeFileSync(input, JSON.stringify([0.5, -0.25, 0.75, 0.1]));
  ok(['quantize', join(tmp, 'tiny.onnx'), '--out', build, '--input', input]);
  // With its determinism check: every wire, round-2 ones included, determined by the inputs.
  ok(['compile', build, '--proof-system', 'ultragroth', '--limb-bits', '4']);
  const circuit = JSON.parse(readFileSync(join(build, 'circuit.json'), 'utf8'));
  assert.equal(circuit.proofSystem, 'ultragroth');
  writeFileSync(ptau, (await createDevPtau({ power: circuit.power })).data!);
});

test('setup --ptau makes an ultragroth key that proves and verifies', () => {
  ok(['setup', build, '--ptau', ptau]);
  const vkey = JSON.parse(readFileSync(join(build, 'vkey.json'), 'utf8'));
  assert.equal(vkey.protocol, 'ultragroth');
  assert.ok(vkey.vk_delta1_2);
  const bundle = json(ok(['prove', build, '--input', input, '--json']))['bundle'] as string;
  ok(['verify', bundle, '--vkey', join(build, 'vkey.json')]);
});

test('ceremony init, two contributions, a beacon, verify and finalize on an ultragroth build', async () => {
  ok(['ceremony', 'init', build, '--ptau', ptau]);
  ok(['ceremony', 'contribute', join(cer, '0000-init.zkey'), join(cer, '0001-alice.zkey'), '--name', 'alice']);
  ok(['ceremony', 'contribute', join(cer, '0001-alice.zkey'), join(cer, '0002-bob.zkey'), '--name', 'bob']);
  ok(['ceremony', 'beacon', join(cer, '0002-bob.zkey'), join(cer, '0003-beacon.zkey'), '--beacon', '5f3c1a']);
  const transcript = JSON.parse(readFileSync(join(cer, 'transcript.json'), 'utf8'));
  // Every contribution records its δ₁ update beside its δ update, and they differ.
  for (const c of transcript.contributions) {
    assert.ok(c.delta1Key, `${c.name} records a δ₁ update`);
    assert.notEqual(c.delta1Key.deltaAfter, c.key.deltaAfter);
  }
  const verified = json(ok(['ceremony', 'verify', build, '--ptau', ptau, '--json']));
  assert.equal(verified['ok'], true);
  assert.deepEqual(
    verified['contributors'].map((c: { name: string }) => c.name),
    ['alice', 'bob', 'beacon'],
  );

  // Round-1 points doubled: δ₁ no longer what the header and the chain say.
  const curve = await fullCurve();
  const z = splitZkey(readFileSync(join(cer, '0003-beacon.zkey')));
  const n1 = ultragrothLayout(z).nRound1Points;
  const s8 = new Uint8Array(z.sections.get(8)!);
  s8.set(new Uint8Array(await curve.G1.batchApplyKey(s8.slice(0, n1 * 64), curve.Fr.e(2), curve.Fr.e(1))), 0);
  z.sections.set(8, s8);
  const bad = join(tmp, 'bad.zkey');
  writeFileSync(bad, Buffer.concat(joinZkey(z)));
  const r = zkinfer(['ceremony', 'verify', bad, '--ptau', ptau, '--r1cs', join(build, 'circuit.r1cs')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr + r.stdout, /section 8 \(round-1 points\)/);

  ok(['ceremony', 'finalize', build, '--ptau', ptau, '--force']);
  const bundle = json(ok(['prove', build, '--input', input, '--json']))['bundle'] as string;
  const vk = join(build, 'vkey.json');
  // --require-trusted-setup: α, β, γ, IC rebuilt from the recompiled circuit and the ptau, both chains checked.
  const trusted = ['--model', join(tmp, 'tiny.onnx'), '--settings', join(build, 'settings.json')];
  ok(['verify', bundle, '--vkey', vk, ...trusted, '--require-trusted-setup', '--trust-ptau', ptau]);
  // The vkey's δ₁ replaced by its δ: the δ₁ chain no longer ends there, the check names it.
  const v = JSON.parse(readFileSync(vk, 'utf8'));
  const forgedVk = join(tmp, 'forged-vkey.json');
  writeFileSync(forgedVk, JSON.stringify({ ...v, vk_delta1_2: v.vk_delta_2 }));
  const r2 = zkinfer([
    'verify',
    bundle,
    '--vkey',
    forgedVk,
    ...trusted,
    '--require-trusted-setup',
    '--trust-ptau',
    ptau,
  ]);
  assert.notEqual(r2.code, 0);
  assert.match(r2.stdout + r2.stderr, /δ₁/);
});
