/**
 * Accuracy proofs end to end through the CLI: prove, verify with pinned key and dataset, the
 * proven K equals the integer reference's count, kill -9 recovery, and every attack on a claim
 * (K+1, a chunk dropped, duplicated, reordered or taken from another dataset, another model's
 * key, N changed, a forged count) rejected with exit 1 and the check named.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccuracyClaim } from '../../src/formats/claim.js';
import { readQuantizedModel } from '../../src/compile/compile-circuit.js';
import { combineChunkCommitments, toHex } from '../../src/accuracy/dataset-commitment.js';
import { quantizeModel } from '../../src/quantize/quantize-model.js';
import { argmax, runIntegerModel } from '../../src/quantize/quantized-model.js';
import { quantizeInput } from '../../src/quantize/quantize-input.js';
import { shutdown } from '../../src/runtime/curve.js';
import { verifyClaim, VerifyClaimOptions } from '../../src/accuracy/verify-claim.js';
import { MODELS, CLI } from '../helpers/paths.js';

type Mutable<T> = { -readonly [K in keyof T]: Mutable<T[K]> };
type Claim = Mutable<AccuracyClaim>;

const dir = mkdtempSync(join(tmpdir(), 'zkinfer-accuracy-'));
const digits = JSON.parse(readFileSync(join(MODELS, 'digits-test.json'), 'utf8')) as {
  inputs: number[][];
  labels: number[];
};
const build = join(dir, 'build');
const other = join(dir, 'build-other');
const dataA = join(dir, 'a.jsonl');
const dataB = join(dir, 'b.jsonl');
const keyA = join(build, 'accuracy', 'chunk-8', 'vkey.json');
let claimA: AccuracyClaim;

function zkinfer(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function writeData(path: string, from: number, to: number): void {
  writeFileSync(
    path,
    digits.inputs
      .slice(from, to)
      .map((x, i) => JSON.stringify({ input: x, label: digits.labels[from + i] }))
      .join('\n') + '\n',
  );
}

function prove(buildDir: string, data: string, out: string): AccuracyClaim {
  const r = zkinfer('accuracy', buildDir, '--dataset', data, '--out', out, '--chunk', '8', '--workers', '2', '--json');
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(readFileSync(join(out, 'claim.json'), 'utf8')) as AccuracyClaim;
}

before(async () => {
  await quantizeModel({
    modelPath: join(MODELS, 'digits-mlp.onnx'),
    outDir: build,
    calibrationPath: join(MODELS, 'calibration.json'),
  });
  await quantizeModel({
    modelPath: join(MODELS, 'digits-mlp.onnx'),
    outDir: other,
    calibrationPath: join(MODELS, 'calibration.json'),
    activationBits: 7,
  });
  writeData(dataA, 0, 20);
  writeData(dataB, 20, 36);
  claimA = prove(build, dataA, join(dir, 'out-a'));
});
after(async () => {
  await shutdown();
  rmSync(dir, { recursive: true, force: true });
});

function verify(
  claim: unknown,
  ...flags: string[]
): {
  status: number | null;
  report: {
    valid: boolean;
    failed?: string;
    checks: Array<{ check: string; ok: boolean; detail: string }>;
    correct?: number;
  };
} {
  const path = join(dir, `claim-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(claim));
  const r = zkinfer('verify', path, '--json', ...flags);
  return { status: r.status, report: JSON.parse(r.stdout) };
}

const pinned = (): VerifyClaimOptions => ({ vkeyPath: keyA, datasetCommitment: claimA.dataset.commitment });

/** In-process verification (the CLI path is exercised by the first and last tests). */
async function assertRejected(claim: unknown, check: string, opts: VerifyClaimOptions = pinned()): Promise<void> {
  const report = await verifyClaim({ claim, ...opts });
  assert.equal(report.valid, false);
  assert.equal(report.failed, check, JSON.stringify(report.checks.filter((c) => !c.ok)));
}

/** The attacker's best effort: keep the claim's own D consistent with whatever chunks it lists. */
async function withConsistentD(c: Claim): Promise<Claim> {
  const d = await combineChunkCommitments(
    c.dataset.samples,
    c.dataset.chunkSize,
    c.chunks.map((ch) => BigInt(ch.publicSignals[0]!)),
  );
  return { ...c, dataset: { ...c.dataset, commitment: toHex(d), chunks: c.chunks.length } };
}

const clone = (c: AccuracyClaim): Claim => JSON.parse(JSON.stringify(c)) as Claim;

test("the claim verifies with the pinned key and dataset, and K is the integer reference's count exactly", async () => {
  const { model } = readQuantizedModel(build);
  const ref = digits.inputs
    .slice(0, 20)
    .filter(
      (x, i) => argmax(runIntegerModel(model, quantizeInput(model, x)).get(model.output.name)!) === digits.labels[i],
    ).length;
  assert.equal(claimA.result.correct, ref);
  assert.equal(claimA.unverified.quantized.correct, ref);
  assert.deepEqual(
    [claimA.dataset.samples, claimA.dataset.chunks, claimA.chunks.map((c) => c.samples)],
    [20, 3, [8, 8, 4]],
  );
  const { status, report } = verify(
    claimA,
    '--vkey',
    keyA,
    '--dataset-commitment',
    claimA.dataset.commitment,
    '--min-accuracy',
    '0.5',
  );
  assert.equal(status, 0, JSON.stringify(report));
  assert.equal(report.correct, ref);
  const withData = verify(
    claimA,
    '--vkey',
    keyA,
    '--dataset',
    dataA,
    '--opening',
    join(dir, 'out-a', 'dataset.opening.json'),
  );
  assert.equal(withData.status, 0, JSON.stringify(withData.report));
  // --min-accuracy above the proven accuracy fails by name.
  const low = verify(
    claimA,
    '--vkey',
    keyA,
    '--dataset-commitment',
    claimA.dataset.commitment,
    '--min-accuracy',
    String((ref + 1) / 20),
  );
  assert.deepEqual([low.status, low.report.failed], [1, 'min-accuracy']);
  // Nothing pinned: refused unless the verifier says so.
  await assertRejected(claimA, 'pin', {});
  assert.equal((await verifyClaim({ claim: claimA, allowUnpinned: true })).valid, true);
});

test('attacks on the claim are rejected by name', async () => {
  let c = clone(claimA);
  c.result.correct++;
  c.result.accuracy = c.result.correct / 20;
  await assertRejected(c, 'count');

  c = clone(claimA);
  c.chunks[1]!.count++;
  c.chunks[1]!.publicSignals[1] = String(c.chunks[1]!.count);
  c.result.correct++;
  c.result.accuracy = c.result.correct / 20;
  await assertRejected(c, 'proof');

  // The same forgery caught when the chunk proofs are checked on the worker pool.
  await assertRejected(c, 'proof', { ...pinned(), poolMinChunks: 1, workers: 2 });
  assert.equal((await verifyClaim({ claim: claimA, ...pinned(), poolMinChunks: 1, workers: 2 })).valid, true);

  c = clone(claimA);
  c.chunks.splice(1, 1);
  await assertRejected(c, 'chunks');
  c.chunks[1]!.index = 1;
  await assertRejected(c, 'chunks');

  // Duplicated: chunk 0 in place of chunk 1 (index fixed), D kept consistent by the attacker.
  c = clone(claimA);
  c.chunks[1] = { ...clone(claimA).chunks[0]!, index: 1 };
  await assertRejected(c, 'dataset-commitment');
  await assertRejected(await withConsistentD(c), 'dataset-pin');

  // Reordered: chunks 0 and 1 swapped.
  c = clone(claimA);
  [c.chunks[0], c.chunks[1]] = [
    { ...c.chunks[1]!, index: 0 },
    { ...c.chunks[0]!, index: 1 },
  ];
  await assertRejected(c, 'dataset-commitment');
  await assertRejected(await withConsistentD(c), 'dataset-pin');
  const byData = { vkeyPath: keyA, dataset: dataA, opening: join(dir, 'out-a', 'dataset.opening.json') };
  await assertRejected(await withConsistentD(c), 'dataset-pin', byData);

  // N changed: one sample more in the last chunk.
  c = clone(claimA);
  c.dataset.samples = 21;
  c.result.samples = 21;
  c.result.accuracy = c.result.correct / 21;
  await assertRejected(c, 'chunks');
  c.chunks[2]!.samples = 5;
  await assertRejected(c, 'dataset-commitment');
  await assertRejected(await withConsistentD(c), 'dataset-pin');
});

test("a chunk from another dataset and a claim under another model's key are rejected", async () => {
  const claimB = prove(build, dataB, join(dir, 'out-b'));
  assert.equal(claimB.vkeyHash, claimA.vkeyHash, 'same model, same chunk key');
  const c = clone(claimA);
  c.chunks[0] = claimB.chunks[0]!;
  await assertRejected(c, 'dataset-commitment');
  await assertRejected(await withConsistentD(c), 'dataset-pin');

  const claimOther = prove(other, dataA, join(dir, 'out-other'));
  assert.notEqual(claimOther.vkeyHash, claimA.vkeyHash);
  // As for bundles: the pinned file is trusted (pin), but it is not the claim's key (vkey).
  await assertRejected(claimOther, 'vkey', { vkeyPath: keyA, datasetCommitment: claimOther.dataset.commitment });
  await assertRejected(claimOther, 'pin', {
    vkeyHash: claimA.vkeyHash,
    datasetCommitment: claimOther.dataset.commitment,
  });
  const cli1 = verify(claimOther, '--vkey', keyA, '--dataset-commitment', claimOther.dataset.commitment);
  assert.deepEqual([cli1.status, cli1.report.failed], [1, 'vkey']);
  // Its own proofs checked against the trusted key fail too (the embedded key is not used once pinned).
  const relabeled = {
    ...clone(claimOther),
    vkey: claimA.vkey,
    vkeyHash: claimA.vkeyHash,
    modelId: claimA.modelId,
    quantizedSha256: claimA.quantizedSha256,
    dataset: { ...claimOther.dataset, encoding: claimA.dataset.encoding },
  };
  await assertRejected(relabeled, 'proof', { vkeyPath: keyA, datasetCommitment: claimOther.dataset.commitment });
  // A malformed claim is a format error: exit 2.
  const { status, report } = verify({ ...clone(claimA), chunks: 'none' }, '--vkey', keyA);
  // With --json, exit 2 prints the error object alone (docs/json-output.md).
  const error = (report as unknown as { error?: { code: number; message: string } }).error;
  assert.deepEqual([status, report.checks, error?.code], [2, undefined, 2]);
  assert.ok(error!.message.length > 0, 'the one-line reason');
});

test('accuracy with the opening of `dataset commit` proves the published commitment; another chunk size is refused', () => {
  const pub = join(dir, 'published');
  const c = zkinfer('dataset', 'commit', dataA, '--build', build, '--chunk', '8', '--out', pub);
  assert.equal(c.status, 0, c.stderr);
  const published = c.stdout.trim();
  const opening = join(pub, 'a.opening.json');
  const r = zkinfer(
    'accuracy',
    build,
    '--dataset',
    dataA,
    '--opening',
    opening,
    '--out',
    join(dir, 'out-pub'),
    '--workers',
    '2',
    '--json',
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { datasetCommitment: string; chunkSize: number }).datasetCommitment, published);
  const bad = zkinfer(
    'accuracy',
    build,
    '--dataset',
    dataA,
    '--opening',
    opening,
    '--chunk',
    '10',
    '--out',
    join(dir, 'out-bad'),
  );
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--chunk 10: .*committed with chunks of 8/);
});

test('accuracy proving resumes after kill -9', async () => {
  const out = join(dir, 'out-kill');
  const child = spawn(
    process.execPath,
    [CLI, 'accuracy', build, '--dataset', dataA, '--out', out, '--chunk', '8', '--workers', '1', '--json'],
    { stdio: 'ignore' },
  );
  const chunks = join(out, 'chunks');
  const t0 = Date.now();
  while (!(existsSync(chunks) && readdirSync(chunks).some((n) => n.endsWith('.json'))) && Date.now() - t0 < 120_000)
    await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  assert.ok(!existsSync(join(out, 'claim.json')), 'killed before the claim was written');
  const r = zkinfer('accuracy', build, '--dataset', dataA, '--out', out, '--chunk', '8', '--workers', '2', '--json');
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { skipped: number; proved: number; correct: number; datasetCommitment: string };
  assert.ok(s.skipped >= 1, `reused ${s.skipped} chunk proofs`);
  assert.equal(s.skipped + s.proved, 3);
  assert.equal(s.correct, claimA.result.correct);
  const claim = JSON.parse(readFileSync(join(out, 'claim.json'), 'utf8')) as AccuracyClaim;
  assert.equal((await verifyClaim({ claim, vkeyPath: keyA, datasetCommitment: s.datasetCommitment })).valid, true);
});
