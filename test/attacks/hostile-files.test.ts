/**
 * Issue 14, reproduced class by class: hostile and malformed files (ONNX attributes and dims,
 * deep JSON, wrong-typed artifacts, truncated TensorProtos, names that would break the error
 * line) each exit 2 with one stderr line naming the file and field, never a stack trace; a valid
 * input with unrelated extra fields is accepted; an unexpected exception exits 3. All in process
 * through main(argv).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCaptured } from '../../tools/fuzz/harness.js';
import { modelBytes, tensorBytes, type ModelSpec } from '../helpers/onnx-fixtures.js';
import { quote } from '../../src/core/errors.js';
import { jsonDepth } from '../../src/core/json.js';
import { shutdown } from '../../src/runtime/curve.js';
import { MODELS } from '../helpers/paths.js';

const T = mkdtempSync(join(tmpdir(), 'zkinfer-hostile-'));
const SAMPLE = join(MODELS, 'samples/digit-3.json');
const sample = (JSON.parse(readFileSync(SAMPLE, 'utf8')) as { input: number[] }).input;

after(async () => {
  rmSync(T, { recursive: true, force: true });
  await shutdown();
});

/** Runs the CLI and asserts: exit 2, exactly one stderr line matching `pattern`, no stack trace. */
async function refused(argv: string[], pattern: RegExp): Promise<string> {
  const r = await runCaptured(argv);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(r.code, 2, `zkinfer ${argv.join(' ')} → ${r.code}: ${r.stderr}`);
  assert.equal(lines.length, 1, `one stderr line expected: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.match(lines[0]!, pattern);
  return lines[0]!;
}

function onnxFile(name: string, spec: ModelSpec): string {
  const p = join(T, `${name}.onnx`);
  writeFileSync(p, modelBytes(spec));
  return p;
}

const gemm = (attrs: ModelSpec['nodes'][number]['attrs'], wDims = [4, 4], name?: string): ModelSpec => ({
  input: { name: 'x', dims: [1, 4] },
  output: { name: 'y', dims: [1, wDims[0]!] },
  nodes: [{ op: 'Gemm', inputs: ['x', 'W'], outputs: ['y'], attrs, ...(name ? { name } : {}) }],
  initializers: {
    W: {
      dims: wDims,
      data: new Array(
        Math.min(
          16,
          Math.max(
            0,
            wDims.reduce((a, b) => a * b, 1),
          ),
        ),
      ).fill(0.25),
    },
  },
});

const conv = (attrs: ModelSpec['nodes'][number]['attrs']): ModelSpec => ({
  input: { name: 'x', dims: [1, 1, 8, 8] },
  output: { name: 'y', dims: [1, 2, 8, 8] },
  nodes: [{ op: 'Conv', inputs: ['x', 'W'], outputs: ['y'], attrs }],
  initializers: { W: { dims: [2, 1, 3, 3], data: new Array(18).fill(0.1) } },
});

test('ONNX attribute and shape extremes are refused naming the node and attribute', async () => {
  await refused(
    ['inspect', onnxFile('stride0', conv({ strides: { ints: [0, 1] } }))],
    /attribute "strides" is 0; must be an integer in 1\.\.4096/,
  );
  await refused(['inspect', onnxFile('dil0', conv({ dilations: { ints: [1, 0] } }))], /attribute "dilations" is 0/);
  await refused(
    ['inspect', onnxFile('pads', conv({ pads: { ints: [1_000_000, 0, 0, 0] } }))],
    /attribute "pads" is 1000000/,
  );
  const pool: ModelSpec = {
    input: { name: 'x', dims: [1, 1, 8, 8] },
    output: { name: 'y', dims: [1, 1, 4, 4] },
    nodes: [
      {
        op: 'MaxPool',
        inputs: ['x'],
        outputs: ['y'],
        attrs: { kernel_shape: { ints: [2, 2] }, strides: { ints: [-2, 2] } },
      },
    ],
  };
  await refused(['inspect', onnxFile('pool', pool)], /node "n0" \(MaxPool\): attribute "strides" is -2/);
  const clip: ModelSpec = {
    input: { name: 'x', dims: [1, 4] },
    output: { name: 'y', dims: [1, 4] },
    opset: 10,
    nodes: [{ op: 'Clip', inputs: ['x'], outputs: ['y'], attrs: { min: { float: NaN }, max: { float: 6 } } }],
  };
  await refused(['inspect', onnxFile('clip', clip)], /attribute "min" is NaN; must be a finite number/);
  const clip13: ModelSpec = {
    input: { name: 'x', dims: [1, 4] },
    output: { name: 'y', dims: [1, 4] },
    nodes: [{ op: 'Clip', inputs: ['x', 'lo', 'hi'], outputs: ['y'] }],
    initializers: { lo: { dims: [], data: [NaN] }, hi: { dims: [], data: [6] } },
  };
  await refused(['inspect', onnxFile('clip13', clip13)], /initializer "lo" holds NaN/);
  await refused(
    ['inspect', onnxFile('unknown', gemm({ frobnicate: { int: 1 } }))],
    /unknown attribute "frobnicate" \(Gemm defines alpha, beta/,
  );
  await refused(['inspect', onnxFile('zero', gemm({ transB: { int: 1 } }, [0, 4]))], /produces an empty tensor/);
  await refused(
    ['inspect', onnxFile('big', gemm({}, [2 ** 31, 4]))],
    /dims \[2147483648,4\] give .* more than the 16777216/,
  );
  await refused(['inspect', onnxFile('huge', gemm({}, [2 ** 32, 4]))], /initializer "W".*dims \[4294967296,4\]/);
  const dup: ModelSpec = {
    input: { name: 'x', dims: [1, 4] },
    output: { name: 'y', dims: [1, 4] },
    nodes: [
      { op: 'Relu', inputs: ['x'], outputs: ['x'] },
      { op: 'Relu', inputs: ['x'], outputs: ['y'] },
    ],
  };
  await refused(['inspect', onnxFile('dup', dup)], /output tensor "x" is already defined \(duplicate tensor name\)/);
});

test('node names with newlines, NUL and quotes are escaped in the one error line', async () => {
  const name = 'evil\nnode\u0000"quoted"';
  const spec: ModelSpec = {
    input: { name: 'x', dims: [1, 4] },
    output: { name: 'y', dims: [1, 4] },
    nodes: [{ op: 'Frobnicate\n', name, inputs: ['x'], outputs: ['y'] }],
  };
  // inspect lists unsupported ops (exit 0); --strict refuses them with quantize's one line.
  const line = await refused(['inspect', onnxFile('names', spec), '--strict'], /unsupported ONNX ops/);
  assert.ok(line.includes(quote(name)), line);
  assert.ok(line.includes('evil\\nnode\\u0000\\"quoted\\"'), line);
  const listing = await runCaptured(['inspect', join(T, 'names.onnx')]);
  assert.equal(listing.code, 0);
  assert.ok(
    listing.stdout.includes('evil\\nnode\\u0000\\"quoted\\"') && !listing.stdout.includes('\u0000'),
    listing.stdout,
  );
});

test('deep JSON (100,000 levels) is refused before parsing, for inputs and calibration sets', async () => {
  const deep = join(T, 'deep.json');
  writeFileSync(deep, `${'['.repeat(100_000)}${']'.repeat(100_000)}`);
  assert.equal(jsonDepth(readFileSync(deep, 'utf8')), 65);
  await refused(
    ['quantize', join(MODELS, 'digits-mlp.onnx'), '--input', deep, '--out', join(T, 'q1')],
    /deep\.json: input nested deeper than 64 levels/,
  );
  await refused(
    ['quantize', join(MODELS, 'digits-mlp.onnx'), '--calibration', deep, '--out', join(T, 'q2')],
    /deep\.json: calibration set nested deeper than 64 levels/,
  );
  assert.ok(!existsSync(join(T, 'q1')) && !existsSync(join(T, 'q2')), 'no output directory for a refused command');
  // Brackets inside strings do not count.
  assert.equal(jsonDepth(JSON.stringify({ note: '['.repeat(1000), input: [[1]] })), 3);
});

test('TensorProto inputs: truncated by one byte or with dims 2^32 are refused', async () => {
  const shape = [1, 64];
  const good = tensorBytes('input', shape, sample);
  const cut = join(T, 'cut.pb');
  writeFileSync(cut, good.subarray(0, good.length - 1));
  await refused(
    ['quantize', join(MODELS, 'digits-mlp.onnx'), '--input', cut, '--out', join(T, 'q3')],
    /cut\.pb: truncated protobuf/,
  );
  const big = join(T, 'big.pb');
  writeFileSync(big, tensorBytes('input', [1, 2 ** 32], sample));
  await refused(
    ['quantize', join(MODELS, 'digits-mlp.onnx'), '--input', big, '--out', join(T, 'q4')],
    /big\.pb: dims \[1,4294967296\]/,
  );
});

test('wrong-typed and out-of-range artifacts are refused naming the field', async () => {
  const dir = join(T, 'build');
  const r = await runCaptured([
    'quantize',
    join(MODELS, 'digits-mlp.onnx'),
    '--out',
    dir,
    '--calibration',
    join(MODELS, 'calibration.json'),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const edit = (file: string, f: (j: any) => void) => {
    const d = join(T, `edit-${Math.random().toString(36).slice(2)}`);
    cpSync(dir, d, { recursive: true });
    const j = JSON.parse(readFileSync(join(d, file), 'utf8'));
    f(j);
    writeFileSync(join(d, file), JSON.stringify(j));
    return d;
  };
  await refused(
    ['inspect', edit('settings.json', (j) => (j.quantization.weightBits = 'eight'))],
    /settings\.json: malformed settings: field quantization\.weightBits: .*expected number/,
  );
  await refused(
    ['compile', edit('model.quant.json', (j) => (j.formatVersion = 99))],
    /model\.quant\.json: malformed quantized model: field formatVersion/,
  );
  await refused(
    ['compile', edit('model.quant.json', (j) => (j.ops.find((o: any) => o.kind === 'requantize').outBits = 200))],
    /field ops\[\d+\]\.outBits: Too big/,
  );
  await refused(
    ['compile', edit('model.quant.json', (j) => (j.ops[0].weight[0] = 1e300))],
    /field ops\[0\]\.weight\[0\]/,
  );
  await refused(
    ['compile', edit('model.quant.json', (j) => j.ops[0].weight.pop())],
    /op ".*": field weight has \d+ values, the spec needs/,
  );
});

test('a valid input with unrelated extra fields ("label": "NaN", "note": "…Infinity…") is accepted, not misparsed', async () => {
  const extra = join(T, 'extra.json');
  writeFileSync(
    extra,
    JSON.stringify({ label: 'NaN', note: 'values may reach Infinity', input: sample, meta: { Infinity: -1 } }),
  );
  const r = await runCaptured([
    'quantize',
    join(MODELS, 'digits-mlp.onnx'),
    '--input',
    extra,
    '--out',
    join(T, 'extra-build'),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const bare = join(T, 'bare-nan.json');
  writeFileSync(bare, `{"input": [${sample.slice(1).join(',')}, NaN]}`);
  await refused(
    ['quantize', join(MODELS, 'digits-mlp.onnx'), '--input', bare, '--out', join(T, 'q5')],
    /bare-nan\.json: input contains NaN or Infinity/,
  );
});

test('an unexpected exception is one line saying it is a bug (exit 3); --debug adds the stack', async () => {
  const model = join(MODELS, 'digits-mlp.onnx');
  // Make printing the inspect result fail: an error no command expects, as a bug would be.
  const broken = runCaptured;
  const original = JSON.stringify;
  JSON.stringify = ((v: unknown, ...rest: unknown[]) => {
    if (v && typeof v === 'object' && 'ops' in (v as object) && 'sha256' in (v as object))
      throw new TypeError('simulated bug');
    return (original as (...a: unknown[]) => string)(v, ...rest);
  }) as typeof JSON.stringify;
  try {
    const r = await broken(['inspect', model, '--json']);
    assert.equal(r.code, 3);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /internal error \(TypeError: simulated bug\); this is a bug in zkinfer, please report/);
    const d = await broken(['inspect', model, '--json', '--debug']);
    assert.equal(d.code, 3);
    assert.match(d.stderr, /\n\s+at /);
  } finally {
    JSON.stringify = original;
  }
});
