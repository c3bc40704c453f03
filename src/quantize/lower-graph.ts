/**
 * ONNX → lowered float graph. Each supported ONNX op is one entry of {@link LOWERINGS}; a
 * node whose inputs are all constants is folded at lowering time instead. The set of keys of
 * the table is the set of supported ops, so the "unsupported ops" error can never drift from
 * what is actually implemented. The entries live in ops/*.ts by op family.
 */
import { UserError } from '../errors.js';
import { assertSupportedOps, OnnxGraph } from '../onnx/load-onnx.js';
import type { FloatGraph } from './float-ir.js';
import { fuseFloatGraph } from './fuse-linear.js';
import { LowerContext, nodeError } from './lower-context.js';
import { CONST_FOLDS, LOWERINGS } from './ops/index.js';

export type { ConstFold, LowerContext, Lowering } from './lower-context.js';
export { activationShape, broadcastTo, constInput, emit, nodeError } from './lower-context.js';
export { reshapeTarget } from './ops/shape.js';
export { CONST_FOLDS, LOWERINGS } from './ops/index.js';

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
