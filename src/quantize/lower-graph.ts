/**
 * ONNX → lowered float graph. Each supported ONNX op is one entry of {@link LOWERINGS}; a
 * node whose inputs are all constants is folded at lowering time instead. The set of keys of
 * the table is the set of supported ops, so the "unsupported ops" error can never drift from
 * what is actually implemented. The entries live in lowerings-*.ts by op family.
 */
import { UserError } from '../errors.js';
import { assertSupportedOps, OnnxGraph } from '../onnx/load-onnx.js';
import type { ConstTensor } from '../onnx/tensor.js';
import type { FloatGraph } from './float-ir.js';
import { fuseFloatGraph } from './fuse-linear.js';
import { constInput, LowerContext, Lowering, nodeError } from './lower-context.js';
import { BASIC_LOWERINGS, flattenShape, reshapeTarget, transposeIndex } from './lowerings-basic.js';
import { CONV_LOWERINGS } from './lowerings-conv.js';
import { ELEMENTWISE_LOWERINGS } from './lowerings-elementwise.js';
import { ACTIVATION_LOWERINGS } from './ops/activations.js';

export type { LowerContext, Lowering } from './lower-context.js';
export { activationShape, broadcastTo, constInput, emit, nodeError } from './lower-context.js';
export { reshapeTarget } from './lowerings-basic.js';

/** The lowering table: one entry per supported ONNX op. */
export const LOWERINGS: Record<string, Lowering> = { ...BASIC_LOWERINGS, ...ELEMENTWISE_LOWERINGS, ...CONV_LOWERINGS, ...ACTIVATION_LOWERINGS };

/** Constant folding for nodes whose inputs are all constants. */
export const CONST_FOLDS: Record<string, (ctx: LowerContext, node: OnnxGraph['nodes'][number]) => ConstTensor> = {
  Reshape(ctx, node) {
    const c = constInput(ctx, node, 0);
    const target = node.inputs[1] ? Array.from(constInput(ctx, node, 1).data) : ((node.attrs['shape'] as number[]) ?? []);
    return { ...c, dims: reshapeTarget(node, c.dims, target) };
  },
  Identity: (ctx, node) => constInput(ctx, node, 0),
  Flatten(ctx, node) {
    const c = constInput(ctx, node, 0);
    return { ...c, dims: flattenShape(node, c.dims) };
  },
  Transpose(ctx, node) {
    const c = constInput(ctx, node, 0);
    const { perm, shape } = transposeIndex(node, c.dims);
    return { dims: shape, data: Float64Array.from(perm, (i) => c.data[i]!), dataType: c.dataType };
  },
  Constant(_ctx, node) {
    const v = node.attrs['value'];
    if (v && typeof v === 'object' && 'data' in v) return v;
    const f = node.attrs['value_float'] ?? node.attrs['value_int'];
    if (typeof f === 'number') return { dims: [], data: Float64Array.of(f), dataType: 'FLOAT' };
    const fs = node.attrs['value_floats'] ?? node.attrs['value_ints'];
    if (Array.isArray(fs)) return { dims: [fs.length], data: Float64Array.from(fs as number[]), dataType: 'FLOAT' };
    throw nodeError(node, 'Constant without a supported value attribute');
  },
};

function isConstNode(ctx: Pick<LowerContext, 'consts'>, node: OnnxGraph['nodes'][number]): boolean {
  return node.opType === 'Constant' || (node.inputs.length > 0 && node.inputs.every((i) => i === '' || ctx.consts.has(i)));
}

/** Lowers a parsed ONNX graph. Throws one {@link UserError} listing every unsupported node. */
export function lowerGraph(graph: OnnxGraph): FloatGraph {
  const consts = new Map(graph.constants);
  // Support check first, so the user sees every offending node at once.
  assertSupportedOps(graph, (n) => (!n.domain || n.domain === 'ai.onnx') && (n.opType in LOWERINGS || (n.opType in CONST_FOLDS && isConstNode({ consts: graph.constants }, n)) || n.opType === 'Constant'));
  const uses = new Map<string, number>();
  for (const n of graph.nodes) for (const i of n.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  for (const o of graph.outputs) uses.set(o.name, (uses.get(o.name) ?? 0) + 1);
  const ctx: LowerContext = { graph, consts, shapes: new Map([[graph.input.name, graph.input.shape]]), ops: [], producer: new Map(), uses };
  for (const node of graph.nodes) {
    if (isConstNode(ctx, node) && node.opType in CONST_FOLDS) {
      consts.set(node.outputs[0]!, CONST_FOLDS[node.opType]!(ctx, node));
      continue;
    }
    const lower = LOWERINGS[node.opType];
    if (!lower) throw nodeError(node, 'operation on constants only is not supported');
    lower(ctx, node);
  }
  const out = graph.outputs[0]!;
  const shape = ctx.shapes.get(out.name);
  if (!shape) throw new UserError(`${graph.path}: graph output "${out.name}" is not computed from the input`);
  return fuseFloatGraph({ input: graph.input, output: { name: out.name, shape }, ops: ctx.ops, shapes: ctx.shapes, ...(ctx.droppedFinal ? { droppedFinal: ctx.droppedFinal } : {}) });
}
