/**
 * Issue 19's claim forgeries, performed: the digits MLP (dev setup), a 7-sample dataset whose
 * labels agree with the model on 4 samples and disagree on 3 (the honest claim is 4/7),
 * `dataset commit --chunk 3`, `accuracy --chunk 3`.
 * - F1: a "copy" of the test set with the 3 disagreeing labels changed, a fresh opening and a
 *   7/7 claim over it, verified with the published commitment D as well: `dataset-pin` fails.
 * - F2 (label): the dev chunk key relabelled `setup: "ptau"` does not pass
 *   --require-trusted-setup, whatever --min-contributions says.
 * - F3: options that do not apply to a claim (or a bundle) are errors (exit 2), and --model of
 *   another model with the published settings fails `model-id`.
 * The forgeries that need a key with known toxic waste (F2 proper, F4) are in
 * trusted-setup-attacks.test.ts, on circuits small enough for a locally made powers of tau.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccuracyClaim } from '../../src/formats/claim.js';
import { readQuantizedModel } from '../../src/compile/compile-circuit.js';
import { argmax, runIntegerModel } from '../../src/quantize/quantized-model.js';
import { quantizeInput } from '../../src/quantize/quantize-input.js';
import { vkeyHash } from '../../src/formats/vkey.js';
import { verifyClaim } from '../../src/accuracy/verify-claim.js';
import { verifyBundle } from '../../src/verify/verify-bundle.js';
import { MODELS, CLI } from '../helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'zkinfer-claim-forgery-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const build = join(dir, 'build');
const published = join(dir, 'published.jsonl');
const copy = join(dir, 'copy.jsonl');
const chunkKey = join(build, 'accuracy', 'chunk-3', 'vkey.json');
let D = '';
let honestClaim = '';

function zkinfer(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
function ok(...args: string[]): string {
  const r = zkinfer(...args);
  assert.equal(r.status, 0, `${args.join(' ')}\n${r.stderr}`);
  return r.stdout;
}
let digit3: { bundle: string } | undefined;
/** A bundle of samples/digit-3.json proven with the build's dev key (proven once, for two tests). */
function digit3Bundle(): { bundle: string } {
  digit3 ??= JSON.parse(ok('prove', build, '--input', join(MODELS, 'samples/digit-3.json'), '--json')) as {
    bundle: string;
  };
  return digit3;
}
type Report = { valid: boolean; failed?: string; checks: Array<{ check: string; ok: boolean; detail: string }> };
function verify(...args: string[]): { status: number | null; report: Report; stderr: string } {
  const r = zkinfer('verify', ...args, '--json');
  return { status: r.status, report: r.stdout ? (JSON.parse(r.stdout) as Report) : ({} as Report), stderr: r.stderr };
}
const detail = (r: Report, check: string) => r.checks.find((c) => c.check === check && !c.ok)?.detail ?? '';

before(() => {
  ok('quantize', join(MODELS, 'digits-mlp.onnx'), '--out', build, '--calibration', join(MODELS, 'calibration.json'));
  ok('compile', build);
  ok('setup', build);
  const digits = JSON.parse(readFileSync(join(MODELS, 'digits-test.json'), 'utf8')) as { inputs: number[][] };
  const { model } = readQuantizedModel(build);
  const inputs = digits.inputs.slice(0, 7);
  const predicted = inputs.map((x) => argmax(runIntegerModel(model, quantizeInput(model, x)).get(model.output.name)!));
  // Labels agree with the model on samples 0–3 and disagree on 4–6: the honest claim is 4/7.
  const lines = (labels: number[]) => inputs.map((x, i) => JSON.stringify({ input: x, label: labels[i] })).join('\n');
  writeFileSync(published, lines(predicted.map((p, i) => (i < 4 ? p : (p + 1) % 10))) + '\n');
  writeFileSync(copy, lines(predicted) + '\n');
  const committed = JSON.parse(
    ok('dataset', 'commit', published, '--build', build, '--chunk', '3', '--out', join(dir, 'pub'), '--json'),
  ) as { commitment: string; openingFile: string };
  D = committed.commitment;
  const out = join(dir, 'honest');
  ok('accuracy', build, '--dataset', published, '--opening', committed.openingFile, '--chunk', '3', '--out', out);
  honestClaim = join(out, 'claim.json');
});

test('the honest claim is 4/7 and verifies with both dataset pins', () => {
  const opening = join(dir, 'pub', 'published.opening.json');
  const r = verify(
    honestClaim,
    '--vkey',
    chunkKey,
    '--dataset-commitment',
    D,
    '--dataset',
    published,
    '--opening',
    opening,
  );
  assert.equal(r.status, 0, JSON.stringify(r.report.checks));
  assert.equal((r.report as unknown as { correct: number }).correct, 4);
  assert.match(
    r.report.checks.find((c) => c.check === 'dataset-pin')!.detail,
    /published commitment.*every chunk commits/,
  );
});

test('F1: a relabelled copy of the test set with a fresh opening does not stand in for the published commitment', () => {
  const out = join(dir, 'forged-f1');
  ok('accuracy', build, '--dataset', copy, '--chunk', '3', '--out', out);
  const forged = join(out, 'claim.json');
  const claim = JSON.parse(readFileSync(forged, 'utf8')) as AccuracyClaim;
  assert.equal(claim.result.correct, 7, 'the copy makes a 7/7 claim');
  const opening = join(out, 'dataset.opening.json');
  // Against the copy alone the claim is true: that is why the published D must be checked too.
  assert.equal(verify(forged, '--vkey', chunkKey, '--dataset', copy, '--opening', opening).status, 0);
  const r = verify(forged, '--vkey', chunkKey, '--dataset', copy, '--opening', opening, '--dataset-commitment', D);
  assert.equal(r.status, 1);
  assert.equal(r.report.failed, 'dataset-pin');
  assert.match(detail(r.report, 'dataset-pin'), /is not the published/);
});

test('F2 (label): a dev chunk key relabelled "ptau" fails --require-trusted-setup, whatever --min-contributions says', () => {
  const claim = JSON.parse(readFileSync(honestClaim, 'utf8')) as AccuracyClaim & {
    vkey: { zkinfer: { setup: string } };
  };
  const vkey = { ...claim.vkey, zkinfer: { ...claim.vkey.zkinfer, setup: 'ptau' } };
  const relabelled = { ...claim, vkey, vkeyHash: vkeyHash(vkey), setup: { kind: 'ptau' } };
  const keyPath = join(dir, 'relabelled-vkey.json');
  const claimPath = join(dir, 'relabelled-claim.json');
  writeFileSync(keyPath, JSON.stringify(vkey));
  writeFileSync(claimPath, JSON.stringify(relabelled));
  // The relabelled claim is otherwise consistent: without the trust policy it verifies.
  assert.equal(verify(claimPath, '--vkey', keyPath, '--dataset-commitment', D).status, 0);
  for (const extra of [
    [],
    ['--min-contributions', '5'],
    ['--model', join(MODELS, 'digits-mlp.onnx'), '--settings', join(build, 'settings.json')],
  ]) {
    const r = verify(claimPath, '--vkey', keyPath, '--dataset-commitment', D, '--require-trusted-setup', ...extra);
    assert.equal(r.status, 1, extra.join(' '));
    assert.equal(r.report.failed, 'trusted-setup', JSON.stringify(r.report.checks));
    assert.match(detail(r.report, 'trusted-setup'), /no ceremony transcript/);
  }
});

test('F3: --model of another model with the published settings fails model-id for a claim', () => {
  const settings = join(build, 'settings.json');
  const other = verify(
    honestClaim,
    '--vkey',
    chunkKey,
    '--dataset-commitment',
    D,
    '--model',
    join(MODELS, 'digits-sigmoid.onnx'),
    '--settings',
    settings,
  );
  assert.notEqual(other.status, 0, other.stderr);
  // Replaying the MLP's settings on another model either cannot be done (exit 2) or gives another circuit (exit 1).
  if (other.status === 1) assert.equal(other.report.failed, 'model-id');
  else assert.match(other.stderr, /settings|decision|digits-sigmoid/);
  const same = verify(
    honestClaim,
    '--vkey',
    chunkKey,
    '--dataset-commitment',
    D,
    '--model',
    join(MODELS, 'digits-mlp.onnx'),
    '--settings',
    settings,
  );
  assert.equal(same.status, 0, JSON.stringify(same.report.checks));
  const bound = same.report.checks.filter((c) => c.check === 'model-id');
  assert.match(
    bound[1]!.detail,
    /recompiled .*digits-mlp\.onnx: model .* label only; the key was not rebuilt \(a dev-setup key cannot be rebuilt\)/,
  );
});

test('F3: every option that does not apply is an error naming it (exit 2), never ignored', () => {
  const bundleOnly: string[][] = [
    ['--input', join(MODELS, 'samples/digit-3.json')],
    ['--chain'],
    ['--rpc', 'http://127.0.0.1:1'],
    ['--address', '0x0000000000000000000000000000000000000001'],
    ['--private-key', '0x01'],
  ];
  for (const flag of bundleOnly) {
    const r = zkinfer('verify', honestClaim, '--vkey', chunkKey, '--dataset-commitment', D, ...flag);
    assert.equal(r.status, 2, `${flag[0]}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`${flag[0]} does not apply: .* is an accuracy claim`));
  }
  const needs: Array<[string[], RegExp]> = [
    [['--ceremony', '/nonexistent/transcript.json'], /--ceremony needs --model/],
    [['--settings', join(build, 'settings.json')], /--settings needs --model/],
    [['--min-contributions', '3'], /--min-contributions applies only with --require-trusted-setup/],
    [['--trust-ptau', 'a'.repeat(128)], /--trust-ptau needs --model or --require-trusted-setup/],
    [['--ptau', '/nonexistent.ptau'], /--ptau needs --model or --require-trusted-setup/],
    [
      [
        '--model',
        join(MODELS, 'digits-mlp.onnx'),
        '--settings',
        join(build, 'settings.json'),
        '--ceremony',
        '/nonexistent/transcript.json',
      ],
      /\/nonexistent\/transcript\.json: ceremony transcript or zkey not found/,
    ],
    [
      ['--opening', join(dir, 'pub', 'published.opening.json')],
      /--opening applies to an accuracy claim only with --dataset/,
    ],
  ];
  for (const [flags, message] of needs) {
    const r = zkinfer('verify', honestClaim, '--vkey', chunkKey, '--dataset-commitment', D, ...flags);
    assert.equal(r.status, 2, `${flags.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  // And the claim-only options on a bundle, and --address without --rpc.
  const bundle = digit3Bundle();
  for (const [flags, message] of [
    [['--dataset-commitment', D], /--dataset-commitment does not apply: .* is a proof bundle/],
    [['--min-accuracy', '0.5'], /--min-accuracy does not apply/],
    [['--dataset', published], /--dataset does not apply/],
    [['--address', '0x0000000000000000000000000000000000000001'], /--address applies only with --rpc/],
    [['--chain', '--rpc', 'http://127.0.0.1:1'], /--chain and --rpc exclude each other/],
  ] as Array<[string[], RegExp]>) {
    const r = zkinfer('verify', bundle.bundle, '--vkey', join(build, 'vkey.json'), ...flags);
    assert.equal(r.status, 2, `${flags.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

test('an unpinned dataset is marked unverified; the library refuses options of the other kind of file', async () => {
  const r = verify(honestClaim, '--vkey', chunkKey, '--allow-unpinned');
  assert.equal(r.status, 0);
  const pin = r.report.checks.find((c) => c.check === 'dataset-pin') as { unverified?: boolean; detail: string };
  assert.equal(pin.unverified, true, pin.detail);
  const claim = JSON.parse(readFileSync(honestClaim, 'utf8')) as unknown;
  await assert.rejects(
    verifyClaim({ claim, vkeyPath: chunkKey, datasetCommitment: D, inputPath: 'x.json' } as never),
    /--input does not apply to an accuracy claim/,
  );
  await assert.rejects(
    verifyBundle({ bundlePath: 'b.json', minAccuracy: 0.5 } as never),
    /--min-accuracy does not apply to a proof bundle/,
  );
});

test('bundle and claim reports share check names, layout and JSON shape', () => {
  const claimText = zkinfer('verify', honestClaim, '--vkey', chunkKey, '--dataset-commitment', D);
  assert.equal(claimText.status, 0);
  assert.match(claimText.stdout, /^ok {3}pin {16}key pinned by /m);
  assert.match(claimText.stdout, /^VALID: 4\/7 correct \(57\.14 %\) on dataset 0x[0-9a-f]+; model [0-9a-f]{16}…$/m);
  const bundle = digit3Bundle();
  const b = verify(bundle.bundle, '--vkey', join(build, 'vkey.json')).report as unknown as Record<string, unknown>;
  const c = verify(honestClaim, '--vkey', chunkKey, '--dataset-commitment', D).report as unknown as Record<
    string,
    unknown
  >;
  for (const k of ['kind', 'valid', 'checks', 'pinned', 'keySource', 'modelId', 'setup', 'unverified', 'warnings'])
    assert.ok(k in b && k in c, `both reports have ${k}`);
  const names = (r: Record<string, unknown>) => (r['checks'] as Array<{ check: string }>).map((x) => x.check);
  assert.deepEqual(names(b).slice(0, 4), ['format', 'pin', 'vkey', 'model-id']);
  assert.deepEqual(names(c).slice(0, 4), ['format', 'pin', 'vkey', 'model-id']);
});
