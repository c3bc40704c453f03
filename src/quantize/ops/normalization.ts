/**
 * Normalizations with data-dependent statistics (LayerNormalization, InstanceNormalization,
 * GroupNormalization), expanded into IR ops. Every one normalizes contiguous blocks of d
 * elements, so one expansion serves all three, at this cost per block:
 *  - Σx² and the block mean: d products of two activations, summed for free, and free linear maps;
 *  - Σ(x − μ)² = Σx² − (Σx/√d)²: one more product;
 *  - 1/√(Σ/d + ε): one table lookup (the internal Rsqrt function folds the 1/d and ε in);
 *  - (x − μ) · rstd = x·rstd − μ·rstd: d + 1 products;
 *  - γ, β: a constant affine map, fused into the next linear layer by fuse-linear.ts.
 */
import type { OnnxNode } from '../../onnx/onnx-graph.js';
import {
  activationShape,
  attrNum,
  broadcastTo,
  LowerContext,
  Lowering,
  nodeError,
  normAxis,
  optionalConst,
  size,
} from '../lower-context.js';
import { CompositeEmitter, isUsed } from './composite-emit.js';

/** What {@link normalizeBlocks} computes, besides the normalized output. */
interface NormalizeOptions {
  /** Per-element scale (γ) and shift (β), already broadcast onto x; absent = 1 and 0. */
  readonly scale?: Float64Array;
  readonly shift?: Float64Array;
  readonly epsilon: number;
  /** Also emit the block means / inverse standard deviations under these names (LayerNormalization's extra outputs). */
  readonly meanOut?: { name: string; shape: number[] };
  readonly invStdOut?: { name: string; shape: number[] };
}

/**
 * Normalizes each contiguous block of `d` elements of `x` (shape `shape`) to zero mean and unit
 * variance, then applies the per-element affine map; writes `out`. The centred value x − μ is
 * never materialized: Σ(x−μ)² = Σx² − (Σx/√d)² and (x−μ)·r = x·r − μ·r, so x itself (already
 * an activation) feeds the products and only the per-block means are rescaled, which saves d
 * requantizations per block and the rounding error they would add.
 */
export function normalizeBlocks(
  e: CompositeEmitter,
  x: string,
  shape: number[],
  d: number,
  out: string,
  o: NormalizeOptions,
): void {
  const n = size(shape);
  const blocks = n / d;
  const block = (g: number) => Array.from({ length: d }, (_, k) => g * d + k);
  const means = (what: string, w: number, name?: string, s = [blocks]) =>
    e.linear(
      what,
      x,
      Array.from({ length: blocks }, (_, g) => ({ inputs: block(g), weights: block(g).map(() => w), bias: 0 })),
      s,
      name,
    );
  const mean = means('mean', 1 / d, o.meanOut?.name, o.meanOut?.shape);
  const scaledSum = means('sum-over-root-d', 1 / Math.sqrt(d));
  const all = Array.from({ length: n }, (_, i) => i);
  const blockOf = all.map((i) => Math.floor(i / d));
  const offsets = Array.from({ length: blocks + 1 }, (_, g) => g * d);
  const squares = e.product('sum-of-squares', x, x, offsets, all, all, [blocks]);
  const bIds = Array.from({ length: blocks }, (_, g) => g);
  const meanSquare = e.pairwise('mean-square', scaledSum, scaledSum, bIds, bIds, [blocks]);
  const centredSquares = e.add('centred-squares', squares, meanSquare, -1);
  const rstd = e.unary('rstd', centredSquares, 'Rsqrt', { alpha: 1 / d, beta: o.epsilon });
  if (o.invStdOut) e.rename('inv-std-dev', rstd, o.invStdOut.name, o.invStdOut.shape);
  const xr = e.pairwise('x-rstd', x, rstd, all, blockOf, shape);
  const mr = e.pairwise('mean-rstd', mean, rstd, bIds, bIds, [blocks]);
  const trivial = (!o.scale || o.scale.every((v) => v === 1)) && (!o.shift || o.shift.every((v) => v === 0));
  const normed = e.add(
    'normalized',
    xr,
    e.permute('mean-rstd-broadcast', mr, blockOf, shape),
    -1,
    trivial ? out : undefined,
  );
  if (trivial) return;
  const scale = o.scale ?? new Float64Array(n).fill(1);
  const shift = o.shift ?? new Float64Array(n);
  e.affine('affine', normed, all, scale, shift, shape, out);
}

/** The optional constant input `i` broadcast onto the activation's shape, or undefined when absent. */
function perElement(ctx: LowerContext, node: OnnxNode, i: number, shape: number[]): Float64Array | undefined {
  const c = optionalConst(ctx, node, i);
  return c ? broadcastTo(node, c, shape) : undefined;
}

function epsilonOf(node: OnnxNode): number {
  const eps = attrNum(node, 'epsilon', 1e-5);
  if (!(eps >= 0) || !Number.isFinite(eps)) throw nodeError(node, `epsilon ${eps} must be a finite number ≥ 0`);
  return eps;
}

/**
 * Per-channel parameters (γ or β of length C, or of length `groups` for GroupNormalization-18)
 * expanded to every element.
 */
function perChannel(
  node: OnnxNode,
  data: Float64Array | undefined,
  shape: number[],
  groups: number,
  what: string,
): Float64Array | undefined {
  if (!data) return undefined;
  const channels = shape[1]!;
  const inner = size(shape.slice(2));
  let perGroup: boolean;
  if (data.length === channels) perGroup = false;
  else if (data.length === groups) perGroup = true;
  else
    throw nodeError(
      node,
      `${what} has ${data.length} elements; expected ${channels} (one per channel)${groups !== channels ? ` or ${groups} (one per group)` : ''}`,
    );
  const perG = channels / groups;
  return Float64Array.from({ length: size(shape) }, (_, i) => {
    const c = Math.floor(i / inner) % channels;
    return data[perGroup ? Math.floor(c / perG) : c]!;
  });
}

function constData(ctx: LowerContext, node: OnnxNode, i: number): Float64Array | undefined {
  return optionalConst(ctx, node, i)?.data;
}

const layerNormalization: Lowering = (ctx, node) => {
  const shape = activationShape(ctx, node);
  const axis = normAxis(node, attrNum(node, 'axis', -1), shape.length);
  const d = size(shape.slice(axis));
  const statShape = [...shape.slice(0, axis), ...shape.slice(axis).map(() => 1)];
  const [meanName, invName] = [node.outputs[1], node.outputs[2]];
  const e = new CompositeEmitter(ctx, node);
  normalizeBlocks(e, node.inputs[0]!, shape, d, node.outputs[0]!, {
    epsilon: epsilonOf(node),
    ...(node.inputs[1] ? { scale: perElement(ctx, node, 1, shape)! } : {}),
    ...(node.inputs[2] ? { shift: perElement(ctx, node, 2, shape)! } : {}),
    ...(isUsed(ctx, meanName) ? { meanOut: { name: meanName, shape: statShape } } : {}),
    ...(isUsed(ctx, invName) ? { invStdOut: { name: invName, shape: statShape } } : {}),
  });
};

function channelNorm(ctx: LowerContext, node: OnnxNode, groups: number): void {
  const shape = activationShape(ctx, node);
  if (shape.length < 2) throw nodeError(node, `expects an input of rank ≥ 2 (N, C, …), got ${JSON.stringify(shape)}`);
  const channels = shape[1]!;
  if (!Number.isInteger(groups) || groups < 1 || channels % groups !== 0)
    throw nodeError(node, `num_groups ${groups} must divide the ${channels} channels`);
  const d = (channels / groups) * size(shape.slice(2));
  const e = new CompositeEmitter(ctx, node);
  const scale = perChannel(node, constData(ctx, node, 1), shape, groups, 'scale');
  const shift = perChannel(node, constData(ctx, node, 2), shape, groups, 'bias');
  normalizeBlocks(e, node.inputs[0]!, shape, d, node.outputs[0]!, {
    epsilon: epsilonOf(node),
    ...(scale ? { scale } : {}),
    ...(shift ? { shift } : {}),
  });
}

/** Normalization lowerings. */
export const NORMALIZATION_LOWERINGS: Record<string, Lowering> = {
  LayerNormalization: layerNormalization,
  InstanceNormalization: (ctx, node) => channelNorm(ctx, node, activationShape(ctx, node)[1] ?? 1),
  GroupNormalization(ctx, node) {
    if (attrNum(node, 'stash_type', 1) !== 1)
      throw nodeError(node, 'only stash_type 1 (float32 statistics) is supported');
    channelNorm(ctx, node, attrNum(node, 'num_groups', NaN));
  },
};
