/**
 * Shape-only lowerings: ops that move or relabel data without computing (free in the circuit).
 */
import type { OnnxNode } from '../../onnx/load-onnx.js';
import { activationShape, attrInts, attrNum, ConstFold, constInput, emit, LowerContext, Lowering, nodeError, size, stridesOf } from '../lower-context.js';

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
  if (axis < 0 || axis > inShape.length) throw nodeError(node, `axis ${attrNum(node, 'axis', 1)} out of range for rank ${inShape.length}`);
  return [size(inShape.slice(0, axis)), size(inShape.slice(axis))];
}

/** Transpose as a gather: for each output element, the flat input index it reads. */
export function transposeIndex(node: OnnxNode, inShape: number[]): { perm: number[]; shape: number[] } {
  const p = attrInts(node, 'perm', inShape.map((_, i) => inShape.length - 1 - i));
  if (p.length !== inShape.length || [...p].sort((a, b) => a - b).some((v, i) => v !== i)) throw nodeError(node, `perm ${JSON.stringify(p)} is not a permutation of rank ${inShape.length}`);
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

function reshapeLike(ctx: LowerContext, node: OnnxNode, shape: number[]): void {
  emit(ctx, { kind: 'reshape', name: node.name, input: node.inputs[0]!, output: node.outputs[0]! }, shape);
}

/** Shape-only ops on activations. */
export const SHAPE_LOWERINGS: Record<string, Lowering> = {
  Identity: (ctx, node) => reshapeLike(ctx, node, activationShape(ctx, node)),
  // Inference mode: Dropout passes its input through.
  Dropout: (ctx, node) => reshapeLike(ctx, node, activationShape(ctx, node)),
  Flatten: (ctx, node) => reshapeLike(ctx, node, flattenShape(node, activationShape(ctx, node))),
  Reshape(ctx, node) {
    const inShape = activationShape(ctx, node);
    const target = node.inputs[1] ? Array.from(constInput(ctx, node, 1).data) : attrInts(node, 'shape', []);
    reshapeLike(ctx, node, reshapeTarget(node, inShape, target));
  },
  Transpose(ctx, node) {
    const { perm, shape } = transposeIndex(node, activationShape(ctx, node));
    emit(ctx, { kind: 'permute', name: node.name, input: node.inputs[0]!, output: node.outputs[0]!, perm }, shape);
  },
};

/** The same shape ops on constants, plus Constant itself. */
export const SHAPE_CONST_FOLDS: Record<string, ConstFold> = {
  Reshape(ctx, node) {
    const c = constInput(ctx, node, 0);
    const target = node.inputs[1] ? Array.from(constInput(ctx, node, 1).data) : ((node.attrs['shape'] as number[]) ?? []);
    return { ...c, dims: reshapeTarget(node, c.dims, target) };
  },
  Identity: (ctx, node) => constInput(ctx, node, 0),
  Flatten(ctx, node) {
    const c = constInput(ctx, node, 0);
    return { ...c, dims: flattenShape(node, c.dims) };
  },
  Transpose(ctx, node) {
    const c = constInput(ctx, node, 0);
    const { perm, shape } = transposeIndex(node, c.dims);
    return { dims: shape, data: Float64Array.from(perm, (i) => c.data[i]!), dataType: c.dataType };
  },
  Constant(_ctx, node) {
    const v = node.attrs['value'];
    if (v && typeof v === 'object' && 'data' in v) return v;
    const f = node.attrs['value_float'] ?? node.attrs['value_int'];
    if (typeof f === 'number') return { dims: [], data: Float64Array.of(f), dataType: 'FLOAT' };
    const fs = node.attrs['value_floats'] ?? node.attrs['value_ints'];
    if (Array.isArray(fs)) return { dims: [fs.length], data: Float64Array.from(fs as number[]), dataType: 'FLOAT' };
    throw nodeError(node, 'Constant without a supported value attribute');
  },
};
