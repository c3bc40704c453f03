/**
 * Additive attention masks holding −∞ (PyTorch's causal and key-padding masks, the ONNX
 * Attention function body): Add(scores, mask) feeding a Softmax. −∞ has no fixed-point value,
 * so the masked scores are left out of their softmax rows instead: the Add is lowered with
 * the −∞ entries replaced by 0 and remembers which elements they were; the Softmax then runs
 * over the kept elements of each row only (gathered for free) and writes exactly 0 at the
 * masked ones, which is what e^−∞ gives; a MatMul of those probabilities with a constant V
 * ignores V's rows that only masked keys reach. An −∞ anywhere else is refused after
 * lowering (assertFiniteConstants).
 */
import type { OnnxNode } from '../../onnx/onnx-graph.js';
import { quote, UserError } from '../../core/errors.js';
import type { FloatOp } from '../float-ir.js';
import {
  activationShape,
  attrNum,
  broadcastIndex,
  broadcastShape,
  broadcastTo,
  emit,
  LowerContext,
  Lowering,
  nodeError,
  size,
} from '../lower-context.js';
import { ELEMENTWISE_LOWERINGS } from './elementwise.js';
import { MATMUL_LOWERINGS } from './matmul.js';
import { softmaxRows } from './products.js';
import { SOFTMAX_LOWERINGS } from './softmax.js';

/** Per lowering: which elements of a tensor are −∞ (masked). */
const MASKS = new WeakMap<LowerContext, Map<string, Uint8Array>>();

function masksOf(ctx: LowerContext): Map<string, Uint8Array> {
  let m = MASKS.get(ctx);
  if (!m) MASKS.set(ctx, (m = new Map()));
  return m;
}

const CASTS = new Set(['Cast', 'CastLike', 'Identity']);

/** The nodes reading tensor `t`. */
function consumers(ctx: LowerContext, t: string): OnnxNode[] {
  return ctx.graph.nodes.filter((n) => n.inputs.includes(t));
}

/** `t` and the outputs of the casts it alone flows through (each carries the same values). */
function castChain(ctx: LowerContext, t: string): { chain: string[]; readers: OnnxNode[] } {
  const chain = [t];
  let readers = consumers(ctx, t);
  while (
    readers.length === 1 &&
    CASTS.has(readers[0]!.opType) &&
    !ctx.graph.outputs.some((o) => o.name === chain[chain.length - 1])
  ) {
    chain.push(readers[0]!.outputs[0]!);
    readers = consumers(ctx, chain[chain.length - 1]!);
  }
  return { chain, readers };
}

function maskedAdd(ctx: LowerContext, node: OnnxNode): boolean {
  const k = [0, 1].find((i) => ctx.consts.get(node.inputs[i] ?? '')?.data.some((v) => v === -Infinity));
  if (k === undefined) return false;
  const x = node.inputs[1 - k]!;
  const c = ctx.consts.get(node.inputs[k]!)!;
  const xShape = ctx.shapes.get(x);
  if (!xShape) throw nodeError(node, 'an −∞ mask must be added to a computed value');
  const out = node.outputs[0]!;
  // The sum may pass through casts on its way to the Softmax: each tensor of the chain carries the mask.
  const { chain, readers } = castChain(ctx, out);
  if (readers.length !== 1 || readers[0]!.opType !== 'Softmax' || ctx.graph.outputs.some((o) => chain.includes(o.name)))
    throw nodeError(node, 'a constant holding −∞ is supported only as an additive mask read by a Softmax alone');
  const shape = broadcastShape(node, xShape, c.dims);
  const full = broadcastTo(node, c, shape);
  const finite = `${node.name}::mask-finite`;
  ctx.consts.set(finite, { ...c, dims: shape, data: full.map((v) => (v === -Infinity ? 0 : v)) });
  ELEMENTWISE_LOWERINGS['Add']!(ctx, { ...node, inputs: k === 0 ? [finite, x] : [x, finite] });
  const flags = Uint8Array.from(full, (v) => (v === -Infinity ? 1 : 0));
  for (const t of chain) masksOf(ctx).set(t, flags);
  return true;
}

function maskedSoftmax(ctx: LowerContext, node: OnnxNode): boolean {
  const x = node.inputs[0]!;
  const mask = masksOf(ctx).get(x);
  if (!mask) return false;
  const shape = activationShape(ctx, node);
  const coerce2d = ctx.graph.opset < 13;
  let axis = attrNum(node, 'axis', coerce2d ? 1 : -1);
  if (axis < 0) axis += shape.length;
  if (axis < 0 || axis >= shape.length)
    throw nodeError(node, `axis ${attrNum(node, 'axis', 0)} out of range for rank ${shape.length}`);
  const rows = softmaxRows(shape, axis, coerce2d);
  const kept: number[] = [];
  const offsets = [0];
  for (let r = 0; r + 1 < rows.offsets.length; r++) {
    const row = rows.index.slice(rows.offsets[r], rows.offsets[r + 1]).filter((i) => mask[i] === 0);
    if (row.length === 0) throw nodeError(node, `softmax row ${r} is masked entirely (every score −∞)`);
    kept.push(...row);
    offsets.push(kept.length);
  }
  const gathered = `${node.name}::kept`;
  const probs = `${node.name}::kept-probs`;
  const at = new Int32Array(size(shape)).fill(-1);
  kept.forEach((i, k) => (at[i] = k));
  const ops: FloatOp[] = [
    { kind: 'permute', name: gathered, input: x, output: gathered, perm: kept },
    { kind: 'softmax', name: probs, input: gathered, output: probs, offsets, index: kept.map((_, k) => k), log: false },
  ];
  for (const op of ops) emit(ctx, op, [kept.length]);
  const perm = Array.from(at);
  emit(
    ctx,
    { kind: 'permute', name: node.name, input: probs, output: node.outputs[0]!, perm, fill: perm.map(() => 0) },
    shape,
  );
  // The probabilities are exactly 0 where masked: a MatMul reading them may ignore what it multiplies there.
  for (const t of castChain(ctx, node.outputs[0]!).chain) masksOf(ctx).set(t, mask);
  return true;
}

/**
 * MatMul(P, V) with P the output of a masked softmax and V constant: rows of V met only by
 * exact zeros of P are set to 0, so values behind the mask (padding, poison) cannot set V's
 * weight scale. The product is unchanged.
 */
function maskedMatMul(ctx: LowerContext, node: OnnxNode): boolean {
  const mask = masksOf(ctx).get(node.inputs[0]!);
  const v = ctx.consts.get(node.inputs[1] ?? '');
  const a = ctx.shapes.get(node.inputs[0]!);
  if (!mask || !v || !a || a.length < 2 || v.dims.length < 2) return false;
  const [m, k] = a.slice(-2) as [number, number];
  const n = v.dims[v.dims.length - 1]!;
  // A non-finite V entry is kept (and refused by name after lowering): 0 · −∞ is NaN, not 0, in the model.
  if (v.dims[v.dims.length - 2] !== k || v.data.some((x) => !Number.isFinite(x))) return false;
  const batch = broadcastShape(node, a.slice(0, -2), v.dims.slice(0, -2));
  const aBatch = broadcastIndex(a.slice(0, -2), batch);
  const vBatch = broadcastIndex(v.dims.slice(0, -2), batch);
  const live = new Uint8Array(v.data.length / n);
  for (let t = 0; t < aBatch.length; t++)
    for (let r = 0; r < m; r++)
      for (let j = 0; j < k; j++) if (!mask[(aBatch[t]! * m + r) * k + j]) live[vBatch[t]! * k + j] = 1;
  const data = v.data.map((x, i) => (live[Math.floor(i / n)] ? x : 0));
  if (data.every((x, i) => x === v.data[i])) return false;
  const name = `${node.name}::live-rows`;
  ctx.consts.set(name, { ...v, data });
  MATMUL_LOWERINGS['MatMul']!(ctx, { ...node, inputs: [node.inputs[0]!, name] });
  return true;
}

/** Add, Softmax and MatMul around −∞ masks; everything else goes to the ordinary lowerings. */
export const ATTENTION_MASK_LOWERINGS: Record<string, Lowering> = {
  Add(ctx, node) {
    if (!maskedAdd(ctx, node)) ELEMENTWISE_LOWERINGS['Add']!(ctx, node);
  },
  Softmax(ctx, node) {
    if (!maskedSoftmax(ctx, node)) SOFTMAX_LOWERINGS['Softmax']!(ctx, node);
  },
  MatMul(ctx, node) {
    if (!maskedMatMul(ctx, node)) MATMUL_LOWERINGS['MatMul']!(ctx, node);
  },
};

/**
 * Refuses, naming the op, any constant that is not a finite number left in a lowered op (an −∞ used
 * other than as a mask).
 */
export function assertFiniteConstants(ops: readonly FloatOp[]): void {
  const bad = (op: FloatOp, what: string, v: ArrayLike<number> | undefined) => {
    if (!v) return;
    for (let i = 0; i < v.length; i++)
      if (!Number.isFinite(v[i]!))
        throw new UserError(
          `node ${quote(op.name)}: ${what} holds ${v[i]}; a constant −∞ is supported only as an attention mask added right before a Softmax`,
        );
  };
  for (const op of ops) {
    if (op.kind === 'linear') {
      bad(op, 'a weight', op.weight);
      bad(op, 'a bias', op.bias);
    } else if (op.kind === 'permute') bad(op, 'a constant', op.fill);
    else if (op.kind === 'unary') bad(op, 'a parameter', op.param);
    else if (op.kind === 'divConst') bad(op, 'the divisor', op.divisor);
    else if (op.kind === 'binary' || op.kind === 'where')
      for (const o of op.kind === 'binary' ? [op.a, op.b] : [op.cond, op.x, op.y])
        bad(op, 'a constant operand', 'constant' in o ? o.constant : undefined);
  }
}
