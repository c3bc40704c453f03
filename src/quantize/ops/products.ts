/**
 * Lowerings of products, quotients and softmaxes of activations: every ONNX op whose operands
 * are both computed values (Mul, MatMul, Gemm, Einsum, Div, Pow 2) and Softmax/LogSoftmax
 * anywhere in the graph. The `emit*` helpers are also the building blocks of the composite
 * lowerings (LayerNorm, recurrent layers, attention), which call only these.
 */
import { UserError, quote } from '../../core/errors.js';
import type { OnnxNode } from '../../onnx/onnx-graph.js';
import { elemTypeName } from '../../onnx/tensor.js';
import type { ProductOp } from '../products-float.js';
import { broadcastIndex, emit, LowerContext, size } from '../lower-context.js';

function shapeOf(ctx: LowerContext, name: string, op: string): number[] {
  const s = ctx.shapes.get(name);
  if (!s) throw new UserError(`node ${quote(op)}: input ${quote(name)} is not a computed activation`);
  return s;
}

/** Numpy broadcast of two shapes, or a UserError naming the op. */
function broadcast(name: string, a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1)
      throw new UserError(`node ${quote(name)}: cannot broadcast ${JSON.stringify(a)} with ${JSON.stringify(b)}`);
    out.push(Math.max(x, y));
  }
  return out;
}

/** Emits a ProductOp and records its shape. */
export function emitProduct(ctx: LowerContext, op: Omit<ProductOp, 'kind'>, shape: number[]): void {
  if (op.offsets.length !== size(shape) + 1)
    throw new Error(`product "${op.name}": ${op.offsets.length - 1} outputs for shape ${JSON.stringify(shape)}`);
  emit(ctx, { kind: 'product', ...op }, shape);
}

/** Elementwise a ⊙ b with numpy broadcasting of the two activation shapes; returns the output shape. */
export function emitElementwiseProduct(
  ctx: LowerContext,
  name: string,
  a: string,
  b: string,
  output: string,
): number[] {
  const [sa, sb] = [shapeOf(ctx, a, name), shapeOf(ctx, b, name)];
  const shape = broadcast(name, sa, sb);
  const n = size(shape);
  const same = (s: number[]) => size(s) === n;
  const aIndex = same(sa) ? Array.from({ length: n }, (_, i) => i) : Array.from(broadcastIndex(sa, shape));
  const bIndex = same(sb) ? Array.from({ length: n }, (_, i) => i) : Array.from(broadcastIndex(sb, shape));
  emitProduct(
    ctx,
    { name, input: a, other: b, output, offsets: Array.from({ length: n + 1 }, (_, i) => i), aIndex, bIndex },
    shape,
  );
  return shape;
}

/** Terms of a batched matrix product: a is [..., m, k] (or [m, k] with transA: [k, m]), b likewise. */
export function matMulTerms(
  m: number,
  k: number,
  n: number,
  aBatch: ArrayLike<number>,
  bBatch: ArrayLike<number>,
  transA = false,
  transB = false,
): Pick<ProductOp, 'offsets' | 'aIndex' | 'bIndex'> {
  const offsets = [0];
  const aIndex: number[] = [];
  const bIndex: number[] = [];
  for (let t = 0; t < aBatch.length; t++) {
    const [ab, bb] = [aBatch[t]! * m * k, bBatch[t]! * k * n];
    for (let r = 0; r < m; r++) {
      for (let j = 0; j < n; j++) {
        for (let i = 0; i < k; i++) {
          aIndex.push(ab + (transA ? i * m + r : r * k + i));
          bIndex.push(bb + (transB ? j * k + i : i * n + j));
        }
        offsets.push(aIndex.length);
      }
    }
  }
  return { offsets, aIndex, bIndex };
}

/** Batched matrix product of two activations, numpy MatMul semantics (1-D promotion, broadcast batch). */
export function emitMatMul(ctx: LowerContext, name: string, a: string, b: string, output: string): number[] {
  const [sa, sb] = [shapeOf(ctx, a, name), shapeOf(ctx, b, name)];
  const aM = sa.length === 1 ? [1, sa[0]!] : sa;
  const bM = sb.length === 1 ? [sb[0]!, 1] : sb;
  const [m, k] = aM.slice(-2) as [number, number];
  const [bk, n] = bM.slice(-2) as [number, number];
  if (bk !== k)
    throw new UserError(`node ${quote(name)}: cannot multiply ${JSON.stringify(sa)} by ${JSON.stringify(sb)}`);
  const batch = broadcast(name, aM.slice(0, -2), bM.slice(0, -2));
  let shape = [...batch, m, n];
  if (sa.length === 1) shape = shape.filter((_, i) => i !== shape.length - 2);
  if (sb.length === 1) shape = shape.slice(0, -1);
  const terms = matMulTerms(m, k, n, broadcastIndex(aM.slice(0, -2), batch), broadcastIndex(bM.slice(0, -2), batch));
  emitProduct(ctx, { name, input: a, other: b, output, ...terms }, shape);
  return shape;
}

const FLOAT_TYPES = /^(FLOAT|DOUBLE|FLOAT16|BFLOAT16)$/;
const INDEX_OPS = new Set(['ArgMax', 'ArgMin']);
const BOOL_OPS = new Set(['Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or', 'Xor', 'Not']);

/**
 * The ONNX element type of computed tensor `t` as far as the lowering can tell: a graph input's
 * type, a Cast's target, INT64 for ArgMax/ArgMin, BOOL for comparisons and logic ops, else
 * (elementwise and data-movement ops keep their type) the type of the producer's first input
 * (Where's and CastLike's second, OneHot's third).
 */
export function elemTypeOf(ctx: LowerContext, t: string): string {
  const producer = new Map<string, OnnxNode>();
  for (const n of ctx.graph.nodes) for (const o of n.outputs) producer.set(o, n);
  for (let steps = 0; steps <= ctx.graph.nodes.length; steps++) {
    const input = ctx.graph.inputs.find((i) => i.name === t);
    if (input) return input.elemType;
    const c = ctx.consts.get(t);
    if (c) return c.dataType;
    const node = producer.get(t);
    if (!node || !node.inputs[0]) return 'FLOAT';
    if (node.opType === 'Cast') {
      const to = node.attrs['to'];
      return typeof to === 'number' ? elemTypeName(to) : typeof to === 'string' ? to : 'FLOAT';
    }
    if (INDEX_OPS.has(node.opType)) return 'INT64';
    if (BOOL_OPS.has(node.opType)) return 'BOOL';
    // Where has the type of its branches, OneHot of its values, CastLike of its second input.
    const from = node.opType === 'Where' ? 1 : node.opType === 'OneHot' ? 2 : node.opType === 'CastLike' ? 1 : 0;
    t = node.inputs[from] ?? node.inputs[0];
  }
  return 'FLOAT';
}

/** Elementwise a / b with broadcasting (a DivideOp). */
export function emitDivide(ctx: LowerContext, name: string, a: string, b: string, output: string): number[] {
  // ONNX Div of integer tensors rounds toward zero to an integer; the DivideOp is a real quotient.
  const type = elemTypeOf(ctx, a);
  if (!FLOAT_TYPES.test(type))
    throw new UserError(
      `node ${quote(name)}: dividing two computed ${type} tensors (integer division) is not supported; only float tensors`,
    );
  const [sa, sb] = [shapeOf(ctx, a, name), shapeOf(ctx, b, name)];
  const shape = broadcast(name, sa, sb);
  emit(
    ctx,
    {
      kind: 'divide',
      name,
      input: a,
      other: b,
      output,
      aIndex: Array.from(broadcastIndex(sa, shape)),
      bIndex: Array.from(broadcastIndex(sb, shape)),
    },
    shape,
  );
  return shape;
}

/** Rows of a softmax along `axis` of `shape` (or over the flattened dims [axis, rank) with `flatten`). */
export function softmaxRows(
  shape: readonly number[],
  axis: number,
  flatten = false,
): { offsets: number[]; index: number[] } {
  const outer = size(shape.slice(0, axis));
  const len = flatten ? size(shape.slice(axis)) : (shape[axis] ?? 1);
  const inner = flatten ? 1 : size(shape.slice(axis + 1));
  const offsets = [0];
  const index: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      for (let k = 0; k < len; k++) index.push((o * len + k) * inner + i);
      offsets.push(index.length);
    }
  }
  return { offsets, index };
}

/** Softmax / LogSoftmax of activation `x` along `axis` (already normalized). */
export function emitSoftmax(
  ctx: LowerContext,
  name: string,
  x: string,
  output: string,
  axis: number,
  log: boolean,
  flatten = false,
): number[] {
  const shape = shapeOf(ctx, x, name);
  emit(ctx, { kind: 'softmax', name, input: x, output, log, ...softmaxRows(shape, axis, flatten) }, shape);
  return shape;
}
