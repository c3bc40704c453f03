/**
 * Selection by a computed index: TopK, and Gather / GatherElements whose indices are computed
 * from the input (the embedding lookup, a tree traversal's node arrays). Constant indices stay
 * free wiring (movement.ts); computed ones become a one-hot selection over the proven index
 * range (circuits/one-hot.ts). NonZero folds on constants; on a computed value its output shape
 * depends on the data, which no fixed circuit has (refused in load-onnx.ts with that reason).
 */
import type { OnnxNode } from '../../onnx/onnx-graph.js';
import type { ConstTensor } from '../../onnx/tensor.js';
import type { GatherIndexOp } from '../index-float.js';
import { topKOrder } from '../index-float.js';
import {
  activationShape,
  attrNum,
  ConstFold,
  constInput,
  emit,
  LowerContext,
  Lowering,
  mapIndex,
  nodeError,
  normAxis,
  size,
  stridesOf,
} from '../lower-context.js';

/** The data operand of a gather: an activation or a constant tensor, with its shape. */
function gatherData(ctx: LowerContext, node: OnnxNode): { data: GatherIndexOp['data']; shape: number[] } {
  const c = ctx.consts.get(node.inputs[0] ?? '');
  if (c) return { data: { constant: Float64Array.from(c.data) }, shape: c.dims };
  return { data: { tensor: node.inputs[0]! }, shape: activationShape(ctx, node, 0) };
}

function emitGather(
  ctx: LowerContext,
  node: OnnxNode,
  data: GatherIndexOp['data'],
  inShape: number[],
  axis: number,
  outShape: number[],
  where: (pos: number[]) => { base: number; at: number },
): void {
  if (size(outShape) === 0) throw nodeError(node, 'zero-size output is not supported');
  const base: number[] = [];
  const indexOf: number[] = [];
  mapIndex(outShape, (pos) => {
    const w = where(pos);
    base.push(w.base);
    indexOf.push(w.at);
    return 0;
  });
  const op: GatherIndexOp = {
    kind: 'gatherIndex',
    name: node.name,
    input: node.inputs[1]!,
    output: node.outputs[0]!,
    data,
    axisDim: inShape[axis]!,
    axisStride: stridesOf(inShape)[axis]!,
    base,
    indexOf,
  };
  emit(ctx, op, outShape);
}

/** Gather with computed indices: output[pre, idx…, post] = data[pre, indices[idx…], post]. */
function gatherByIndex(ctx: LowerContext, node: OnnxNode): void {
  const { data, shape } = gatherData(ctx, node);
  const idxShape = activationShape(ctx, node, 1);
  const axis = normAxis(node, attrNum(node, 'axis', 0), shape.length);
  const q = idxShape.length;
  const st = stridesOf(shape);
  const idxSt = stridesOf(idxShape);
  const outShape = [...shape.slice(0, axis), ...idxShape, ...shape.slice(axis + 1)];
  emitGather(ctx, node, data, shape, axis, outShape, (pos) => {
    let b = 0;
    let at = 0;
    for (let i = 0; i < axis; i++) b += pos[i]! * st[i]!;
    for (let i = 0; i < q; i++) at += pos[axis + i]! * idxSt[i]!;
    for (let i = axis + 1; i < shape.length; i++) b += pos[i + q - 1]! * st[i]!;
    return { base: b, at };
  });
}

/** GatherElements with computed indices: output[pos] = data[pos with pos[axis] = indices[pos]]. */
function gatherElementsByIndex(ctx: LowerContext, node: OnnxNode): void {
  const { data, shape } = gatherData(ctx, node);
  const idxShape = activationShape(ctx, node, 1);
  if (idxShape.length !== shape.length) throw nodeError(node, 'indices must have the rank of the data');
  const axis = normAxis(node, attrNum(node, 'axis', 0), shape.length);
  if (idxShape.some((d, i) => i !== axis && d > shape[i]!))
    throw nodeError(node, `indices ${JSON.stringify(idxShape)} exceed the data ${JSON.stringify(shape)}`);
  const st = stridesOf(shape);
  let k = 0;
  emitGather(ctx, node, data, shape, axis, idxShape, (pos) => ({
    base: pos.reduce((acc, p, i) => acc + (i === axis ? 0 : p * st[i]!), 0),
    at: k++,
  }));
}

/** k, axis and direction of a TopK node over an input of shape `shape`. */
function topKParams(ctx: LowerContext, node: OnnxNode, shape: number[]) {
  const k = node.inputs[1] ? constInput(ctx, node, 1).data[0]! : attrNum(node, 'k', 0);
  const axis = normAxis(node, attrNum(node, 'axis', -1), shape.length);
  const n = shape[axis]!;
  if (!Number.isInteger(k) || k < 1 || k > n) throw nodeError(node, `k = ${k} must be in 1..${n} (the axis size)`);
  const outer = size(shape.slice(0, axis));
  const inner = size(shape.slice(axis + 1));
  // Row r = (o, i): elements o·n·inner + j·inner + i for j < n.
  const index: number[] = [];
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) for (let j = 0; j < n; j++) index.push((o * n + j) * inner + i);
  const outShape = shape.map((d, i) => (i === axis ? k : d));
  // Output element (o, t, i) of the ONNX layout reads row o·inner + i, rank t.
  const perm = mapIndex(outShape, (pos) => {
    const o = pos.slice(0, axis).reduce((a, p, i) => a * shape[i]! + p, 0);
    const i = pos.slice(axis + 1).reduce((a, p, j) => a * shape[axis + 1 + j]! + p, 0);
    return (o * inner + i) * k + pos[axis]!;
  });
  return { k, n, largest: attrNum(node, 'largest', 1) !== 0, index, outShape, perm, rows: outer * inner };
}

const lowerTopK: Lowering = (ctx, node) => {
  const shape = activationShape(ctx, node);
  const p = topKParams(ctx, node, shape);
  const both = `${node.name}::topk`;
  emit(
    ctx,
    {
      kind: 'topk',
      name: node.name,
      input: node.inputs[0]!,
      output: both,
      n: p.n,
      k: p.k,
      largest: p.largest,
      index: p.index,
    },
    [2 * p.rows * p.k],
  );
  const half = p.rows * p.k;
  node.outputs.forEach((out, j) => {
    if (!out || j > 1) return;
    const perm = j === 0 ? p.perm : p.perm.map((i) => i + half);
    emit(ctx, { kind: 'permute', name: `${node.name}:${j}`, input: both, output: out, perm }, p.outShape);
  });
};

const foldTopK: ConstFold = (ctx, node) => {
  const c = constInput(ctx, node, 0);
  const p = topKParams(ctx, node, c.dims);
  const values = new Float64Array(p.rows * p.k);
  const indices = new Float64Array(p.rows * p.k);
  for (let r = 0; r < p.rows; r++) {
    const row = p.index.slice(r * p.n, (r + 1) * p.n).map((i) => c.data[i]!);
    topKOrder(row, p.k, p.largest).forEach((j, t) => {
      values[r * p.k + t] = row[j]!;
      indices[r * p.k + t] = j;
    });
  }
  const pick = (src: Float64Array, dataType: ConstTensor['dataType']): ConstTensor => ({
    dims: p.outShape,
    data: Float64Array.from(p.perm, (i) => src[i]!),
    dataType,
  });
  return [pick(values, c.dataType), pick(indices, 'INT64')];
};

const foldNonZero: ConstFold = (ctx, node) => {
  const c = constInput(ctx, node, 0);
  const st = stridesOf(c.dims);
  const hits: number[] = [];
  c.data.forEach((v, i) => v !== 0 && hits.push(i));
  const data = new Float64Array(c.dims.length * hits.length);
  c.dims.forEach((d, a) => hits.forEach((h, j) => (data[a * hits.length + j] = Math.floor(h / st[a]!) % d)));
  return { dims: [c.dims.length, hits.length], data, dataType: 'INT64' };
};

/** Gather and GatherElements whose indices are computed, by op. */
export const COMPUTED_INDEX_LOWERINGS: Record<string, Lowering> = {
  Gather: gatherByIndex,
  GatherElements: gatherElementsByIndex,
};

/** `byIndex` when the node's indices (input 1) are computed, else `constant` (free wiring). */
export function withComputedIndex(constant: Lowering, byIndex: Lowering): Lowering {
  return (ctx, node) => (ctx.consts.has(node.inputs[1] ?? '') ? constant(ctx, node) : byIndex(ctx, node));
}

/** TopK on activations. */
export const SELECTION_LOWERINGS: Record<string, Lowering> = { TopK: lowerTopK };

/** TopK and NonZero on constants. */
export const SELECTION_CONST_FOLDS: Record<string, ConstFold> = { TopK: foldTopK, NonZero: foldNonZero };
