/**
 * A small ONNX writer on top of onnx-proto: a seeded PRNG, FLOAT/INT64 tensors and whole
 * models from a compact spec. Tests use it for random and deliberately broken models, and the
 * benchmark uses it to write a random-weight MLP, so neither depends on Python or a checked-in file.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** Deterministic PRNG (mulberry32) in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform floats in [lo, hi). */
export function randArray(rnd: () => number, n: number, lo: number, hi: number): number[] {
  return Array.from({ length: n }, () => lo + (hi - lo) * rnd());
}

/** A node attribute: numbers become INT when integral and `int` is set, else FLOAT; arrays become INTS. */
export type Attr =
  | { float: number }
  | { floats: number[] }
  | { int: number }
  | { ints: number[] }
  | { str: string }
  | { strs: string[] };

/** One graph node; `domain` defaults to the default ONNX domain. */
export interface NodeSpec {
  readonly op: string;
  readonly inputs: string[];
  readonly outputs: string[];
  readonly name?: string;
  readonly attrs?: Record<string, Attr | undefined>;
  readonly domain?: string;
}

/** A single-input, single-output model. */
export interface ModelSpec {
  readonly input: { name: string; dims: number[]; elemType?: number };
  /** More graph inputs after `input` (element type FLOAT unless given). */
  readonly moreInputs?: ReadonlyArray<{ name: string; dims: number[]; elemType?: number }>;
  /** The graph output (element type FLOAT unless given). */
  readonly output: { name: string; dims: number[]; elemType?: number };
  readonly nodes: NodeSpec[];
  /** name → [dims, data]; FLOAT unless `int64` or `int32` is set. */
  readonly initializers?: Record<string, { dims: number[]; data: number[]; int64?: boolean; int32?: boolean }>;
  readonly irVersion?: number;
  readonly opset?: number;
}

function valueInfo(name: string, dims: number[], elemType = 1): onnxProto.onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } };
}

/** A FLOAT (or INT64) TensorProto. */
export function tensorProto(name: string, dims: number[], data: number[], int64 = false): onnxProto.onnx.ITensorProto {
  return int64 ? { name, dims, dataType: 7, int64Data: data } : { name, dims, dataType: 1, floatData: data };
}

/** Serializes a TensorProto (the `.pb` format of ONNX test data). */
export function tensorBytes(name: string, dims: number[], data: number[]): Uint8Array {
  return onnx.TensorProto.encode(onnx.TensorProto.create(tensorProto(name, dims, data))).finish();
}

/** Serializes a ModelProto (IR 7, opset 13 by default). */
export function modelBytes(spec: ModelSpec): Uint8Array {
  const attribute = (name: string, a: Attr): onnxProto.onnx.IAttributeProto =>
    'float' in a
      ? { name, type: 1, f: a.float }
      : 'floats' in a
        ? { name, type: 6, floats: a.floats }
        : 'int' in a
          ? { name, type: 2, i: a.int }
          : 'str' in a
            ? { name, type: 3, s: Buffer.from(a.str) }
            : 'strs' in a
              ? { name, type: 8, strings: a.strs.map((v) => Buffer.from(v)) }
              : { name, type: 7, ints: a.ints };
  const model: onnxProto.onnx.IModelProto = {
    irVersion: spec.irVersion ?? 7,
    producerName: 'zkinfer',
    // Nodes of ai.onnx.ml (tree ensembles) need that domain imported too.
    opsetImport: [
      { domain: '', version: spec.opset ?? 13 },
      ...(spec.nodes.some((n) => n.domain === 'ai.onnx.ml') ? [{ domain: 'ai.onnx.ml', version: 3 }] : []),
    ],
    graph: {
      name: 'g',
      node: spec.nodes.map((n, i) => ({
        name: n.name ?? `n${i}`,
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        domain: n.domain ?? '',
        attribute: Object.entries(n.attrs ?? {}).flatMap(([k, v]) => (v ? [attribute(k, v)] : [])),
      })),
      initializer: Object.entries(spec.initializers ?? {}).map(([k, v]) =>
        v.int32 ? { name: k, dims: v.dims, dataType: 6, int32Data: v.data } : tensorProto(k, v.dims, v.data, v.int64),
      ),
      input: [spec.input, ...(spec.moreInputs ?? [])].map((i) => valueInfo(i.name, i.dims, i.elemType)),
      output: [valueInfo(spec.output.name, spec.output.dims, spec.output.elemType)],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
