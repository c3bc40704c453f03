/**
 * Lowerings of univariate nonlinear functions: each becomes one `unary` op, proven by an
 * exact table over the quantized input (quantize-table.ts, circuits/table-lookup.ts). Neg is
 * a free affine map instead. Pow needs a constant exponent and PRelu a constant slope (per
 * element after broadcasting: one table per distinct value).
 */
import type { OnnxNode } from '../../onnx/onnx-graph.js';
import {
  activationShape,
  attrNum,
  attrStr,
  broadcastShape,
  broadcastTo,
  constInput,
  elementwiseAffine,
  emit,
  foldAffineIntoLinear,
  LowerContext,
  Lowering,
  nodeError,
  size,
} from '../lower-context.js';
import type { UnaryAttrs, UnaryFn } from '../unary-functions.js';
import { emitProduct } from './products.js';

function unary(ctx: LowerContext, node: OnnxNode, fn: UnaryFn, attrs: UnaryAttrs = {}, param?: Float64Array): void {
  emit(
    ctx,
    {
      kind: 'unary',
      name: node.name,
      input: node.inputs[0]!,
      output: node.outputs[0]!,
      fn,
      attrs,
      ...(param ? { param } : {}),
    },
    activationShape(ctx, node),
  );
}

/** The constant operand `i` broadcast onto the activation's shape; it may not enlarge the output. */
function perElementConst(ctx: LowerContext, node: OnnxNode, i: number, what: string): Float64Array {
  const shape = activationShape(ctx, node);
  const c = constInput(ctx, node, i);
  const out = broadcastShape(node, shape, c.dims);
  if (size(out) !== size(shape))
    throw nodeError(
      node,
      `${what} of shape ${JSON.stringify(c.dims)} would broadcast the input ${JSON.stringify(shape)} to ${JSON.stringify(out)}`,
    );
  return broadcastTo(node, c, shape);
}

/** Functions with ONNX attributes alpha/beta/gamma/approximate, read with the ONNX defaults left to evalUnary. */
function withAttrs(fn: UnaryFn, names: ReadonlyArray<'alpha' | 'beta' | 'gamma'>): Lowering {
  return (ctx, node) => {
    const attrs: { alpha?: number; beta?: number; gamma?: number } = {};
    for (const k of names) if (typeof node.attrs[k] === 'number') attrs[k] = attrNum(node, k, 0);
    unary(ctx, node, fn, attrs);
  };
}

const plain =
  (fn: UnaryFn): Lowering =>
  (ctx, node) =>
    unary(ctx, node, fn);

/** Table-proven activations. */
export const ACTIVATION_LOWERINGS: Record<string, Lowering> = {
  Sigmoid: plain('Sigmoid'),
  Tanh: plain('Tanh'),
  Exp: plain('Exp'),
  Log: plain('Log'),
  Sqrt: plain('Sqrt'),
  Reciprocal: plain('Reciprocal'),
  Erf: plain('Erf'),
  Softplus: plain('Softplus'),
  Softsign: plain('Softsign'),
  HardSwish: plain('HardSwish'),
  Mish: plain('Mish'),
  Abs: plain('Abs'),
  Sign: plain('Sign'),
  Floor: plain('Floor'),
  Ceil: plain('Ceil'),
  Round: plain('Round'),
  // Trigonometric and hyperbolic functions (see unary-functions.ts for their domains).
  Sin: plain('Sin'),
  Cos: plain('Cos'),
  Tan: plain('Tan'),
  Asin: plain('Asin'),
  Acos: plain('Acos'),
  Atan: plain('Atan'),
  Sinh: plain('Sinh'),
  Cosh: plain('Cosh'),
  Asinh: plain('Asinh'),
  Acosh: plain('Acosh'),
  Atanh: plain('Atanh'),
  Gelu: (ctx, node) => {
    const approximate = attrStr(node, 'approximate', 'none');
    if (approximate !== 'none' && approximate !== 'tanh')
      throw nodeError(node, `approximate must be "none" or "tanh", not "${approximate}"`);
    unary(ctx, node, 'Gelu', { approximate });
  },
  Elu: withAttrs('Elu', ['alpha']),
  Selu: withAttrs('Selu', ['alpha', 'gamma']),
  Celu: withAttrs('Celu', ['alpha']),
  HardSigmoid: withAttrs('HardSigmoid', ['alpha', 'beta']),
  ThresholdedRelu: withAttrs('ThresholdedRelu', ['alpha']),
  Pow(ctx, node) {
    const exponent = perElementConst(ctx, node, 1, 'the exponent');
    // x² is an exact product (one constraint per element) rather than a table over a saturated input.
    if (exponent.every((e) => e === 2)) {
      const [x, out] = [node.inputs[0]!, node.outputs[0]!];
      const n = size(activationShape(ctx, node));
      const id = Array.from({ length: n }, (_, i) => i);
      emitProduct(
        ctx,
        { name: node.name, input: x, other: x, output: out, offsets: [...id, n], aIndex: id, bIndex: id },
        activationShape(ctx, node),
      );
      return;
    }
    unary(ctx, node, 'Pow', {}, exponent);
  },
  PRelu: (ctx, node) => unary(ctx, node, 'PRelu', {}, perElementConst(ctx, node, 1, 'the slope')),
  Neg(ctx, node) {
    const shape = activationShape(ctx, node);
    const n = size(shape);
    const scale = new Float64Array(n).fill(-1);
    const shift = new Float64Array(n);
    const [x, out] = [node.inputs[0]!, node.outputs[0]!];
    if (foldAffineIntoLinear(ctx, x, out, node.name, scale, shift)) return;
    emit(
      ctx,
      elementwiseAffine(
        node.name,
        x,
        out,
        n,
        Int32Array.from({ length: n }, (_, i) => i),
        scale,
        shift,
      ),
      shape,
    );
  },
};
