/**
 * Pooling over NCHW tensors with N = 1. AveragePool is a sparse linear layer whose weights
 * are 1/count (the division is folded into the weights, so it is free in the circuit and
 * exact whenever the count is a power of two); MaxPool a window-maximum op.
 */
import type { OnnxNode } from '../../onnx/load-onnx.js';
import { attrNum, emit, LowerContext, Lowering, nodeError } from '../lower-context.js';
import { sparseSpec } from '../linear-spec.js';
import { kernelOf, nchw, windowGeometry, windows } from './window-geometry.js';

function noExtraOutputs(node: OnnxNode): void {
  if (node.outputs.filter((o) => o !== '').length > 1) throw nodeError(node, 'optional second output (indices) is not supported');
}

function maxPool(ctx: LowerContext, node: OnnxNode, global: boolean): void {
  const [C, H, W] = nchw(ctx, node);
  noExtraOutputs(node);
  const g = global ? windowGeometry({ ...node, attrs: {} }, H, W, [H, W]) : windowGeometry(node, H, W, kernelOf(node));
  const offsets = [0];
  const index: number[] = [];
  for (const w of windows(C, H, W, g, false)) {
    if (w.inputs.length === 0) throw nodeError(node, 'a pooling window lies entirely in the padding');
    index.push(...w.inputs);
    offsets.push(index.length);
  }
  emit(ctx, { kind: 'maxpool', name: node.name, input: node.inputs[0]!, output: node.outputs[0]!, offsets, index }, [1, C, g.outHeight, g.outWidth]);
}

function averagePool(ctx: LowerContext, node: OnnxNode, global: boolean): void {
  const [C, H, W] = nchw(ctx, node);
  const g = global ? windowGeometry({ ...node, attrs: {} }, H, W, [H, W]) : windowGeometry(node, H, W, kernelOf(node));
  const ws = windows(C, H, W, g, attrNum(node, 'count_include_pad', 0) === 1);
  if (ws.some((w) => w.count === 0)) throw nodeError(node, 'a pooling window lies entirely in the padding');
  // One weight per output (1/count): the divisor differs at borders when padding is excluded.
  const spec = sparseSpec(C * H * W, ws.length, ws.length, ws.map((w, j) => ({ inputs: w.inputs, weights: w.inputs.map(() => j), bias: j })));
  const weight = Float64Array.from(ws, (w) => 1 / w.count);
  emit(ctx, { kind: 'linear', name: node.name, input: node.inputs[0]!, output: node.outputs[0]!, spec, weight, bias: new Float64Array(ws.length) }, [1, C, g.outHeight, g.outWidth]);
}

/** Pooling lowerings. */
export const POOLING_LOWERINGS: Record<string, Lowering> = {
  MaxPool: (ctx, node) => maxPool(ctx, node, false),
  GlobalMaxPool: (ctx, node) => maxPool(ctx, node, true),
  AveragePool: (ctx, node) => averagePool(ctx, node, false),
  GlobalAveragePool: (ctx, node) => averagePool(ctx, node, true),
};
