/**
 * Lowerings of elementwise ops: arithmetic with constants (an affine layer, folded into the
 * neighbouring linear layer when possible), the sum of two activations, BatchNormalization in
 * inference mode, Relu, Clip and LeakyRelu.
 */
import type { OnnxNode } from '../../onnx/onnx-graph.js';
import {
  activationShape,
  attrNum,
  broadcastIndex,
  broadcastShape,
  broadcastTo,
  elementwiseAffine,
  emit,
  foldAffineIntoLinear,
  LowerContext,
  Lowering,
  nodeError,
  optionalConst,
  size,
} from '../lower-context.js';
import { broadcastActivation, clipHasActivationBound, clipWithActivations } from './comparisons.js';
import { emitElementwiseProduct } from './products.js';

/** Emits y = scale ⊙ x + shift, folded into the linear layer producing x when legal. */
function affine(
  ctx: LowerContext,
  node: OnnxNode,
  x: string,
  inShape: number[],
  outShape: number[],
  scale: Float64Array,
  shift: Float64Array,
): void {
  const out = node.outputs[0]!;
  if (size(outShape) === size(inShape) && foldAffineIntoLinear(ctx, x, out, node.name, scale, shift)) return;
  const src =
    size(outShape) === size(inShape)
      ? Int32Array.from({ length: scale.length }, (_, i) => i)
      : broadcastIndex(inShape, outShape);
  emit(ctx, elementwiseAffine(node.name, x, out, size(inShape), src, scale, shift), outShape);
}

function arithmetic(ctx: LowerContext, node: OnnxNode, op: 'Add' | 'Sub' | 'Mul'): void {
  const [a, b] = node.inputs as [string, string];
  const aConst = ctx.consts.get(a);
  const bConst = ctx.consts.get(b);
  if (!aConst && !bConst) {
    const sa = activationShape(ctx, node, 0);
    const sb = activationShape(ctx, node, 1);
    if (op === 'Mul') {
      emitElementwiseProduct(ctx, node.name, a, b, node.outputs[0]!);
      return;
    }
    // Different shapes broadcast: each side is gathered onto the output shape first (free wiring).
    const shape = broadcastShape(node, sa, sb);
    const [ga, gb] = [broadcastActivation(ctx, node, a, shape, 'a'), broadcastActivation(ctx, node, b, shape, 'b')];
    emit(
      ctx,
      {
        kind: 'add',
        name: node.name,
        input: ga,
        other: gb,
        otherSign: op === 'Sub' ? -1 : 1,
        output: node.outputs[0]!,
      },
      shape,
    );
    return;
  }
  const xFirst = !aConst;
  const x = xFirst ? a : b;
  const c = (xFirst ? bConst : aConst)!;
  const inShape = activationShape(ctx, node, xFirst ? 0 : 1);
  const outShape = broadcastShape(node, inShape, c.dims);
  const cb = broadcastTo(node, c, outShape);
  const n = cb.length;
  if (op === 'Mul') affine(ctx, node, x, inShape, outShape, cb, new Float64Array(n));
  else if (op === 'Add') affine(ctx, node, x, inShape, outShape, new Float64Array(n).fill(1), cb);
  else if (xFirst)
    affine(
      ctx,
      node,
      x,
      inShape,
      outShape,
      new Float64Array(n).fill(1),
      cb.map((v) => -v),
    );
  else affine(ctx, node, x, inShape, outShape, new Float64Array(n).fill(-1), cb);
}

/** Elementwise lowerings. */
export const ELEMENTWISE_LOWERINGS: Record<string, Lowering> = {
  Relu(ctx, node) {
    emit(
      ctx,
      { kind: 'relu', name: node.name, input: node.inputs[0]!, output: node.outputs[0]! },
      activationShape(ctx, node),
    );
  },
  Add: (ctx, node) => arithmetic(ctx, node, 'Add'),
  Sub: (ctx, node) => arithmetic(ctx, node, 'Sub'),
  Mul: (ctx, node) => arithmetic(ctx, node, 'Mul'),
  BatchNormalization(ctx, node) {
    const shape = activationShape(ctx, node);
    if (attrNum(node, 'training_mode', 0) === 1 || node.outputs.filter((o) => o !== '').length > 1)
      throw nodeError(node, 'only inference mode is supported');
    const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => optionalConst(ctx, node, i));
    if (!gamma || !beta || !mean || !variance) throw nodeError(node, 'needs scale, bias, mean and variance inputs');
    const eps = attrNum(node, 'epsilon', 1e-5);
    const channels = shape[1] ?? 1;
    if ([gamma, beta, mean, variance].some((t) => t.data.length !== channels))
      throw nodeError(node, `parameters must have ${channels} elements (one per channel)`);
    const inner = size(shape.slice(2));
    const scale = new Float64Array(size(shape));
    const shift = new Float64Array(size(shape));
    for (let i = 0; i < scale.length; i++) {
      const ch = Math.floor(i / inner) % channels;
      const s = gamma.data[ch]! / Math.sqrt(variance.data[ch]! + eps);
      scale[i] = s;
      shift[i] = beta.data[ch]! - mean.data[ch]! * s;
    }
    affine(ctx, node, node.inputs[0]!, shape, shape, scale, shift);
  },
  Clip(ctx, node) {
    if (clipHasActivationBound(ctx, node)) return clipWithActivations(ctx, node);
    const shape = activationShape(ctx, node);
    const fromInput = (i: number) => {
      const c = optionalConst(ctx, node, i);
      if (c && c.data.length !== 1) throw nodeError(node, 'min and max must be scalars');
      return c ? c.data[0]! : null;
    };
    const attr = (k: string) => (typeof node.attrs[k] === 'number' ? (node.attrs[k] as number) : null);
    const min = ctx.graph.opset < 11 ? attr('min') : fromInput(1);
    const max = ctx.graph.opset < 11 ? attr('max') : fromInput(2);
    for (const b of [min, max])
      if (b !== null && !Number.isFinite(b)) throw nodeError(node, `bound ${b} is not a finite number`);
    emit(ctx, { kind: 'clamp', name: node.name, input: node.inputs[0]!, output: node.outputs[0]!, min, max }, shape);
  },
  LeakyRelu(ctx, node) {
    emit(
      ctx,
      {
        kind: 'leakyRelu',
        name: node.name,
        input: node.inputs[0]!,
        output: node.outputs[0]!,
        alpha: attrNum(node, 'alpha', 0.01),
      },
      activationShape(ctx, node),
    );
  },
};
