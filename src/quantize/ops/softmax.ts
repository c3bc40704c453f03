/**
 * Softmax and LogSoftmax. As the graph's final op it is applied outside the circuit to the
 * proven logits (cheaper, and the argmax is unchanged); anywhere else (attention) it is
 * proven in the circuit, row by row (products.ts emitSoftmax, circuits/softmax.ts).
 */
import type { OnnxNode } from '../../onnx/onnx-graph.js';
import { activationShape, attrNum, emit, LowerContext, Lowering, nodeError } from '../lower-context.js';
import { emitSoftmax } from './products.js';

/** Softmax and LogSoftmax. */
export const SOFTMAX_LOWERINGS: Record<string, Lowering> = {
  Softmax: (ctx, node) => softmax(ctx, node, 'Softmax'),
  LogSoftmax: (ctx, node) => softmax(ctx, node, 'LogSoftmax'),
};

/**
 * Softmax and LogSoftmax are monotonic along their axis, so the argmax of the logits is the
 * argmax of the probabilities: as the final op, the circuit proves the logits and the
 * probabilities are computed from them outside it. Elsewhere the op is proven.
 */
function softmax(ctx: LowerContext, node: OnnxNode, op: 'Softmax' | 'LogSoftmax'): void {
  const shape = activationShape(ctx, node);
  const coerce2d = ctx.graph.opset < 13;
  let axis = attrNum(node, 'axis', coerce2d ? 1 : -1);
  if (axis < 0) axis += shape.length;
  if (axis < 0 || axis >= Math.max(shape.length, 1))
    throw nodeError(node, `axis ${attrNum(node, 'axis', 0)} out of range for rank ${shape.length}`);
  if (node.outputs[0] !== ctx.graph.outputs[0]?.name) {
    emitSoftmax(ctx, node.name, node.inputs[0]!, node.outputs[0]!, axis, op === 'LogSoftmax', coerce2d);
    return;
  }
  ctx.droppedFinal = { op, axis, coerce2d };
  emit(ctx, { kind: 'reshape', name: node.name, input: node.inputs[0]!, output: node.outputs[0]! }, shape);
}
