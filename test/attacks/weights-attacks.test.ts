/**
 * Attacks on hashed weights, each performed and expected to fail. The owner's build A (digits
 * MLP, hashed weights, dev keys) and an attacker's build B: the same ONNX with one weight
 * changed, quantized with A's settings (same architecture, so the same r1cs) and proven with
 * A's very keys. The key then cannot tell A from B: only the pinned W can.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zkinfer, zkinferOk } from '../helpers/cli.js';
import { tweakOneWeight } from '../helpers/model-binding-helpers.js';

const T = mkdtempSync(join(tmpdir(), 'zkinfer-weights-attacks-'));
const A = join(T, 'a');
const B = join(T, 'b');
const F = join(T, 'fixed');
const SAMPLE = 'models/samples/digit-3.json';
let wA = '';
let bundleA = '';
let bundleB = '';

type Bundle = { publicSignals: string[]; weights: { commitment: string }; layout: { weights: { offset: number } } };
const readBundle = (p: string): Bundle => JSON.parse(readFileSync(p, 'utf8')) as Bundle;
const prove = (dir: string): string =>
  (JSON.parse(zkinferOk(['prove', dir, '--input', SAMPLE, '--json']).stdout) as { bundle: string }).bundle;
const quantize = (onnx: string, out: string, ...extra: string[]) =>
  zkinferOk(['quantize', onnx, '--out', out, '--calibration', 'models/calibration.json', ...extra]);

before(() => {
  quantize('models/digits-mlp.onnx', A, '--weights', 'hashed');
  zkinferOk(['compile', A]);
  zkinferOk(['setup', A]);
  wA = zkinferOk(['weights', 'commit', A]).stdout.trim();
  bundleA = prove(A);
  // The attacker: other weights, the owner's architecture decisions, the owner's keys.
  const onnxB = join(T, 'b.onnx');
  tweakOneWeight('models/digits-mlp.onnx', onnxB);
  quantize(onnxB, B, '--weights', 'hashed', '--settings', join(A, 'settings.json'));
  zkinferOk(['compile', B]);
  for (const f of ['circuit.zkey', 'vkey.json', 'setup.json']) copyFileSync(join(A, f), join(B, f));
  zkinferOk(['weights', 'commit', B]);
  bundleB = prove(B);
  quantize('models/digits-mlp.onnx', F);
  zkinferOk(['compile', F]);
  zkinferOk(['setup', F]);
});

after(() => rmSync(T, { recursive: true, force: true }));

const verifyA = (bundle: string, ...extra: string[]) =>
  zkinfer(['verify', bundle, '--vkey', join(A, 'vkey.json'), ...extra]);

test('the attacker really has one key for two models: B has the architecture id of A and a valid proof', () => {
  const circuitA = JSON.parse(readFileSync(join(A, 'circuit.json'), 'utf8')) as { modelId: string };
  const circuitB = JSON.parse(readFileSync(join(B, 'circuit.json'), 'utf8')) as { modelId: string };
  assert.equal(circuitB.modelId, circuitA.modelId);
  assert.notEqual(BigInt(readBundle(bundleB).weights.commitment), BigInt(wA), 'other weights, another W');
  const r = verifyA(bundleB, '--allow-unpinned', '--json');
  assert.equal(r.code, 0, r.stdout + r.stderr);
});

test("a proof made with other weights under the owner's key fails the W pin (weights check, exit 1)", () => {
  const r = verifyA(bundleB, '--weights-commitment', wA);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /invalid: weights check failed/);
  zkinferOk(['verify', bundleA, '--vkey', join(A, 'vkey.json'), '--weights-commitment', wA]);
});

test('W of model A with the outputs of model B fails the proof check', () => {
  const b = readBundle(bundleB);
  b.publicSignals[b.layout.weights.offset] = BigInt(wA).toString();
  b.weights.commitment = BigInt(wA).toString();
  const forged = join(T, 'forged.proof.json');
  writeFileSync(forged, JSON.stringify(b));
  const r = verifyA(forged, '--weights-commitment', wA, '--json');
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const report = JSON.parse(r.stdout) as { failed: string; checks: { check: string; ok: boolean }[] };
  assert.ok(report.checks.find((c) => c.check === 'weights')!.ok, 'the relabelled signal matches the pin');
  assert.equal(report.failed, 'proof');
});

test('an unpinned W fails unless --allow-unpinned, which reports it unverified', () => {
  const r = verifyA(bundleA);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /weights check failed: .*not pinned/);
  const ok = verifyA(bundleA, '--allow-unpinned', '--json');
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  const report = JSON.parse(ok.stdout) as { weightsPinned: boolean; checks: { check: string; unverified?: boolean }[] };
  assert.equal(report.weightsPinned, false);
  assert.equal(report.checks.find((c) => c.check === 'weights')!.unverified, true);
});

test('a bundle whose weights.commitment field differs from the public signal fails bundle-fields', () => {
  const b = readBundle(bundleA);
  b.weights.commitment = (BigInt(b.weights.commitment) + 1n).toString();
  const edited = join(T, 'edited.proof.json');
  writeFileSync(edited, JSON.stringify(b));
  const r = verifyA(edited, '--weights-commitment', wA);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /bundle-fields check failed: weights\.commitment differs/);
});

test('options that do not apply are errors (exit 2): W on a fixed build, an opening without --model', () => {
  const fixedBundle = prove(F);
  const r = zkinfer(['verify', fixedBundle, '--vkey', join(F, 'vkey.json'), '--weights-commitment', wA]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /--weights-commitment does not apply: the key has fixed weights/);
  const o = verifyA(bundleA, '--weights-commitment', wA, '--weights-opening', join(A, 'weights.opening.json'));
  assert.equal(o.code, 2, o.stdout + o.stderr);
  assert.match(o.stderr, /--weights-opening needs --model/);
  const c = zkinfer(['weights', 'commit', F]);
  assert.equal(c.code, 2, c.stdout + c.stderr);
  assert.match(c.stderr, /fixed weights/);
});

test('a hashed build without its weight opening cannot prove (exit 2 naming weights commit)', () => {
  const opening = join(B, 'weights.opening.json');
  rmSync(opening);
  const r = zkinfer(['prove', B, '--input', SAMPLE]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /weights\.opening\.json: missing.*zkinfer weights commit/);
});
