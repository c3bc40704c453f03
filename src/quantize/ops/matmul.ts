/**
 * Lowerings of matrix products with a constant operand (Gemm, MatMul): each becomes one
 * linear layer, dense when it is a single row, otherwise sparse with weights shared by rows.
 */
import type { OnnxNode } from '../../onnx/load-onnx.js';
import type { LinearOp } from '../float-ir.js';
import { activationShape, attrNum, broadcastIndex, broadcastShape, broadcastTo, constInput, emit, Lowering, nodeError, size } from '../lower-context.js';
import { sparseSpec } from '../linear-spec.js';

function denseOp(node: OnnxNode, input: string, inFeatures: number, outFeatures: number, weight: Float64Array, bias: Float64Array): LinearOp {
  return { kind: 'linear', name: node.name, input, output: node.outputs[0]!, spec: { type: 'dense', inFeatures, outFeatures }, weight, bias };
}


/** Matrix products. */
export const MATMUL_LOWERINGS: Record<string, Lowering> = {
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
};
