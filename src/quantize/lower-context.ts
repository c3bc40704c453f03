/**
 * Shared state and helpers of the ONNX → float IR lowering. The lowering table itself is
 * split by op family (ops/*.ts); this file holds what every entry needs, so the
 * tables never import each other.
 */
import { quote, quoteName, UserError } from '../core/errors.js';
import type { OnnxGraph, OnnxNode } from '../onnx/onnx-graph.js';
import type { ConstTensor } from '../onnx/tensor.js';
import type { DroppedFinal, FloatOp, LinearOp } from './float-ir.js';
import { linearTerms, SparseSpec, sparseSpec } from '../formats/linear-spec.js';

/** State threaded through the lowering of one graph. */
export interface LowerContext {
  readonly graph: OnnxGraph;
  readonly consts: Map<string, ConstTensor>;
  readonly shapes: Map<string, number[]>;
  readonly ops: FloatOp[];
  /** Which op produced each activation tensor. */
  readonly producer: Map<string, FloatOp>;
  /** How many nodes consume each tensor. */
  readonly uses: Map<string, number>;
  /** Set when a final Softmax/LogSoftmax is left out of the circuit. */
  droppedFinal?: DroppedFinal;
}

/** Lowers one node whose first input is an activation. */
export type Lowering = (ctx: LowerContext, node: OnnxNode) => void;

/** Evaluates a node whose inputs are all constants at compile time: one tensor per output. */
export type ConstFold = (ctx: LowerContext, node: OnnxNode) => ConstTensor | ConstTensor[];

/** Element count of a shape. */
export const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** Fails with a message naming the node. */
export function nodeError(node: OnnxNode, msg: string): UserError {
  return new UserError(`node ${quote(node.name)} (${quoteName(node.opType)}): ${msg}`);
}

/** Returns the constant behind input `i`, or throws naming the node. */
export function constInput(ctx: LowerContext, node: OnnxNode, i: number): ConstTensor {
  const c = ctx.consts.get(node.inputs[i] ?? '');
  if (!c) throw nodeError(node, `input ${i} (${quote(node.inputs[i] ?? '')}) must be a constant`);
  return c;
}

/** The constant behind optional input `i`, or undefined when the input is absent. */
export function optionalConst(ctx: LowerContext, node: OnnxNode, i: number): ConstTensor | undefined {
  return node.inputs[i] ? constInput(ctx, node, i) : undefined;
}

/** Returns the shape of activation input `i`, or throws naming the node. */
export function activationShape(ctx: LowerContext, node: OnnxNode, i = 0): number[] {
  const s = ctx.shapes.get(node.inputs[i] ?? '');
  if (!s)
    throw nodeError(
      node,
      `input ${i} (${quote(node.inputs[i] ?? '')}) is neither a constant nor a computed activation`,
    );
  return s;
}

/** Appends an op and records its output shape. */
export function emit(ctx: LowerContext, op: FloatOp, shape: number[]): void {
  // A zero-sized tensor (e.g. a Gemm with a [0, n] weight) has nothing to prove; refuse it by name.
  if (size(shape) === 0)
    throw new UserError(`node ${quote(op.name)}: produces an empty tensor (shape ${JSON.stringify(shape)})`);
  ctx.ops.push(op);
  ctx.shapes.set(op.output, shape);
  ctx.producer.set(op.output, op);
}

/** A numeric attribute, or `dflt`. */
export function attrNum(node: OnnxNode, name: string, dflt: number): number {
  const v = node.attrs[name];
  return typeof v === 'number' ? v : dflt;
}

/** An integer-list attribute, or `dflt`. */
export function attrInts(node: OnnxNode, name: string, dflt: number[]): number[] {
  const v = node.attrs[name];
  return Array.isArray(v) ? (v as number[]) : dflt;
}

/** A string attribute, or `dflt`. */
export function attrStr(node: OnnxNode, name: string, dflt: string): string {
  const v = node.attrs[name];
  return typeof v === 'string' ? v : dflt;
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) st[i] = st[i + 1]! * shape[i + 1]!;
  return st;
}

/** Numpy broadcast of two shapes, or throws naming the node. */
export function broadcastShape(node: OnnxNode, a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1)
      throw nodeError(node, `cannot broadcast ${JSON.stringify(a)} with ${JSON.stringify(b)}`);
    out.push(Math.max(x, y));
  }
  return out;
}

/** For each element of `outShape`, the flat index of the element of `shape` broadcast onto it. */
export function broadcastIndex(shape: readonly number[], outShape: readonly number[]): Int32Array {
  const n = size(outShape);
  const r = outShape.length;
  const padded = [...new Array(r - shape.length).fill(1), ...shape];
  const st = stridesOf(padded);
  const idx = new Int32Array(n);
  const pos = new Array<number>(r).fill(0);
  for (let k = 0; k < n; k++) {
    let src = 0;
    for (let i = 0; i < r; i++) if (padded[i] !== 1) src += pos[i]! * st[i]!;
    idx[k] = src;
    for (let i = r - 1; i >= 0; i--) {
      if (++pos[i]! < outShape[i]!) break;
      pos[i] = 0;
    }
  }
  return idx;
}

/** Broadcasts a constant to an output with shape `outShape` (numpy rules). */
export function broadcastTo(node: OnnxNode, c: ConstTensor, outShape: number[]): Float64Array {
  const full = broadcastShape(node, c.dims, outShape);
  if (size(full) !== size(outShape))
    throw nodeError(node, `cannot broadcast ${JSON.stringify(c.dims)} to ${JSON.stringify(outShape)}`);
  const idx = broadcastIndex(c.dims, outShape);
  return Float64Array.from(idx, (i) => c.data[i]!);
}

/**
 * Folds y = scale ⊙ x + shift (per element of x, the output of a linear op) into that op,
 * when nothing else reads x and the affine map is constant over every shared weight and bias.
 * Returns false, changing nothing, when it cannot.
 */
export function foldAffineIntoLinear(
  ctx: LowerContext,
  input: string,
  output: string,
  name: string,
  scale: Float64Array,
  shift: Float64Array,
): boolean {
  const prod = ctx.producer.get(input);
  if (!prod || prod.kind !== 'linear' || ctx.uses.get(input) !== 1) return false;
  const folded = foldAffineAfter(prod, scale, shift);
  if (!folded) return false;
  const idx = ctx.ops.indexOf(prod);
  const op: LinearOp = { ...folded, name: `${prod.name}+${name}`, output };
  // The op now writes the folded tensor directly; its old output had no other reader.
  ctx.ops[idx] = op;
  ctx.shapes.set(output, ctx.shapes.get(input)!);
  ctx.producer.set(output, op);
  return true;
}

/**
 * The linear op `op` followed by the per-output affine map, as one op; undefined if weights are
 * shared inconsistently.
 */
export function foldAffineAfter(op: LinearOp, scale: Float64Array, shift: Float64Array): LinearOp | undefined {
  const t = linearTerms(op.spec);
  const wScale = new Float64Array(op.weight.length).fill(NaN);
  const bScale = new Float64Array(op.bias.length).fill(NaN);
  const bShift = new Float64Array(op.bias.length).fill(NaN);
  for (let j = 0; j < t.nOut; j++) {
    const s = scale[j]!;
    const b = t.biasIndex[j]!;
    if (Number.isNaN(bScale[b]!)) {
      bScale[b] = s;
      bShift[b] = shift[j]!;
    } else if (bScale[b] !== s || bShift[b] !== shift[j]) return undefined;
    for (let k = t.offsets[j]!; k < t.offsets[j + 1]!; k++) {
      const w = t.weightIndex[k]!;
      if (Number.isNaN(wScale[w]!)) wScale[w] = s;
      else if (wScale[w] !== s) return undefined;
    }
  }
  const weight = op.weight.map((w, i) => (Number.isNaN(wScale[i]!) ? w : w * wScale[i]!));
  const bias = op.bias.map((b, i) => (Number.isNaN(bScale[i]!) ? b : b * bScale[i]! + bShift[i]!));
  return { ...op, weight, bias };
}

/** An elementwise affine layer y[j] = scale[j] · x[src[j]] + shift[j] as a sparse linear op. */
export function elementwiseAffine(
  name: string,
  input: string,
  output: string,
  nIn: number,
  src: ArrayLike<number>,
  scale: Float64Array,
  shift: Float64Array,
): LinearOp {
  const outputs = Array.from(src, (i, j) => ({ inputs: [i], weights: [j], bias: j }));
  const spec: SparseSpec = sparseSpec(nIn, scale.length, shift.length, outputs);
  return {
    kind: 'linear',
    name,
    input,
    output,
    spec,
    weight: Float64Array.from(scale),
    bias: Float64Array.from(shift),
  };
}

/** For each element of `outShape` (row-major), `source(position)`: the flat index it reads (−1 = fill). */
export function mapIndex(outShape: readonly number[], source: (pos: number[]) => number): number[] {
  const n = size(outShape);
  const r = outShape.length;
  const out = new Array<number>(n);
  const pos = new Array<number>(r).fill(0);
  for (let k = 0; k < n; k++) {
    out[k] = source(pos);
    for (let i = r - 1; i >= 0; i--) {
      if (++pos[i]! < outShape[i]!) break;
      pos[i] = 0;
    }
  }
  return out;
}

/** Normalizes a possibly negative axis against `rank`, or throws naming the node. */
export function normAxis(node: OnnxNode, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw nodeError(node, `axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** Integer list from optional constant input `i` (opset ≥ N form) or attribute `attr` (older form). */
export function intsFrom(ctx: LowerContext, node: OnnxNode, i: number, attr: string): number[] | undefined {
  if (node.inputs[i]) return Array.from(constInput(ctx, node, i).data);
  const v = node.attrs[attr];
  return Array.isArray(v) ? (v as number[]) : undefined;
}
