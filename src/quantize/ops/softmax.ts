/**
 * A final Softmax or LogSoftmax, applied outside the circuit to the proven logits.
 */
import type { OnnxNode } from '../../onnx/load-onnx.js';
import { activationShape, attrNum, emit, LowerContext, Lowering, nodeError } from '../lower-context.js';

/** Softmax and LogSoftmax (final op only). */
export const SOFTMAX_LOWERINGS: Record<string, Lowering> = {
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
  emit(ctx, { kind: 'reshape', name: node.name, input: node.inputs[0]!, output: node.outputs[0]! }, shape);
}

