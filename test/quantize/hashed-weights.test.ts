/**
 * quantize --weights hashed (issue 21): every linear op records the widths its weights and biases
 * lie in, every range follows from those widths (never the values), so another model of the same
 * architecture quantized with --settings of the first gets the same model.quant.json except the
 * weight and bias arrays; ops with learned constant tensors are refused; fixed weights are unchanged.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { zkinfer, zkinferOk } from '../helpers/cli.js';
import { MODELS, SHARED } from '../helpers/paths.js';
import { scaleWeights } from '../helpers/model-binding-helpers.js';
import { prng } from '../helpers/onnx-fixtures.js';
import { requantizeAccBits } from '../../circuits/requantize.js';
import { linearTerms } from '../../src/formats/linear-spec.js';
import { parseQuantizedModel } from '../../src/formats/quantized-model.js';
import { checkHashedOp } from '../../src/formats/hashed-weights.js';
import type { QOp, QuantizedModel } from '../../src/formats/quantized-schema.js';
import { replayQuantization } from '../../src/quantize/replay-settings.js';

const dir = mkdtempSync(join(tmpdir(), 'zkinfer-hashed-weights-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const CAL = join(MODELS, 'calibration.json');
const MNIST8 = join(SHARED, 'conformance', 'models', 'mnist-8.onnx');
const read = (d: string, f = 'model.quant.json') => JSON.parse(readFileSync(join(d, f), 'utf8')) as QuantizedModel;

/** Quantizes with the CLI into a fresh build directory; returns it and the run. */
function quantize(name: string, model: string, ...args: string[]) {
  const out = join(dir, name);
  const run = zkinferOk(['quantize', model, '--out', out, ...args]);
  return { out, run, model: read(out) };
}

type Ranges = { lo: number[]; hi: number[] };

/**
 * Every tensor's range recomputed from the widths alone, independently of the quantizer: a linear
 * output j spans ±(2^(weightBits−1)·Σ max|x| + 2^(biasBits−1)); requantize, reshape and maxpool
 * follow their integer meaning.
 */
function widthRanges(m: QuantizedModel): Map<string, Ranges> {
  const n = m.input.shape.reduce((a, b) => a * b, 1);
  const r = new Map<string, Ranges>([[m.input.name, { lo: Array(n).fill(m.input.lo), hi: Array(n).fill(m.input.hi) }]]);
  for (const op of m.ops) {
    const x = r.get(op.input)!;
    if (op.kind === 'linear') {
      const t = linearTerms(op.spec);
      const hi = Array.from({ length: t.nOut }, (_, j) => {
        let s = 0;
        for (let k = t.offsets[j]!; k < t.offsets[j + 1]!; k++) {
          const i = t.inputIndex[k]!;
          s += Math.max(Math.abs(x.lo[i]!), Math.abs(x.hi[i]!));
        }
        return 2 ** (op.weightBits! - 1) * s + 2 ** (op.biasBits! - 1);
      });
      r.set(op.output, { lo: hi.map((h) => -h), hi });
    } else if (op.kind === 'requantize') {
      const f = (v: number) =>
        Math.min(2 ** op.outBits - 1 - op.lowerOffset, Math.max(-op.lowerOffset, Math.floor(v / 2 ** op.shift)));
      r.set(op.output, { lo: x.lo.map(f), hi: x.hi.map(f) });
    } else if (op.kind === 'reshape') r.set(op.output, x);
    else if (op.kind === 'maxpool') {
      const win = (a: number[], j: number) =>
        Math.max(...op.index.slice(op.offsets[j], op.offsets[j + 1]).map((i) => a[i]!));
      const w = op.offsets.length - 1;
      r.set(op.output, {
        lo: Array.from({ length: w }, (_, j) => win(x.lo, j)),
        hi: Array.from({ length: w }, (_, j) => win(x.hi, j)),
      });
    } else assert.fail(`op kind ${op.kind} is not expected in these models`);
  }
  return r;
}

/** Asserts the hashed-model properties; returns per-layer widths and the largest accBits for the report. */
function checkHashed(m: QuantizedModel): string {
  assert.equal(m.weights, 'hashed');
  const ranges = widthRanges(m);
  const linears = m.ops.filter((o) => o.kind === 'linear');
  assert.ok(linears.length > 0);
  for (const op of linears) {
    assert.equal(op.weightBits, 8, op.name);
    assert.ok(op.biasBits !== undefined && op.biasBits >= 1, op.name);
    const w = 2 ** (op.weightBits - 1);
    const b = 2 ** (op.biasBits - 1);
    assert.ok(op.weight.every((v) => v >= -w && v < w) && op.bias.every((v) => v >= -b && v < b), op.name);
    // The width is the tightest one: the decision came from the values, the range does not.
    assert.ok(op.bias.some((v) => v < -b / 2 || v >= b / 2) || op.biasBits === 1, op.name);
  }
  let accBits = 0;
  for (const op of m.ops.filter((o) => o.kind === 'requantize')) {
    const x = ranges.get(op.input)!;
    const expect = x.lo.map((lo, i) =>
      requantizeAccBits(BigInt(lo), BigInt(x.hi[i]!), { ...op, lowerOffset: BigInt(op.lowerOffset) }),
    );
    assert.deepEqual(op.accBits, expect, op.name);
    accBits = Math.max(accBits, ...op.accBits);
  }
  const y = ranges.get(m.output.name)!;
  assert.equal(m.output.lo, Math.min(...y.lo));
  assert.equal(m.output.hi, Math.max(...y.hi));
  parseQuantizedModel(m, 'model.quant.json');
  return `${linears.map((o) => `${o.name} w${o.weightBits}/b${o.biasBits}`).join(', ')}; max accBits ${accBits}`;
}

/** The model without its secret: every linear op's weight and bias arrays emptied. */
const architecture = (m: QuantizedModel) =>
  JSON.stringify({ ...m, ops: m.ops.map((o) => (o.kind === 'linear' ? { ...o, weight: [], bias: [] } : o)) });

const mlp = quantize('mlp', join(MODELS, 'digits-mlp.onnx'), '--calibration', CAL, '--weights', 'hashed');

test('hashed digits MLP and CNN: widths on every linear op, values in width, ranges from widths only', (t) => {
  t.diagnostic(`digits-mlp: ${checkHashed(mlp.model)}`);
  const s = JSON.parse(readFileSync(join(mlp.out, 'settings.json'), 'utf8')) as {
    quantization: { weights?: string; decisions: Record<string, Record<string, unknown>> };
  };
  assert.equal(s.quantization.weights, 'hashed');
  for (const op of mlp.model.ops.filter((o) => o.kind === 'linear'))
    assert.deepEqual(s.quantization.decisions[op.name], { weightFrac: op.weightFrac, biasBits: op.biasBits });
  const cnn = quantize('cnn', join(MODELS, 'digits-cnn.onnx'), '--calibration', CAL, '--weights', 'hashed');
  t.diagnostic(`digits-cnn: ${checkHashed(cnn.model)}`);
  // verify --model's replay reproduces the hashed build byte for byte (the mode comes from settings.json).
  const replayed = replayQuantization({
    modelPath: join(MODELS, 'digits-cnn.onnx'),
    settingsPath: join(cnn.out, 'settings.json'),
  });
  assert.equal(Buffer.from(replayed.bytes).toString('utf8'), readFileSync(join(cnn.out, 'model.quant.json'), 'utf8'));
});

test('hashed mnist-8 (ONNX Model Zoo): the same properties', { skip: !existsSync(MNIST8) && 'no ../shared' }, (t) => {
  const samples = [0, 1, 2].map((i) => join(SHARED, 'conformance', 'models', 'mnist-8-samples', `input_${i}.pb`));
  const m8 = quantize('mnist8', MNIST8, '--input', ...samples, '--weights', 'hashed');
  t.diagnostic(`mnist-8: ${checkHashed(m8.model)}`);
});

test('--settings: another model of the same architecture quantizes to the same architecture', () => {
  const rnd = prng(21);
  const other = join(dir, 'other.onnx');
  // Every weight shrunk by a random factor in [0.5, 0.9): other values, none outside the replayed widths.
  scaleWeights(join(MODELS, 'digits-mlp.onnx'), other, () => 0.5 + 0.4 * rnd());
  const b = quantize('other', other, '--weights', 'hashed', '--settings', join(mlp.out, 'settings.json'));
  assert.equal(b.run.stderr.includes('clamped'), false, b.run.stderr);
  assert.equal(architecture(b.model), architecture(mlp.model));
  const linears = (m: QuantizedModel) => m.ops.filter((o) => o.kind === 'linear');
  for (const [x, y] of linears(mlp.model).map((o, i) => [o, linears(b.model)[i]!] as const)) {
    assert.notDeepEqual(x.weight, y.weight);
    assert.notDeepEqual(x.bias, y.bias);
  }
  // Quantized on its own, the same model picks other scales: the replay is what made them equal.
  const own = quantize('own', other, '--weights', 'hashed', '--calibration', CAL);
  assert.notEqual(architecture(own.model), architecture(mlp.model));
});

test('--settings: values outside a replayed width are clamped, with one warning per layer', () => {
  const big = join(dir, 'big.onnx');
  scaleWeights(join(MODELS, 'digits-mlp.onnx'), big, () => 3);
  const b = quantize('big', big, '--settings', join(mlp.out, 'settings.json'));
  assert.equal(architecture(b.model), architecture(mlp.model));
  const lines = b.run.stderr.split('\n').filter((l) => l.includes('clamped'));
  const names = mlp.model.ops.filter((o) => o.kind === 'linear').map((o) => o.name);
  assert.equal(lines.length, names.length, b.run.stderr);
  for (const [i, name] of names.entries()) {
    const m = new RegExp(`node "${name}": (\\d+) of (\\d+) weights and (\\d+) of (\\d+) biases`).exec(lines[i]!);
    assert.ok(m && Number(m[1]) > 0, lines[i]);
  }
  checkHashed(b.model);
});

test('hashed weights refuse learned constant tensors outside linear layers, by node', () => {
  const r = zkinfer([
    'quantize',
    join(MODELS, 'trees-dt.onnx'),
    '--out',
    join(dir, 'trees'),
    '--calibration',
    join(MODELS, 'trees-calibration.json'),
    '--weights',
    'hashed',
  ]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^zkinfer: node "[^"]+" \(trees\): field trees is a learned constant tensor/);
  assert.equal(existsSync(join(dir, 'trees', 'model.quant.json')), false);
  // The per-kind rule: a constant operand with differing values is a tensor; one broadcast value is a scalar.
  const binary = (b: number[]): QOp => ({
    kind: 'binary',
    name: 'm',
    input: 'x',
    output: 'y',
    op: 'max',
    a: { tensor: 'x', scale: 1 },
    b: { constant: b },
    bits: [8, 8],
  });
  assert.match(checkHashedOp(binary([1, 2]), true) ?? '', /field b is a learned constant tensor/);
  assert.equal(checkHashedOp(binary([3, 3]), true), undefined);
  assert.equal(checkHashedOp(binary([1, 2]), false), undefined);
});

test('a hand-edited hashed model.quant.json: missing or overflowing widths are one-line errors naming op and field', () => {
  const edit = (f: (m: QuantizedModel & { ops: Record<string, unknown>[] }) => void) => {
    const m = structuredClone(mlp.model) as QuantizedModel & { ops: Record<string, unknown>[] };
    f(m);
    return () => parseQuantizedModel(m, 'model.quant.json');
  };
  assert.throws(
    edit((m) => delete m.ops[0]!['biasBits']),
    /op "\/fc1\/Gemm": field biasBits is missing/,
  );
  assert.throws(
    edit((m) => ((m.ops[2]!['weight'] as number[])[3] = 128)),
    /op "\/fc2\/Gemm": field weight\[3\] = 128 does not fit weightBits 8 \(-128\.\.127\)/,
  );
  assert.throws(
    edit((m) => delete m.weights),
    /op "\/fc1\/Gemm": field weightBits belongs to a hashed-weights model/,
  );
  // compile --weights only asserts the mode quantize chose.
  const c = zkinfer(['compile', mlp.out, '--weights', 'fixed']);
  assert.equal(c.code, 2);
  assert.match(c.stderr, /quantized with --weights hashed, not fixed; re-run zkinfer quantize --weights fixed/);
});

test('--settings refuses options it would override and settings of another architecture', () => {
  const settings = join(mlp.out, 'settings.json');
  const cases: [string[], RegExp][] = [
    [['--weight-bits', '6'], /--weight-bits does not apply with --settings/],
    [['--weights', 'fixed'], /--weights fixed disagrees with .*settings\.json \(weights hashed\)/],
    [['--weights', 'private'], /--weights.*private.*invalid|Allowed choices are fixed, hashed/],
  ];
  for (const [args, msg] of cases) {
    const r = zkinfer([
      'quantize',
      join(MODELS, 'digits-mlp.onnx'),
      '--out',
      join(dir, 'refused'),
      '--settings',
      settings,
      ...args,
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, msg);
  }
  const r = zkinfer([
    'quantize',
    join(MODELS, 'digits-cnn.onnx'),
    '--out',
    join(dir, 'refused'),
    '--settings',
    settings,
  ]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /settings\.json: no recorded decision|matches no op of this model/);
  assert.equal(existsSync(join(dir, 'refused', 'model.quant.json')), false);
});

test('fixed weights (the default) keep the old format: no weights field, no widths, value-derived ranges', () => {
  const f = quantize('fixed', join(MODELS, 'digits-mlp.onnx'), '--calibration', CAL);
  assert.equal('weights' in f.model, false);
  assert.ok(f.model.ops.every((o) => !('weightBits' in o) && !('biasBits' in o)));
  const s = readFileSync(join(f.out, 'settings.json'), 'utf8');
  assert.doesNotMatch(s, /"weights"|weightFrac"?: \d+, *"biasBits|"biasBits"/);
  // Same scales as the hashed build; the weights are the same integers; only the ranges differ (tighter).
  assert.deepEqual(
    f.model.ops.map((o) => (o.kind === 'linear' ? [o.weightFrac, o.weight] : o.kind)),
    mlp.model.ops.map((o) => (o.kind === 'linear' ? [o.weightFrac, o.weight] : o.kind)),
  );
  assert.ok(f.model.output.hi < mlp.model.output.hi && f.model.output.lo > mlp.model.output.lo);
});
