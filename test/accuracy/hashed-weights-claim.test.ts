/**
 * Accuracy claims of a model with hashed weights, through the CLI: the claim names W, and a
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
import { zkinfer, zkinferOk } from '../helpers/cli.js';
import { MODELS } from '../helpers/paths.js';

type Mutable<T> = { -readonly [K in keyof T]: Mutable<T[K]> };

const dir = mkdtempSync(join(tmpdir(), 'zkinfer-hashed-claim-'));
const buildA = join(dir, 'a');
const buildB = join(dir, 'b');
const data = join(dir, 'data.jsonl');
const keyA = join(buildA, 'accuracy', 'chunk-2', 'vkey.json');
let claimA: AccuracyClaim;
let claimB: AccuracyClaim;

/** `zkinfer weights commit BUILD --force`: a fresh blinding, W of the build's current weights. */
function commitWeights(build: string): string {
  const r = zkinferOk(['weights', 'commit', build, '--force', '--json']);
  return (JSON.parse(r.stdout) as { commitment: string }).commitment;
}

function prove(build: string, out: string, ...extra: string[]): AccuracyClaim {
  zkinferOk(['accuracy', build, '--dataset', data, '--out', out, '--chunk', '2', '--workers', '2', '--json', ...extra]);
  return JSON.parse(readFileSync(join(out, 'claim.json'), 'utf8')) as AccuracyClaim;
}

before(() => {
  const lines = readFileSync(join(MODELS, 'digits-test.jsonl'), 'utf8').split('\n').slice(0, 6);
  writeFileSync(data, lines.join('\n') + '\n');
  zkinferOk([
    'quantize',
    join(MODELS, 'digits-mlp.onnx'),
    '--out',
    buildA,
    '--calibration',
    join(MODELS, 'calibration.json'),
    '--weights',
    'hashed',
  ]);
  zkinferOk(['compile', buildA]);
  commitWeights(buildA);
  claimA = prove(buildA, join(dir, 'out-a'));
  // Model B: the same architecture with other weights (the first layer's weights reversed, all
  // still in range), so the same chunk circuit and the very same chunk key, copied from A.
  cpSync(buildA, buildB, { recursive: true });
  const qPath = join(buildB, 'model.quant.json');
  const q = JSON.parse(readFileSync(qPath, 'utf8')) as { ops: Array<{ kind: string; weight?: number[] }> };
  const first = q.ops.find((op) => op.weight && op.weight.length > 1)!;
  first.weight!.reverse();
  writeFileSync(qPath, JSON.stringify(q));
  commitWeights(buildB);
  // The same dataset opening: the same D, so only the weights differ.
  claimB = prove(buildB, join(dir, 'out-b'), '--opening', join(dir, 'out-a', 'dataset.opening.json'));
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

test('a hashed-weights claim names W and verifies with the W, D and key pins and a minimum accuracy', () => {
  assert.match(claimA.weights?.commitment ?? '', /^0x[0-9a-f]{64}$/);
  assert.equal(claimA.chunks.length, 3);
  for (const ch of claimA.chunks) assert.equal(BigInt(ch.publicSignals[2]!), BigInt(claimA.weights!.commitment));
  const r = verify(claimA, ...pins(claimA.weights!.commitment), '--min-accuracy', String(claimA.result.accuracy));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.report.valid, true);
  assert.equal(r.report.weightsCommitment, claimA.weights!.commitment);
});

test('chunks proven with other weights of the same architecture share the key but fail the W pin', () => {
  // One key for the architecture: B's claim is made with A's chunk key, under another W.
  assert.equal(claimB.vkeyHash, claimA.vkeyHash);
  assert.equal(claimB.dataset.commitment, claimA.dataset.commitment);
  assert.notEqual(claimB.weights!.commitment, claimA.weights!.commitment);
  assert.equal(verify(claimB, ...pins(claimB.weights!.commitment)).code, 0);
  const r = verify(claimB, ...pins(claimA.weights!.commitment));
  assert.equal(r.code, 1);
  assert.equal(r.report.failed, 'weights');
  // Relabelling B's claim with A's W does not help: its chunks prove B's.
  const relabelled = { ...claimB, weights: { commitment: claimA.weights!.commitment } };
  assert.equal(verify(relabelled, ...pins(claimA.weights!.commitment)).report.failed, 'weights');
});

test('a claim mixing chunk proofs of two weight sets fails, whichever W it names', () => {
  const mixed = JSON.parse(JSON.stringify(claimA)) as Mutable<AccuracyClaim>;
  mixed.chunks[1] = JSON.parse(JSON.stringify(claimB.chunks[1])) as Mutable<AccuracyClaim>['chunks'][number];
  mixed.result.correct = mixed.chunks.reduce((a, c) => a + c.count, 0);
  mixed.result.accuracy = mixed.result.correct / mixed.result.samples;
  for (const w of [claimA.weights!.commitment, claimB.weights!.commitment]) {
    const r = verify({ ...mixed, weights: { commitment: w } }, ...pins(w));
    assert.equal(r.code, 1);
    assert.equal(r.report.failed, 'weights');
  }
});

test('an unpinned W fails unless --allow-unpinned; the pin on a fixed-weights key is exit 2', () => {
  const bare = ['--vkey', keyA, '--dataset-commitment', claimA.dataset.commitment];
  const r = verify(claimA, ...bare);
  assert.equal(r.code, 1);
  assert.equal(r.report.failed, 'weights');
  const allowed = verify(claimA, ...bare, '--allow-unpinned');
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.match(allowed.stderr, /weights commitment is not pinned/);
  // A key whose layout has no W (fixed weights): --weights-commitment does not apply.
  const fixedKey = JSON.parse(JSON.stringify(claimA.vkey)) as { zkinfer: { layout: Record<string, unknown> } };
  delete fixedKey.zkinfer.layout['weights'];
  const keyPath = join(dir, 'fixed-vkey.json');
  writeFileSync(keyPath, JSON.stringify(fixedKey));
  const fixed = verify(claimA, '--vkey', keyPath, '--weights-commitment', claimA.weights!.commitment);
  assert.equal(fixed.code, 2, fixed.stderr);
  assert.match(fixed.stderr, /--weights-commitment does not apply/);
});
