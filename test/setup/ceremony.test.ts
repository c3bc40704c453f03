/**
 * A multi-party phase-2 ceremony end to end on a tiny circuit and a locally made 2^8 ptau:
 * init, two contributions from separate processes, a beacon, verify, finalize; bundles from the
 * final key pass `--require-trusted-setup` only when the verifier trusts that ptau; tampering
 * with a contribution is caught and named; a one-contribution key fails trusted-setup, and the
 * δ-forgery such a key allows (A=α, B=β, C=−IC(x)/δ) passes the pairing check but not it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { utils } from 'ffjavascript';
import { createDevPtau } from '../../tools/bench/bench-gas.js';
import { readZkeyMpc } from '../../src/setup/ceremony/zkey-mpc.js';
import { shutdown } from '../../src/runtime/curve.js';
import { bn128, snarkjsInternals } from '../../src/setup/snarkjs-internals.js';
import { zkinfer, zkinferOk } from '../helpers/cli.js';
import { writeTinyModel } from '../helpers/trusted-fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-ceremony-'));
const ptau = join(tmp, 'local.ptau');
const input = join(tmp, 'x.json');
const build = join(tmp, 'build');
const cer = join(build, 'ceremony');
after(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await shutdown();
});

const ok = zkinferOk;
/** What --require-trusted-setup needs besides the ptau: the model to recompile the circuit from. */
const MODEL_ARGS = (): string[] => ['--model', join(tmp, 'tiny.onnx'), '--settings', join(build, 'settings.json')];
const json = (r: { stdout: string }) => JSON.parse(r.stdout) as Record<string, any>;
const trustedSetupDetail = (report: Record<string, any>): string =>
  report['checks'].find((c: { check: string }) => c.check === 'trusted-setup').detail;

/** Flips one byte of a file. */
function flipByte(path: string, offset: number): void {
  const b = readFileSync(path);
  b[offset] = b[offset]! ^ 0x01;
  writeFileSync(path, b);
}

/** Offset of contribution `index` (1-based) inside section 10 of a zkey file. */
function contributionOffset(path: string, index: number): number {
  const b = readFileSync(path);
  let pos = 12;
  for (let i = 0; i < b.readUInt32LE(8); i++) {
    const len = Number(b.readBigUInt64LE(pos + 4));
    if (b.readUInt32LE(pos) === 10) {
      let o = pos + 12 + 68;
      for (let c = 1; c < index; c++) {
        o += 64 * 3 + 128 + 64 + 4;
        o += 4 + b.readUInt32LE(o);
      }
      return o;
    }
    pos += 12 + len;
  }
  throw new Error('no section 10');
}

before(async () => {
  writeFileSync(ptau, (await createDevPtau({ power: 8 })).data!);
  writeTinyModel(join(tmp, 'tiny.onnx'));
  writeFileSync(input, JSON.stringify([0.5, -0.25, 0.75, 0.1]));
  ok(['quantize', join(tmp, 'tiny.onnx'), '--out', build, '--input', input]);
  // Public input and output keep the circuit within 2^8 and let the forgery below pick any signals.
  ok(['compile', build, '--input-visibility', 'public']);
});

test('zkinfer reads the contribution hash snarkjs reports to the contributor', async () => {
  const init = join(tmp, 'probe-init.zkey');
  const next = join(tmp, 'probe-1.zkey');
  assert.ok(await snarkjs.zKey.newZKey(join(build, 'circuit.r1cs'), ptau, init));
  const reported = Buffer.from(await snarkjs.zKey.contribute(init, next, 'probe', 'some entropy')).toString('hex');
  const mpc = await readZkeyMpc(next);
  assert.equal(mpc.contributions.length, 1);
  assert.deepEqual([mpc.contributions[0]!.name, mpc.contributions[0]!.hash], ['probe', reported]);
});

test('a 3-party ceremony: init, two contributions in separate processes, beacon, verify, finalize; trusted only with --trust-ptau', () => {
  const init = ok(['ceremony', 'init', build, '--ptau', ptau]);
  assert.match(init.stderr, /ptau: unrecognised/);
  // Alice contributes "on another machine": a directory holding nothing but the previous key.
  const elsewhere = join(tmp, 'alice-machine');
  cpSync(join(cer, '0000-init.zkey'), join(elsewhere, 'in.zkey'));
  const alice = json(
    ok([
      'ceremony',
      'contribute',
      join(elsewhere, 'in.zkey'),
      join(elsewhere, 'out.zkey'),
      '--name',
      'alice',
      '--json',
    ]),
  );
  assert.equal(alice['transcript'], undefined);
  cpSync(join(elsewhere, 'out.zkey'), join(cer, '0001-alice.zkey'));
  const bob = json(
    ok([
      'ceremony',
      'contribute',
      join(cer, '0001-alice.zkey'),
      join(cer, '0002-bob.zkey'),
      '--name',
      'bob',
      '--entropy',
      'dice: 4 6 1',
      '--json',
    ]),
  );
  ok(['ceremony', 'beacon', join(cer, '0002-bob.zkey'), join(cer, '0003-beacon.zkey'), '--beacon', '5f3c1a', '--json']);
  const transcript = JSON.parse(readFileSync(join(cer, 'transcript.json'), 'utf8'));
  assert.deepEqual(
    transcript.contributions.map((c: { name: string; kind: string }) => [c.name, c.kind]),
    [
      ['alice', 'contribution'],
      ['bob', 'contribution'],
      ['beacon', 'beacon'],
    ],
  );
  assert.deepEqual(
    transcript.contributions.slice(0, 2).map((c: { hash: string }) => c.hash),
    [alice['hash'], bob['hash']],
  );
  assert.deepEqual(
    transcript.contributions.map((c: { file: string }) => c.file),
    ['0001-alice.zkey', '0002-bob.zkey', '0003-beacon.zkey'],
  );
  assert.equal(transcript.circuit.modelId, JSON.parse(readFileSync(join(build, 'circuit.json'), 'utf8')).modelId);

  const verified = json(ok(['ceremony', 'verify', build, '--ptau', ptau, '--json']));
  assert.equal(verified['ok'], true);
  assert.deepEqual(
    verified['contributors'].map((c: { name: string }) => c.name),
    ['alice', 'bob', 'beacon'],
  );
  const fin = json(ok(['ceremony', 'finalize', build, '--ptau', ptau, '--json']));
  const vkey = JSON.parse(readFileSync(join(build, 'vkey.json'), 'utf8'));
  assert.equal(vkey.zkinfer.ceremony.transcriptSha256, fin['ceremony'].transcriptSha256);
  assert.equal(vkey.zkinfer.ceremony.transcript.final.file, '0003-beacon.zkey');
});

/** The final key of the 3-party ceremony above, and a bundle proven with it. */
const vk = join(build, 'vkey.json');
let finalBundle: string | undefined;
function bundleOfFinalKey(): string {
  finalBundle ??= json(ok(['prove', build, '--input', input, '--json']))['bundle'] as string;
  return finalBundle;
}

test('bundles of the final key pass --require-trusted-setup only with the model, the trusted ptau file and enough contributions', () => {
  const bundle = bundleOfFinalKey();
  const transcript = JSON.parse(readFileSync(join(cer, 'transcript.json'), 'utf8'));
  const trusted = json(
    ok(['verify', bundle, '--vkey', vk, ...MODEL_ARGS(), '--require-trusted-setup', '--trust-ptau', ptau, '--json']),
  );
  assert.deepEqual(
    trusted['contributors'].map((c: { name: string }) => c.name),
    ['alice', 'bob', 'beacon'],
  );
  assert.match(
    trustedSetupDetail(trusted),
    /2 secret phase-2 contributions and a beacon: 1\. alice .*2\. bob .*3\. beacon/,
  );
  assert.match(trustedSetupDetail(trusted), /α, β, γ, IC rebuilt from the recompiled circuit/);

  // Without the model, the key's α, β, γ, IC cannot be rebuilt: a failure that says what to pass.
  const noModel = zkinfer(['verify', bundle, '--vkey', vk, '--require-trusted-setup', '--trust-ptau', ptau, '--json']);
  assert.equal(noModel.code, 1);
  assert.match(trustedSetupDetail(json(noModel)), /pass --model ONNX/);

  const untrusted = zkinfer(['verify', bundle, '--vkey', vk, ...MODEL_ARGS(), '--require-trusted-setup', '--json']);
  assert.equal(untrusted.code, 1);
  assert.equal(json(untrusted)['failed'], 'trusted-setup');
  assert.match(trustedSetupDetail(json(untrusted)), /not recognised/);

  // A trusted hash without the file: the key is not rebuilt, so it is not trusted; the failure names the file.
  const hashOnlyArgs = ['verify', bundle, '--vkey', vk, ...MODEL_ARGS(), '--require-trusted-setup'];
  const hashOnly = zkinfer([...hashOnlyArgs, '--trust-ptau', transcript.ptau.blake2b, '--json']);
  assert.equal(hashOnly.code, 1);
  assert.match(
    trustedSetupDetail(json(hashOnly)),
    /fetch local\.ptau \(2\^8, blake2b [0-9a-f]{128}\) and pass it with --ptau FILE/,
  );
  ok([...hashOnlyArgs, '--trust-ptau', transcript.ptau.blake2b, '--ptau', ptau]);

  const tooFew = zkinfer([
    'verify',
    bundle,
    '--vkey',
    vk,
    ...MODEL_ARGS(),
    '--require-trusted-setup',
    '--trust-ptau',
    ptau,
    '--min-contributions',
    '4',
    '--json',
  ]);
  assert.equal(tooFew.code, 1);
  assert.match(trustedSetupDetail(json(tooFew)), /2 secret phase-2 contributions .* at least 4 required/);

  // The verifier recompiles the model from ONNX + settings and rebuilds α, β, IC from the ptau.
  const settings = join(tmp, 'published-settings.json');
  cpSync(join(build, 'settings.json'), settings);
  const full = json(
    ok([
      'verify',
      bundle,
      '--vkey',
      vk,
      '--model',
      join(tmp, 'tiny.onnx'),
      '--settings',
      settings,
      '--ceremony',
      join(cer, 'transcript.json'),
      '--require-trusted-setup',
      '--trust-ptau',
      ptau,
      '--json',
    ]),
  );
  assert.equal(full['checks'].filter((c: { check: string }) => c.check === 'model-id').length, 2);
  assert.match(trustedSetupDetail(full), /rebuilt from the recompiled circuit/);
  assert.match(
    full['checks'].find((c: { check: string }) => c.check === 'ceremony').detail,
    /starts from the circuit hash of the recompiled r1cs/,
  );
  const viaZkey = json(
    ok([
      'verify',
      bundle,
      '--vkey',
      vk,
      '--model',
      join(tmp, 'tiny.onnx'),
      '--settings',
      settings,
      '--ceremony',
      join(cer, '0003-beacon.zkey'),
      '--json',
    ]),
  );
  assert.equal(viaZkey['valid'], true);
  // No ptau file: the model id was compared as a label, and the report says so instead of "matches the key".
  const labelOnly = viaZkey['checks'].filter((c: { check: string }) => c.check === 'model-id')[1];
  assert.equal(labelOnly.unverified, true);
  assert.match(labelOnly.detail, /label only; the key was not rebuilt/);
  assert.ok(viaZkey['warnings'].some((w: string) => /did not bind the key itself/.test(w)));

  writeTinyModel(join(tmp, 'tweaked.onnx'), 0.25);
  const tweaked = zkinfer([
    'verify',
    bundle,
    '--vkey',
    vk,
    '--model',
    join(tmp, 'tweaked.onnx'),
    '--settings',
    settings,
    '--json',
  ]);
  assert.equal(tweaked.code, 1, tweaked.stdout);
  assert.equal(json(tweaked)['failed'], 'model-id');
  assert.match(
    json(tweaked)['checks'].find((c: { check: string; ok: boolean }) => c.check === 'model-id' && !c.ok).detail,
    /recompiling .*tweaked\.onnx gives model/,
  );
});

test('one altered byte in a contribution makes ceremony verify fail, naming that contribution', () => {
  const r1cs = join(build, 'circuit.r1cs');
  // An intermediate key altered after it was contributed (a byte in its H section).
  const a = join(tmp, 'tampered-file');
  cpSync(cer, a, { recursive: true });
  const bobFile = join(a, '0002-bob.zkey');
  flipByte(bobFile, Math.floor(readFileSync(bobFile).length / 2));
  const r1 = zkinfer(['ceremony', 'verify', a, '--ptau', ptau, '--r1cs', r1cs]);
  assert.equal(r1.code, 1, r1.stdout);
  assert.match(r1.stdout, /INVALID: contribution 2 \("bob"\): 0002-bob\.zkey differs/);

  // Bob's public key inside the final key, checked with no transcript at all: the chain names him.
  const b = join(tmp, 'tampered-record');
  cpSync(cer, b, { recursive: true });
  rmSync(join(b, 'transcript.json'));
  const finalKey = join(b, '0003-beacon.zkey');
  flipByte(finalKey, contributionOffset(finalKey, 2) + 64 + 64 + 10);
  const r2 = zkinfer(['ceremony', 'verify', finalKey, '--ptau', ptau, '--r1cs', r1cs, '--json']);
  assert.equal(r2.code, 1, r2.stdout);
  assert.equal(json(r2)['failedContribution'], 2);
  assert.match(json(r2)['failure'], /^contribution 2 \("bob"\)/);
});

test('a one-contribution key fails trusted-setup; the δ-forgery it allows passes the pairing check but not --require-trusted-setup', async () => {
  const single = join(tmp, 'single');
  // Without the 3-party key: finalize would refuse to replace another ceremony's key (no --force).
  const skip = ['ceremony', 'proofs', 'circuit.zkey', 'vkey.json', 'setup.json'];
  cpSync(build, single, { recursive: true, filter: (src) => !skip.includes(basename(src)) });
  ok(['ceremony', 'init', single, '--ptau', ptau]);
  // The only contribution is a beacon: its secret follows from the public seed, so δ is known.
  const seed = 'c0ffee';
  ok([
    'ceremony',
    'beacon',
    join(single, 'ceremony', '0000-init.zkey'),
    join(single, 'ceremony', '0001-beacon.zkey'),
    '--beacon',
    seed,
  ]);
  ok(['ceremony', 'finalize', single, '--ptau', ptau]);
  const bundlePath = json(ok(['prove', single, '--input', input, '--json']))['bundle'] as string;
  const vkPath = join(single, 'vkey.json');
  const vkey = JSON.parse(readFileSync(vkPath, 'utf8'));

  const curve = (await bn128()) as any;
  const { rngFromBeaconParams } = await snarkjsInternals();
  const delta = curve.Fr.fromRng(await rngFromBeaconParams(Buffer.from(seed, 'hex'), 10));
  assert.ok(
    curve.G2.eq(curve.G2.timesFr(curve.G2.g, delta), curve.G2.fromObject(utils.unstringifyBigInts(vkey.vk_delta_2))),
    'δ is the beacon secret',
  );

  // Claim the opposite prediction: swap the two public outputs.
  const bundle = JSON.parse(readFileSync(bundlePath, 'utf8'));
  const { offset } = bundle.layout.output;
  const signals: string[] = [...bundle.publicSignals];
  [signals[offset], signals[offset + 1]] = [signals[offset + 1]!, signals[offset]!];
  let ic = curve.G1.fromObject(utils.unstringifyBigInts(vkey.IC[0]));
  signals.forEach((s, i) => {
    ic = curve.G1.add(
      ic,
      curve.G1.timesScalar(curve.G1.fromObject(utils.unstringifyBigInts(vkey.IC[i + 1])), BigInt(s)),
    );
  });
  const c = curve.G1.toObject(curve.G1.toAffine(curve.G1.timesFr(ic, curve.Fr.neg(curve.Fr.inv(delta))))) as bigint[];
  const forged = {
    ...bundle,
    publicSignals: signals,
    proof: { ...bundle.proof, pi_a: vkey.vk_alpha_1, pi_b: vkey.vk_beta_2, pi_c: c.map(String) },
    output: {
      ...bundle.output,
      integers: [bundle.output.integers[1], bundle.output.integers[0]],
      values: [bundle.output.values[1], bundle.output.values[0]],
    },
    prediction: 1 - bundle.prediction,
  };
  const forgedPath = join(tmp, 'forged.proof.json');
  writeFileSync(forgedPath, JSON.stringify(forged));

  const lax = json(ok(['verify', forgedPath, '--vkey', vkPath, '--json']));
  assert.equal(lax['prediction'], 1 - bundle.prediction);
  assert.ok(
    lax['checks'].some((x: { check: string; ok: boolean }) => x.check === 'proof' && x.ok),
    'the forgery is a valid Groth16 proof',
  );
  const strict = zkinfer([
    'verify',
    forgedPath,
    '--vkey',
    vkPath,
    ...MODEL_ARGS(),
    '--require-trusted-setup',
    '--trust-ptau',
    ptau,
    '--json',
  ]);
  assert.equal(strict.code, 1);
  assert.equal(json(strict)['failed'], 'trusted-setup');
  assert.match(
    trustedSetupDetail(json(strict)),
    /0 secret phase-2 contributions \(1\. beacon \[beacon\].*\), at least 2 required/,
  );
  // Transplanting the 3-party transcript into this key (same circuit, same ptau) does not help: its δ is not the key's.
  const { vkeyHash } = await import('../../src/formats/vkey.js');
  const honestMeta = JSON.parse(readFileSync(join(build, 'vkey.json'), 'utf8')).zkinfer;
  const transplanted = { ...vkey, zkinfer: { ...vkey.zkinfer, ceremony: honestMeta.ceremony } };
  const transplantPath = join(tmp, 'transplanted.proof.json');
  writeFileSync(transplantPath, JSON.stringify({ ...forged, vkey: transplanted, vkeyHash: vkeyHash(transplanted) }));
  const transplantedKey = join(tmp, 'transplanted-vkey.json');
  writeFileSync(transplantedKey, JSON.stringify(transplanted));
  const moved = zkinfer([
    'verify',
    transplantPath,
    '--vkey',
    transplantedKey,
    ...MODEL_ARGS(),
    '--require-trusted-setup',
    '--trust-ptau',
    ptau,
    '--json',
  ]);
  assert.equal(moved.code, 1, moved.stdout);
  // With the model given, model-id already sees that the key's δ is not its ceremony's; trusted-setup says so too.
  assert.equal(json(moved)['failed'], 'model-id');
  assert.match(
    json(moved)['checks'].find((c: { check: string; ok: boolean }) => c.check === 'model-id' && !c.ok).detail,
    /δ does not end its ceremony's contribution chain/,
  );
  assert.match(trustedSetupDetail(json(moved)), /δ is not the δ the 3 recorded contribution\(s\) produce/);
  // The honest bundle of the same key fails for the same reason as the forgery.
  const honest = zkinfer([
    'verify',
    bundlePath,
    '--vkey',
    vkPath,
    ...MODEL_ARGS(),
    '--require-trusted-setup',
    '--trust-ptau',
    ptau,
    '--json',
  ]);
  assert.equal(json(honest)['failed'], 'trusted-setup');
});
