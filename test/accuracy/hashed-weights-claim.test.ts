/**
 * Accuracy claims of a model with hashed weights, through the CLI (on the tiny MLP: the
 * mechanism, not the digits MLP, is under test; the digits story is test/e2e/hashed-weights): the claim names W, and a
 * verifier holding only (chunk key, W, D) checks it. Attacks: chunks proven with other weights
 * of the same architecture (hence under the very same chunk key) fail the W pin; a claim mixing
 * chunk proofs of two weight sets fails `weights` whichever W it names; an unpinned W fails
 * unless --allow-unpinned; --weights-commitment on a fixed-weights key is exit 2.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccuracyClaim } from '../../src/formats/claim.js';
import { shutdown } from '../../src/runtime/curve.js';
import { quantizeModel } from '../../src/quantize/quantize-model.js';
import { compileCircuit } from '../../src/compile/compile-circuit.js';
import { commitWeights } from '../../src/prove/weights-opening.js';
import { verifyClaim, type VerifyClaimOptions } from '../../src/accuracy/verify-claim.js';
import { prng, randArray } from '../../tools/onnx/write-onnx.js';
import { zkinfer, zkinferOk } from '../helpers/cli.js';
import { writeTinyModel } from '../helpers/trusted-fixtures.js';

type Mutable<T> = { -readonly [K in keyof T]: Mutable<T[K]> };

const dir = mkdtempSync(join(tmpdir(), 'zkinfer-hashed-claim-'));
const buildA = join(dir, 'a');
const buildB = join(dir, 'b');
const data = join(dir, 'data.jsonl');
const keyA = join(buildA, 'accuracy', 'chunk-2', 'vkey.json');
let claimA: AccuracyClaim;
let claimB: AccuracyClaim;

/** `zkinfer weights commit BUILD --force` in process: a fresh blinding, W of the build's current weights. */
async function commitFresh(build: string): Promise<string> {
  return (await commitWeights({ buildDir: build, force: true })).file.commitment;
}

/** `zkinfer accuracy` through the CLI: the claim is what this file tests. */
function prove(build: string, out: string, workers: string, ...extra: string[]): AccuracyClaim {
  zkinferOk([
    'accuracy',
    build,
    '--dataset',
    data,
    '--out',
    out,
    '--chunk',
    '2',
    '--workers',
    workers,
    '--json',
    ...extra,
  ]);
  return JSON.parse(readFileSync(join(out, 'claim.json'), 'utf8')) as AccuracyClaim;
}

// The build, its compile and weight commitments in process (no CLI start-up: not what is tested here).
before(async () => {
  // The tiny MLP (4 → 3 → 2): chunk circuits of a few thousand constraints instead of 2^15–2^16.
  const onnx = join(dir, 'tiny.onnx');
  writeTinyModel(onnx);
  const rnd = prng(11);
  const lines = [0, 1, 0, 1].map((label) => JSON.stringify({ input: randArray(rnd, 4, -1, 1), label }));
  writeFileSync(data, lines.join('\n') + '\n');
  const input = join(dir, 'x.json');
  writeFileSync(input, JSON.stringify([0.5, -0.25, 0.75, 0.1]));
  await quantizeModel({ modelPath: onnx, outDir: buildA, inputPaths: [input], weights: 'hashed' });
  compileCircuit({ buildDir: buildA });
  await commitFresh(buildA);
  // Two worker threads for A (each proves with the owner's weight opening), one for B.
  claimA = prove(buildA, join(dir, 'out-a'), '2');
  // Model B: the same architecture with other weights (the first layer's weights reversed, all
  // still in range), so the same chunk circuit and the very same chunk key, copied from A.
  cpSync(buildA, buildB, { recursive: true });
  const qPath = join(buildB, 'model.quant.json');
  const q = JSON.parse(readFileSync(qPath, 'utf8')) as { ops: Array<{ kind: string; weight?: number[] }> };
  const first = q.ops.find((op) => op.weight && op.weight.length > 1)!;
  first.weight!.reverse();
  writeFileSync(qPath, JSON.stringify(q));
  await commitFresh(buildB);
  // The same dataset opening: the same D, so only the weights differ.
  claimB = prove(buildB, join(dir, 'out-b'), '1', '--opening', join(dir, 'out-a', 'dataset.opening.json'));
});
after(async () => {
  await shutdown();
  rmSync(dir, { recursive: true, force: true });
});

function verify(
  claim: unknown,
  ...flags: string[]
): { code: number | null; stderr: string; report: { valid: boolean; failed?: string; weightsCommitment?: string } } {
  const path = join(dir, `claim-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(claim));
  const r = zkinfer(['verify', path, '--json', ...flags]);
  return { code: r.code, stderr: r.stderr, report: r.stdout ? JSON.parse(r.stdout) : { valid: false } };
}

const pins = (w: string): string[] => [
  '--vkey',
  keyA,
  '--weights-commitment',
  w,
  '--dataset-commitment',
  claimA.dataset.commitment,
];

/** In-process verification (the CLI path is exercised by the first and last tests): what failed, if anything. */
async function failedCheck(claim: unknown, opts: Partial<VerifyClaimOptions> & { weightsCommitment?: string }) {
  const r = await verifyClaim({ claim, vkeyPath: keyA, datasetCommitment: claimA.dataset.commitment, ...opts });
  return { failed: r.failed, detail: r.checks.find((c) => !c.ok)?.detail, warnings: r.warnings };
}

test('a hashed-weights claim names W and verifies with the W, D and key pins and a minimum accuracy', () => {
  assert.match(claimA.weights?.commitment ?? '', /^0x[0-9a-f]{64}$/);
  assert.equal(claimA.chunks.length, 2);
  for (const ch of claimA.chunks) assert.equal(BigInt(ch.publicSignals[2]!), BigInt(claimA.weights!.commitment));
  const r = verify(claimA, ...pins(claimA.weights!.commitment), '--min-accuracy', String(claimA.result.accuracy));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.report.valid, true);
  assert.equal(r.report.weightsCommitment, claimA.weights!.commitment);
});

test('chunks proven with other weights of the same architecture share the key but fail the W pin', async () => {
  // One key for the architecture: B's claim is made with A's chunk key, under another W.
  assert.equal(claimB.vkeyHash, claimA.vkeyHash);
  assert.equal(claimB.dataset.commitment, claimA.dataset.commitment);
  const [wA, wB] = [claimA.weights!.commitment, claimB.weights!.commitment];
  assert.notEqual(wB, wA);
  assert.equal((await failedCheck(claimB, { weightsCommitment: wB })).failed, undefined);
  const r = await failedCheck(claimB, { weightsCommitment: wA });
  assert.equal(r.failed, 'weights');
  assert.match(r.detail!, /not the published/);
  // Relabelling B's claim with A's W does not help: its chunks prove B's.
  const relabelled = { ...claimB, weights: { commitment: wA } };
  assert.equal((await failedCheck(relabelled, { weightsCommitment: wA })).failed, 'weights');
});

test('a claim mixing chunk proofs of two weight sets fails, whichever W it names', async () => {
  const mixed = JSON.parse(JSON.stringify(claimA)) as Mutable<AccuracyClaim>;
  mixed.chunks[1] = JSON.parse(JSON.stringify(claimB.chunks[1])) as Mutable<AccuracyClaim>['chunks'][number];
  mixed.result.correct = mixed.chunks.reduce((a, c) => a + c.count, 0);
  mixed.result.accuracy = mixed.result.correct / mixed.result.samples;
  for (const [w, bad] of [
    [claimA.weights!.commitment, 1],
    [claimB.weights!.commitment, 0],
  ] as const) {
    const r = await failedCheck({ ...mixed, weights: { commitment: w } }, { weightsCommitment: w });
    assert.equal(r.failed, 'weights');
    assert.match(r.detail!, new RegExp(`^chunk ${bad}: proven with weights`));
  }
});

test('an unpinned W fails unless --allow-unpinned; the pin on a fixed-weights key is exit 2', async () => {
  assert.equal((await failedCheck(claimA, {})).failed, 'weights');
  const allowed = await failedCheck(claimA, { allowUnpinned: true });
  assert.equal(allowed.failed, undefined);
  assert.ok(allowed.warnings.some((w) => /weights commitment is not pinned/.test(w)));
  // A key whose layout has no W (fixed weights): --weights-commitment does not apply.
  const fixedKey = JSON.parse(JSON.stringify(claimA.vkey)) as { zkinfer: { layout: Record<string, unknown> } };
  delete fixedKey.zkinfer.layout['weights'];
  const keyPath = join(dir, 'fixed-vkey.json');
  writeFileSync(keyPath, JSON.stringify(fixedKey));
  const fixed = verify(claimA, '--vkey', keyPath, '--weights-commitment', claimA.weights!.commitment);
  assert.equal(fixed.code, 2, fixed.stderr);
  assert.match(fixed.stderr, /--weights-commitment does not apply/);
});
