/**
 * Differential tests across the three executions of a model: the circuit (witness), the
 * integer reference (runIntegerModel) and the float model run by onnxruntime. The first two
 * must agree bit for bit; the last must agree within an error bound derived from the
 * quantization steps.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findViolatedConstraint } from '../../circuits/builder.js';
import { fieldMod } from '../../circuits/field.js';
import { buildCircuit } from '../../src/compile/build-circuit.js';
import { UserError } from '../../src/core/errors.js';
import { readCalibrationFile } from '../../src/onnx/input-file.js';
import { loadOnnx, parseOnnx } from '../../src/onnx/load-onnx.js';
import { FloatGraph, runFloatGraph } from '../../src/quantize/float-ir.js';
import { linearTerms } from '../../src/formats/linear-spec.js';
import { lowerGraph } from '../../src/quantize/lower-graph.js';
import { runOnnxRuntime } from '../../src/quantize/onnx-runtime.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import { argmax, dequantizeOutput, QuantizedModel, runIntegerModel } from '../../src/quantize/quantized-model.js';
import { quantizeInput } from '../../src/quantize/quantize-input.js';
import { modelBytes, ModelSpec, NodeSpec, prng, randArray } from '../helpers/onnx-fixtures.js';
import { MODELS } from '../helpers/paths.js';

const M = (p: string) => join(MODELS, p);
const dir = await mkdtemp(join(tmpdir(), 'zkinfer-differential-'));

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * A rigorous per-sample bound on |dequantized integer output − float output|, propagated
 * through the quantized ops from the quantization steps alone (never from the outputs under
 * test):
 *  - input: the exact rounding/clamping error |xq·2^−f − x|;
 *  - linear: y_q·2^−(fx+fw) − y = Σ (w_q·2^−fw)(x_q·2^−fx − x) + (w_q·2^−fw − w)·x + (b_q·2^−facc − b),
 *    so e_out ≤ Σ |w_q|·2^−fw·e_in + Σ |w_q·2^−fw − w|·|x| + |b_q·2^−facc − b|;
 *  - requantize: floor(acc / 2^s) loses less than one output LSB (2^−fo) and the clamp is
 *    1-Lipschitz, so e_out ≤ e_in + 2^−fo + (distance the float value lies outside the
 *    representable range, the only error a clamp can add; for ReLU only the upper side counts).
 * The bound uses the actual quantized parameters, so it is paired with the quantizer's own
 * contract (weights and biases within half a step of the float values; calibrated values never
 * clamped): together they catch both a wrong execution and wrong parameters.
 * The float values come from the lowered float graph, which is itself checked against
 * onnxruntime; a small float32 slack is added when comparing with onnxruntime.
 */
function errorBound(
  fg: FloatGraph,
  q: QuantizedModel,
  x: Float64Array,
  xq: number[],
  inCalibration: boolean,
): number[] {
  const floatVals = runFloatGraph(fg, x);
  const fv = new Map<string, Float64Array>(floatVals);
  const err = new Map<string, number[]>();
  const frac = new Map<string, number>();
  err.set(
    q.input.name,
    Array.from(x, (v, i) => Math.abs(xq[i]! / 2 ** q.input.frac - v)),
  );
  frac.set(q.input.name, q.input.frac);
  for (const op of q.ops) {
    const ein = err.get(op.input)!;
    const xin = fv.get(op.input)!;
    switch (op.kind) {
      case 'linear': {
        const fop = fg.ops.find((o) => o.kind === 'linear' && o.name === op.name);
        assert.ok(fop && fop.kind === 'linear', `float op for ${op.name}`);
        const t = linearTerms(op.spec);
        const fx = frac.get(op.input)!;
        const e: number[] = new Array(t.nOut);
        for (let j = 0; j < t.nOut; j++) {
          const bi = t.biasIndex[j]!;
          let s = Math.abs(op.bias[bi]! / 2 ** (fx + op.weightFrac) - fop.bias[bi]!);
          // The quantizer's contract: biases round to the nearest accumulator step ...
          assert.ok(s <= 2 ** -(fx + op.weightFrac + 1) * (1 + 1e-9), `${op.name}: bias ${bi} off by ${s}`);
          for (let k = t.offsets[j]!; k < t.offsets[j + 1]!; k++) {
            const wi = t.weightIndex[k]!;
            const ii = t.inputIndex[k]!;
            const wq = op.weight[wi]! / 2 ** op.weightFrac;
            // ... and weights to the nearest weight step (the scale is chosen so none clamps).
            assert.ok(
              Math.abs(wq - fop.weight[wi]!) <= 2 ** -(op.weightFrac + 1) * (1 + 1e-9),
              `${op.name}: weight ${wi} off by ${Math.abs(wq - fop.weight[wi]!)}`,
            );
            s += Math.abs(wq) * ein[ii]! + Math.abs(wq - fop.weight[wi]!) * Math.abs(xin[ii]!);
          }
          e[j] = s;
        }
        err.set(op.output, e);
        frac.set(op.output, fx + op.weightFrac);
        if (!fv.has(op.output)) throw new Error(`no float value for ${op.output}`);
        break;
      }
      case 'requantize': {
        const fo = frac.get(op.input)! - op.shift;
        const lo = -op.lowerOffset / 2 ** fo;
        const hi = (2 ** op.outBits - 1 - op.lowerOffset) / 2 ** fo;
        const relu = op.lowerOffset === 0;
        const ref = xin.map((v) => (relu ? Math.max(v, 0) : v));
        err.set(
          op.output,
          ein.map((e, i) => {
            const v = xin[i]!;
            const outside = relu ? Math.max(0, v - hi) : Math.max(0, v - hi, lo - v);
            // Scales come from calibration: an input that was calibrated on never leaves the range.
            if (inCalibration) assert.equal(outside, 0, `${op.name}: calibrated value ${v} outside [${lo}, ${hi}]`);
            return e + 2 ** -fo + outside;
          }),
        );
        frac.set(op.output, fo);
        // A requantize inserted between two linear layers has no float counterpart: its reference is the identity.
        if (!fv.has(op.output) || !relu) fv.set(op.output, ref);
        break;
      }
      case 'reshape':
        err.set(op.output, ein);
        frac.set(op.output, frac.get(op.input)!);
        fv.set(op.output, xin);
        break;
      // The bound is derived for the ops of the MLP models under test only.
      case 'add':
      case 'binary':
      case 'clamp':
      case 'concat':
      case 'divConst':
      case 'divide':
      case 'leakyRelu':
      case 'maxpool':
      case 'permute':
      case 'product':
      case 'softmax':
      case 'table':
      case 'where':
      case 'gatherIndex':
      case 'topk':
      case 'bitwise':
      case 'trees':
        throw new Error(`${op.name}: no error bound for a ${op.kind} op`);
    }
  }
  assert.equal(frac.get(q.output.name), q.output.frac);
  return err.get(q.output.name)!;
}

/** Float32 arithmetic in onnxruntime vs float64 in the lowered graph. */
const floatSlack = (ref: number, scale: number) => 1e-4 * (1 + Math.abs(ref) + scale);

interface DiffResult {
  readonly agree: number;
  readonly maxErrLsb: number;
  readonly maxBoundLsb: number;
  readonly n: number;
}

/** Runs every check of this file on one model and a set of inputs. */
async function differential(
  modelPath: string,
  calibration: Float64Array[],
  inputs: Float64Array[],
  inCalibration: boolean,
  circuitEvery = 1,
): Promise<DiffResult> {
  const g = loadOnnx(modelPath);
  const fg = lowerGraph(g);
  const q = quantizeGraph(fg, calibration);
  const ort = await runOnnxRuntime(modelPath, g.input.name, g.input.shape, inputs);
  const lsb = 2 ** -q.output.frac;
  let agree = 0;
  let maxErrLsb = 0;
  let maxBoundLsb = 0;
  for (const [n, x] of inputs.entries()) {
    const xq = quantizeInput(q, x);
    const ints = runIntegerModel(q, xq).get(q.output.name)!;
    if (n % circuitEvery === 0) {
      const build = buildCircuit(q, xq);
      assert.equal(
        findViolatedConstraint(build.circuit.constraints, build.circuit.witness),
        -1,
        `${modelPath} input ${n}: witness satisfies`,
      );
      assert.deepEqual(build.output, ints.map(BigInt), `${modelPath} input ${n}: circuit output == integer reference`);
      assert.equal(build.circuit.nPubOut, ints.length);
      // The public inputs are the quantized input, in order.
      assert.deepEqual(
        build.publicSignals.slice(ints.length),
        xq.map((v) => fieldMod(BigInt(v)).toString()),
      );
    }
    const f = ort[n]!;
    const floatGraphOut = runFloatGraph(fg, x).get(fg.output.name)!;
    const scale = Math.max(...Array.from(f, Math.abs));
    floatGraphOut.forEach((v, i) =>
      assert.ok(
        Math.abs(v - f[i]!) <= floatSlack(f[i]!, scale),
        `${modelPath} input ${n}: lowered float graph ${v} vs onnxruntime ${f[i]}`,
      ),
    );
    const deq = dequantizeOutput(q, ints);
    const bound = errorBound(fg, q, x, xq, inCalibration);
    deq.forEach((v, i) => {
      const err = Math.abs(v - f[i]!);
      assert.ok(
        err <= bound[i]! + floatSlack(f[i]!, scale),
        `${modelPath} input ${n} output ${i}: |${v} − ${f[i]}| = ${err} exceeds the derived bound ${bound[i]}`,
      );
      maxErrLsb = Math.max(maxErrLsb, err / lsb);
      maxBoundLsb = Math.max(maxBoundLsb, bound[i]! / lsb);
    });
    if (argmax(ints) === argmax(f)) agree++;
  }
  return { agree, maxErrLsb, maxBoundLsb, n: inputs.length };
}

test('digits MLP: circuit == integer reference, witness satisfies, ≥ 99% top-1 agreement with onnxruntime on the test split', async (t) => {
  const split = JSON.parse(readFileSync(M('digits-test.json'), 'utf8')) as { inputs: number[][]; labels: number[] };
  assert.equal(split.inputs.length, 360);
  const g = loadOnnx(M('digits-mlp.onnx'));
  const calibration = readCalibrationFile(M('calibration.json'), g.input.shape);
  const inputs = split.inputs.map((v) => Float64Array.from(v));
  const r = await differential(M('digits-mlp.onnx'), calibration, inputs, false, 4);
  const agreement = r.agree / r.n;
  t.diagnostic(`top-1 agreement quantized vs onnxruntime: ${(100 * agreement).toFixed(2)}% (${r.agree}/${r.n})`);
  t.diagnostic(
    `max |quantized − float| = ${r.maxErrLsb.toFixed(1)} output LSBs (derived bound up to ${r.maxBoundLsb.toFixed(1)} LSBs)`,
  );
  assert.ok(agreement >= 0.99, `top-1 agreement ${agreement}`);
  // Accuracy against the labels, for the record (the float model's own accuracy is not ours to assert).
  const q = quantizeGraph(lowerGraph(g), calibration);
  let correct = 0;
  inputs.forEach(
    (x, i) =>
      (correct += argmax(runIntegerModel(q, quantizeInput(q, x)).get(q.output.name)!) === split.labels[i] ? 1 : 0),
  );
  t.diagnostic(`quantized accuracy on the labels: ${((100 * correct) / r.n).toFixed(2)}%`);
});

/** Random small MLP architectures, each exercising different ONNX spellings of a dense layer. */
type Arch = (rnd: () => number) => { spec: ModelSpec; inLo: number; inHi: number };

const dense = (rnd: () => number, k: number, n: number) => randArray(rnd, k * n, -1, 1).map((w) => w / Math.sqrt(k));

const ARCHS: Record<string, Arch> = {
  'Gemm(transB) → Relu → Gemm': (rnd) => ({
    inLo: 0,
    inHi: 1,
    spec: {
      input: { name: 'x', dims: [1, 6] },
      output: { name: 'y', dims: [1, 3] },
      initializers: {
        W1: { dims: [5, 6], data: dense(rnd, 6, 5) },
        b1: { dims: [5], data: randArray(rnd, 5, -0.3, 0.3) },
        W2: { dims: [5, 3], data: dense(rnd, 5, 3) },
        b2: { dims: [3], data: randArray(rnd, 3, -0.3, 0.3) },
      },
      nodes: [
        { op: 'Gemm', inputs: ['x', 'W1', 'b1'], outputs: ['h'], attrs: { transB: { int: 1 } } },
        { op: 'Relu', inputs: ['h'], outputs: ['a'] },
        { op: 'Gemm', inputs: ['a', 'W2', 'b2'], outputs: ['y'] },
      ],
    },
  }),
  'Flatten → MatMul+Add → Relu → MatMul+Add → MatMul+Add → Identity (chained linear)': (rnd) => ({
    inLo: 0,
    inHi: 1,
    spec: {
      input: { name: 'x', dims: [1, 2, 4] },
      output: { name: 'y', dims: [1, 4] },
      initializers: {
        W1: { dims: [8, 6], data: dense(rnd, 8, 6) },
        b1: { dims: [6], data: randArray(rnd, 6, -0.2, 0.2) },
        W2: { dims: [6, 6], data: dense(rnd, 6, 6) },
        b2: { dims: [6], data: randArray(rnd, 6, -0.2, 0.2) },
        W3: { dims: [6, 4], data: dense(rnd, 6, 4) },
        b3: { dims: [1, 4], data: randArray(rnd, 4, -0.2, 0.2) },
      },
      nodes: [
        { op: 'Flatten', inputs: ['x'], outputs: ['f'], attrs: { axis: { int: 1 } } },
        { op: 'MatMul', inputs: ['f', 'W1'], outputs: ['m1'] },
        { op: 'Add', inputs: ['m1', 'b1'], outputs: ['h1'] },
        { op: 'Relu', inputs: ['h1'], outputs: ['a1'] },
        { op: 'MatMul', inputs: ['a1', 'W2'], outputs: ['m2'] },
        { op: 'Add', inputs: ['b2', 'm2'], outputs: ['h2'] },
        { op: 'MatMul', inputs: ['h2', 'W3'], outputs: ['m3'] },
        { op: 'Add', inputs: ['m3', 'b3'], outputs: ['h3'] },
        { op: 'Identity', inputs: ['h3'], outputs: ['y'] },
      ],
    },
  }),
  'signed input → Reshape → Gemm(alpha, beta) → Relu → Gemm(transB) → Relu → Gemm': (rnd) => ({
    inLo: -1,
    inHi: 1,
    spec: {
      input: { name: 'x', dims: [3, 4] },
      output: { name: 'y', dims: [1, 2] },
      initializers: {
        shape: { dims: [2], data: [1, -1], int64: true },
        W1: { dims: [12, 7], data: dense(rnd, 12, 7) },
        b1: { dims: [1, 7], data: randArray(rnd, 7, -0.3, 0.3) },
        W2: { dims: [5, 7], data: dense(rnd, 7, 5) },
        b2: { dims: [5], data: randArray(rnd, 5, -0.3, 0.3) },
        W3: { dims: [5, 2], data: dense(rnd, 5, 2) },
      },
      nodes: [
        { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['r'] },
        {
          op: 'Gemm',
          inputs: ['r', 'W1', 'b1'],
          outputs: ['h1'],
          attrs: { alpha: { float: 0.5 }, beta: { float: 2 } },
        },
        { op: 'Relu', inputs: ['h1'], outputs: ['a1'] },
        { op: 'Gemm', inputs: ['a1', 'W2', 'b2'], outputs: ['h2'], attrs: { transB: { int: 1 } } },
        { op: 'Relu', inputs: ['h2'], outputs: ['a2'] },
        { op: 'Gemm', inputs: ['a2', 'W3'], outputs: ['y'] },
      ],
    },
  }),
};

for (const [name, arch] of Object.entries(ARCHS)) {
  test(`random MLPs, ${name}: circuit == integer reference; dequantized output within the derived bound of onnxruntime`, async (t) => {
    for (const seed of [1, 2, 3]) {
      const rnd = prng(seed * 1000 + name.length);
      const { spec, inLo, inHi } = arch(rnd);
      const path = join(dir, `${name.replace(/\W+/g, '-')}-${seed}.onnx`);
      await writeFile(path, modelBytes(spec));
      const n = spec.input.dims.reduce((a, b) => a * b, 1);
      const sample = () => Float64Array.from(randArray(rnd, n, inLo, inHi));
      const inputs = Array.from({ length: 24 }, sample);
      // As `run` does, the proven inputs join the calibration set.
      const calibration = [...Array.from({ length: 48 }, sample), ...inputs];
      const r = await differential(path, calibration, inputs, true);
      t.diagnostic(
        `seed ${seed}: top-1 ${r.agree}/${r.n}, max error ${r.maxErrLsb.toFixed(1)} LSBs (bound ≤ ${r.maxBoundLsb.toFixed(1)})`,
      );
    }
  });
}

/** One Gemm on a [1, K] (or [K, 1] when transA) input with every attribute combination. */
test('ONNX loader: Gemm alpha/beta/transA/transB/bias shapes match onnxruntime', async () => {
  const rnd = prng(77);
  const K = 5;
  const N = 3;
  let count = 0;
  for (const transA of [0, 1])
    for (const transB of [0, 1])
      for (const [alpha, beta] of [
        [1, 1],
        [0.75, -1.5],
        [2, 0],
      ]) {
        for (const cDims of [null, [N], [1, N], [1]] as Array<number[] | null>) {
          const attrs: NodeSpec['attrs'] = {
            ...(alpha !== 1 ? { alpha: { float: alpha } } : {}),
            ...(beta !== 1 ? { beta: { float: beta } } : {}),
            ...(transA ? { transA: { int: 1 } } : {}),
            ...(transB ? { transB: { int: 1 } } : {}),
          };
          const initializers: NonNullable<ModelSpec['initializers']> = {
            B: { dims: transB ? [N, K] : [K, N], data: randArray(rnd, K * N, -1, 1) },
          };
          if (cDims)
            initializers['C'] = {
              dims: [...cDims],
              data: randArray(
                rnd,
                cDims.reduce((a, b) => a * b, 1),
                -1,
                1,
              ),
            };
          const spec: ModelSpec = {
            input: { name: 'x', dims: transA ? [K, 1] : [1, K] },
            output: { name: 'y', dims: [1, N] },
            initializers,
            nodes: [{ op: 'Gemm', inputs: cDims ? ['x', 'B', 'C'] : ['x', 'B'], outputs: ['y'], attrs }],
          };
          const path = join(dir, `gemm-${count++}.onnx`);
          await writeFile(path, modelBytes(spec));
          const g = parseOnnx(readFileSync(path), path);
          const fg = lowerGraph(g);
          const inputs = Array.from({ length: 3 }, () => Float64Array.from(randArray(rnd, K, -1, 1)));
          const ort = await runOnnxRuntime(path, g.input.name, g.input.shape, inputs);
          inputs.forEach((x, i) => {
            const ours = runFloatGraph(fg, x).get(fg.output.name)!;
            assert.equal(ours.length, N);
            ours.forEach((v, j) =>
              assert.ok(
                Math.abs(v - ort[i]![j]!) <= 1e-5 * (1 + Math.abs(v)),
                `${path} ${JSON.stringify(attrs)} C=${JSON.stringify(cDims)}: ${v} vs ${ort[i]![j]}`,
              ),
            );
          });
        }
      }
  assert.equal(count, 2 * 2 * 3 * 4);
});

test('ONNX loader: the unsupported-op error names every offending node, in order', () => {
  const nodes: NodeSpec[] = [];
  for (let i = 0; i < 10; i++) {
    const inp = i === 0 ? 'x' : `t${i - 1}`;
    if (i === 3 || i === 5) nodes.push({ op: 'NonZero', inputs: [inp], outputs: [`t${i}`], name: `n${i}` });
    else if (i === 9) nodes.push({ op: 'Unique', inputs: [inp], outputs: [`t${i}`], name: 'n9' });
    else nodes.push({ op: 'Identity', inputs: [inp], outputs: [`t${i}`], name: `n${i}` });
  }
  const bytes = modelBytes({
    input: { name: 'x', dims: [1, 4] },
    output: { name: 't9', dims: [1, 4] },
    nodes,
  });
  const g = parseOnnx(bytes, 'two-bad.onnx');
  assert.throws(
    () => lowerGraph(g),
    (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.equal(
        e.message,
        'two-bad.onnx: unsupported ONNX ops: NonZero ×2 (nodes "n3", "n5"), Unique ×1 (node "n9"); NonZero of a computed value has a data-dependent output shape (one column per nonzero element), which a fixed circuit cannot have (it folds when its input is a constant)',
      );
      return true;
    },
  );
  // A node of a foreign domain is unsupported even when its op name matches a supported one.
  const foreign = parseOnnx(
    modelBytes({
      input: { name: 'x', dims: [1, 4] },
      output: { name: 'y', dims: [1, 4] },
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'], name: 'custom', domain: 'com.example' }],
    }),
    'foreign.onnx',
  );
  assert.throws(
    () => lowerGraph(foreign),
    /^UserError: foreign\.onnx: unsupported ONNX ops: com\.example:Relu ×1 \(node "custom"\)$/,
  );
});

test('ONNX loader: malformed and out-of-range models are UserErrors naming the file', () => {
  const good = modelBytes({
    input: { name: 'x', dims: [1, 2] },
    output: { name: 'y', dims: [1, 2] },
    nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
  });
  assert.ok(lowerGraph(parseOnnx(good, 'good.onnx')));
  assert.throws(
    () => parseOnnx(good.subarray(0, good.length - 7), 'cut.onnx'),
    (e: unknown) => e instanceof UserError && e.message.startsWith('cut.onnx: '),
  );
  const oldIr = modelBytes({
    irVersion: 2,
    input: { name: 'x', dims: [1, 2] },
    output: { name: 'y', dims: [1, 2] },
    nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
  });
  assert.throws(() => parseOnnx(oldIr, 'old.onnx'), /^UserError: old\.onnx: ONNX IR version 2/);
  const oldOpset = modelBytes({
    opset: 6,
    input: { name: 'x', dims: [1, 2] },
    output: { name: 'y', dims: [1, 2] },
    nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
  });
  assert.throws(() => parseOnnx(oldOpset, 'op6.onnx'), /^UserError: op6\.onnx: ONNX opset 6/);
});
