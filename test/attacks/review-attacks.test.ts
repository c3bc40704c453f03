/**
 * Attacks from the adversarial review of the binding rewrite (issue 8), each performed and
 * expected to be rejected, plus honest variants that a correct verifier must not reject
 * (JSON key order carries no meaning). Uses one public-input digits MLP build and a second,
 * attacker-made setup of the same circuit.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson } from '../../src/formats/artifacts.js';
import { compileCircuit } from '../../src/compile/compile-circuit.js';
import { readInputFile } from '../../src/onnx/input-file.js';
import { createProver, shutdown } from '../../src/prove/prover.js';
import { proveBatchResuming } from '../../src/pipeline.js';
import { quantizeModel } from '../../src/quantize/quantize-model.js';
import { setupKeys } from '../../src/setup/setup-keys.js';
import { verifyBundle } from '../../src/verify/verify-bundle.js';
import { assertVerificationKey } from '../../src/verify/verification-key.js';
import type { ProofBundle } from '../../src/formats/bundle.js';
import { writeOpening } from '../../src/formats/opening.js';
import { UserError } from '../../src/core/errors.js';

const T = mkdtempSync(join(tmpdir(), 'zkinfer-review-'));
const SAMPLE = 'models/samples/digit-3.json';
const x3 = readInputFile(SAMPLE, [1, 64]);
const EMPTY_STORE = join(T, 'empty-store');

let victim = '';
let attacker = '';
let honest: ProofBundle;
let forged: ProofBundle;

before(async () => {
  await quantizeModel({ modelPath: 'models/digits-mlp.onnx', outDir: join(T, 'q'), calibrationPath: 'models/calibration.json', inputPaths: [SAMPLE] });
  compileCircuit({ buildDir: join(T, 'q'), inputVisibility: 'public', outputVisibility: 'public' });
  victim = join(T, 'victim');
  attacker = join(T, 'attacker');
  cpSync(join(T, 'q'), victim, { recursive: true });
  cpSync(join(T, 'q'), attacker, { recursive: true });
  await setupKeys({ buildDir: victim });
  await setupKeys({ buildDir: attacker });
  honest = (await createProver({ buildDir: victim, fidelity: false }).prove(x3)).bundle;
  forged = (await createProver({ buildDir: attacker, fidelity: false }).prove(x3)).bundle;
});

after(async () => {
  await shutdown();
  rmSync(T, { recursive: true, force: true });
});

/** The same JSON value with every object's keys in reverse order. */
function reorderKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reorderKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).reverse().map((k) => [k, reorderKeys((v as Record<string, unknown>)[k])]));
  return v;
}

test('--vkey with --vkey-hash: the file must hash to the pinned hash (an attacker-supplied vkey.json is not trusted)', async () => {
  // The verifier pins the model owner's published hash, and also passes the vkey.json that came
  // with the bundle; the attacker's key must not win over the hash.
  const r = await verifyBundle({ bundle: forged, vkeyPath: join(attacker, 'vkey.json'), vkeyHash: honest.vkeyHash, keyStoreDir: EMPTY_STORE });
  assert.equal(r.valid, false, 'the attacker\'s vkey file overrode the pinned hash');
  assert.equal(r.failed, 'pin');
  assert.equal(r.modelId, undefined);
  const ok = await verifyBundle({ bundle: honest, vkeyPath: join(victim, 'vkey.json'), vkeyHash: honest.vkeyHash, keyStoreDir: EMPTY_STORE });
  assert.equal(ok.valid, true, JSON.stringify(ok.checks.find((c) => !c.ok)));
  assert.equal(ok.pinned, true);
});

test('JSON key order means nothing: a reordered --vkey file and a reordered bundle still verify; a changed one does not', async () => {
  const vkeyPath = join(T, 'reordered-vkey.json');
  const vkey = JSON.parse(JSON.stringify(honest.vkey));
  writeFileSync(vkeyPath, JSON.stringify(reorderKeys(vkey)));
  assert.equal(canonicalJson(JSON.parse(JSON.stringify(reorderKeys(vkey)))), canonicalJson(vkey));
  const byFile = await verifyBundle({ bundle: honest, vkeyPath, keyStoreDir: EMPTY_STORE });
  assert.equal(byFile.valid, true, JSON.stringify(byFile.checks.find((c) => !c.ok)));
  const reordered = reorderKeys(structuredClone(honest));
  const r = await verifyBundle({ bundle: reordered, vkeyPath: join(victim, 'vkey.json'), keyStoreDir: EMPTY_STORE });
  assert.equal(r.valid, true, JSON.stringify(r.checks.find((c) => !c.ok)));
  // Reordering must not open a gap for real edits: the embedded key with extra metadata is refused.
  const extra = structuredClone(honest) as any;
  extra.vkey.zkinfer.note = 'audited';
  assert.equal((await verifyBundle({ bundle: extra, vkeyPath: join(victim, 'vkey.json'), keyStoreDir: EMPTY_STORE })).failed, 'vkey');
  const pinnedExtra = join(T, 'extra-vkey.json');
  writeFileSync(pinnedExtra, JSON.stringify({ ...vkey, zkinfer: { ...vkey.zkinfer, note: 'audited' } }));
  assert.equal((await verifyBundle({ bundle: honest, vkeyPath: pinnedExtra, keyStoreDir: EMPTY_STORE })).failed, 'vkey');
});

test('a --vkey-hash in upper case or with 0x pins the same key; a __proto__ field is an unknown field', async () => {
  for (const h of [honest.vkeyHash.toUpperCase(), `0x${honest.vkeyHash}`]) {
    const r = await verifyBundle({ bundle: honest, vkeyHash: h, keyStoreDir: EMPTY_STORE });
    assert.equal(r.valid, true, `${h}: ${JSON.stringify(r.checks.find((c) => !c.ok))}`);
    assert.equal(r.pinned, true);
  }
  const proto = JSON.parse(JSON.stringify(honest).replace(/^\{/, '{"__proto__":{"prediction":7},'));
  const r = await verifyBundle({ bundle: proto, vkeyHash: honest.vkeyHash, keyStoreDir: EMPTY_STORE });
  assert.equal(r.failed, 'format', JSON.stringify(r.checks));
});

test('a bundle layout that disagrees with the pinned key is a failed check, never a crash', async () => {
  const vkeyPath = join(victim, 'vkey.json');
  for (const edit of [(b: any) => (b.layout.input.count += 1), (b: any) => (b.layout.input.offset = 10_000), (b: any) => (b.layout.output.count = 1_000_000)]) {
    const b = structuredClone(honest) as any;
    edit(b);
    const r = await verifyBundle({ bundle: b, vkeyPath, inputPath: SAMPLE, keyStoreDir: EMPTY_STORE });
    assert.equal(r.valid, false);
    assert.equal(r.failed, 'bundle-fields', JSON.stringify(r.checks));
  }
});

/** An attacker-made key with an empty output, given its own (consistent) bundle. */
function emptyOutputBundle(edit: (meta: any) => void): ProofBundle {
  const b = structuredClone(forged) as any;
  const meta = b.vkey.zkinfer;
  meta.layout = { output: { visibility: 'public', offset: 0, count: 0 }, input: { visibility: 'public', offset: 0, count: 0 }, nPublic: 0 };
  meta.output.shape = [0];
  edit(meta);
  b.vkey.nPublic = 0;
  b.vkey.IC = b.vkey.IC.slice(0, 1);
  b.layout = meta.layout;
  b.publicSignals = [];
  b.output.shape = meta.output.shape.slice(0, 16);
  b.output.integers = [];
  b.output.values = [];
  delete b.output.softmax;
  delete b.output.note;
  delete b.prediction;
  b.vkeyHash = canonicalHash(b.vkey);
  return b;
}

function canonicalHash(v: unknown): string {
  return createHash('sha256').update(canonicalJson(v)).digest('hex');
}

test('hostile metadata in a bundle\'s own key (zero-size output, droppedFinal) is refused up front, without hanging', async () => {
  // outer = 1e9 · 1e9 iterations of the softmax loop over an empty output: a hang, reached even
  // by a plain `verify bundle.json` whose pin check fails, since the later checks still run.
  const hang = emptyOutputBundle((meta) => {
    meta.output.shape = [1e9, 1e9, 0];
    meta.droppedFinal = { op: 'Softmax', axis: 2, coerce2d: false };
  });
  const zero = emptyOutputBundle(() => {});
  const badDrop = emptyOutputBundle((meta) => {
    meta.output.shape = [1, 10];
    meta.droppedFinal = 'softmax';
  });
  for (const [name, b] of [['hang', hang], ['zero', zero], ['droppedFinal', badDrop]] as const) {
    for (const allowUnpinned of [false, true]) {
      const r = await verifyBundle({ bundle: b, allowUnpinned, keyStoreDir: EMPTY_STORE });
      assert.equal(r.valid, false, name);
      assert.equal(r.failed, 'format', `${name}: ${JSON.stringify(r.checks)}`);
    }
  }
});

test('a non-decimal string where a field element belongs is a format error, not an exception', async () => {
  const vkeyPath = join(victim, 'vkey.json');
  const edits: Array<(b: any) => void> = [
    (b) => (b.publicSignals[0] = '1.5'),
    (b) => (b.publicSignals[3] = 'x'),
    (b) => (b.proof.pi_a[0] = '1e3'),
    (b) => (b.proof.pi_b[1][0] = ''),
    (b) => (b.vkey.IC[0][0] = '1); selfdestruct(payable(msg.sender)); (1'),
  ];
  for (const edit of edits) {
    const b = structuredClone(honest) as any;
    edit(b);
    const r = await verifyBundle({ bundle: b, vkeyPath, keyStoreDir: EMPTY_STORE });
    assert.equal(r.failed, 'format', JSON.stringify(r.checks));
  }
  const opening = join(T, 'bad.opening.json');
  writeFileSync(opening, JSON.stringify({ format: 'zkinfer-opening', formatVersion: 1, vkeyHash: honest.vkeyHash, input: { integers: ['1'], blinding: '0.5' } }));
  await assert.rejects(verifyBundle({ bundle: honest, vkeyPath, openingPath: opening, keyStoreDir: EMPTY_STORE }), (e: Error) => e instanceof UserError && /blinding/.test(e.message));
});

test('an unpinned key whose input scale overflows is refused up front (no NaN reaching BigInt with --input)', async () => {
  const b = structuredClone(forged) as any;
  b.vkey.zkinfer.input.frac = 5000;
  b.vkeyHash = canonicalHash(b.vkey);
  b.input.frac = 5000;
  for (const allowUnpinned of [false, true]) {
    const r = await verifyBundle({ bundle: b, allowUnpinned, inputPath: SAMPLE, keyStoreDir: EMPTY_STORE });
    assert.equal(r.failed, 'format', JSON.stringify(r.checks));
  }
});

test('verify --chain on an unpinned bundle does not compile a verifier for the prover\'s key', async () => {
  const r = await verifyBundle({ bundle: forged, chain: { kind: 'embedded' }, keyStoreDir: EMPTY_STORE });
  assert.equal(r.failed, 'pin');
  assert.equal(r.chain, undefined, 'a verifier was compiled and run for an unpinned key');
  assert.match(r.checks.find((c) => c.check === 'chain')?.detail ?? '', /not run/);
});

test('batch rerun with --strict-range does not skip an existing bundle of a clamped input', async () => {
  const input = Array.from(x3, (v, i) => (i === 0 ? 1e6 : v));
  // The resume check runs in batch proving's main thread (the workers only prove), so the whole batch is run.
  const inputs = join(T, 'batch-in');
  mkdirSync(inputs, { recursive: true });
  writeFileSync(join(inputs, 'clamped.json'), JSON.stringify(input));
  const run = async (strictRange: boolean) => (await proveBatchResuming({ buildDir: victim, inputs, outDir: join(T, 'batch'), workers: 1, fidelity: false, strictRange })).items[0]!;
  const first = await run(false);
  assert.equal(first.status, 'proved', first.error);
  assert.ok((first.clamped ?? 0) > 0);
  assert.equal((await run(false)).status, 'skipped');
  const strict = await run(true);
  assert.equal(strict.status, 'failed', 'a clamped input was reported as proven under --strict-range');
  assert.match(strict.error ?? '', /clamp|range/);
});

test('key metadata checks still admit what the quantizer writes (a final Softmax, opset < 13 too)', () => {
  for (const droppedFinal of [{ op: 'Softmax', axis: 1, coerce2d: false }, { op: 'LogSoftmax', axis: 0, coerce2d: true }]) {
    const vkey = structuredClone(honest.vkey) as any;
    vkey.zkinfer.droppedFinal = droppedFinal;
    assert.doesNotThrow(() => assertVerificationKey(vkey, 'vkey'));
    vkey.zkinfer.droppedFinal = { ...droppedFinal, axis: 2 };
    assert.throws(() => assertVerificationKey(vkey, 'vkey'), /droppedFinal/);
  }
});

test('a key nested 100,000 deep (in a bundle, a --vkey file or the store) is a format error, not a stack overflow', async () => {
  const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000));
  const b = structuredClone(forged) as any;
  b.vkey.zkinfer.extra = deep;
  for (const allowUnpinned of [false, true]) {
    const r = await verifyBundle({ bundle: b, allowUnpinned, keyStoreDir: EMPTY_STORE });
    assert.equal(r.failed, 'format', JSON.stringify(r.checks).slice(0, 300));
  }
  const vkeyPath = join(T, 'deep-vkey.json');
  writeFileSync(vkeyPath, JSON.stringify(honest.vkey).replace('"zkinfer":{', `"zkinfer":{"extra":${'['.repeat(100_000)}${']'.repeat(100_000)},`));
  await assert.rejects(verifyBundle({ bundle: honest, vkeyPath, keyStoreDir: EMPTY_STORE }), (e: Error) => e instanceof UserError && /nested/.test(e.message));
});

test('an opening file is written readable by its owner only (it reveals the hidden input and its blinding)', () => {
  const path = join(T, 'private', 'x.opening.json');
  const old = process.umask(0o022);
  try {
    writeOpening(path, { format: 'zkinfer-opening', formatVersion: 1, vkeyHash: honest.vkeyHash, input: { integers: ['1'], blinding: '5' } });
  } finally {
    process.umask(old);
  }
  assert.equal(statSync(path).mode & 0o077, 0, `opening mode ${(statSync(path).mode & 0o777).toString(8)}`);
});

test('a trusted-key store entry nested 100,000 deep is a one-line error, not a stack overflow', async () => {
  const dir = join(T, 'deep-store');
  const deep = '['.repeat(100_000) + ']'.repeat(100_000);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'trusted-keys.json'), `{"format":"zkinfer-trusted-keys","formatVersion":1,"keys":[{"name":"x","vkeyHash":"${'0'.repeat(64)}","addedAt":"now","vkey":{"a":${deep}}}]}`);
  await assert.rejects(verifyBundle({ bundle: honest, keyStoreDir: dir }), (e: Error) => e instanceof UserError && /trusted-keys\.json: trusted-key store nested deeper than 64 levels$/.test(e.message));
});
