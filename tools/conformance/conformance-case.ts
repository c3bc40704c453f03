/**
 * One ONNX backend test case through zkinfer: load (operands other than the first become
 * constants), lower, quantize, build the circuit with its witness, and compare. A case passes
 * when the witness satisfies every constraint, the circuit output equals the integer
 * reference exactly, and the dequantized output is within the quantization tolerance of the
 * expected output shipped with the case.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { findViolatedConstraint } from '../../circuits/builder.js';
import { buildCircuit } from '../../src/compile/build-circuit.js';
import { checkDeterminism, describeUndetermined } from '../../src/compile/determinism-check.js';
import { UserError } from '../../src/core/errors.js';
import { parseOnnx } from '../../src/onnx/load-onnx.js';
import { OnnxGraph } from '../../src/onnx/onnx-graph.js';
import { ConstTensor, parseTensorProto } from '../../src/onnx/tensor.js';
import { FloatGraph, FloatOp, runFloatGraph } from '../../src/quantize/float-ir.js';
import { applyDroppedFinal } from '../../src/quantize/dropped-final.js';
import { lowerGraph, lowerNodes } from '../../src/quantize/lower-graph.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import { dequantizeOutput, reportedOutput, runIntegerModel } from '../../src/quantize/quantized-model.js';
import { quantizeInput } from '../../src/quantize/quantize-input.js';

const { onnx } = onnxProto;

/** Outcome of one case. */
export interface CaseResult {
  readonly name: string;
  readonly status: 'pass' | 'fail' | 'unsupported';
  /** Why it failed or is unsupported, or a summary when it passed. */
  readonly detail: string;
  readonly constraints?: number;
  readonly maxError?: number;
  readonly tolerance?: number;
  /** With {@link CaseOptions.determinism}: the op kinds of the quantized model whose circuit was checked. */
  readonly determinedKinds?: readonly string[];
}

/** Options of {@link runCase}. */
export interface CaseOptions {
  readonly activationBits?: number;
  readonly weightBits?: number;
  /** Also set up keys, prove and verify through the pipeline (slow). */
  readonly prove?: boolean;
  /**
   * Also run the determinism checker on the built circuit (every wire forced by the inputs); a
   * free wire fails the case. The test suite checks both on one build of each case.
   */
  readonly determinism?: boolean;
}

/** A case's model with every input but the first turned into an initializer, plus its data. */
export interface LoadedCase {
  readonly bytes: Uint8Array;
  readonly graph: OnnxGraph;
  readonly input: ConstTensor;
  readonly expected: ConstTensor;
  readonly inputPath: string;
}

/** Reads a case directory (model.onnx + test_data_set_0/{input_N,output_0}.pb). */
export function loadCase(dir: string): LoadedCase {
  const data = join(dir, 'test_data_set_0');
  const model = onnx.ModelProto.decode(readFileSync(join(dir, 'model.onnx')));
  const graph = model.graph!;
  const inits = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = (graph.input ?? []).filter((v) => !inits.has(v.name));
  for (let k = 1; k < inputs.length; k++) {
    const path = join(data, `input_${k}.pb`);
    if (!existsSync(path)) throw new UserError(`${path}: missing operand ${k}`);
    const t = onnx.TensorProto.decode(readFileSync(path));
    t.name = inputs[k]!.name ?? '';
    graph.initializer = [...(graph.initializer ?? []), t];
  }
  const bytes = onnx.ModelProto.encode(model).finish();
  const inputPath = join(data, 'input_0.pb');
  return {
    bytes,
    graph: parseOnnx(bytes, join(dir, 'model.onnx')),
    input: parseTensorProto(readFileSync(inputPath), inputPath),
    expected: parseTensorProto(readFileSync(join(data, 'output_0.pb')), join(data, 'output_0.pb')),
    inputPath,
  };
}

/**
 * The magnitude the quantization error scales with: the model run on |x| with every weight,
 * bias and slope replaced by its absolute value (Σ|w|·|x| + |b| per linear output), so sums
 * that cancel to a small result still get the tolerance their terms' rounding implies.
 */
export function magnitudeScale(fg: FloatGraph, x: Float64Array): number {
  const abs: FloatGraph = {
    ...fg,
    ops: fg.ops.map((op): FloatOp => {
      switch (op.kind) {
        case 'linear':
          return { ...op, weight: op.weight.map(Math.abs), bias: op.bias.map(Math.abs) };
        case 'add':
          return { ...op, otherSign: 1 };
        case 'leakyRelu':
          return { ...op, alpha: Math.abs(op.alpha) };
        case 'clamp':
          return { ...op, min: null, max: null };
        case 'permute':
          return op.fill ? { ...op, fill: op.fill.map(Math.abs) } : op;
        case 'trees':
          return {
            ...op,
            base: op.base.map(Math.abs),
            trees: op.trees.map((t) =>
              t.map((n) => ('leaf' in n ? { leaf: n.leaf.map(([j, w]) => [j, Math.abs(w)] as const) } : n)),
            ),
          };
        // No signed constant to take the magnitude of (a new kind must be placed here or above).
        case 'relu':
        case 'reshape':
        case 'maxpool':
        case 'concat':
        case 'unary':
        case 'binary':
        case 'where':
        case 'bitwise':
        case 'divConst':
        case 'product':
        case 'divide':
        case 'softmax':
        case 'gatherIndex':
        case 'topk':
          return op;
      }
    }),
  };
  let m = 0;
  // An exponential of a large |x| overflows to ∞ there: such terms say nothing about rounding.
  for (const v of runFloatGraph(abs, x.map(Math.abs)).get(fg.output.name)!) if (Number.isFinite(v)) m = Math.max(m, v);
  return m;
}

/**
 * The tolerance the quantization scales allow: two output LSBs of rounding, plus
 * 2^−(bits−3) of the output's magnitude scale — four steps of an 8-bit grid for the
 * compounded input, weight and requantization rounding.
 */
export function tolerance(outFrac: number, bits: number, expected: ArrayLike<number>, scale = 0): number {
  let maxAbs = scale;
  for (let i = 0; i < expected.length; i++) maxAbs = Math.max(maxAbs, Math.abs(expected[i]!));
  return 2 * 2 ** -outFrac + 2 ** -(bits - 3) * maxAbs;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

async function proveCase(c: LoadedCase, opts: CaseOptions): Promise<string | undefined> {
  const { runPipeline } = await import('../../src/pipeline.js');
  const dir = mkdtempSync(join(tmpdir(), 'zkinfer-conf-'));
  try {
    const modelPath = join(dir, 'model.onnx');
    writeFileSync(modelPath, c.bytes);
    const r = await runPipeline({
      modelPath,
      inputPath: c.inputPath,
      outDir: join(dir, 'build'),
      weightBits: opts.weightBits,
      activationBits: opts.activationBits,
    });
    return r.verification.valid ? undefined : `proof did not verify: ${r.verification.failed}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The graph output when it depends only on shapes and constants (folded at compile time). */
function foldedOutput(graph: OnnxGraph): ConstTensor | undefined {
  return lowerNodes(graph).consts.get(graph.outputs[0]!.name);
}

/** A folded output must equal the expected one exactly: it is computed, not approximated. */
function compareFolded(name: string, got: ConstTensor, want: ConstTensor): CaseResult {
  const same = JSON.stringify(got.dims) === JSON.stringify(want.dims) && got.data.every((v, i) => v === want.data[i]);
  return same
    ? { name, status: 'pass', detail: 'folded at compile time, equal to the expected output', constraints: 0 }
    : {
        name,
        status: 'fail',
        detail: `folded output ${JSON.stringify(Array.from(got.data))} differs from the expected ${JSON.stringify(Array.from(want.data))}`,
      };
}

/** Runs one case directory; never throws. */
export async function runCase(dir: string, name: string, opts: CaseOptions = {}): Promise<CaseResult> {
  let c: LoadedCase;
  let stage = 'load';
  try {
    c = loadCase(dir);
    stage = 'lower';
    if (c.input.data.some((v) => !Number.isFinite(v)))
      throw new UserError('the input contains NaN or ±Inf, which have no fixed-point value');
    const folded = foldedOutput(c.graph);
    if (folded) return compareFolded(name, folded, c.expected);
    const fg = lowerGraph(c.graph);
    if (c.input.data.length !== fg.input.shape.reduce((a, b) => a * b, 1))
      throw new UserError(
        `input has ${c.input.data.length} values, the model expects ${JSON.stringify(fg.input.shape)}`,
      );
    stage = 'quantize';
    const bits = opts.activationBits ?? 8;
    const qOpts = { activationBits: bits, weightBits: opts.weightBits };
    const first = quantizeGraph(fg, [c.input.data], qOpts);
    // Calibrate on the input as the integer model sees it too (rounded onto its grid), so that no
    // scale is set by values only the exact input produces (e.g. ties after rounding).
    const q = first.input.parts
      ? first
      : quantizeGraph(
          fg,
          [c.input.data, Float64Array.from(quantizeInput(first, c.input.data), (v) => v * 2 ** -first.input.frac)],
          qOpts,
        );
    stage = 'circuit';
    const xq = quantizeInput(q, c.input.data);
    const ref = runIntegerModel(q, xq).get(q.output.name)!;
    const build = buildCircuit(q, xq);
    const violated = findViolatedConstraint(build.circuit.constraints, build.circuit.witness);
    const constraints = build.circuit.nConstraints;
    if (violated !== -1)
      return { name, status: 'fail', detail: `witness violates constraint ${violated}`, constraints };
    let determinedKinds: string[] | undefined;
    if (opts.determinism) {
      stage = 'determinism';
      const d = checkDeterminism(build.circuit);
      if (!d.determined) return { name, status: 'fail', detail: describeUndetermined(d), constraints };
      determinedKinds = [...new Set(q.ops.map((op) => op.kind))];
    }
    if (build.output.length !== ref.length || build.output.some((v, i) => v !== BigInt(ref[i]!)))
      return { name, status: 'fail', detail: 'circuit output differs from the integer reference', constraints };
    const got = reportedOutput(q, dequantizeOutput(q, build.output)).values;
    const want = c.expected.data;
    if (got.length !== want.length)
      return { name, status: 'fail', detail: `output has ${got.length} values, expected ${want.length}`, constraints };
    const floatOut = runFloatGraph(fg, c.input.data).get(fg.output.name)!;
    const floatErr = maxDiff(
      fg.droppedFinal ? applyDroppedFinal(fg.droppedFinal, fg.output.shape, floatOut) : floatOut,
      want,
    );
    // After a dropped Softmax the outputs are probabilities: their own magnitude is the scale.
    // What rounding the input onto its grid alone costs the float model (large where a function
    // is steep, e.g. Log near 0): no circuit can do better than the float model on that input.
    const reported = (v: Float64Array) =>
      fg.droppedFinal ? applyDroppedFinal(fg.droppedFinal, fg.output.shape, v) : v;
    const inputErr = q.input.parts
      ? 0
      : maxDiff(
          reported(
            runFloatGraph(
              fg,
              Float64Array.from(xq, (v) => v * 2 ** -q.input.frac),
            ).get(fg.output.name)!,
          ),
          reported(floatOut),
        );
    const tol =
      tolerance(q.output.frac, bits, want, fg.droppedFinal ? 0 : magnitudeScale(fg, c.input.data)) +
      (Number.isFinite(inputErr) ? inputErr : 0);
    const err = maxDiff(got, want);
    if (floatErr > 1e-3 * (1 + tol))
      return {
        name,
        status: 'fail',
        detail: `lowered float graph differs from the expected output by ${floatErr.toExponential(2)}`,
        constraints,
      };
    if (err > tol)
      return {
        name,
        status: 'fail',
        detail: `max |error| ${err.toExponential(2)} > tolerance ${tol.toExponential(2)}`,
        constraints,
        maxError: err,
        tolerance: tol,
      };
    if (opts.prove) {
      stage = 'prove';
      const bad = await proveCase(c, opts);
      if (bad) return { name, status: 'fail', detail: bad, constraints };
    }
    return {
      name,
      status: 'pass',
      detail: `max |error| ${err.toExponential(2)} ≤ ${tol.toExponential(2)}${opts.prove ? ', proof verified' : ''}`,
      constraints,
      maxError: err,
      tolerance: tol,
      ...(determinedKinds ? { determinedKinds } : {}),
    };
  } catch (e) {
    if (e instanceof UserError) return { name, status: 'unsupported', detail: `${stage}: ${e.message}` };
    return { name, status: 'fail', detail: `${stage}: ${(e as Error).message}` };
  }
}
