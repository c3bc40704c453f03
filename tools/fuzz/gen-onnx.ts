/**
 * Fuzz classes for ONNX models: the shipped models truncated and byte-flipped, and small
 * generated models (tools/onnx/write-onnx.ts) with attribute and shape extremes — strides and
 * dilations of 0, pads of 10^6, negative pool strides, NaN/Infinity Clip bounds and alphas,
 * zero-output Gemms, initializer dims of 2^31/2^32, duplicate tensor names, unknown
 * attributes, names with newlines/NUL/quotes. Run through `inspect` (parse + lower) or
 * `quantize` (the whole quantizer and onnxruntime).
 */
import fc from 'fast-check';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { modelBytes, tensorProto, type Attr, type ModelSpec } from '../onnx/write-onnx.js';
import type { Fixtures } from './fixtures.js';
import type { FuzzGenerator } from './harness.js';

const { onnx } = onnxProto;

const INTS = [0, -1, 1, 2, 3, 4096, 4097, 1_000_000, 2 ** 31, -(2 ** 31)];
const FLOATS = [0, 1, 6, -6, 0.5, NaN, Infinity, -Infinity, 1e300];
const WEIRD_NAMES = [
  'n',
  'a\nb',
  'nul\u0000x',
  'q"uote',
  "s'ingle",
  'back\\slash',
  '\u2028ls',
  '\u001b[31mred',
  'x'.repeat(300),
];

type Recipe =
  | { kind: 'bytes'; model: 'mlp' | 'cnn'; truncate: number; flips: Array<[number, number]>; quantize: boolean }
  | {
      kind: 'gemm';
      outDim: number;
      alpha: number;
      transB: number;
      unknownAttr: boolean;
      dims: readonly number[] | null;
      quantize: boolean;
    }
  | { kind: 'conv'; strides: number[]; dilations: number[]; pads: number[]; kernel: number[] | null; quantize: boolean }
  | {
      kind: 'pool';
      op: 'MaxPool' | 'AveragePool';
      strides: number[];
      pads: number[];
      kernel: number[];
      quantize: boolean;
    }
  | { kind: 'clip'; min: number; max: number; opset: number; quantize: boolean }
  | { kind: 'names'; dupInit: boolean; dupOutput: boolean; name: string; opType: string; quantize: boolean };

const ints = (min: number, max: number) =>
  fc.array(fc.oneof(fc.constantFrom(...INTS), fc.integer({ min: 1, max: 3 })), { minLength: min, maxLength: max });

const recipe: fc.Arbitrary<Recipe> = fc.oneof(
  fc.record({
    kind: fc.constant('bytes' as const),
    model: fc.constantFrom('mlp' as const, 'cnn' as const),
    truncate: fc.oneof(fc.constant(0), fc.constantFrom(1, 2, 16), fc.nat(5000)),
    flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 6 }),
    quantize: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('gemm' as const),
    outDim: fc.constantFrom(0, 1, 4),
    alpha: fc.constantFrom(...FLOATS),
    transB: fc.constantFrom(0, 1, 2),
    unknownAttr: fc.boolean(),
    dims: fc.option(fc.constantFrom([0, 4], [2 ** 31, 4], [2 ** 32, 4], [4, -1], [4], [4, 4, 4]), { freq: 3 }),
    quantize: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('conv' as const),
    strides: ints(2, 2),
    dilations: ints(2, 2),
    pads: ints(4, 4),
    kernel: fc.option(ints(1, 3)),
    quantize: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('pool' as const),
    op: fc.constantFrom('MaxPool' as const, 'AveragePool' as const),
    strides: ints(1, 3),
    pads: ints(4, 4),
    kernel: ints(2, 2),
    quantize: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('clip' as const),
    min: fc.constantFrom(...FLOATS),
    max: fc.constantFrom(...FLOATS),
    opset: fc.constantFrom(10, 13),
    quantize: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('names' as const),
    dupInit: fc.boolean(),
    dupOutput: fc.boolean(),
    name: fc.constantFrom(...WEIRD_NAMES),
    opType: fc.constantFrom('Relu', 'Relu', 'Frobnicate', 'Sigmoid\n', 'NonMaxSuppression'),
    quantize: fc.boolean(),
  }),
);

const inRange = (v: readonly number[], lo: number, hi: number) =>
  v.every((x) => Number.isInteger(x) && x >= lo && x <= hi);
const seq = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));

/** The model spec of a structured recipe, its input size, and whether it must be refused. */
function structured(r: Exclude<Recipe, { kind: 'bytes' }>): { spec: ModelSpec; inputSize: number; reject: boolean } {
  switch (r.kind) {
    case 'gemm': {
      const dims = r.dims ? [...r.dims] : [r.outDim, 4];
      const count = dims.every((d) => d >= 0 && d < 2 ** 20) ? dims.reduce((a, b) => a * b, 1) : 4;
      const attrs: Record<string, Attr> = {
        alpha: { float: r.alpha },
        transB: { int: r.transB },
        ...(r.unknownAttr ? { frobnicate: { int: 1 } } : {}),
      };
      const spec: ModelSpec = {
        input: { name: 'x', dims: [1, 4] },
        output: { name: 'y', dims: [1, Math.max(1, r.outDim)] },
        nodes: [{ op: 'Gemm', inputs: ['x', 'W'], outputs: ['y'], attrs }],
        initializers: { W: { dims, data: seq(count, (i) => (i % 7) / 7 - 0.4) } },
      };
      const shapeOk = r.dims === null && r.outDim > 0;
      return { spec, inputSize: 4, reject: !shapeOk || !Number.isFinite(r.alpha) || r.transB > 1 || r.unknownAttr };
    }
    case 'conv': {
      const attrs: Record<string, Attr> = {
        strides: { ints: r.strides },
        dilations: { ints: r.dilations },
        pads: { ints: r.pads },
        ...(r.kernel ? { kernel_shape: { ints: r.kernel } } : {}),
      };
      const spec: ModelSpec = {
        input: { name: 'x', dims: [1, 1, 8, 8] },
        output: { name: 'y', dims: [1, 2, 8, 8] },
        nodes: [
          { op: 'Conv', inputs: ['x', 'W'], outputs: ['c'], attrs },
          { op: 'Relu', inputs: ['c'], outputs: ['y'] },
        ],
        initializers: { W: { dims: [2, 1, 3, 3], data: seq(18, (i) => (i % 5) / 5 - 0.5) } },
      };
      const bad =
        !inRange(r.strides, 1, 4096) ||
        !inRange(r.dilations, 1, 4096) ||
        !inRange(r.pads, 0, 4096) ||
        (r.kernel !== null && (r.kernel.length !== 2 || r.kernel[0] !== 3 || r.kernel[1] !== 3));
      return { spec, inputSize: 64, reject: bad };
    }
    case 'pool': {
      const attrs: Record<string, Attr> = {
        strides: { ints: r.strides },
        pads: { ints: r.pads },
        kernel_shape: { ints: r.kernel },
      };
      const spec: ModelSpec = {
        input: { name: 'x', dims: [1, 1, 8, 8] },
        output: { name: 'y', dims: [1, 1, 4, 4] },
        nodes: [{ op: r.op, inputs: ['x'], outputs: ['y'], attrs }],
      };
      const bad =
        r.strides.length !== 2 ||
        !inRange(r.strides, 1, 4096) ||
        !inRange(r.pads, 0, 4096) ||
        !inRange(r.kernel, 1, 4096);
      return { spec, inputSize: 64, reject: bad };
    }
    case 'clip': {
      const old = r.opset < 11;
      const spec: ModelSpec = {
        input: { name: 'x', dims: [1, 4] },
        output: { name: 'y', dims: [1, 4] },
        opset: r.opset,
        nodes: [
          {
            op: 'Clip',
            inputs: old ? ['x'] : ['x', 'lo', 'hi'],
            outputs: ['y'],
            attrs: old ? { min: { float: r.min }, max: { float: r.max } } : {},
          },
        ],
        ...(old ? {} : { initializers: { lo: { dims: [], data: [r.min] }, hi: { dims: [], data: [r.max] } } }),
      };
      return { spec, inputSize: 4, reject: !Number.isFinite(r.min) || !Number.isFinite(r.max) };
    }
    case 'names': {
      const spec: ModelSpec = {
        input: { name: 'x', dims: [1, 4] },
        output: { name: 'y', dims: [1, 4] },
        nodes: [
          { op: 'Add', name: r.name, inputs: ['x', 'b'], outputs: [r.dupOutput ? 'b' : 'h'] },
          { op: r.opType, name: `${r.name}2`, inputs: [r.dupOutput ? 'b' : 'h'], outputs: ['y'] },
        ],
        initializers: { b: { dims: [4], data: [0.1, 0.2, 0.3, 0.4] } },
      };
      return { spec, inputSize: 4, reject: r.dupOutput || r.opType !== 'Relu' };
    }
  }
}

/** Writes the model (a duplicate initializer is added to the decoded protobuf). */
function write(r: Recipe, fx: Fixtures, file: string): { inputSize: number; reject: boolean | undefined } {
  if (r.kind === 'bytes') {
    const src = readFileSync(r.model === 'mlp' ? fx.models.mlp : fx.models.cnn);
    const b = Buffer.from(src.subarray(0, Math.max(0, src.length - r.truncate)));
    for (const [pos, x] of r.flips) if (b.length) b[pos % b.length] ^= x;
    writeFileSync(file, b);
    return {
      inputSize: r.model === 'mlp' ? 64 : 64,
      reject: r.truncate === 0 && r.flips.length === 0 ? false : undefined,
    };
  }
  const s = structured(r);
  let bytes = modelBytes(s.spec);
  if (r.kind === 'names' && r.dupInit) {
    const m = onnx.ModelProto.decode(bytes);
    m.graph!.initializer!.push(onnx.TensorProto.create(tensorProto('b', [4], [1, 2, 3, 4])));
    bytes = onnx.ModelProto.encode(m).finish();
  }
  writeFileSync(file, bytes);
  return { inputSize: s.inputSize, reject: s.reject || (r.kind === 'names' && r.dupInit) ? true : undefined };
}

/** ONNX models through `inspect` or `quantize`. */
export const onnxModels: FuzzGenerator<Fixtures, Recipe> = {
  name: 'ONNX model',
  weight: 4,
  arbitrary: () => recipe,
  materialize(r, { dir, fixtures }) {
    const file = join(dir, 'model.onnx');
    const { inputSize, reject } = write(r, fixtures, file);
    const label = JSON.stringify(r, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)).slice(
      0,
      200,
    );
    const expect = reject === undefined ? 'any' : reject ? 'reject' : 'accept';
    // --strict: inspect reports an unsupported model (supported: false, exit 0) unless asked to refuse it.
    if (!r.quantize) return { argv: ['inspect', file, '--json', '--strict'], expect, label };
    const input = join(dir, 'input.json');
    writeFileSync(input, JSON.stringify(seq(inputSize, (i) => ((i * 37) % 17) / 17)));
    const out = join(dir, 'q');
    return {
      argv: ['quantize', file, '--input', input, '--out', out],
      expect: expect === 'accept' ? 'any' : expect,
      outputs: [out],
      label,
    };
  },
};
