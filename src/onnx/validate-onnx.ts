/**
 * Sanity checks of a parsed ONNX graph before lowering, so hostile or broken models fail with
 * one line naming the node, attribute or tensor instead of a crash deep in the quantizer:
 * duplicate tensor names, attributes an op does not define, non-finite floats (NaN Clip
 * bounds, NaN weights) and integer attributes outside what any real model uses (strides or
 * dilations of 0, pads of 10^6, negative pool strides).
 */
import { quote, quoteName, UserError } from '../core/errors.js';
import type { AttrValue, OnnxGraph, OnnxNode } from './onnx-graph.js';

/** Attributes each supported op defines (any opset 7–25); anything else is refused. */
export const KNOWN_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  Gemm: ['alpha', 'beta', 'transA', 'transB', 'broadcast'],
  MatMul: [],
  Add: ['broadcast', 'axis', 'consumed_inputs'],
  Sub: ['broadcast', 'axis', 'consumed_inputs'],
  Mul: ['broadcast', 'axis', 'consumed_inputs'],
  Relu: ['consumed_inputs'],
  LeakyRelu: ['alpha', 'consumed_inputs'],
  Clip: ['min', 'max', 'consumed_inputs'],
  Conv: ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'],
  MaxPool: ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'storage_order', 'strides'],
  AveragePool: ['auto_pad', 'ceil_mode', 'count_include_pad', 'dilations', 'kernel_shape', 'pads', 'strides'],
  GlobalAveragePool: [],
  GlobalMaxPool: [],
  BatchNormalization: ['epsilon', 'momentum', 'spatial', 'is_test', 'consumed_inputs', 'training_mode'],
  Reshape: ['allowzero', 'shape', 'consumed_inputs'],
  Flatten: ['axis'],
  Transpose: ['perm'],
  Identity: [],
  Dropout: ['ratio', 'is_test', 'seed'],
  Constant: [
    'value',
    'value_float',
    'value_floats',
    'value_int',
    'value_ints',
    'sparse_value',
    'value_string',
    'value_strings',
  ],
  Softmax: ['axis'],
  LogSoftmax: ['axis'],
};

/** Largest kernel, stride, dilation or padding accepted (far above any model zkinfer can prove). */
export const MAX_WINDOW = 4096;

/** Inclusive bounds of integer attributes, by name. */
const INT_BOUNDS: Readonly<Record<string, readonly [number, number]>> = {
  strides: [1, MAX_WINDOW],
  dilations: [1, MAX_WINDOW],
  kernel_shape: [1, MAX_WINDOW],
  pads: [0, MAX_WINDOW],
  group: [1, MAX_WINDOW],
  axis: [-8, 8],
  perm: [0, 7],
  transA: [0, 1],
  transB: [0, 1],
  ceil_mode: [0, 1],
  count_include_pad: [0, 1],
  storage_order: [0, 1],
  allowzero: [0, 1],
  broadcast: [0, 1],
  spatial: [0, 1],
  is_test: [0, 1],
  training_mode: [0, 1],
};

/** Most entries of a numeric attribute list of an ai.onnx.ml node (a tree ensemble's nodes and weights). */
const MAX_ML_ATTRIBUTE_ENTRIES = 2 ** 24;

function checkAttr(node: OnnxNode, name: string, v: AttrValue, where: string): void {
  const bad = (msg: string) =>
    new UserError(`${where}: node ${quote(node.name)} (${quoteName(node.opType)}): attribute ${quote(name)} ${msg}`);
  if (typeof v === 'number' || (Array.isArray(v) && v.every((x) => typeof x === 'number'))) {
    const values = (typeof v === 'number' ? [v] : v) as number[];
    // Tree ensembles list every node and leaf weight in attributes; other ops' lists are short.
    const most = node.domain === 'ai.onnx.ml' ? MAX_ML_ATTRIBUTE_ENTRIES : 64;
    if (values.length > most) throw bad(`has ${values.length} entries`);
    for (const x of values) if (!Number.isFinite(x)) throw bad(`is ${x}; must be a finite number`);
    const bounds = INT_BOUNDS[name];
    if (bounds)
      for (const x of values)
        if (!Number.isInteger(x) || x < bounds[0] || x > bounds[1])
          throw bad(`is ${x}; must be an integer in ${bounds[0]}..${bounds[1]}`);
  } else if (v && typeof v === 'object' && 'data' in v) {
    // −∞ as in initializers: ONNX's own function bodies keep attention masks in Constant nodes.
    const i = v.data.findIndex((x) => !Number.isFinite(x) && x !== -Infinity);
    if (i >= 0) throw bad(`holds ${v.data[i]} at index ${i}; tensors must be finite (or −∞ in an attention mask)`);
  }
}

/** Throws {@link UserError} for the first problem found; see the file comment. */
export function validateGraph(g: OnnxGraph): void {
  const where = g.path;
  const defined = new Set<string>([g.input.name]);
  for (const [name, t] of g.constants) {
    // −∞ is an attention mask's "never attend" (exporters store masks as initializers; checked against its use after lowering).
    const i = t.data.findIndex((x) => !Number.isFinite(x) && x !== -Infinity);
    if (i >= 0)
      throw new UserError(
        `${where}: initializer ${quote(name)} holds ${t.data[i]} at index ${i}; weights must be finite (or −∞ in an attention mask)`,
      );
    defined.add(name);
  }
  const nodeNames = new Set<string>();
  for (const node of g.nodes) {
    // onnxruntime refuses a graph with two nodes of one name; say so here, naming it.
    if (nodeNames.has(node.name))
      throw new UserError(`${where}: two nodes are named ${quote(node.name)} (node names must be unique)`);
    nodeNames.add(node.name);
    const known = KNOWN_ATTRIBUTES[node.opType];
    for (const [name, v] of Object.entries(node.attrs)) {
      if (known && (!node.domain || node.domain === 'ai.onnx') && !known.includes(name)) {
        throw new UserError(
          `${where}: node ${quote(node.name)} (${quoteName(node.opType)}): unknown attribute ${quote(name)} (${node.opType} defines ${known.length ? known.join(', ') : 'none'})`,
        );
      }
      checkAttr(node, name, v, where);
    }
    for (const out of node.outputs) {
      if (out === '') continue;
      if (defined.has(out))
        throw new UserError(
          `${where}: node ${quote(node.name)} (${quoteName(node.opType)}): output tensor ${quote(out)} is already defined (duplicate tensor name)`,
        );
      defined.add(out);
    }
  }
}
