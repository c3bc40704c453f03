/**
 * A model onnxruntime refuses but ONNX's checker and zkinfer's loader accept: a small attention
 * block whose Slice reads FLOAT `starts`/`ends` initializers (onnxruntime's type checker wants
 * INT32/INT64; zkinfer reads the constants as integers). zkinfer quantizes, proves and verifies it
 * without the float check, says so once on stderr and records it (settings.json, the bundle,
 * inspect), and `--require-float-check` turns the refusal into exit 2 naming the reason.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { modelBytes, prng, randArray } from '../../tools/onnx/write-onnx.js';
import { loadOnnx, parseOnnx } from '../../src/onnx/load-onnx.js';
import { UserError } from '../../src/core/errors.js';
import { lowerGraph } from '../../src/quantize/lower-graph.js';
import { zkinfer, zkinferOk } from '../helpers/cli.js';
import { OUTPUT_SCHEMAS } from '../../src/cli/output-schemas.js';

const dir = mkdtempSync(join(tmpdir(), 'zkinfer-float-check-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const D = 8;
const onnx = join(dir, 'attention.onnx');
const input = join(dir, 'input.json');
const calibration = join(dir, 'calibration.json');

/**
 * x → MatMul → h, q = h[:, 0:4] and k = h[:, 4:8] by Slices with FLOAT starts/ends, q ⊙ k →
 * MatMul → 3 class scores: an attention score's shape, small enough to prove in seconds.
 */
function writeRefusedModel(): void {
  const rnd = prng(23);
  const slice = (name: string, out: string) => ({
    op: 'Slice',
    name: `/attention/${name}`,
    inputs: ['h', `${out}_starts`, `${out}_ends`, 'axes'],
    outputs: [out],
  });
  writeFileSync(
    onnx,
    modelBytes({
      input: { name: 'x', dims: [1, D] },
      output: { name: 'y', dims: [1, 3] },
      nodes: [
        { op: 'MatMul', inputs: ['x', 'wqk'], outputs: ['h'] },
        slice('Slice_1', 'q'),
        slice('Slice_2', 'k'),
        { op: 'Mul', inputs: ['q', 'k'], outputs: ['s'] },
        { op: 'MatMul', inputs: ['s', 'wo'], outputs: ['y'] },
      ],
      initializers: {
        wqk: { dims: [D, D], data: randArray(rnd, D * D, -0.5, 0.5) },
        // FLOAT where ONNX wants INT64: what onnxruntime's type checker refuses.
        q_starts: { dims: [1], data: [0] },
        q_ends: { dims: [1], data: [4] },
        k_starts: { dims: [1], data: [4] },
        k_ends: { dims: [1], data: [8] },
        axes: { dims: [1], data: [1], int64: true },
        wo: { dims: [4, 3], data: randArray(rnd, 12, -1, 1) },
      },
    }),
  );
  const rows = Array.from({ length: 12 }, () => randArray(rnd, D, -1, 1));
  writeFileSync(calibration, JSON.stringify({ inputs: rows }));
  writeFileSync(input, JSON.stringify(rows[0]));
}
writeRefusedModel();

test('the fixture: onnxruntime refuses the model, zkinfer loads and lowers it', async () => {
  await assert.rejects(
    ort.InferenceSession.create(onnx, { logSeverityLevel: 4 }),
    /Type Error: Type 'tensor\(float\)' of input parameter \([qk]_starts\) of operator \(Slice\) in node \(\/attention\/Slice_[12]\)/,
  );
  assert.ok(lowerGraph(loadOnnx(onnx)).ops.length > 0);
  // Without onnxruntime's check, zkinfer's loader is the only one: a fractional FLOAT index is refused by name.
  const frac = modelBytes({
    input: { name: 'x', dims: [1, D] },
    output: { name: 'y', dims: [1, 4] },
    nodes: [{ op: 'Slice', name: '/attention/Slice_9', inputs: ['x', 's', 'e'], outputs: ['y'] }],
    initializers: { s: { dims: [1], data: [0.5] }, e: { dims: [1], data: [4] } },
  });
  assert.throws(
    () => lowerGraph(parseOnnx(frac, 'frac.onnx')),
    (e: Error) => e instanceof UserError && /Slice_9.*starts must be integers, found 0\.5/.test(e.message),
  );
});

test('quantize → compile → setup → prove → verify without the float check, recorded and shown', () => {
  const build = join(dir, 'build');
  const q = zkinferOk(['quantize', onnx, '--out', build, '--calibration', calibration]);
  // One warning line on stderr naming onnxruntime's reason; no fidelity line on stdout.
  const warnings = q.stderr.split('\n').filter((l) => l.includes('float check unavailable'));
  assert.equal(warnings.length, 1, q.stderr);
  assert.match(
    warnings[0]!,
    /^zkinfer: warning: float check unavailable: onnxruntime refused the model: .*\/attention\/Slice_[12]/,
  );
  assert.doesNotMatch(q.stdout, /fidelity/);
  const settings = JSON.parse(readFileSync(join(build, 'settings.json'), 'utf8'));
  assert.match(settings.fidelity.unavailable, /^onnxruntime refused the model: .*tensor\(float\)/);
  assert.equal(settings.fidelity.samples, 0);
  assert.equal(settings.fidelity.top1Agreement, null);
  assert.match(zkinferOk(['inspect', build]).stdout, /fidelity +float check unavailable: onnxruntime refused/);

  zkinferOk(['compile', build]);
  zkinferOk(['setup', build]);
  const bundlePath = join(dir, 'p.proof.json');
  const p = zkinferOk(['prove', build, '--input', input, '--out', bundlePath]);
  assert.match(p.stderr, /warning: float check unavailable: onnxruntime refused the model/);
  const bundle = JSON.parse(readFileSync(bundlePath, 'utf8'));
  assert.deepEqual(Object.keys(bundle.fidelity), ['unavailable']);
  assert.match(bundle.fidelity.unavailable, /^onnxruntime refused the model: /);
  const v = zkinferOk(['verify', bundlePath, '--vkey', join(build, 'vkey.json')]);
  assert.match(v.stdout, /unverified \(the prover's word\): .*fidelity/);

  // --require-float-check: exit 2, one line naming the reason, nothing written.
  const again = join(dir, 'p2.proof.json');
  const r = zkinfer(['prove', build, '--input', input, '--out', again, '--require-float-check']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr.trim(), /float check unavailable: onnxruntime refused the model: .*--require-float-check\)$/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.ok(!existsSync(again));
  const a = zkinfer(['audit', build, '--dataset', calibration]);
  assert.equal(a.code, 2, a.stderr);
  assert.match(a.stderr, /float check unavailable: onnxruntime refused the model: .*audit compares/);
});

test('--require-float-check refuses at quantize and run (exit 2, nothing left behind)', () => {
  const qb = join(dir, 'q-required');
  const q = zkinfer(['quantize', onnx, '--out', qb, '--calibration', calibration, '--require-float-check']);
  assert.equal(q.code, 2, q.stderr);
  assert.match(
    q.stderr,
    /attention\.onnx: float check unavailable: onnxruntime refused the model: .*\/attention\/Slice_[12]/,
  );
  assert.ok(!existsSync(join(qb, 'settings.json')));
  const rb = join(dir, 'r-required');
  const r = zkinfer([
    'run',
    onnx,
    '--input',
    input,
    '--out',
    rb,
    '--calibration',
    calibration,
    '--require-float-check',
  ]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /float check unavailable: onnxruntime refused the model/);
  assert.ok(!existsSync(join(rb, 'settings.json')));
});

test('run proves and verifies without the float check; --json says why it is missing', () => {
  const r = zkinferOk([
    'run',
    onnx,
    '--input',
    input,
    '--out',
    join(dir, 'run'),
    '--calibration',
    calibration,
    '--json',
  ]);
  const out = JSON.parse(r.stdout);
  assert.equal(out.valid, true);
  assert.ok(OUTPUT_SCHEMAS.run.safeParse(out).success, 'run --json matches its published output schema');
  assert.match(out.fidelity.unavailable, /^onnxruntime refused the model: /);
  assert.equal(out.floatOutput, undefined);
  assert.equal(out.warnings.filter((w: string) => w.startsWith('float check unavailable')).length, 1);
});
