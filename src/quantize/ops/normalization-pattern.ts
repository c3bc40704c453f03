/**
 * The expanded normalizations exporters emit instead of one LayerNormalization node, recognized
 * at their Div and lowered like the fused op (normalization.ts):
 *  - PyTorch before opset 17: d = x − ReduceMean(x); v = ReduceMean(Pow(d, 2)); d / Sqrt(v + ε);
 *  - ONNX's LayerNormalization / GroupNormalization function bodies: v = ReduceMean(x·x) −
 *    ReduceMean(x)²; (x − ReduceMean(x)) / Sqrt(v + ε).
 * Lowered op by op, each intermediate is rounded to the activation width (x², v, √v, x − μ) and
 * the division amplifies those errors by 1/σ; the fused form never materializes x − μ and
 * costs about half. The ops already emitted for the pattern's nodes are dropped when nothing
 * else reads them. Any other Div goes to the ordinary lowering.
 */
import type { OnnxNode } from '../../onnx/onnx-graph.js';
import { opInputs } from '../float-ir.js';
import { broadcastIndex, LowerContext, Lowering } from '../lower-context.js';
import { COMPARISON_LOWERINGS } from './comparisons.js';
import { CompositeEmitter } from './composite-emit.js';
import { normalizeBlocks } from './normalization.js';
import { reductionGroups } from './reductions.js';

const PASS_THROUGH = new Set(['Cast', 'CastLike', 'Identity']);

/** Pattern matching over the ONNX nodes, looking through casts. */
class Matcher {
  readonly nodes: OnnxNode[] = [];
  private readonly byOutput = new Map<string, OnnxNode>();

  constructor(readonly ctx: LowerContext) {
    for (const n of ctx.graph.nodes) for (const o of n.outputs) this.byOutput.set(o, n);
  }

  /** The tensor `t` with Cast/Identity nodes before it skipped. */
  source(t: string): string {
    let n = this.byOutput.get(t);
    while (n && PASS_THROUGH.has(n.opType) && !this.ctx.consts.has(t)) {
      this.nodes.push(n);
      t = n.inputs[0]!;
      n = this.byOutput.get(t);
    }
    return t;
  }

  /** The node producing `t` (through casts) if its op is one of `ops`. */
  node(t: string, ...ops: string[]): OnnxNode | undefined {
    const n = this.byOutput.get(this.source(t));
    if (!n || !ops.includes(n.opType)) return undefined;
    this.nodes.push(n);
    return n;
  }

  constant(t: string): number | undefined {
    const c = this.ctx.consts.get(t);
    return c && c.data.length === 1 ? c.data[0] : undefined;
  }

  /** a·a as Mul(a, a) or Pow(a, 2); returns a. */
  square(t: string): string | undefined {
    const n = this.node(t, 'Mul', 'Pow');
    if (!n) return undefined;
    if (n.opType === 'Pow') return this.constant(n.inputs[1]!) === 2 ? this.source(n.inputs[0]!) : undefined;
    const [a, b] = [this.source(n.inputs[0]!), this.source(n.inputs[1]!)];
    return a === b ? a : undefined;
  }

  /** ReduceMean over trailing blocks of `d` elements: returns its (cast-free) input and d. */
  mean(t: string): { x: string; d: number } | undefined {
    const n = this.node(t, 'ReduceMean');
    if (!n) return undefined;
    const x = this.source(n.inputs[0]!);
    const shape = this.ctx.shapes.get(x);
    if (!shape || this.ctx.consts.has(x)) return undefined;
    const r = reductionGroups(this.ctx, n, shape);
    if (!r || r.groups.length === 0) return undefined;
    const d = r.groups[0]!.length;
    if (!r.groups.every((g, k) => g.length === d && g.every((i, j) => i === k * d + j))) return undefined;
    return { x, d };
  }
}

/** Lowers the Div of an expanded normalization fused, or returns false changing nothing. */
function fuseExpanded(ctx: LowerContext, node: OnnxNode): boolean {
  const m = new Matcher(ctx);
  const sqrt = m.node(node.inputs[1]!, 'Sqrt');
  const plusEps = sqrt && m.node(sqrt.inputs[0]!, 'Add');
  const dev = m.node(node.inputs[0]!, 'Sub');
  if (!plusEps || !dev) return false;
  const epsAt = [0, 1].find((i) => m.constant(plusEps.inputs[i]!) !== undefined);
  if (epsAt === undefined) return false;
  const eps = m.constant(plusEps.inputs[epsAt]!)!;
  const mu = m.mean(dev.inputs[1]!);
  const x = m.source(dev.inputs[0]!);
  if (!mu || mu.x !== x || !(eps >= 0)) return false;
  const variance = plusEps.inputs[1 - epsAt]!;
  // v = ReduceMean((x − μ)²), or v = ReduceMean(x²) − μ².
  const direct = m.node(variance, 'ReduceMean') && m.mean(variance);
  let ok: boolean;
  if (direct) {
    const meanInput = m.node(variance, 'ReduceMean')!.inputs[0]!;
    ok = direct.d === mu.d && m.square(meanInput) === m.source(dev.outputs[0]!);
  } else {
    const sub = m.node(variance, 'Sub');
    const ms = sub && m.mean(sub.inputs[0]!);
    const msIn = sub && m.node(sub.inputs[0]!, 'ReduceMean')!.inputs[0]!;
    ok =
      !!sub && !!ms && ms.d === mu.d && m.square(msIn!) === x && m.square(sub.inputs[1]!) === m.source(dev.inputs[1]!);
  }
  const shape = ctx.shapes.get(x);
  const outShape = ctx.shapes.get(m.source(dev.outputs[0]!));
  if (!ok || !shape || !outShape || !sameShape(outShape, shape)) return false;
  // The statistics must broadcast block by block: a ReduceMean with keepdims=0 (shape [n/d])
  // broadcasts along the LAST axis instead, and the model is then not a normalization at all.
  if (!perBlock(ctx.shapes.get(dev.inputs[1]!), shape, mu.d) || !perBlock(ctx.shapes.get(node.inputs[1]!), shape, mu.d))
    return false;
  normalizeBlocks(new CompositeEmitter(ctx, node), x, shape, mu.d, node.outputs[0]!, { epsilon: eps });
  ctx.shapes.set(node.outputs[0]!, outShape);
  pruneDead(ctx, node, m.nodes);
  return true;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Whether a tensor of shape `s`, broadcast onto `out` (without growing it), sends element i to statistic ⌊i/d⌋. */
function perBlock(s: readonly number[] | undefined, out: readonly number[], d: number): boolean {
  if (!s || s.length > out.length) return false;
  const padded = [...new Array<number>(out.length - s.length).fill(1), ...s];
  if (padded.some((v, i) => v !== 1 && v !== out[i])) return false;
  return broadcastIndex(s, out).every((v, i) => v === Math.floor(i / d));
}

/** Removes the ops lowered for `nodes` whose outputs nothing reads any more (later nodes, graph outputs, live ops). */
function pruneDead(ctx: LowerContext, at: OnnxNode, nodes: readonly OnnxNode[]): void {
  const owned = (name: string) =>
    nodes.some((n) => name === n.name || name.startsWith(`${n.name}::`) || name.endsWith(`+${n.name}`));
  const needed = new Set(ctx.graph.outputs.map((o) => o.name));
  const later = ctx.graph.nodes.slice(ctx.graph.nodes.indexOf(at) + 1);
  for (const n of later) for (const i of n.inputs) needed.add(i);
  for (let k = ctx.ops.length - 1; k >= 0; k--) {
    const op = ctx.ops[k]!;
    if (needed.has(op.output) || !owned(op.name)) opInputs(op).forEach((i) => needed.add(i));
    else {
      ctx.ops.splice(k, 1);
      ctx.producer.delete(op.output);
    }
  }
}

/** Div: the expanded normalizations fused, everything else as before. */
export const NORMALIZATION_PATTERN_LOWERINGS: Record<string, Lowering> = {
  Div(ctx, node) {
    if (!fuseExpanded(ctx, node)) COMPARISON_LOWERINGS['Div']!(ctx, node);
  },
};
