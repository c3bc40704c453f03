/**
 * Trust is the key, not its labels (issue 19), on a tiny model and locally made powers of tau:
 * - the honest trusted path, for a bundle and for a claim: ptau → ceremony (2 contributions and
 *   a beacon) → finalize → prove / accuracy → `verify --vkey --model --settings --ceremony
 *   --require-trusted-setup --trust-ptau FILE` exits 0, and with one weight changed exits 1
 *   naming `model-id`;
 * - F2: a chunk key whose δ is public (its only contribution is a beacon) forges a perfect
 *   accuracy claim that passes every check but `trusted-setup`;
 * - F4: another model's key relabelled with this model's id fails `model-id` once the key is
 *   rebuilt from the ptau; without the ptau the report says "label only", never "match the key";
 * - (a) a key made from a private ptau whose transcript names the trusted one fails;
 * - (b) a transcript relabelled for the recompiled r1cs is caught by the rebuilt circuit hash.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createDevPtau } from '../../tools/bench/bench-gas.js';
import { transcriptHash } from '../../src/setup/ceremony/ceremony-transcript.js';
import { vkeyHash } from '../../src/formats/vkey.js';
import { shutdown } from '../../src/runtime/curve.js';
import {
  makeTrustedBuildFixture,
  makeTrustedChunkFixture,
  writeTinyModel,
  type TrustedBuildFixture,
  type TrustedChunkFixture,
} from '../helpers/trusted-fixtures.js';
import { beaconDelta, forgeProof } from '../helpers/forge.js';
import { zkinfer, zkinferOk } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'zkinfer-trusted-attacks-'));
let fx: TrustedBuildFixture;
let cf: TrustedChunkFixture;
const tweaked = join(dir, 'tweaked.onnx');

before(async () => {
  fx = await makeTrustedBuildFixture(dir);
  cf = await makeTrustedChunkFixture(dir);
  writeTinyModel(tweaked, 0.25);
});
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await shutdown();
});

type Check = { check: string; ok: boolean; detail: string; unverified?: boolean };
type Report = { valid: boolean; failed?: string; checks: Check[]; warnings: string[]; correct?: number };
function verify(...args: string[]): { code: number | null; report: Report; stderr: string } {
  const r = zkinfer(['verify', ...args, '--json']);
  return { code: r.code, report: JSON.parse(r.stdout) as Report, stderr: r.stderr };
}
const failing = (r: Report, check: string) => r.checks.find((c) => c.check === check && !c.ok)?.detail ?? '';
const passing = (r: Report, check: string) => r.checks.filter((c) => c.check === check && c.ok).map((c) => c.detail);
const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as Record<string, any>;
const modelIdOf = (buildDir: string) => readJson(join(buildDir, 'circuit.json'))['modelId'] as string;

/** Quantizes and compiles `onnx` like the fixture's build (same input, default visibilities). */
function buildOf(onnx: string, name: string): string {
  const out = join(dir, name);
  zkinferOk(['quantize', onnx, '--out', out, '--input', fx.input]);
  zkinferOk(['compile', out]);
  return out;
}

/** A ceremony on `buildDir` from `ptau`: `names` contribute in order, then a beacon of `seed`. */
function ceremony(
  buildDir: string,
  ptau: string,
  names: string[],
  seed: string,
  target = [buildDir],
  keyDir = buildDir,
) {
  zkinferOk(['ceremony', 'init', ...target, '--ptau', ptau]);
  const cer = join(keyDir, 'ceremony');
  let prev = join(cer, '0000-init.zkey');
  names.forEach((name, i) => {
    const next = join(cer, `000${i + 1}-${name}.zkey`);
    zkinferOk(['ceremony', 'contribute', prev, next, '--name', name]);
    prev = next;
  });
  zkinferOk(['ceremony', 'beacon', prev, join(cer, `000${names.length + 1}-beacon.zkey`), '--beacon', seed]);
  zkinferOk(['ceremony', 'finalize', ...target, '--ptau', ptau]);
}

/** Writes a key and a bundle relabelled by the attacker: `edit` changes the key's metadata. */
function relabel(bundlePath: string, vkeyPath: string, edit: (meta: Record<string, any>) => void, modelId?: string) {
  const vkey = readJson(vkeyPath);
  edit(vkey['zkinfer']);
  const bundle = readJson(bundlePath);
  const out = { ...bundle, vkey, vkeyHash: vkeyHash(vkey as never), ...(modelId ? { modelId } : {}) };
  const keyOut = join(dir, `${basename(vkeyPath, '.json')}-${Math.random().toString(36).slice(2)}.json`);
  const bundleOut = keyOut.replace(/\.json$/, '.proof.json');
  writeFileSync(keyOut, JSON.stringify(vkey));
  writeFileSync(bundleOut, JSON.stringify(out));
  return { key: keyOut, bundle: bundleOut };
}

test('honest trusted path, bundle: ceremony key, model, settings, transcript and ptau verify; one weight changed fails model-id', () => {
  const trusted = ['--model', fx.onnx, '--settings', fx.settings, '--ceremony', fx.transcript];
  const args = ['--vkey', fx.vkey, '--require-trusted-setup', '--trust-ptau', fx.ptau];
  const r = verify(fx.bundle, ...args, ...trusted);
  assert.equal(r.code, 0, JSON.stringify(r.report.checks));
  assert.match(
    passing(r.report, 'model-id')[1]!,
    /α, β, γ, IC rebuilt from that r1cs and .* match: the key verifies this model/,
  );
  assert.match(passing(r.report, 'ceremony')[0]!, /starts from the circuit hash of the recompiled r1cs/);
  assert.match(passing(r.report, 'trusted-setup')[0]!, /2 secret phase-2 contributions and a beacon/);
  const t = verify(fx.bundle, ...args, '--model', tweaked, '--settings', fx.settings, '--ceremony', fx.transcript);
  assert.equal(t.code, 1);
  assert.equal(t.report.failed, 'model-id');
});

test('honest trusted path, claim: the chunk circuit through a ceremony verifies under --require-trusted-setup; one weight changed fails model-id', () => {
  const args = ['--vkey', cf.chunkVkey, '--dataset', cf.dataset, '--opening', cf.opening];
  const trust = ['--ceremony', cf.transcript, '--require-trusted-setup', '--trust-ptau', cf.ptau];
  const r = verify(cf.claim, ...args, '--model', cf.onnx, '--settings', cf.settings, ...trust);
  assert.equal(r.code, 0, JSON.stringify(r.report.checks));
  assert.match(passing(r.report, 'model-id')[1]!, /the key verifies this model/);
  assert.match(passing(r.report, 'trusted-setup')[0]!, /2 secret phase-2 contributions and a beacon: 1\. alice/);
  const t = verify(cf.claim, ...args, '--model', tweaked, '--settings', cf.settings, ...trust);
  assert.equal(t.code, 1);
  assert.equal(t.report.failed, 'model-id');
  // Without the model the key cannot be rebuilt: trusted-setup fails and says what to pass.
  const noModel = verify(cf.claim, ...args, '--require-trusted-setup', '--trust-ptau', cf.ptau);
  assert.equal(noModel.code, 1);
  assert.match(failing(noModel.report, 'trusted-setup'), /pass --model ONNX/);
});

test('F2: a chunk key with a public δ forges a perfect claim; only trusted-setup refuses it', async () => {
  // The attacker's "ceremony": one beacon, whose secret anyone can derive from its seed.
  const build2 = join(dir, 'beacon-only');
  const skip = new Set(['ceremony', 'setup.json', 'vkey.json', 'circuit.zkey']);
  cpSync(cf.build, build2, { recursive: true, filter: (src) => !skip.has(basename(src)) });
  const chunkDir = join(build2, 'accuracy', 'chunk-2');
  ceremony(build2, cf.ptau, [], 'c0ffee', [build2, '--chunk', '2'], chunkDir);
  const vkey = readJson(join(chunkDir, 'vkey.json'));
  const delta = await beaconDelta('c0ffee');
  const honest = readJson(cf.claim);
  const chunks = await Promise.all(
    (honest['chunks'] as Array<Record<string, any>>).map(async (ch) => {
      const signals = [ch['publicSignals'][0], String(ch['samples'])];
      return {
        ...ch,
        count: ch['samples'],
        publicSignals: signals,
        proof: await forgeProof(vkey as never, signals, delta),
      };
    }),
  );
  const n = honest['dataset'].samples as number;
  const forged = {
    ...honest,
    chunks,
    vkey,
    vkeyHash: vkeyHash(vkey as never),
    result: { ...honest['result'], correct: n, accuracy: 1 },
  };
  const forgedPath = join(dir, 'forged-claim.json');
  writeFileSync(forgedPath, JSON.stringify(forged));
  const key = join(chunkDir, 'vkey.json');
  const D = honest['dataset'].commitment as string;
  const lax = verify(
    forgedPath,
    '--vkey',
    key,
    '--dataset-commitment',
    D,
    '--model',
    cf.onnx,
    '--settings',
    cf.settings,
    '--ptau',
    cf.ptau,
  );
  assert.equal(lax.code, 0, `the forgery is real: ${JSON.stringify(lax.report.checks.filter((c) => !c.ok))}`);
  assert.equal(lax.report.correct, n);
  for (const min of [[], ['--min-contributions', '1']]) {
    const strict = verify(
      forgedPath,
      '--vkey',
      key,
      '--dataset-commitment',
      D,
      '--model',
      cf.onnx,
      '--settings',
      cf.settings,
      '--require-trusted-setup',
      '--trust-ptau',
      cf.ptau,
      ...min,
    );
    assert.equal(strict.code, 1);
    assert.equal(strict.report.failed, 'trusted-setup');
    assert.match(failing(strict.report, 'trusted-setup'), /0 secret phase-2 contributions \(1\. beacon \[beacon\]/);
  }
});

test("F4: another model's key relabelled with this model's id fails model-id once rebuilt; without the ptau it is reported as a label", () => {
  const other = buildOf(tweaked, 'other');
  zkinferOk(['setup', other, '--ptau', fx.ptau]);
  const proven = JSON.parse(zkinferOk(['prove', other, '--input', fx.input, '--json']).stdout) as { bundle: string };
  const victim = modelIdOf(fx.build);
  const { key, bundle } = relabel(proven.bundle, join(other, 'vkey.json'), (m) => (m['modelId'] = victim), victim);
  const model = ['--model', fx.onnx, '--settings', fx.settings];
  const rebuilt = verify(bundle, '--vkey', key, ...model, '--ptau', fx.ptau);
  assert.equal(rebuilt.code, 1);
  assert.equal(rebuilt.report.failed, 'model-id');
  assert.match(failing(rebuilt.report, 'model-id'), /the key is not for the recompiled circuit: its γ and IC differ/);
  const label = zkinfer(['verify', bundle, '--vkey', key, ...model]);
  assert.equal(label.code, 0, label.stderr);
  assert.match(label.stdout, /^WARN model-id +recompiled .* label only; the key was not rebuilt \(pass --ptau FILE/m);
  assert.doesNotMatch(label.stdout, /match the (bundle and the )?key/);
  assert.match(label.stderr, /warning: --model compared model id labels only/);
  const strict = verify(bundle, '--vkey', key, ...model, '--require-trusted-setup', '--trust-ptau', fx.ptau);
  assert.equal(strict.code, 1);
  assert.equal(strict.report.failed, 'model-id');
});

test('(a) a key made from a private ptau whose transcript names the trusted one fails', async () => {
  const privatePtau = join(dir, 'private.ptau');
  writeFileSync(privatePtau, (await createDevPtau({ power: 9 })).data!);
  const mine = join(dir, 'private-build');
  const skip = new Set(['ceremony', 'setup.json', 'vkey.json', 'circuit.zkey', 'proofs', 'accuracy']);
  cpSync(fx.build, mine, { recursive: true, filter: (src) => !skip.has(basename(src)) });
  ceremony(mine, privatePtau, ['mallory', 'mallory2'], 'abcd');
  const proven = JSON.parse(zkinferOk(['prove', mine, '--input', fx.input, '--json']).stdout) as { bundle: string };
  const trustedPtau = readJson(fx.transcript)['ptau'];
  const { key, bundle } = relabel(proven.bundle, join(mine, 'vkey.json'), (m) => {
    m['ptau'] = trustedPtau;
    m['ceremony'].transcript.ptau = trustedPtau;
    m['ceremony'].transcriptSha256 = transcriptHash(m['ceremony'].transcript);
  });
  const model = ['--model', fx.onnx, '--settings', fx.settings];
  const r = verify(bundle, '--vkey', key, ...model, '--require-trusted-setup', '--trust-ptau', fx.ptau);
  assert.equal(r.code, 1);
  assert.match(failing(r.report, 'model-id'), /the key was not made from .*α, β differ/);
  assert.match(failing(r.report, 'trusted-setup'), /α and β are not those of/);
  // Naming the trusted ptau by hash only cannot stand in for the file (the old warning path).
  const hashOnly = verify(
    bundle,
    '--vkey',
    key,
    ...model,
    '--require-trusted-setup',
    '--trust-ptau',
    trustedPtau.blake2b,
  );
  assert.equal(hashOnly.code, 1);
  assert.match(failing(hashOnly.report, 'trusted-setup'), /fetch .* and pass it with --ptau FILE/);
});

test('(b) a transcript relabelled for the recompiled r1cs is caught by the circuit hash rebuilt from the ptau', () => {
  const other = buildOf(tweaked, 'other-ceremony');
  ceremony(other, fx.ptau, ['carol', 'dave'], '1234');
  const proven = JSON.parse(zkinferOk(['prove', other, '--input', fx.input, '--json']).stdout) as { bundle: string };
  const victim = readJson(join(fx.build, 'circuit.json'));
  const lie = (t: Record<string, any>) => ({
    ...t,
    circuit: { ...t['circuit'], modelId: victim['modelId'], r1csSha256: victim['r1csSha256'] },
  });
  const transcript = join(dir, 'relabelled-transcript.json');
  writeFileSync(transcript, JSON.stringify(lie(readJson(join(other, 'ceremony', 'transcript.json')))));
  const { key, bundle } = relabel(
    proven.bundle,
    join(other, 'vkey.json'),
    (m) => {
      m['modelId'] = victim['modelId'];
      m['ceremony'].transcript = lie(m['ceremony'].transcript);
      m['ceremony'].transcriptSha256 = transcriptHash(m['ceremony'].transcript);
    },
    victim['modelId'],
  );
  const args = ['--vkey', key, '--model', fx.onnx, '--settings', fx.settings, '--ceremony', transcript];
  const labels = verify(bundle, ...args);
  assert.equal(labels.code, 0, 'labels alone cannot tell');
  const cer = labels.report.checks.find((c) => c.check === 'ceremony')!;
  assert.equal(cer.unverified, true);
  assert.match(cer.detail, /its circuit hash was not tied to the recompiled r1cs \(no ptau file/);
  const rebuilt = verify(bundle, ...args, '--ptau', fx.ptau);
  assert.equal(rebuilt.code, 1);
  assert.match(failing(rebuilt.report, 'model-id'), /γ and IC differ/);
  assert.match(failing(rebuilt.report, 'ceremony'), /circuit hash is not the one the recompiled r1cs and .* give/);
  const strict = verify(bundle, ...args, '--require-trusted-setup', '--trust-ptau', fx.ptau);
  assert.equal(strict.code, 1);
  assert.match(failing(strict.report, 'trusted-setup'), /γ and IC are not those rebuilt|circuit hash is not the one/);
});
