/**
 * Stage 1: parse an ONNX model (protobuf, via onnx-proto) into a typed, validated graph.
 * Everything the later stages need is made explicit here: the single data input, its shape,
 * constants (initializers and Constant nodes) and node attributes as plain values.
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import onnxProto from 'onnx-proto';
import { quote, quoteName, UserError } from '../core/errors.js';
import { checkDims, ConstTensor, decodeTensor, elemTypeName, toNumber } from './tensor.js';
import type { AttrValue, GraphInput, OnnxGraph, OnnxNode } from './onnx-graph.js';
import { JOINED_INPUT } from './onnx-graph.js';
import { validateGraph } from './validate-onnx.js';
import { checkProtobufFraming } from './protobuf-framing.js';
import { checkOutputType } from './output-types.js';

const { onnx } = onnxProto;

/** Ops of the default domain that the lowering table implements, kept in sync by quantize. */
export type OpSupport = (node: OnnxNode) => boolean;

const MIN_IR = 3;
const MAX_IR = 13;
const MIN_OPSET = 7;
const MAX_OPSET = 25;

function decodeAttr(a: onnxProto.onnx.IAttributeProto, where: string): AttrValue {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case T.FLOAT:
      return a.f ?? 0;
    case T.INT:
      return toNumber(a.i ?? 0);
    case T.STRING:
      return Buffer.from(a.s ?? new Uint8Array()).toString('utf8');
    case T.TENSOR:
      return decodeTensor(a.t ?? {}, `${where} attribute ${quote(a.name ?? '')}`);
    case T.FLOATS:
      return (a.floats ?? []).slice();
    case T.INTS:
      return (a.ints ?? []).map(toNumber);
    case T.STRINGS:
      return (a.strings ?? []).map((s) => Buffer.from(s).toString('utf8'));
    // Types no supported op takes, an unset type, and (in the default) numbers outside the enum that
    // protobuf decodes as they are: all rejected with the same message.
    case T.UNDEFINED:
    case T.GRAPH:
    case T.SPARSE_TENSOR:
    case T.TYPE_PROTO:
    case T.TENSORS:
    case T.GRAPHS:
    case T.SPARSE_TENSORS:
    case T.TYPE_PROTOS:
    case null:
    case undefined:
    default:
      throw new UserError(`${where}: attribute ${quote(a.name ?? '')} has unsupported type ${a.type}`);
  }
}

function shapeOf(v: onnxProto.onnx.IValueInfoProto, where: string): number[] {
  const dims = v.type?.tensorType?.shape?.dim ?? [];
  // A symbolic dimension (dim_param, typically the batch) is taken as 1: zkinfer proves one sample.
  const shape = dims.map((d) =>
    d.dimValue !== undefined && d.dimValue !== null && toNumber(d.dimValue) > 0 ? toNumber(d.dimValue) : 1,
  );
  checkDims(shape, `${where}: graph value ${quote(v.name ?? '')}`);
  return shape;
}

/**
 * Parses and validates an ONNX model from bytes. Throws {@link UserError} naming the file for
 * anything malformed or outside the supported IR/opset range.
 */
export function parseOnnx(bytes: Uint8Array, path: string): OnnxGraph {
  let model: onnxProto.onnx.ModelProto;
  checkProtobufFraming(bytes, path);
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new UserError(`${path}: not a valid ONNX model (${(e as Error).message})`);
  }
  const g = model.graph;
  if (!g || !g.node || g.node.length === 0) throw new UserError(`${path}: not a valid ONNX model (no graph nodes)`);
  const irVersion = toNumber(model.irVersion ?? 0);
  if (irVersion < MIN_IR || irVersion > MAX_IR)
    throw new UserError(`${path}: ONNX IR version ${irVersion} is outside the supported ${MIN_IR}–${MAX_IR}`);
  const defaultOpset = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  const opset = toNumber(defaultOpset?.version ?? 0);
  if (opset < MIN_OPSET || opset > MAX_OPSET)
    throw new UserError(`${path}: ONNX opset ${opset} is outside the supported ${MIN_OPSET}–${MAX_OPSET}`);

  const constants = new Map<string, ConstTensor>();
  for (const t of g.initializer ?? []) {
    if (constants.has(t.name ?? ''))
      throw new UserError(`${path}: initializer ${quote(t.name ?? '')} is defined twice (duplicate tensor name)`);
    constants.set(t.name ?? '', decodeTensor(t, `${path}: initializer ${quote(t.name ?? '')}`));
  }
  const nodes: OnnxNode[] = g.node.map((n, i) => {
    const name = n.name || `${n.opType}_${i}`;
    const attrs: Record<string, AttrValue> = {};
    for (const a of n.attribute ?? []) {
      if (Object.hasOwn(attrs, a.name ?? ''))
        throw new UserError(`${path}: node ${quote(name)}: attribute ${quote(a.name ?? '')} is given twice`);
      attrs[a.name ?? ''] = decodeAttr(a, `${path}: node ${quote(name)}`);
    }
    return {
      name,
      opType: n.opType ?? '',
      domain: n.domain ?? '',
      inputs: (n.input ?? []).slice(),
      outputs: (n.output ?? []).slice(),
      attrs,
    };
  });
  // IR-3 models list initializers as graph inputs too; the data inputs are those without a value.
  const inputs: GraphInput[] = (g.input ?? [])
    .filter((v) => !constants.has(v.name ?? ''))
    .map((v) => {
      const elem = v.type?.tensorType?.elemType;
      return {
        name: v.name ?? '',
        shape: shapeOf(v, path),
        elemType: elem === undefined || elem === null ? 'FLOAT' : elemTypeName(elem),
      };
    });
  const outputs = (g.output ?? []).map((v) => {
    checkOutputType(v, nodes, path);
    return { name: v.name ?? '', shape: shapeOf(v, path) };
  });
  if (outputs.length === 0) throw new UserError(`${path}: the graph declares no outputs`);
  const graph: OnnxGraph = {
    path,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    irVersion,
    opset,
    producer: `${model.producerName ?? ''} ${model.producerVersion ?? ''}`.trim(),
    input:
      inputs.length === 1
        ? { name: inputs[0]!.name, shape: inputs[0]!.shape }
        : { name: JOINED_INPUT, shape: [inputs.reduce((a, i) => a + i.shape.reduce((x, y) => x * y, 1), 0)] },
    inputs,
    outputs,
    constants,
    nodes,
  };
  validateGraph(graph);
  return graph;
}

/** Reads and parses an ONNX file; see {@link parseOnnx}. */
export function loadOnnx(path: string): OnnxGraph {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UserError(`${path}: cannot read model (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseOnnx(bytes, path);
}

/** How many node names an unsupported-op group shows before "and N more". */
const NAMES_SHOWN = 3;

/**
 * Throws one error listing every unsupported op, grouped by op (domain-qualified outside the
 * default domain) with a count and a few node names, plus a hint for the ai.onnx.ml domain.
 */
export function assertSupportedOps(graph: OnnxGraph, isSupported: OpSupport): void {
  const bad = graph.nodes.filter((n) => !isSupported(n));
  if (bad.length === 0) return;
  const groups = new Map<string, string[]>();
  for (const n of bad) {
    const key = quoteName(n.domain && n.domain !== 'ai.onnx' ? `${n.domain}:${n.opType}` : n.opType);
    groups.set(key, [...(groups.get(key) ?? []), n.name]);
  }
  const fmt = (k: number) => k.toLocaleString('en-US');
  const parts = [...groups].map(([op, names]) => {
    const shown = names
      .slice(0, NAMES_SHOWN)
      .map((x) => quote(x))
      .join(', ');
    const more = names.length > NAMES_SHOWN ? ` and ${fmt(names.length - NAMES_SHOWN)} more` : '';
    return `${op} ×${fmt(names.length)} (node${names.length > 1 ? 's' : ''} ${shown}${more})`;
  });
  const ml = bad.some((n) => n.domain === 'ai.onnx.ml')
    ? '; of the ai.onnx.ml domain (classical ML exported by skl2onnx/onnxmltools) only TreeEnsembleClassifier ' +
      "and TreeEnsembleRegressor are supported (and ZipMap over a classifier's scores as a graph output)"
    : '';
  const nonZero = bad.some((n) => n.opType === 'NonZero')
    ? '; NonZero of a computed value has a data-dependent output shape (one column per nonzero element), ' +
      'which a fixed circuit cannot have (it folds when its input is a constant)'
    : '';
  throw new UserError(`${graph.path}: unsupported ONNX ops: ${parts.join(', ')}${ml}${nonZero}`);
}

/** Element types a graph input may have: floats are quantized, integers and booleans proven as integers. */
export const INPUT_TYPES = new Set([
  'FLOAT',
  'DOUBLE',
  'FLOAT16',
  'BFLOAT16',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'UINT8',
  'UINT16',
  'UINT32',
  'BOOL',
]);

const FLOAT_INPUTS = new Set(['FLOAT', 'DOUBLE', 'FLOAT16', 'BFLOAT16']);

/** True for graph inputs proven as integers without quantization. */
export function isIntegerInput(i: GraphInput): boolean {
  return !FLOAT_INPUTS.has(i.elemType);
}

/** Checks the graph inputs (run after the op check, so unsupported ops are reported first). */
export function assertInputsSupported(graph: OnnxGraph): void {
  if (graph.inputs.length === 0)
    throw new UserError(
      `${graph.path}: the graph has no non-constant input; there is nothing to prove about a constant model`,
    );
  for (const i of graph.inputs) {
    if (!INPUT_TYPES.has(i.elemType)) {
      throw new UserError(
        `${graph.path}: graph input ${quote(i.name)} has element type ${i.elemType}; supported are FLOAT, DOUBLE, FLOAT16 and BFLOAT16 (quantized) and INT8–INT64, UINT8–UINT32 and BOOL (proven as integers)`,
      );
    }
  }
}
