/**
 * Lowerings of matrix products, activations without parameters and shape-only ops.
 */
import type { OnnxNode } from '../onnx/load-onnx.js';
import type { LinearOp } from './float-ir.js';
import {
  activationShape, attrInts, attrNum, broadcastIndex, broadcastShape, broadcastTo, constInput, emit, LowerContext, Lowering, nodeError, size, stridesOf,
} from './lower-context.js';
import { sparseSpec } from './linear-spec.js';

function denseOp(node: OnnxNode, input: string, inFeatures: number, outFeatures: number, weight: Float64Array, bias: Float64Array): LinearOp {
  return { kind: 'linear', name: node.name, input, output: node.outputs[0]!, spec: { type: 'dense', inFeatures, outFeatures }, weight, bias };
}

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

/** Matrix products, plain activations and shape ops. */
export const BASIC_LOWERINGS: Record<string, Lowering> = {
  Gemm(ctx, node) {
    const a = activationShape(ctx, node);
    const B = constInput(ctx, node, 1);
    const alpha = attrNum(node, 'alpha', 1);
    const beta = attrNum(node, 'beta', 1);
    const transA = attrNum(node, 'transA', 0) === 1;
    const transB = attrNum(node, 'transB', 0) === 1;
    if (a.length !== 2 || B.dims.length !== 2) throw nodeError(node, `expects 2-D operands, got ${JSON.stringify(a)} and ${JSON.stringify(B.dims)}`);
    const [m, k] = transA ? [a[1]!, a[0]!] : [a[0]!, a[1]!];
    const [bk, n] = transB ? [B.dims[1]!, B.dims[0]!] : [B.dims[0]!, B.dims[1]!];
    if (bk !== k) throw nodeError(node, `weight shape ${JSON.stringify(B.dims)} does not match input ${JSON.stringify(a)}`);
    const w = new Float64Array(n * k);
    for (let j = 0; j < n; j++) for (let i = 0; i < k; i++) w[j * k + i] = alpha * (transB ? B.data[j * k + i]! : B.data[i * n + j]!);
    const C = node.inputs[2] ? constInput(ctx, node, 2) : undefined;
    if (m === 1 && !transA) {
      const bias = C ? broadcastTo(node, C, [1, n]).map((v) => v * beta) : new Float64Array(n);
      emit(ctx, denseOp(node, node.inputs[0]!, k, n, w, bias), [1, n]);
      return;
    }
    // Several rows (or a transposed A): one output per (row, column), weights shared by rows.
    const bias = C ? broadcastTo(node, C, [m, n]).map((v) => v * beta) : new Float64Array(m * n);
    const outputs = [];
    for (let r = 0; r < m; r++) {
      for (let j = 0; j < n; j++) {
        const inputs = Array.from({ length: k }, (_, i) => (transA ? i * m + r : r * k + i));
        outputs.push({ inputs, weights: Array.from({ length: k }, (_, i) => j * k + i), bias: r * n + j });
      }
    }
    emit(ctx, { kind: 'linear', name: node.name, input: node.inputs[0]!, output: node.outputs[0]!, spec: sparseSpec(m * k, n * k, m * n, outputs), weight: w, bias }, [m, n]);
  },
  MatMul(ctx, node) {
    const a = activationShape(ctx, node);
    const B = constInput(ctx, node, 1);
    const aM = a.length === 1 ? [1, a[0]!] : a;
    const bM = B.dims.length === 1 ? [B.dims[0]!, 1] : B.dims;
    const [m, k] = aM.slice(-2) as [number, number];
    const [bk, n] = bM.slice(-2) as [number, number];
    if (bk !== k) throw nodeError(node, `weight shape ${JSON.stringify(B.dims)} does not match input ${JSON.stringify(a)}`);
    const batch = broadcastShape(node, aM.slice(0, -2), bM.slice(0, -2));
    let outShape = [...batch, m, n];
    if (a.length === 1) outShape = outShape.filter((_, i) => i !== outShape.length - 2);
    if (B.dims.length === 1) outShape = outShape.slice(0, -1);
    if (m === 1 && size(batch) === 1 && bM.length === 2) {
      const w = new Float64Array(n * k);
      for (let j = 0; j < n; j++) for (let i = 0; i < k; i++) w[j * k + i] = B.data[i * n + j]!;
      emit(ctx, denseOp(node, node.inputs[0]!, k, n, w, new Float64Array(n)), outShape);
      return;
    }
    // Batched or broadcast product: explicit terms; weights are B's elements, shared across rows.
    const aBatch = broadcastIndex(aM.slice(0, -2), batch);
    const bBatch = broadcastIndex(bM.slice(0, -2), batch);
    const outputs = [];
    for (let t = 0; t < size(batch); t++) {
      for (let r = 0; r < m; r++) {
        for (let j = 0; j < n; j++) {
          const inputs = Array.from({ length: k }, (_, i) => (aBatch[t]! * m + r) * k + i);
          const weights = Array.from({ length: k }, (_, i) => (bBatch[t]! * k + i) * n + j);
          outputs.push({ inputs, weights, bias: outputs.length });
        }
      }
    }
    const spec = sparseSpec(size(a), size(B.dims), outputs.length, outputs);
    emit(ctx, { kind: 'linear', name: node.name, input: node.inputs[0]!, output: node.outputs[0]!, spec, weight: Float64Array.from(B.data), bias: new Float64Array(outputs.length) }, outShape);
  },
  Relu(ctx, node) {
    emit(ctx, { kind: 'relu', name: node.name, input: node.inputs[0]!, output: node.outputs[0]! }, activationShape(ctx, node));
  },
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
  Softmax: (ctx, node) => dropFinal(ctx, node, 'Softmax'),
  LogSoftmax: (ctx, node) => dropFinal(ctx, node, 'LogSoftmax'),
};

/**
 * Softmax and LogSoftmax are monotonic along their axis, so the argmax of the logits is the
 * argmax of the probabilities: the circuit proves the logits and the probabilities are
 * computed from the proven logits outside it. Only legal as the graph's final op.
 */
function dropFinal(ctx: LowerContext, node: OnnxNode, op: 'Softmax' | 'LogSoftmax'): void {
  const shape = activationShape(ctx, node);
  if (node.outputs[0] !== ctx.graph.outputs[0]?.name) throw nodeError(node, `${op} is supported only as the final op of the graph`);
  const coerce2d = ctx.graph.opset < 13;
  let axis = attrNum(node, 'axis', coerce2d ? 1 : -1);
  if (axis < 0) axis += shape.length;
  if (axis < 0 || axis >= Math.max(shape.length, 1)) throw nodeError(node, `axis ${attrNum(node, 'axis', 0)} out of range for rank ${shape.length}`);
  ctx.droppedFinal = { op, axis, coerce2d };
  reshapeLike(ctx, node, shape);
}
