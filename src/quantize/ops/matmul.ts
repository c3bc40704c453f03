/**
 * Lowerings of matrix products with a constant operand (Gemm, MatMul): each becomes one
 * linear layer, dense when it is a single row, otherwise sparse with weights shared by rows.
 */
import type { OnnxNode } from '../../onnx/onnx-graph.js';
import type { ConstTensor } from '../../onnx/tensor.js';
import type { LinearOp } from '../float-ir.js';
import {
  activationShape,
  attrNum,
  broadcastIndex,
  broadcastShape,
  broadcastTo,
  constInput,
  elementwiseAffine,
  emit,
  LowerContext,
  Lowering,
  nodeError,
  size,
} from '../lower-context.js';
import { emitMatMul, emitProduct, matMulTerms } from './products.js';
import { sparseSpec } from '../../formats/linear-spec.js';

function denseOp(
  node: OnnxNode,
  input: string,
  inFeatures: number,
  outFeatures: number,
  weight: Float64Array,
  bias: Float64Array,
): LinearOp {
  return {
    kind: 'linear',
    name: node.name,
    input,
    output: node.outputs[0]!,
    spec: { type: 'dense', inFeatures, outFeatures },
    weight,
    bias,
  };
}

/** The constant second operand (callers route a computed one to the products of activations). */
function weightOperand(ctx: LowerContext, node: OnnxNode): ConstTensor {
  return constInput(ctx, node, 1);
}

/** Whether input 1 is a computed value: then the node is a product of two activations (products.ts). */
function bothActivations(ctx: LowerContext, node: OnnxNode): boolean {
  return !ctx.consts.has(node.inputs[1] ?? '') && ctx.shapes.has(node.inputs[1] ?? '');
}

/** Gemm of two activations: alpha·op(A)·op(B) as products, then beta·C (constant) as a free affine map. */
function gemmProduct(ctx: LowerContext, node: OnnxNode): void {
  const [a, b] = [activationShape(ctx, node, 0), activationShape(ctx, node, 1)];
  const transA = attrNum(node, 'transA', 0) === 1;
  const transB = attrNum(node, 'transB', 0) === 1;
  if (a.length !== 2 || b.length !== 2)
    throw nodeError(node, `expects 2-D operands, got ${JSON.stringify(a)} and ${JSON.stringify(b)}`);
  const [m, k] = transA ? [a[1]!, a[0]!] : [a[0]!, a[1]!];
  const [bk, n] = transB ? [b[1]!, b[0]!] : [b[0]!, b[1]!];
  if (bk !== k) throw nodeError(node, `operand shapes ${JSON.stringify(a)} and ${JSON.stringify(b)} do not match`);
  const alpha = attrNum(node, 'alpha', 1);
  const beta = attrNum(node, 'beta', 1);
  const C = node.inputs[2] ? ctx.consts.get(node.inputs[2]) : undefined;
  if (node.inputs[2] && !C) throw nodeError(node, 'the bias C of a product of two activations must be a constant');
  const out = node.outputs[0]!;
  const plain = alpha === 1 && !C;
  const mid = plain ? out : `${out}::product`;
  emitProduct(
    ctx,
    {
      name: plain ? node.name : `${node.name}::product`,
      input: node.inputs[0]!,
      other: node.inputs[1]!,
      output: mid,
      ...matMulTerms(m, k, n, [0], [0], transA, transB),
    },
    [m, n],
  );
  if (plain) return;
  const shift = C ? broadcastTo(node, C, [m, n]).map((v) => v * beta) : new Float64Array(m * n);
  emit(
    ctx,
    elementwiseAffine(
      node.name,
      mid,
      out,
      m * n,
      Int32Array.from({ length: m * n }, (_, i) => i),
      new Float64Array(m * n).fill(alpha),
      shift,
    ),
    [m, n],
  );
}

/** Matrix products. */
export const MATMUL_LOWERINGS: Record<string, Lowering> = {
  Gemm(ctx, node) {
    if (bothActivations(ctx, node)) return gemmProduct(ctx, node);
    const a = activationShape(ctx, node);
    const B = weightOperand(ctx, node);
    const alpha = attrNum(node, 'alpha', 1);
    const beta = attrNum(node, 'beta', 1);
    const transA = attrNum(node, 'transA', 0) === 1;
    const transB = attrNum(node, 'transB', 0) === 1;
    if (a.length !== 2 || B.dims.length !== 2)
      throw nodeError(node, `expects 2-D operands, got ${JSON.stringify(a)} and ${JSON.stringify(B.dims)}`);
    const [m, k] = transA ? [a[1]!, a[0]!] : [a[0]!, a[1]!];
    const [bk, n] = transB ? [B.dims[1]!, B.dims[0]!] : [B.dims[0]!, B.dims[1]!];
    if (bk !== k)
      throw nodeError(node, `weight shape ${JSON.stringify(B.dims)} does not match input ${JSON.stringify(a)}`);
    const w = new Float64Array(n * k);
    for (let j = 0; j < n; j++)
      for (let i = 0; i < k; i++) w[j * k + i] = alpha * (transB ? B.data[j * k + i]! : B.data[i * n + j]!);
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
    emit(
      ctx,
      {
        kind: 'linear',
        name: node.name,
        input: node.inputs[0]!,
        output: node.outputs[0]!,
        spec: sparseSpec(m * k, n * k, m * n, outputs),
        weight: w,
        bias,
      },
      [m, n],
    );
  },
  MatMul(ctx, node) {
    if (bothActivations(ctx, node)) {
      emitMatMul(ctx, node.name, node.inputs[0]!, node.inputs[1]!, node.outputs[0]!);
      return;
    }
    const a = activationShape(ctx, node);
    const B = weightOperand(ctx, node);
    const aM = a.length === 1 ? [1, a[0]!] : a;
    const bM = B.dims.length === 1 ? [B.dims[0]!, 1] : B.dims;
    const [m, k] = aM.slice(-2) as [number, number];
    const [bk, n] = bM.slice(-2) as [number, number];
    if (bk !== k)
      throw nodeError(node, `weight shape ${JSON.stringify(B.dims)} does not match input ${JSON.stringify(a)}`);
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
    emit(
      ctx,
      {
        kind: 'linear',
        name: node.name,
        input: node.inputs[0]!,
        output: node.outputs[0]!,
        spec,
        weight: Float64Array.from(B.data),
        bias: new Float64Array(outputs.length),
      },
      outShape,
    );
  },
};
