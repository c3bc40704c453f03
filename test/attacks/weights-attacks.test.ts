/**
 * Attacks on hashed weights, each performed and expected to fail. The owner's build A (the tiny
 * MLP of test/helpers: the mechanism is under test, not the digits MLP; hashed weights, dev
 * keys) and an attacker's build B: the same architecture with one weight changed, quantized with A's settings (same architecture, so the same r1cs)
 * and proven with
 * A's very keys. The key then cannot tell A from B: only the pinned W can.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zkinfer, zkinferOk } from '../helpers/cli.js';
import { writeTinyModel } from '../helpers/trusted-fixtures.js';
import { quantizeModel } from '../../src/quantize/quantize-model.js';
import { compileCircuit } from '../../src/compile/compile-circuit.js';
import { setupKeys } from '../../src/setup/setup-keys.js';
import { commitWeights } from '../../src/prove/weights-opening.js';
import { createProver, writeBundle } from '../../src/prove/prover.js';
import { readInputFile } from '../../src/onnx/input-file.js';
import { shutdown } from '../../src/runtime/curve.js';

const T = mkdtempSync(join(tmpdir(), 'zkinfer-weights-attacks-'));
const A = join(T, 'a');
const B = join(T, 'b');
const F = join(T, 'fixed');
const SAMPLE = join(T, 'tiny-input.json');
let wA = '';
let bundleA = '';
let bundleB = '';
let bundleF = '';

type Bundle = { publicSignals: string[]; weights: { commitment: string }; layout: { weights: { offset: number } } };
const readBundle = (p: string): Bundle => JSON.parse(readFileSync(p, 'utf8')) as Bundle;

/** Proves `input` with the build in `dir` (no float check: not what these tests are about); returns the bundle path. */
async function prove(dir: string, input: string, shape: number[]): Promise<string> {
  const r = await createProver({ buildDir: dir, fidelity: false }).prove(readInputFile(input, shape), {
    source: input,
  });
  const path = join(dir, 'proofs', 'x.proof.json');
  writeBundle(path, r);
  return path;
}

// In-process (no CLI start-up per step): the owner's build A, the attacker's B, and a fixed-weights
// build F of the same tiny model.
before(async () => {
  const tiny = join(T, 'tiny.onnx');
  writeTinyModel(tiny);
  writeFileSync(SAMPLE, JSON.stringify([0.5, -0.25, 0.75, 0.1]));
  await quantizeModel({ modelPath: tiny, outDir: A, inputPaths: [SAMPLE], weights: 'hashed' });
  compileCircuit({ buildDir: A });
  await setupKeys({ buildDir: A });
  wA = (await commitWeights({ buildDir: A })).file.commitment;
  bundleA = await prove(A, SAMPLE, [1, 4]);
  // The attacker: other weights, the owner's architecture decisions (settings.json), the owner's keys.
  const onnxB = join(T, 'b.onnx');
  writeTinyModel(onnxB, 0.3);
  await quantizeModel({ modelPath: onnxB, outDir: B, inputPaths: [SAMPLE], settingsPath: join(A, 'settings.json') });
  compileCircuit({ buildDir: B });
  for (const f of ['circuit.zkey', 'vkey.json', 'setup.json']) copyFileSync(join(A, f), join(B, f));
  await commitWeights({ buildDir: B });
  bundleB = await prove(B, SAMPLE, [1, 4]);
  await quantizeModel({ modelPath: tiny, outDir: F, inputPaths: [SAMPLE] });
  compileCircuit({ buildDir: F });
  await setupKeys({ buildDir: F });
  bundleF = await prove(F, SAMPLE, [1, 4]);
});

after(async () => {
  await shutdown();
  rmSync(T, { recursive: true, force: true });
});

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
  const r = zkinfer(['verify', bundleF, '--vkey', join(F, 'vkey.json'), '--weights-commitment', wA]);
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
