/**
 * Reductions over any set of axes. ReduceSum and ReduceMean are sparse linear layers (free
 * in the circuit); ReduceMax and ReduceMin are window maxima/minima (one comparison per
 * element beyond the first of each group); ReduceL1 sums |x| = max(x, −x), one comparison
 * per element. ReduceL2, ReduceSumSquare and ReduceLogSumExp need products or tables.
 */
import type { OnnxNode } from '../../onnx/onnx-graph.js';
import {
  activationShape,
  attrInts,
  attrNum,
  constInput,
  elementwiseAffine,
  emit,
  LowerContext,
  Lowering,
  normAxis,
  size,
  stridesOf,
} from '../lower-context.js';
import { sparseSpec } from '../../formats/linear-spec.js';

/** Input indices of each output of a reduction, and the output shape (keepdims applied). */
export function reductionGroups(
  ctx: LowerContext,
  node: OnnxNode,
  inShape: number[],
): { groups: number[][]; shape: number[] } | undefined {
  const fromInput = ctx.graph.opset >= 18 || (node.opType === 'ReduceSum' && ctx.graph.opset >= 13);
  const raw = fromInput
    ? node.inputs[1]
      ? Array.from(constInput(ctx, node, 1).data)
      : []
    : attrInts(node, 'axes', []);
  if (raw.length === 0 && attrNum(node, 'noop_with_empty_axes', 0) === 1) return undefined;
  const axes = raw.length ? raw.map((a) => normAxis(node, a, inShape.length)) : inShape.map((_, i) => i);
  const full = inShape.map((d, i) => (axes.includes(i) ? 1 : d));
  const st = stridesOf(full);
  const groups: number[][] = Array.from({ length: size(full) }, () => []);
  const pos = new Array<number>(inShape.length).fill(0);
  for (let k = 0; k < size(inShape); k++) {
    let o = 0;
    for (let i = 0; i < pos.length; i++) if (!axes.includes(i)) o += pos[i]! * st[i]!;
    groups[o]!.push(k);
    for (let i = pos.length - 1; i >= 0; i--) {
      if (++pos[i]! < inShape[i]!) break;
      pos[i] = 0;
    }
  }
  const keep = attrNum(node, 'keepdims', 1) === 1;
  return { groups, shape: keep ? full : inShape.filter((_, i) => !axes.includes(i)) };
}

function passThrough(ctx: LowerContext, node: OnnxNode, shape: number[]): void {
  emit(ctx, { kind: 'reshape', name: node.name, input: node.inputs[0]!, output: node.outputs[0]! }, shape);
}

function sum(
  ctx: LowerContext,
  node: OnnxNode,
  input: string,
  nIn: number,
  groups: number[][],
  mean: boolean,
  shape: number[],
): void {
  const spec = sparseSpec(
    nIn,
    groups.length,
    groups.length,
    groups.map((g, j) => ({ inputs: g, weights: g.map(() => j), bias: j })),
  );
  const weight = Float64Array.from(groups, (g) => (mean ? 1 / g.length : 1));
  emit(
    ctx,
    {
      kind: 'linear',
      name: node.name,
      input,
      output: node.outputs[0]!,
      spec,
      weight,
      bias: new Float64Array(groups.length),
    },
    shape,
  );
}

function linearReduce(mean: boolean): Lowering {
  return (ctx, node) => {
    const inShape = activationShape(ctx, node);
    const r = reductionGroups(ctx, node, inShape);
    if (!r) return passThrough(ctx, node, inShape);
    sum(ctx, node, node.inputs[0]!, size(inShape), r.groups, mean, r.shape);
  };
}

function extremum(min: boolean): Lowering {
  return (ctx, node) => {
    const inShape = activationShape(ctx, node);
    const r = reductionGroups(ctx, node, inShape);
    if (!r) return passThrough(ctx, node, inShape);
    const offsets = [0];
    for (const g of r.groups) offsets.push(offsets[offsets.length - 1]! + g.length);
    emit(
      ctx,
      {
        kind: 'maxpool',
        name: node.name,
        input: node.inputs[0]!,
        output: node.outputs[0]!,
        offsets,
        index: r.groups.flat(),
        ...(min ? { min } : {}),
      },
      r.shape,
    );
  };
}

const reduceL1: Lowering = (ctx, node) => {
  const inShape = activationShape(ctx, node);
  const r = reductionGroups(ctx, node, inShape);
  const n = size(inShape);
  const x = node.inputs[0]!;
  const out = node.outputs[0]!;
  const ones = (v: number) => new Float64Array(n).fill(v);
  const neg = `${out}::negated`;
  emit(
    ctx,
    elementwiseAffine(
      `${node.name}::negate`,
      x,
      neg,
      n,
      Int32Array.from({ length: n }, (_, i) => i),
      ones(-1),
      ones(0),
    ),
    inShape,
  );
  const both = `${out}::both`;
  emit(ctx, { kind: 'concat', name: `${node.name}::join`, input: x, others: [neg], output: both }, [2 * n]);
  const abs = r ? `${out}::abs` : out;
  const index = Array.from({ length: 2 * n }, (_, k) => (k % 2 === 0 ? k / 2 : n + (k - 1) / 2));
  emit(
    ctx,
    {
      kind: 'maxpool',
      name: `${node.name}::abs`,
      input: both,
      output: abs,
      offsets: Array.from({ length: n + 1 }, (_, j) => 2 * j),
      index,
    },
    inShape,
  );
  if (r) sum(ctx, node, abs, n, r.groups, false, r.shape);
};

/** Reductions. */
export const REDUCTION_LOWERINGS: Record<string, Lowering> = {
  ReduceSum: linearReduce(false),
  ReduceMean: linearReduce(true),
  ReduceMax: extremum(false),
  ReduceMin: extremum(true),
  ReduceL1: reduceL1,
};
