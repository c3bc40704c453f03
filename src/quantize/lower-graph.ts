/**
 * ONNX → lowered float graph. Each supported ONNX op is one entry of {@link LOWERINGS}; a
 * node whose inputs are all constants is folded at lowering time instead. The set of keys of
 * the table is the set of supported ops, so the "unsupported ops" error can never drift from
 * what is actually implemented. The entries live in ops/*.ts by op family.
 */
import { quote, UserError } from '../core/errors.js';
import { assertInputsSupported, assertSupportedOps } from '../onnx/load-onnx.js';
import { OnnxGraph, OnnxNode } from '../onnx/onnx-graph.js';
import type { FloatGraph } from './float-ir.js';
import { fuseFloatGraph } from './fuse-linear.js';
import { LowerContext, nodeError } from './lower-context.js';
import { CONST_FOLDS, LOWERINGS, ML_LOWERINGS, SHAPE_READERS } from './ops/index.js';
import type { Lowering } from './lower-context.js';
import { assertFiniteConstants } from './ops/attention-mask.js';
import { provenOutput, provenView } from './proven-output.js';

/** Whether `node` is evaluated at compile time, given which tensors are constant. */
function foldable(isConst: (t: string) => boolean, node: OnnxNode): boolean {
  if (!(node.opType in CONST_FOLDS)) return false;
  if (node.opType === 'Constant' || SHAPE_READERS.has(node.opType)) return true;
  // CastLike reads only the element type of its second input (function bodies cast constants like x).
  if (node.opType === 'CastLike' && isConst(node.inputs[0] ?? '')) return true;
  return node.inputs.length > 0 && node.inputs.every((i) => i === '' || isConst(i));
}

/** The lowering of a node: the default domain's table, or the ai.onnx.ml one (tree ensembles). */
function loweringOf(node: OnnxNode): Lowering | undefined {
  const table =
    !node.domain || node.domain === 'ai.onnx' ? LOWERINGS : node.domain === 'ai.onnx.ml' ? ML_LOWERINGS : {};
  return Object.hasOwn(table, node.opType) ? table[node.opType] : undefined;
}

/** The nodes that neither lower nor fold, found by propagating constness without evaluating. */
export function unsupportedNodes(graph: OnnxGraph): OnnxNode[] {
  const known = new Set(graph.constants.keys());
  const bad: OnnxNode[] = [];
  for (const n of graph.nodes) {
    const inDomain = !n.domain || n.domain === 'ai.onnx';
    if (inDomain && foldable((t) => known.has(t), n)) n.outputs.forEach((o) => known.add(o));
    else if (!loweringOf(n)) bad.push(n);
  }
  return bad;
}

/**
 * Lowers a parsed ONNX graph. Throws one {@link UserError} listing every unsupported node. The
 * output proven is graph output 0, or a classifier's scores when output 0 is its label
 * (proven-output.ts).
 */
export function lowerGraph(onnx: OnnxGraph): FloatGraph {
  const proven = provenOutput(onnx);
  const graph = provenView(onnx, proven);
  const ctx = lowerNodes(graph);
  assertFiniteConstants(ctx.ops);
  const out = graph.outputs[0]!;
  const shape = ctx.shapes.get(out.name);
  if (!shape)
    throw new UserError(
      `${graph.path}: graph output ${quote(out.name)} is not computed from the input${ctx.consts.has(out.name) ? ' (it is a constant, folded at compile time)' : ''}`,
    );
  return fuseFloatGraph({
    input: graph.input,
    inputs: graph.inputs,
    output: { name: out.name, shape },
    ops: ctx.ops,
    shapes: ctx.shapes,
    ...(ctx.droppedFinal ? { droppedFinal: ctx.droppedFinal } : {}),
  });
}

/** Runs the lowering table over every node (constants folded on the way) and returns the state. */
export function lowerNodes(graph: OnnxGraph): LowerContext {
  // Support check first, so the user sees every offending node at once.
  const bad = unsupportedNodes(graph);
  assertSupportedOps(graph, (n) => !bad.includes(n));
  assertInputsSupported(graph);
  const consts = new Map(graph.constants);
  const uses = new Map<string, number>();
  // Shape and Size read only the static shape, so they do not keep a value from being fused.
  for (const n of graph.nodes)
    if (!SHAPE_READERS.has(n.opType)) for (const i of n.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  for (const o of graph.outputs) uses.set(o.name, (uses.get(o.name) ?? 0) + 1);
  const ctx: LowerContext = {
    graph,
    consts,
    shapes: new Map([
      [graph.input.name, graph.input.shape],
      ...graph.inputs.map((i) => [i.name, i.shape] as [string, number[]]),
    ]),
    ops: [],
    producer: new Map(),
    uses,
  };
  for (const node of graph.nodes) {
    if (foldable((t) => consts.has(t), node)) {
      const r = CONST_FOLDS[node.opType]!(ctx, node);
      (Array.isArray(r) ? r : [r]).forEach((t, k) => {
        if (node.outputs[k]) consts.set(node.outputs[k]!, t);
      });
      continue;
    }
    const lower = loweringOf(node);
    if (!lower) throw nodeError(node, 'is not supported on computed values (only on constants)');
    lower(ctx, node);
  }
  return ctx;
}
