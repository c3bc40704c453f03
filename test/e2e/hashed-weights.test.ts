/**
 * Issue 21's story, through the CLI: a model owner quantizes the digits MLP with hashed weights,
 * compiles, makes keys (dev setup: fast), commits the weights and proves; a verifier holding
 * only (vkey.json, W) checks the proof with `--vkey FILE --weights-commitment W`; an auditor
 * holding the ONNX file and the owner's opening recomputes W with `--model --weights-opening`,
 * which fails for a model with one weight changed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zkinfer, zkinferOk } from '../helpers/cli.js';
import { tweakOneWeight } from '../helpers/model-binding-helpers.js';
import { OUTPUT_SCHEMAS } from '../../src/cli/output-schemas.js';

const T = mkdtempSync(join(tmpdir(), 'zkinfer-hashed-weights-'));
const OWNER = join(T, 'owner');
const VERIFIER = join(T, 'verifier');
const SAMPLE = 'models/samples/digit-3.json';
let W = '';
let bundle = '';
let commitJson: unknown;

before(() => {
  zkinferOk([
    'quantize',
    'models/digits-mlp.onnx',
    '--out',
    OWNER,
    '--calibration',
    'models/calibration.json',
    '--weights',
    'hashed',
  ]);
  zkinferOk(['compile', OWNER]);
  zkinferOk(['setup', OWNER]);
  commitJson = JSON.parse(zkinferOk(['weights', 'commit', OWNER, '--json']).stdout);
  const c = commitJson as Record<string, unknown>;
  W = c['commitment'] as string;
  const r = JSON.parse(zkinferOk(['prove', OWNER, '--input', SAMPLE, '--json']).stdout) as Record<string, unknown>;
  bundle = r['bundle'] as string;
  // The verifier gets only the key and W: no ONNX file, no model.quant.json, no opening.
  mkdirSync(VERIFIER);
  copyFileSync(join(OWNER, 'vkey.json'), join(VERIFIER, 'vkey.json'));
  copyFileSync(bundle, join(VERIFIER, 'digit-3.proof.json'));
});

after(() => rmSync(T, { recursive: true, force: true }));

test('weights commit writes the public W and a private opening, and keeps them when run again', () => {
  assert.match(W, /^0x[0-9a-f]{64}$/);
  assert.ok(OUTPUT_SCHEMAS['weights commit']!.safeParse(commitJson).success, JSON.stringify(commitJson));
  assert.equal((commitJson as { created: boolean }).created, true);
  const pub = JSON.parse(readFileSync(join(OWNER, 'weights.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(pub['commitment'], W);
  assert.equal(pub['blinding'], undefined, 'the public file holds no blinding');
  const opening = join(OWNER, 'weights.opening.json');
  assert.equal(statSync(opening).mode & 0o077, 0, 'the opening is readable by its owner only');
  const again = zkinferOk(['weights', 'commit', OWNER]);
  assert.equal(again.stdout.trim(), W, 'a second commit keeps W');
});

test('the bundle names the architecture id and W; W is the public signal the key says', () => {
  const b = JSON.parse(readFileSync(bundle, 'utf8')) as {
    weights: { visibility: string; commitment: string };
    layout: { weights: { offset: number } };
    publicSignals: string[];
    modelId: string;
  };
  assert.equal(b.weights.visibility, 'hashed');
  assert.equal(BigInt(b.weights.commitment), BigInt(W));
  assert.equal(b.publicSignals[b.layout.weights.offset], b.weights.commitment);
  const circuit = JSON.parse(readFileSync(join(OWNER, 'circuit.json'), 'utf8')) as { modelId: string };
  assert.equal(b.modelId, circuit.modelId);
});

test('a verifier holding only (vkey, W) verifies the proof', () => {
  const r = zkinferOk([
    'verify',
    join(VERIFIER, 'digit-3.proof.json'),
    '--vkey',
    join(VERIFIER, 'vkey.json'),
    '--weights-commitment',
    W,
    '--json',
  ]);
  const report = JSON.parse(r.stdout) as {
    valid: boolean;
    checks: { check: string; ok: boolean; unverified?: boolean }[];
    weightsCommitment: string;
    weightsPinned: boolean;
    prediction: number;
  };
  assert.equal(report.valid, true);
  const w = report.checks.find((c) => c.check === 'weights')!;
  assert.ok(w.ok && !w.unverified, JSON.stringify(w));
  assert.equal(report.weightsCommitment, W);
  assert.equal(report.weightsPinned, true);
  assert.equal(report.prediction, 3);
  // W in decimal, or the owner's weights.json, pins the same.
  zkinferOk(['verify', bundle, '--vkey', join(VERIFIER, 'vkey.json'), '--weights-commitment', BigInt(W).toString()]);
  zkinferOk([
    'verify',
    bundle,
    '--vkey',
    join(VERIFIER, 'vkey.json'),
    '--weights-commitment',
    join(OWNER, 'weights.json'),
  ]);
});

test('inspect shows the weights mode, the architecture id and W', () => {
  const r = zkinferOk(['inspect', OWNER]);
  assert.match(r.stdout, /weights\s+hashed/);
  assert.match(r.stdout, new RegExp(`W\\s+${W}`));
  const j = JSON.parse(zkinferOk(['inspect', OWNER, '--json']).stdout) as { weights: Record<string, unknown> };
  assert.equal(j.weights['mode'], 'hashed');
  assert.equal(j.weights['commitment'], W);
});

test('--model --weights-opening recomputes W: the right ONNX passes, a model with one weight changed fails', () => {
  const common = [
    'verify',
    bundle,
    '--vkey',
    join(VERIFIER, 'vkey.json'),
    '--weights-commitment',
    W,
    '--settings',
    join(OWNER, 'settings.json'),
    '--weights-opening',
    join(OWNER, 'weights.opening.json'),
  ];
  const ok = zkinfer([...common, '--model', 'models/digits-mlp.onnx', '--json']);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  const checks = (JSON.parse(ok.stdout) as { checks: { check: string; ok: boolean }[] }).checks;
  assert.ok(checks.find((c) => c.check === 'weights-opening')?.ok);
  const tweaked = join(T, 'tweaked.onnx');
  tweakOneWeight('models/digits-mlp.onnx', tweaked);
  const bad = zkinfer([...common, '--model', tweaked]);
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  assert.match(bad.stderr, /weights-opening check failed/);
});
