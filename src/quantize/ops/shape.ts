/**
 * Shape computations: the Reshape/Flatten/Transpose shape rules and the ops whose result
 * depends only on shapes (Shape, Size, ConstantOfShape, Range, Constant), which are folded
 * at compile time so PyTorch's `x.view(x.size(0), -1)` chain costs nothing.
 */
import type { OnnxNode } from '../../onnx/onnx-graph.js';
import type { ConstTensor } from '../../onnx/tensor.js';
import {
  activationShape,
  attrInts,
  attrNum,
  ConstFold,
  constInput,
  LowerContext,
  nodeError,
  size,
  stridesOf,
} from '../lower-context.js';

/** Resolves an ONNX Reshape target against the input element count (0 copies, −1 infers). */
export function reshapeTarget(node: OnnxNode, inShape: number[], target: number[]): number[] {
  const allowZero = attrNum(node, 'allowzero', 0) === 1;
  const out = target.map((d, i) => (d === 0 && !allowZero ? inShape[i]! : d));
  const known = out.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const neg = out.filter((d) => d === -1).length;
  if (neg > 1) throw nodeError(node, 'more than one -1 in the target shape');
  if (neg === 1) out[out.indexOf(-1)] = size(inShape) / known;
  if (size(out) !== size(inShape) || out.some((d) => !Number.isInteger(d) || d < 0)) {
    throw nodeError(node, `cannot reshape ${JSON.stringify(inShape)} to ${JSON.stringify(target)}`);
  }
  return out;
}

/** Output shape of Flatten. */
export function flattenShape(node: OnnxNode, inShape: number[]): number[] {
  let axis = attrNum(node, 'axis', 1);
  if (axis < 0) axis += inShape.length;
  if (axis < 0 || axis > inShape.length)
    throw nodeError(node, `axis ${attrNum(node, 'axis', 1)} out of range for rank ${inShape.length}`);
  return [size(inShape.slice(0, axis)), size(inShape.slice(axis))];
}

/** Transpose as a gather: for each output element, the flat input index it reads. */
export function transposeIndex(node: OnnxNode, inShape: number[]): { perm: number[]; shape: number[] } {
  const p = attrInts(
    node,
    'perm',
    inShape.map((_, i) => inShape.length - 1 - i),
  );
  if (p.length !== inShape.length || [...p].sort((a, b) => a - b).some((v, i) => v !== i))
    throw nodeError(node, `perm ${JSON.stringify(p)} is not a permutation of rank ${inShape.length}`);
  const shape = p.map((i) => inShape[i]!);
  const inSt = stridesOf(inShape);
  const n = size(shape);
  const perm = new Array<number>(n);
  const pos = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    let src = 0;
    for (let i = 0; i < shape.length; i++) src += pos[i]! * inSt[p[i]!]!;
    perm[k] = src;
    for (let i = shape.length - 1; i >= 0; i--) {
      if (++pos[i]! < shape[i]!) break;
      pos[i] = 0;
    }
  }
  return { perm, shape };
}

/** The shape of a constant or activation input, known at compile time (static shapes). */
export function knownShape(ctx: LowerContext, node: OnnxNode, i = 0): number[] {
  return ctx.consts.get(node.inputs[i] ?? '')?.dims ?? activationShape(ctx, node, i);
}

const int64 = (dims: number[], values: number[]): ConstTensor => ({
  dims,
  data: Float64Array.from(values),
  dataType: 'INT64',
});

/**
 * Ops whose result depends only on shapes or constants: Shape and Size of any tensor (static
 * shapes; a symbolic batch dimension is 1), Constant, ConstantOfShape and Range.
 */
export const SHAPE_CONST_FOLDS: Record<string, ConstFold> = {
  Shape(ctx, node) {
    const s = knownShape(ctx, node);
    const norm = (v: number) => Math.min(Math.max(v < 0 ? v + s.length : v, 0), s.length);
    const dims = s.slice(norm(attrNum(node, 'start', 0)), norm(attrNum(node, 'end', s.length)));
    return int64([dims.length], dims);
  },
  Size: (ctx, node) => int64([], [size(knownShape(ctx, node))]),
  ConstantOfShape(ctx, node) {
    const dims = Array.from(constInput(ctx, node, 0).data);
    const v = node.attrs['value'];
    const value =
      v && typeof v === 'object' && 'data' in v ? v : { data: Float64Array.of(0), dataType: 'FLOAT', dims: [1] };
    return { dims, data: new Float64Array(size(dims)).fill(value.data[0] ?? 0), dataType: value.dataType };
  },
  Range(ctx, node) {
    const [start, limit, delta] = [0, 1, 2].map((i) => constInput(ctx, node, i).data[0]!) as [number, number, number];
    const n = Math.max(Math.ceil((limit - start) / delta), 0);
    return {
      dims: [n],
      data: Float64Array.from({ length: n }, (_, i) => start + i * delta),
      dataType: constInput(ctx, node, 0).dataType,
    };
  },
  Constant(_ctx, node) {
    const v = node.attrs['value'];
    if (v && typeof v === 'object' && 'data' in v) return v;
    const f = node.attrs['value_float'] ?? node.attrs['value_int'];
    if (typeof f === 'number')
      return {
        dims: [],
        data: Float64Array.of(f),
        dataType: node.attrs['value_int'] !== undefined ? 'INT64' : 'FLOAT',
      };
    const fs = node.attrs['value_floats'] ?? node.attrs['value_ints'];
    if (Array.isArray(fs))
      return {
        dims: [fs.length],
        data: Float64Array.from(fs as number[]),
        dataType: node.attrs['value_ints'] ? 'INT64' : 'FLOAT',
      };
    throw nodeError(node, 'Constant without a supported value attribute');
  },
};
