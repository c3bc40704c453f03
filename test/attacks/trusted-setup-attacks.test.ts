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
 * - (b) a transcript relabelled for the recompiled r1cs is caught by the rebuilt circuit hash;
 * and the chunk ceremony's CLI itself: `ceremony init|finalize BUILD --chunk 2` with their
 * next-step lines, `accuracy` proving with the finalized chunk key and refusing (exit 2, unless
 * --force) to replace it, and the verifier's recompile giving the chunk key's model id. One file,
 * so the 2^10 ptau and the two ceremonies are made once.
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
import { recompileChunkCircuit } from '../../src/accuracy/recompile-chunk.js';
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

/** Compiled builds without keys, by model file: each quantized and compiled once. */
const compiled = new Map<string, string>();

/**
 * Quantizes and compiles `onnx` like the fixture's build (same input, default visibilities) into
 * DIR/`name`: a copy of the first such build of that model, so tests that key the same circuit
 * differently (a `setup --ptau`, a ceremony) do not quantize and compile it again.
 */
function buildOf(onnx: string, name: string): string {
  let first = compiled.get(onnx);
  if (!first) {
    first = join(dir, `compiled-${basename(onnx, '.onnx')}`);
    zkinferOk(['quantize', onnx, '--out', first, '--input', fx.input]);
    zkinferOk(['compile', first]);
    compiled.set(onnx, first);
  }
  const out = join(dir, name);
  cpSync(first, out, { recursive: true });
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
    /α, β, γ, IC rebuilt from that r1cs and .* match, and its δ ends a verified contribution chain over that circuit's hash \(2 secret contributions\): the key verifies this model/,
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
  // Pinned key, published D, the model's labels: the forgery passes everything but the trust policy.
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
  );
  assert.equal(lax.code, 0, `the forgery is real: ${JSON.stringify(lax.report.checks.filter((c) => !c.ok))}`);
  assert.equal(lax.report.correct, n);
  for (const min of [['--min-contributions', '1']]) {
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

/**
 * Copies the fixture model's circuit metadata (model id, layout, scales, ranges…) into a key: a
 * careful attacker's relabelling, which leaves the verifier nothing but the key itself to check.
 */
function asVictim(m: Record<string, any>): void {
  const victim = readJson(fx.vkey)['zkinfer'];
  for (const f of ['modelId', 'layout', 'input', 'output', 'quantization', 'droppedFinal']) m[f] = victim[f];
}

/** Bundles proven with `setup --ptau` keys, by model file: each built once. */
const ptauBundles = new Map<string, { bundle: string; vkey: string }>();

/** Proves the fixture's input on `onnx` with `setup --ptau`; key and bundle relabelled by `edit`. */
function relabelledPtauKey(onnx: string, edit: (m: Record<string, any>) => void) {
  let proven = ptauBundles.get(onnx);
  if (!proven) {
    const other = buildOf(onnx, `ptau-${basename(onnx, '.onnx')}`);
    zkinferOk(['setup', other, '--ptau', fx.ptau]);
    const out = JSON.parse(zkinferOk(['prove', other, '--input', fx.input, '--json']).stdout) as { bundle: string };
    proven = { bundle: out.bundle, vkey: join(other, 'vkey.json') };
    ptauBundles.set(onnx, proven);
  }
  return relabel(proven.bundle, proven.vkey, edit, modelIdOf(fx.build));
}

/** The model-id check of --model (the second one: the first compares the key's label with the bundle). */
const recompiledCheck = (r: Report) => r.checks.filter((c) => c.check === 'model-id')[1]!;

test("F4: another model's key relabelled with this model's id fails model-id, by its labels or, relabelled fully, once rebuilt", () => {
  const wider = join(dir, 'wider.onnx');
  // Four hidden units: another architecture with the same inputs and outputs.
  writeTinyModel(wider, 0, { hidden: 4, seed: 9 });
  const model = ['--model', fx.onnx, '--settings', fx.settings];
  // The issue's attack: only the model id relabelled. The key's scales are not this model's.
  const idOnly = relabelledPtauKey(wider, (m) => (m['modelId'] = modelIdOf(fx.build)));
  const labels = verify(idOnly.bundle, '--vkey', idOnly.key, ...model);
  assert.equal(labels.code, 1);
  assert.equal(labels.report.failed, 'model-id');
  assert.match(failing(labels.report, 'model-id'), /the key's metadata \(.*\) is not what setup writes/);
  // Every label relabelled: only the rebuilt key tells.
  const { key, bundle } = relabelledPtauKey(wider, asVictim);
  const rebuilt = verify(bundle, '--vkey', key, ...model, '--ptau', fx.ptau);
  assert.equal(rebuilt.code, 1);
  assert.equal(rebuilt.report.failed, 'model-id');
  assert.match(failing(rebuilt.report, 'model-id'), /the key is not for the recompiled circuit: its γ and IC differ/);
  const label = zkinfer(['verify', bundle, '--vkey', key, ...model, '--json']);
  const check = recompiledCheck(JSON.parse(label.stdout) as Report);
  assert.equal(check.unverified, true);
  assert.match(check.detail, /label only; the key was not rebuilt \(pass --ptau FILE/);
  assert.doesNotMatch(label.stdout, /match the (bundle and the )?key|verifies this model/);
  assert.match(label.stderr, /warning: --model did not bind the key itself/);
  const strict = verify(bundle, '--vkey', key, ...model, '--require-trusted-setup', '--trust-ptau', fx.ptau);
  assert.equal(strict.code, 1);
  assert.equal(strict.report.failed, 'model-id');
});

test('F4, same architecture: a key without a ceremony rebuilds to the same public wiring, and is never reported as bound', () => {
  // One hidden-layer weight changed: the public wires' IC are the same, only δ's ceremony could tell.
  const { key, bundle } = relabelledPtauKey(tweaked, asVictim);
  const model = ['--model', fx.onnx, '--settings', fx.settings];
  const r = zkinfer(['verify', bundle, '--vkey', key, ...model, '--trust-ptau', fx.ptau, '--json']);
  const check = recompiledCheck(JSON.parse(r.stdout) as Report);
  assert.equal(check.unverified, true);
  assert.match(check.detail, /binds the circuit's public wiring only: the key carries no ceremony transcript/);
  assert.doesNotMatch(r.stdout, /verifies this model/);
  assert.match(r.stderr, /warning: --model did not bind the key itself/);
  const strict = verify(bundle, '--vkey', key, ...model, '--require-trusted-setup', '--trust-ptau', fx.ptau);
  assert.equal(strict.code, 1);
  assert.match(failing(strict.report, 'trusted-setup'), /no ceremony transcript/);
});

test('(a) a key made from a private ptau whose transcript names the trusted one fails', async () => {
  const privatePtau = join(dir, 'private.ptau');
  writeFileSync(privatePtau, (await createDevPtau({ power: 9 })).data!);
  const mine = join(dir, 'private-build');
  const skip = new Set(['ceremony', 'setup.json', 'vkey.json', 'circuit.zkey', 'proofs', 'accuracy']);
  cpSync(fx.build, mine, { recursive: true, filter: (src) => !skip.has(basename(src)) });
  // The attacker's key comes from the private ptau; the honest ceremony's transcript (which
  // names the trusted ptau) is pasted into it, so every label points at the trusted file.
  zkinferOk(['setup', mine, '--ptau', privatePtau]);
  const proven = JSON.parse(zkinferOk(['prove', mine, '--input', fx.input, '--json']).stdout) as { bundle: string };
  const honest = readJson(fx.vkey)['zkinfer'];
  const { key, bundle } = relabel(proven.bundle, join(mine, 'vkey.json'), (m) => {
    m['ptau'] = honest['ptau'];
    m['ceremony'] = honest['ceremony'];
  });
  const trustedPtau = honest['ceremony'].transcript.ptau;
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

test("(c) labels the verifier reads by — an input scale, a claim's encoding — edited in an honest ceremony key fail model-id", () => {
  // The attacker proves 2·x and halves the key's input scale, so the proof reads as one of x.
  const x = [0.42, -0.28, 0.01, -0.09];
  const xPath = join(dir, 'x-small.json');
  const doubled = join(dir, 'x-doubled.json');
  writeFileSync(xPath, JSON.stringify(x));
  writeFileSync(doubled, JSON.stringify(x.map((v) => 2 * v)));
  const proven = JSON.parse(zkinferOk(['prove', fx.build, '--input', doubled, '--json']).stdout) as { bundle: string };
  const { key, bundle } = relabel(proven.bundle, fx.vkey, (m) => (m['input'].frac += 1));
  const b = readJson(bundle);
  b['input'].frac += 1;
  b['quantization'].inputFrac += 1;
  writeFileSync(bundle, JSON.stringify(b));
  const opening = readJson(proven.bundle.replace(/\.proof\.json$/, '.opening.json'));
  const openingPath = bundle.replace(/\.proof\.json$/, '.opening.json');
  writeFileSync(openingPath, JSON.stringify({ ...opening, vkeyHash: b['vkeyHash'] }));
  const all = ['--vkey', key, '--model', fx.onnx, '--settings', fx.settings, '--ceremony', fx.transcript];
  const trust = ['--require-trusted-setup', '--trust-ptau', fx.ptau, '--input', xPath, '--opening', openingPath];
  const r = verify(bundle, ...all, ...trust);
  assert.equal(r.code, 1);
  assert.deepEqual(
    r.report.checks.filter((c) => !c.ok).map((c) => c.check),
    ['model-id', 'trusted-setup'],
    'the proof and the input commitment pass: only the recompiled metadata tells (and trusted-setup then refuses to rebuild)',
  );
  assert.match(failing(r.report, 'model-id'), /the key's metadata \(input\) is not what setup writes/);
  assert.match(failing(r.report, 'trusted-setup'), /model-id failed\), so the key was not rebuilt/);

  // A claim: the chunk key's dataset encoding edited (as the claim's), so --dataset recommits other data.
  const claim = readJson(cf.claim);
  const chunkKey = readJson(cf.chunkVkey);
  chunkKey['zkinfer'].accuracy.encoding.input.frac += 1;
  const editedKey = join(dir, 'edited-chunk-vkey.json');
  writeFileSync(editedKey, JSON.stringify(chunkKey));
  const editedClaim = join(dir, 'edited-claim.json');
  const encoding = { ...claim['dataset'].encoding, input: chunkKey['zkinfer'].accuracy.encoding.input };
  writeFileSync(
    editedClaim,
    JSON.stringify({
      ...claim,
      vkey: chunkKey,
      vkeyHash: vkeyHash(chunkKey as never),
      dataset: { ...claim['dataset'], encoding },
    }),
  );
  const c = verify(editedClaim, '--vkey', editedKey, '--model', cf.onnx, '--settings', cf.settings, '--allow-unpinned');
  assert.equal(c.code, 1);
  assert.equal(c.report.failed, 'model-id');
  assert.match(failing(c.report, 'model-id'), /the key's metadata \(accuracy\) is not what setup writes/);
});

test('an unrecognised ptau file rebuilds the key but never binds it; --min-contributions below 1 is refused', () => {
  const model = ['--model', fx.onnx, '--settings', fx.settings];
  const r = zkinfer(['verify', fx.bundle, '--vkey', fx.vkey, ...model, '--ptau', fx.ptau]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^WARN model-id .* is neither a published powers of tau nor one named with --trust-ptau/m);
  assert.doesNotMatch(r.stdout, /verifies this model/);
  const trusted = zkinfer(['verify', fx.bundle, '--vkey', fx.vkey, ...model, '--trust-ptau', fx.ptau]);
  assert.match(trusted.stdout, /^ok {3}model-id .*the key verifies this model/m);
  for (const n of ['0', '-3']) {
    const z = zkinfer([
      'verify',
      fx.bundle,
      '--vkey',
      fx.vkey,
      ...model,
      '--require-trusted-setup',
      '--trust-ptau',
      fx.ptau,
      '--min-contributions',
      n,
    ]);
    assert.equal(z.code, 2, z.stderr);
    assert.match(z.stderr, /--min-contributions must be at least 1/);
  }
});

test('(b) a transcript relabelled for the recompiled r1cs is caught by the circuit hash rebuilt from the ptau', () => {
  const other = buildOf(tweaked, 'other-ceremony');
  ceremony(other, fx.ptau, [], '1234');
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
      asVictim(m);
      m['ceremony'].transcript = lie(m['ceremony'].transcript);
      m['ceremony'].transcriptSha256 = transcriptHash(m['ceremony'].transcript);
    },
    victim['modelId'],
  );
  const args = ['--vkey', key, '--model', fx.onnx, '--settings', fx.settings, '--ceremony', transcript];
  const labels = verify(bundle, ...args);
  // Labels alone cannot tell: model-id and ceremony pass, each marked as not bound.
  assert.equal(recompiledCheck(labels.report).unverified, true);
  const cer = labels.report.checks.find((c) => c.check === 'ceremony')!;
  assert.equal(cer.ok, true);
  assert.equal(cer.unverified, true);
  assert.match(cer.detail, /its circuit hash was not tied to the recompiled r1cs \(no ptau file/);
  const rebuilt = verify(bundle, ...args, '--ptau', fx.ptau);
  assert.equal(rebuilt.code, 1);
  // Same architecture, so the same public wiring: the ceremony's circuit hash is what tells them apart.
  assert.match(failing(rebuilt.report, 'model-id'), /the key's ceremony was run on another circuit/);
  assert.match(failing(rebuilt.report, 'ceremony'), /circuit hash is not the one the recompiled r1cs and .* give/);
  const strict = verify(bundle, ...args, '--require-trusted-setup', '--trust-ptau', fx.ptau);
  assert.equal(strict.code, 1);
  assert.match(failing(strict.report, 'trusted-setup'), /γ and IC are not those rebuilt|circuit hash is not the one/);
});

const json = (r: { stdout: string }) => JSON.parse(r.stdout) as Record<string, any>;

test('ceremony init|contribute|beacon|finalize --chunk print the next step', () => {
  const { init, contribute, beacon, finalize } = cf.log;
  const cer = join(cf.chunkDir, 'ceremony');
  assert.match(init, /chunk circuit for 2 samples in .*chunk-2: \d+ constraints \(domain 2\^10\)\n/);
  assert.ok(
    init.includes(
      `next: zkinfer ceremony contribute ${join(cer, '0000-init.zkey')} ${join(cer, '0001-NAME.zkey')} --name NAME`,
    ),
    init,
  );
  const finalizeStep = `zkinfer ceremony finalize ${cf.build} --chunk 2 --ptau FILE`;
  assert.ok(
    contribute.includes(
      `next: zkinfer ceremony contribute ${join(cer, '0002-bob.zkey')} ${join(cer, '0003-NAME.zkey')}`,
    ),
    contribute,
  );
  assert.ok(
    contribute.includes(
      `or: zkinfer ceremony beacon ${join(cer, '0002-bob.zkey')} ${join(cer, '0003-beacon.zkey')} --beacon HEX`,
    ),
    contribute,
  );
  assert.ok(contribute.includes(`then ${finalizeStep}`), contribute);
  assert.ok(beacon.includes(`next: ${finalizeStep}`), beacon);
  assert.match(finalize, /finalized 3 contributions \(alice, bob, beacon\)/);
  assert.ok(finalize.includes(`next: zkinfer accuracy ${cf.build} --dataset DATA --chunk 2 --out DIR`), finalize);
});

test('accuracy proves with the finalized chunk ceremony key and keeps it', () => {
  const vkey = readJson(cf.chunkVkey);
  assert.equal(vkey['zkinfer'].accuracy.chunkSize, 2);
  assert.equal(vkey['zkinfer'].accuracy.kind, 'accuracy-chunk');
  assert.deepEqual(
    vkey['zkinfer'].ceremony.transcript.contributions.map((c: { name: string }) => c.name),
    ['alice', 'bob', 'beacon'],
  );
  const claim = readJson(cf.claim);
  assert.deepEqual(claim['vkey'], vkey, "the claim embeds the ceremony's chunk key");
  assert.equal(claim['vkey'].zkinfer.ceremony.transcript.contributions.length, 3);
  assert.equal(claim['dataset'].samples, 5);
  const setup = readJson(join(cf.chunkDir, 'setup.json'));
  assert.deepEqual(setup['ceremony'].contributors, ['alice', 'bob', 'beacon'], 'setup.json still says ceremony');
  assert.equal(claim['vkeyHash'], setup['vkeyHash']);

  zkinferOk(['verify', cf.claim, '--vkey', cf.chunkVkey, '--dataset', cf.dataset, '--opening', cf.opening]);

  // The same ptau under another path is the ceremony's file: the key serves, the chunk proofs are reused.
  const copy = join(dir, 'copy.ptau');
  cpSync(cf.ptau, copy);
  const again = json(
    zkinferOk([
      'accuracy',
      cf.build,
      '--dataset',
      cf.dataset,
      '--chunk',
      '2',
      '--out',
      cf.claimDir,
      '--ptau',
      copy,
      '--json',
    ]),
  );
  assert.equal(again['skipped'], 3);
  assert.equal(again['vkeyHash'], setup['vkeyHash']);
});

test('accuracy refuses to replace the ceremony key with another ptau, exit 2, keys untouched', () => {
  const other = join(dir, 'other.ptau');
  const bytes = readFileSync(cf.ptau);
  bytes[bytes.length - 1]! ^= 1;
  writeFileSync(other, bytes);
  const before = readFileSync(cf.chunkVkey, 'utf8');
  const r = zkinfer([
    'accuracy',
    cf.build,
    '--dataset',
    cf.dataset,
    '--chunk',
    '2',
    '--out',
    join(dir, 'o2'),
    '--ptau',
    other,
  ]);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /chunk-2: holds keys from a phase-2 ceremony .*\(alice, bob, beacon\).*--force/);
  assert.equal(readFileSync(cf.chunkVkey, 'utf8'), before);
});

test('a re-quantized model: the stale ceremony key is not replaced by dev keys without --force', () => {
  const build2 = join(dir, 'build2');
  // Without the build's own (ceremony) keys: the chunk keys' default route is then the dev setup.
  const buildKeys = new Set(
    ['setup.json', 'vkey.json', 'circuit.zkey', 'ceremony', 'proofs'].map((f) => join(cf.build, f)),
  );
  cpSync(cf.build, build2, { recursive: true, filter: (src) => !buildKeys.has(src) });
  const tweaked = join(dir, 'tweaked.onnx');
  writeTinyModel(tweaked, 0.25);
  zkinferOk(['quantize', tweaked, '--out', build2, '--input', cf.input]);

  for (const step of ['finalize', 'verify']) {
    const r = zkinfer(['ceremony', step, build2, '--chunk', '2', '--ptau', cf.ptau]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /chunk circuit is for another model\.quant\.json/);
  }

  const out = join(dir, 'o3');
  const args = ['accuracy', build2, '--dataset', cf.dataset, '--chunk', '2', '--out', out, '--workers', '1'];
  const r = zkinfer(args);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /holds keys from a phase-2 ceremony .* for another model or zkinfer version, which dev keys would replace; run a new ceremony \(zkinfer ceremony init .* --chunk 2/,
  );

  const forced = zkinferOk([...args, '--force']);
  // A warning with both vkey hashes (on stderr even under --quiet, and in --json's warnings).
  const oldHash = readJson(join(cf.chunkDir, 'setup.json'))['vkeyHash'] as string;
  const newHash = readJson(join(build2, 'accuracy', 'chunk-2', 'setup.json'))['vkeyHash'] as string;
  assert.ok(
    forced.stderr.includes(
      `zkinfer: warning: ${join(build2, 'accuracy', 'chunk-2')}: replaced the 3-party ceremony key (vkey hash ${oldHash}) by a dev key (vkey hash ${newHash})`,
    ),
    forced.stderr,
  );
  assert.match(
    forced.stderr,
    /a ceremony was started in .*: `zkinfer ceremony finalize .* --chunk 2` installs its key/,
  );
  const setup = readJson(join(build2, 'accuracy', 'chunk-2', 'setup.json'));
  assert.equal(setup['kind'], 'dev');
  assert.equal(setup['ceremony'], undefined);

  // Phase-2 keys on a ptau are not replaced by dev keys either (setup.json is what the decision reads).
  const ptauSetup = readJson(join(cf.chunkDir, 'setup.json'))['ptau'];
  const setupPath = join(build2, 'accuracy', 'chunk-2', 'setup.json');
  writeFileSync(setupPath, JSON.stringify({ ...setup, kind: 'ptau', warning: undefined, ptau: ptauSetup }));
  const toDev = zkinfer(args);
  assert.equal(toDev.code, 2, toDev.stderr);
  assert.match(
    toDev.stderr,
    /holds phase-2 keys on .*local-2\^10\.ptau \(one local contribution\), which dev keys would replace; pass --ptau .* to use them, or pass --force/,
  );
});

test("the verifier's recompile from ONNX + settings.json gives the ceremony chunk key's model id", () => {
  const circuit = readJson(join(cf.chunkDir, 'circuit.json'));
  const rec = recompileChunkCircuit({ modelPath: cf.onnx, settingsPath: cf.settings, chunkSize: 2 });
  assert.equal(rec.modelId, circuit['modelId']);
  assert.equal(rec.r1csSha256, circuit['r1csSha256']);
  assert.equal(rec.quantizedSha256, circuit['quantizedSha256']);
  assert.deepEqual(rec.encoding, circuit['accuracy'].encoding);
  assert.ok(Buffer.from(rec.r1cs).equals(readFileSync(join(cf.chunkDir, 'circuit.r1cs'))));
  assert.equal(rec.onnxMatchesSettings, true);
  assert.equal(readJson(cf.chunkVkey)['zkinfer'].modelId, rec.modelId, "the ceremony key's model id");
});
