/**
 * Concat: joins several tensors, activations and constants mixed, along one axis. Like the
 * single-input moves (movement.ts) it is wiring: the activations are joined into one vector
 * and a permute reads each output element from it or from a constant fill.
 */
import type { OnnxNode } from '../../onnx/onnx-graph.js';
import type { ConstTensor } from '../../onnx/tensor.js';
import {
  activationShape,
  attrNum,
  ConstFold,
  emit,
  LowerContext,
  Lowering,
  mapIndex,
  nodeError,
  normAxis,
  size,
  stridesOf,
} from '../lower-context.js';
import { nonEmpty } from './movement.js';

interface ConcatPart {
  readonly name: string;
  readonly shape: number[];
  readonly value?: ConstTensor;
}

/** Concat's output shape, axis and operands (constants carry their value). */
function concatParts(ctx: LowerContext, node: OnnxNode): { shape: number[]; axis: number; parts: ConcatPart[] } {
  const parts: ConcatPart[] = [];
  node.inputs.forEach((name, i) => {
    if (name === '') return;
    const c = ctx.consts.get(name);
    parts.push(c ? { name, shape: c.dims, value: c } : { name, shape: activationShape(ctx, node, i) });
  });
  const rank = parts[0]!.shape.length;
  const axis = normAxis(node, attrNum(node, 'axis', ctx.graph.opset < 4 ? 1 : NaN), rank);
  const shape = [...parts[0]!.shape];
  shape[axis] = 0;
  for (const p of parts) {
    if (p.shape.length !== rank || p.shape.some((d, i) => i !== axis && d !== shape[i]))
      throw nodeError(
        node,
        `cannot concatenate ${JSON.stringify(p.shape)} with ${JSON.stringify(parts[0]!.shape)} on axis ${axis}`,
      );
    shape[axis] += p.shape[axis]!;
  }
  return { shape: nonEmpty(node, shape), axis, parts };
}

/** For each output element of Concat: [part number, flat index in that part]. */
function concatSources(shape: number[], axis: number, parts: ConcatPart[]): Array<[number, number]> {
  const starts: number[] = [];
  let at = 0;
  for (const p of parts) {
    starts.push(at);
    at += p.shape[axis]!;
  }
  const strides = parts.map((p) => stridesOf(p.shape));
  const out: Array<[number, number]> = [];
  mapIndex(shape, (pos) => {
    let k = starts.length - 1;
    while (starts[k]! > pos[axis]! || parts[k]!.shape[axis] === 0) k--;
    let flat = 0;
    for (let i = 0; i < shape.length; i++) flat += (i === axis ? pos[i]! - starts[k]! : pos[i]!) * strides[k]![i]!;
    out.push([k, flat]);
    return 0;
  });
  return out;
}

function lowerConcat(ctx: LowerContext, node: OnnxNode): void {
  const { shape, axis, parts } = concatParts(ctx, node);
  const src = concatSources(shape, axis, parts);
  const acts = [...new Set(parts.filter((p) => !p.value).map((p) => p.name))];
  const offset = new Map<string, number>();
  let at = 0;
  for (const a of acts) {
    offset.set(a, at);
    at += size(ctx.shapes.get(a)!);
  }
  let input = acts[0]!;
  if (acts.length > 1) {
    input = `${node.outputs[0]}::joined`;
    emit(ctx, { kind: 'concat', name: `${node.name}::join`, input: acts[0]!, others: acts.slice(1), output: input }, [
      at,
    ]);
  }
  const perm = src.map(([k, i]) => (parts[k]!.value ? -1 : offset.get(parts[k]!.name)! + i));
  const fill = parts.some((p) => p.value) ? src.map(([k, i]) => parts[k]!.value?.data[i] ?? 0) : undefined;
  emit(
    ctx,
    { kind: 'permute', name: node.name, input, output: node.outputs[0]!, perm, ...(fill ? { fill } : {}) },
    shape,
  );
}

function foldConcat(ctx: LowerContext, node: OnnxNode): ConstTensor {
  const { shape, axis, parts } = concatParts(ctx, node);
  const src = concatSources(shape, axis, parts);
  return {
    dims: shape,
    data: Float64Array.from(src, ([k, i]) => parts[k]!.value!.data[i]!),
    dataType: parts[0]!.value!.dataType,
  };
}

/** Concat on activations (placed after the single-input moves in the lowering table). */
export const CONCAT_LOWERINGS: Record<string, Lowering> = { Concat: lowerConcat };

/** Concat of constants. */
export const CONCAT_CONST_FOLDS: Record<string, ConstFold> = { Concat: foldConcat };
