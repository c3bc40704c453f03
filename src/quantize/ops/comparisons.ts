/**
 * Lowerings of comparisons and selections: Max/Min/Sum/Mean of several operands,
 * Equal/Less/LessOrEqual/Greater/GreaterOrEqual, Where, Clip with activation bounds and Div
 * by constants. Operands are activations or constants, broadcast numpy-style: an activation
 * of a smaller shape is first gathered onto the output shape (a free `permute`), a constant is
 * expanded to one value per output element.
 */
import type { OnnxNode } from '../../onnx/onnx-graph.js';
import type { BinaryOp, Operand } from '../float-ir.js';
import {
  broadcastIndex,
  broadcastShape,
  broadcastTo,
  elementwiseAffine,
  emit,
  foldAffineIntoLinear,
  LowerContext,
  Lowering,
  nodeError,
  size,
} from '../lower-context.js';
import { emitDivide } from './products.js';

/** The output shape of a broadcasting node over its non-empty inputs. */
export function outputShape(ctx: LowerContext, node: OnnxNode, inputs: readonly string[]): number[] {
  let shape: number[] = [];
  for (const name of inputs) {
    const s = ctx.consts.get(name)?.dims ?? ctx.shapes.get(name);
    if (!s) throw nodeError(node, `input "${name}" is neither a constant nor a computed activation`);
    shape = broadcastShape(node, shape, s);
  }
  return shape;
}

/** Activation `name` of node `node` on the broadcast shape `outShape`: itself, or a gather of it (a free `permute`). */
export function broadcastActivation(
  ctx: LowerContext,
  node: OnnxNode,
  name: string,
  outShape: number[],
  tag: string,
): string {
  const shape = ctx.shapes.get(name);
  if (!shape) throw nodeError(node, `input "${name}" is neither a constant nor a computed activation`);
  if (JSON.stringify(shape) === JSON.stringify(outShape)) return name;
  const gathered = `${node.outputs[0]}::broadcast-${tag}`;
  emit(
    ctx,
    {
      kind: 'permute',
      name: `${node.name}::broadcast-${tag}`,
      input: name,
      output: gathered,
      perm: Array.from(broadcastIndex(shape, outShape)),
    },
    outShape,
  );
  return gathered;
}

/** Input `name` as an operand of the output shape: a gathered activation or an expanded constant. */
export function operand(ctx: LowerContext, node: OnnxNode, name: string, outShape: number[], tag: string): Operand {
  const c = ctx.consts.get(name);
  if (c) return { constant: broadcastTo(node, c, outShape) };
  return { tensor: broadcastActivation(ctx, node, name, outShape, tag) };
}

/** The first activation among the operands, or throws naming the node. */
export function firstTensor(node: OnnxNode, ...os: Operand[]): string {
  for (const o of os) if ('tensor' in o) return o.tensor;
  throw nodeError(node, 'every operand is a constant');
}

function emitBinary(
  ctx: LowerContext,
  node: OnnxNode,
  op: BinaryOp['op'],
  a: Operand,
  b: Operand,
  output: string,
  shape: number[],
  name = node.name,
): void {
  emit(ctx, { kind: 'binary', name, input: firstTensor(node, a, b), output, op, a, b }, shape);
}

/** Max or Min of any number of operands, folded left to right. */
function extremum(op: 'max' | 'min'): Lowering {
  return (ctx, node) => {
    const inputs = node.inputs.filter((i) => i !== '');
    const shape = outputShape(ctx, node, inputs);
    const out = node.outputs[0]!;
    const ops = inputs.map((name, k) => operand(ctx, node, name, shape, String(k)));
    if (ops.length === 1) {
      emit(ctx, { kind: 'reshape', name: node.name, input: firstTensor(node, ops[0]!), output: out }, shape);
      return;
    }
    let acc = ops[0]!;
    for (let k = 1; k < ops.length; k++) {
      const target = k === ops.length - 1 ? out : `${out}::${op}-${k}`;
      emitBinary(ctx, node, op, acc, ops[k]!, target, shape, k === ops.length - 1 ? node.name : `${node.name}::${k}`);
      acc = { tensor: target };
    }
  };
}

/** y = scale ⊙ x + shift on an activation of the output shape, folded into its producer when legal. */
function affine(
  ctx: LowerContext,
  name: string,
  x: string,
  out: string,
  shape: number[],
  scale: Float64Array,
  shift: Float64Array,
): void {
  if (foldAffineIntoLinear(ctx, x, out, name, scale, shift)) return;
  const n = size(shape);
  emit(
    ctx,
    elementwiseAffine(
      name,
      x,
      out,
      n,
      Int32Array.from({ length: n }, (_, i) => i),
      scale,
      shift,
    ),
    shape,
  );
}

/** Sum of the operands; with `mean`, divided by their count (exact shift for a power of two, else proven division). */
function sum(mean: boolean): Lowering {
  return (ctx, node) => {
    const inputs = node.inputs.filter((i) => i !== '');
    const shape = outputShape(ctx, node, inputs);
    const n = size(shape);
    const out = node.outputs[0]!;
    const ops = inputs.map((name, k) => operand(ctx, node, name, shape, String(k)));
    const tensors = ops.flatMap((o) => ('tensor' in o ? [o.tensor] : []));
    if (tensors.length === 0) throw nodeError(node, 'every operand is a constant');
    const constant = new Float64Array(n);
    for (const o of ops) if ('constant' in o) o.constant.forEach((v, i) => (constant[i]! += v));
    const divide = mean && inputs.length > 1;
    const pow2 = Number.isInteger(Math.log2(inputs.length));
    // The last step writes `out`; earlier ones write intermediates.
    const steps =
      tensors.length - 1 + (constant.some((v) => v !== 0) || (divide && pow2) ? 1 : 0) + (divide && !pow2 ? 1 : 0);
    let step = 0;
    const next = () => (++step === steps ? out : `${out}::sum-${step}`);
    let acc = tensors[0]!;
    if (steps === 0) {
      emit(ctx, { kind: 'reshape', name: node.name, input: acc, output: out }, shape);
      return;
    }
    for (const t of tensors.slice(1)) {
      const target = next();
      emit(
        ctx,
        { kind: 'add', name: `${node.name}::add-${step}`, input: acc, other: t, otherSign: 1, output: target },
        shape,
      );
      acc = target;
    }
    const k = divide && pow2 ? 1 / inputs.length : 1;
    if (constant.some((v) => v !== 0) || k !== 1) {
      const target = next();
      affine(
        ctx,
        `${node.name}::affine`,
        acc,
        target,
        shape,
        new Float64Array(n).fill(k),
        constant.map((v) => v * k),
      );
      acc = target;
    }
    if (divide && !pow2)
      emit(
        ctx,
        {
          kind: 'divConst',
          name: node.name,
          input: acc,
          output: next(),
          divisor: new Float64Array(n).fill(inputs.length),
        },
        shape,
      );
  };
}

function comparison(op: 'eq' | 'lt' | 'le' | 'gt' | 'ge'): Lowering {
  return (ctx, node) => {
    const shape = outputShape(ctx, node, node.inputs.slice(0, 2));
    emitBinary(
      ctx,
      node,
      op,
      operand(ctx, node, node.inputs[0]!, shape, 'a'),
      operand(ctx, node, node.inputs[1]!, shape, 'b'),
      node.outputs[0]!,
      shape,
    );
  };
}

/** True when Clip has a min or max that is computed from the input (not a constant). */
export function clipHasActivationBound(ctx: LowerContext, node: OnnxNode): boolean {
  return ctx.graph.opset >= 11 && [1, 2].some((i) => !!node.inputs[i] && !ctx.consts.has(node.inputs[i]!));
}

/** Clip with activation bounds: max with min first, then min with max (ONNX order: min > max yields max). */
export function clipWithActivations(ctx: LowerContext, node: OnnxNode): void {
  const [x, lo, hi] = [node.inputs[0]!, node.inputs[1] ?? '', node.inputs[2] ?? ''];
  const shape = outputShape(
    ctx,
    node,
    [x, lo, hi].filter((i) => i !== ''),
  );
  const out = node.outputs[0]!;
  let acc = operand(ctx, node, x, shape, 'x');
  if (lo) {
    const target = hi ? `${out}::clip-min` : out;
    emitBinary(
      ctx,
      node,
      'max',
      acc,
      operand(ctx, node, lo, shape, 'min'),
      target,
      shape,
      hi ? `${node.name}::min` : node.name,
    );
    acc = { tensor: target };
  }
  if (hi) emitBinary(ctx, node, 'min', acc, operand(ctx, node, hi, shape, 'max'), out, shape);
}

/**
 * Div: by constants (power of two → exact shift; integers → proven floor division; else × 1/c) or a
 * constant by an activation (c · Reciprocal).
 */
function div(ctx: LowerContext, node: OnnxNode): void {
  const [a, b] = [node.inputs[0]!, node.inputs[1]!];
  const out = node.outputs[0]!;
  const bConst = ctx.consts.get(b);
  const aConst = ctx.consts.get(a);
  if (!bConst && !aConst) {
    emitDivide(ctx, node.name, a, b, out);
    return;
  }
  const shape = outputShape(ctx, node, [a, b]);
  const n = size(shape);
  if (!bConst) {
    // c / x = c · (1/x): the reciprocal is a table, the scaling is free.
    const x = operand(ctx, node, b, shape, 'x');
    const recip = `${out}::reciprocal`;
    emit(
      ctx,
      {
        kind: 'unary',
        name: `${node.name}::reciprocal`,
        input: firstTensor(node, x),
        output: recip,
        fn: 'Reciprocal',
        attrs: {},
      },
      shape,
    );
    affine(ctx, node.name, recip, out, shape, broadcastTo(node, aConst!, shape), new Float64Array(n));
    return;
  }
  const d = broadcastTo(node, bConst, shape);
  if (d.some((v) => v === 0)) throw nodeError(node, 'division by zero');
  const x = firstTensor(node, operand(ctx, node, a, shape, 'x'));
  if (!/FLOAT|DOUBLE/.test(bConst.dataType)) {
    // Div on integer tensors (the divisor has the operands' type) rounds toward zero.
    emit(ctx, { kind: 'divConst', name: node.name, input: x, output: out, divisor: d, trunc: true }, shape);
    return;
  }
  const pow2 = d.every((v) => Number.isInteger(Math.log2(Math.abs(v))));
  if (!pow2 && d.every((v) => Number.isInteger(v) && Math.abs(v) < 2 ** 31)) {
    emit(ctx, { kind: 'divConst', name: node.name, input: x, output: out, divisor: d }, shape);
    return;
  }
  affine(
    ctx,
    node.name,
    x,
    out,
    shape,
    d.map((v) => 1 / v),
    new Float64Array(n),
  );
}

/** Comparison and selection lowerings. */
export const COMPARISON_LOWERINGS: Record<string, Lowering> = {
  Max: extremum('max'),
  Min: extremum('min'),
  Sum: sum(false),
  Mean: sum(true),
  Equal: comparison('eq'),
  Less: comparison('lt'),
  LessOrEqual: comparison('le'),
  Greater: comparison('gt'),
  GreaterOrEqual: comparison('ge'),
  Where(ctx, node) {
    const shape = outputShape(ctx, node, node.inputs.slice(0, 3));
    const [cond, x, y] = node.inputs
      .slice(0, 3)
      .map((name, k) => operand(ctx, node, name!, shape, ['cond', 'x', 'y'][k]!)) as [Operand, Operand, Operand];
    emit(
      ctx,
      { kind: 'where', name: node.name, input: firstTensor(node, cond, x, y), output: node.outputs[0]!, cond, x, y },
      shape,
    );
  },
  Div: div,
};
