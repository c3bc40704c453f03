/**
 * Pooling over [N, C, spatial…] tensors, 1-D to 3-D. AveragePool is a sparse linear layer
 * whose weights are 1/count (the division is folded into the weights, so it is free in the
 * circuit and exact whenever the count is a power of two); MaxPool a window-maximum op.
 */
import type { OnnxNode } from '../../onnx/onnx-graph.js';
import { attrNum, emit, LowerContext, Lowering, nodeError, size } from '../lower-context.js';
import { sparseSpec } from '../../formats/linear-spec.js';
import { channelsAndSpatial, channelWindows, kernelOf, Window, windowGeometryNd } from './window-geometry.js';

function noExtraOutputs(node: OnnxNode): void {
  if (node.outputs.filter((o) => o !== '').length > 1)
    throw nodeError(node, 'optional second output (indices) is not supported');
}

/** Windows of every channel (channel-major, flat input indices) and the output shape. */
function pooledWindows(ctx: LowerContext, node: OnnxNode, global: boolean): { windows: Window[]; shape: number[] } {
  const { N, C, spatial } = channelsAndSpatial(ctx, node);
  const g = global
    ? windowGeometryNd({ ...node, attrs: {} }, spatial, spatial)
    : windowGeometryNd(node, spatial, kernelOf(node, spatial.length));
  const per = channelWindows(spatial, g);
  const n = size(spatial);
  const windows: Window[] = [];
  // Batch and channels pool alike: N·C independent planes.
  for (let c = 0; c < N * C; c++) for (const w of per) windows.push({ ...w, inputs: w.inputs.map((i) => c * n + i) });
  if (windows.some((w) => w.inputs.length === 0))
    throw nodeError(node, 'a pooling window lies entirely in the padding');
  return { windows, shape: [N, C, ...g.out] };
}

function maxPool(ctx: LowerContext, node: OnnxNode, global: boolean): void {
  noExtraOutputs(node);
  const { windows, shape } = pooledWindows(ctx, node, global);
  const offsets = [0];
  const index: number[] = [];
  for (const w of windows) {
    index.push(...w.inputs);
    offsets.push(index.length);
  }
  emit(
    ctx,
    { kind: 'maxpool', name: node.name, input: node.inputs[0]!, output: node.outputs[0]!, offsets, index },
    shape,
  );
}

function averagePool(ctx: LowerContext, node: OnnxNode, global: boolean): void {
  const { windows, shape } = pooledWindows(ctx, node, global);
  const includePad = attrNum(node, 'count_include_pad', 0) === 1;
  const nIn = size(ctx.shapes.get(node.inputs[0]!)!);
  // One weight per output (1/count): the divisor differs at borders when padding is excluded.
  const spec = sparseSpec(
    nIn,
    windows.length,
    windows.length,
    windows.map((w, j) => ({ inputs: w.inputs, weights: w.inputs.map(() => j), bias: j })),
  );
  const weight = Float64Array.from(windows, (w) => 1 / (includePad ? w.padded : w.inputs.length));
  emit(
    ctx,
    {
      kind: 'linear',
      name: node.name,
      input: node.inputs[0]!,
      output: node.outputs[0]!,
      spec,
      weight,
      bias: new Float64Array(windows.length),
    },
    shape,
  );
}

/** Pooling lowerings. */
export const POOLING_LOWERINGS: Record<string, Lowering> = {
  MaxPool: (ctx, node) => maxPool(ctx, node, false),
  GlobalMaxPool: (ctx, node) => maxPool(ctx, node, true),
  AveragePool: (ctx, node) => averagePool(ctx, node, false),
  GlobalAveragePool: (ctx, node) => averagePool(ctx, node, true),
};
