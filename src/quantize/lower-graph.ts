/**
 * ONNX → lowered float graph. Each supported ONNX op is one entry of {@link LOWERINGS}; a
 * node whose inputs are all constants is folded at lowering time instead. The set of keys of
 * the table is the set of supported ops, so the "unsupported ops" error can never drift from
 * what is actually implemented.
 */
import { UserError } from '../errors.js';
import { assertSupportedOps, OnnxGraph, OnnxNode } from '../onnx/load-onnx.js';
import type { ConstTensor } from '../onnx/tensor.js';
import type { FloatGraph, FloatOp, LinearOp } from './float-ir.js';

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
}

/** Lowers one node whose first input is an activation. */
export type Lowering = (ctx: LowerContext, node: OnnxNode) => void;

const size = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

/** Fails with a message naming the node. */
export function nodeError(node: OnnxNode, msg: string): UserError {
  return new UserError(`node "${node.name}" (${node.opType}): ${msg}`);
}

/** Returns the constant behind input `i`, or throws naming the node. */
export function constInput(ctx: LowerContext, node: OnnxNode, i: number): ConstTensor {
  const c = ctx.consts.get(node.inputs[i] ?? '');
  if (!c) throw nodeError(node, `input ${i} ("${node.inputs[i]}") must be a constant`);
  return c;
}

/** Returns the shape of activation input `i`, or throws naming the node. */
export function activationShape(ctx: LowerContext, node: OnnxNode, i = 0): number[] {
  const s = ctx.shapes.get(node.inputs[i] ?? '');
  if (!s) throw nodeError(node, `input ${i} ("${node.inputs[i]}") is neither a constant nor a computed activation`);
  return s;
}

/** Appends an op and records its output shape. */
export function emit(ctx: LowerContext, op: FloatOp, shape: number[]): void {
  ctx.ops.push(op);
  ctx.shapes.set(op.output, shape);
  ctx.producer.set(op.output, op);
}

function attrNum(node: OnnxNode, name: string, dflt: number): number {
  const v = node.attrs[name];
  return typeof v === 'number' ? v : dflt;
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

function flattenShape(node: OnnxNode, inShape: number[]): number[] {
  let axis = attrNum(node, 'axis', 1);
  if (axis < 0) axis += inShape.length;
  return [size(inShape.slice(0, axis)), size(inShape.slice(axis))];
}

/** Broadcasts a constant to `n` elements of an output with shape `outShape` (numpy rules). */
export function broadcastTo(node: OnnxNode, c: ConstTensor, outShape: number[]): Float64Array {
  const n = size(outShape);
  if (c.data.length === n) return Float64Array.from(c.data);
  const r = outShape.length;
  const cd = c.dims.length > r ? c.dims.slice(c.dims.length - r) : [...Array(r - c.dims.length).fill(1), ...c.dims];
  if (c.dims.length > r && size(c.dims.slice(0, c.dims.length - r)) !== 1) throw nodeError(node, `cannot broadcast ${JSON.stringify(c.dims)} to ${JSON.stringify(outShape)}`);
  for (let i = 0; i < r; i++) if (cd[i] !== 1 && cd[i] !== outShape[i]) throw nodeError(node, `cannot broadcast ${JSON.stringify(c.dims)} to ${JSON.stringify(outShape)}`);
  const out = new Float64Array(n);
  const idx = new Array(r).fill(0);
  for (let k = 0; k < n; k++) {
    let src = 0;
    for (let i = 0; i < r; i++) src = src * cd[i]! + (cd[i] === 1 ? 0 : idx[i]);
    out[k] = c.data[src]!;
    for (let i = r - 1; i >= 0; i--) {
      if (++idx[i] < outShape[i]!) break;
      idx[i] = 0;
    }
  }
  return out;
}

function denseOp(node: OnnxNode, input: string, inFeatures: number, outFeatures: number, weight: Float64Array, bias: Float64Array): LinearOp {
  return { kind: 'linear', name: node.name, input, output: node.outputs[0]!, spec: { type: 'dense', inFeatures, outFeatures }, weight, bias };
}

/** Adds a constant to the bias of the linear op producing `input` when nothing else reads it. */
export function foldAddIntoLinear(ctx: LowerContext, node: OnnxNode, input: string, c: ConstTensor): boolean {
  const prod = ctx.producer.get(input);
  if (!prod || prod.kind !== 'linear' || ctx.uses.get(input) !== 1) return false;
  const shape = ctx.shapes.get(input)!;
  const add = broadcastTo(node, c, shape);
  const perOutput = prod.spec.type === 'dense' ? prod.spec.outFeatures : prod.spec.outChannels;
  const stride = add.length / perOutput;
  // A per-channel constant folds into the bias; anything varying within a channel cannot.
  for (let ch = 0; ch < perOutput; ch++) for (let k = 1; k < stride; k++) if (add[ch * stride + k] !== add[ch * stride]) return false;
  const bias = Float64Array.from(prod.bias);
  for (let ch = 0; ch < perOutput; ch++) bias[ch]! += add[ch * stride]!;
  prod.bias = bias;
  ctx.ops.push({ kind: 'reshape', name: node.name, input, output: node.outputs[0]! });
  ctx.shapes.set(node.outputs[0]!, shape);
  ctx.producer.set(node.outputs[0]!, prod);
  return true;
}

/** The lowering table: one entry per supported ONNX op. */
export const LOWERINGS: Record<string, Lowering> = {
  Gemm(ctx, node) {
    const a = activationShape(ctx, node);
    const B = constInput(ctx, node, 1);
    const alpha = attrNum(node, 'alpha', 1);
    const beta = attrNum(node, 'beta', 1);
    const transA = attrNum(node, 'transA', 0);
    const transB = attrNum(node, 'transB', 0);
    const [m, k] = transA ? [a[1]!, a[0]!] : [a[0]!, a[1]!];
    if (a.length !== 2 || m !== 1) throw nodeError(node, `expects a [1, K] activation, got ${JSON.stringify(a)}`);
    const [bk, n] = transB ? [B.dims[1]!, B.dims[0]!] : [B.dims[0]!, B.dims[1]!];
    if (B.dims.length !== 2 || bk !== k) throw nodeError(node, `weight shape ${JSON.stringify(B.dims)} does not match input ${JSON.stringify(a)}`);
    const w = new Float64Array(n * k);
    for (let j = 0; j < n; j++) for (let i = 0; i < k; i++) w[j * k + i] = alpha * (transB ? B.data[j * k + i]! : B.data[i * n + j]!);
    const bias = node.inputs[2] ? broadcastTo(node, constInput(ctx, node, 2), [1, n]).map((v) => v * beta) : new Float64Array(n);
    emit(ctx, denseOp(node, node.inputs[0]!, k, n, w, bias), [1, n]);
  },
  MatMul(ctx, node) {
    const a = activationShape(ctx, node);
    const B = constInput(ctx, node, 1);
    const k = a[a.length - 1]!;
    if (size(a) !== k) throw nodeError(node, `expects an activation with a single row, got ${JSON.stringify(a)}`);
    if (B.dims.length === 1) {
      if (B.dims[0] !== k) throw nodeError(node, `weight shape ${JSON.stringify(B.dims)} does not match input ${JSON.stringify(a)}`);
      emit(ctx, denseOp(node, node.inputs[0]!, k, 1, Float64Array.from(B.data), new Float64Array(1)), a.slice(0, -1));
      return;
    }
    if (B.dims.length !== 2 || B.dims[0] !== k) throw nodeError(node, `weight shape ${JSON.stringify(B.dims)} does not match input ${JSON.stringify(a)}`);
    const n = B.dims[1]!;
    const w = new Float64Array(n * k);
    for (let j = 0; j < n; j++) for (let i = 0; i < k; i++) w[j * k + i] = B.data[i * n + j]!;
    emit(ctx, denseOp(node, node.inputs[0]!, k, n, w, new Float64Array(n)), [...a.slice(0, -1), n]);
  },
  Add(ctx, node) {
    const [x, c] = ctx.consts.has(node.inputs[0]!) ? [node.inputs[1]!, constInput(ctx, node, 0)] : [node.inputs[0]!, constInput(ctx, node, 1)];
    activationShape(ctx, node, ctx.consts.has(node.inputs[0]!) ? 1 : 0);
    if (!foldAddIntoLinear(ctx, node, x, c)) throw nodeError(node, 'adding a constant is supported only right after a linear layer (a bias)');
  },
  Relu(ctx, node) {
    emit(ctx, { kind: 'relu', name: node.name, input: node.inputs[0]!, output: node.outputs[0]! }, activationShape(ctx, node));
  },
  Identity(ctx, node) {
    emit(ctx, { kind: 'reshape', name: node.name, input: node.inputs[0]!, output: node.outputs[0]! }, activationShape(ctx, node));
  },
  Flatten(ctx, node) {
    const shape = flattenShape(node, activationShape(ctx, node));
    emit(ctx, { kind: 'reshape', name: node.name, input: node.inputs[0]!, output: node.outputs[0]! }, shape);
  },
  Reshape(ctx, node) {
    const inShape = activationShape(ctx, node);
    const target = node.inputs[1] ? Array.from(constInput(ctx, node, 1).data) : ((node.attrs['shape'] as number[]) ?? []);
    emit(ctx, { kind: 'reshape', name: node.name, input: node.inputs[0]!, output: node.outputs[0]! }, reshapeTarget(node, inShape, target));
  },
};

/** Constant folding for nodes whose inputs are all constants. */
export const CONST_FOLDS: Record<string, (ctx: LowerContext, node: OnnxNode) => ConstTensor> = {
  Reshape(ctx, node) {
    const c = constInput(ctx, node, 0);
    const target = node.inputs[1] ? Array.from(constInput(ctx, node, 1).data) : ((node.attrs['shape'] as number[]) ?? []);
    return { ...c, dims: reshapeTarget(node, c.dims, target) };
  },
  Identity: (ctx, node) => constInput(ctx, node, 0),
  Flatten(ctx, node) {
    const c = constInput(ctx, node, 0);
    return { ...c, dims: flattenShape(node, c.dims) };
  },
  Constant(_ctx, node) {
    const v = node.attrs['value'];
    if (v && typeof v === 'object' && 'data' in v) return v;
    const f = node.attrs['value_float'] ?? node.attrs['value_int'];
    if (typeof f === 'number') return { dims: [], data: Float64Array.of(f), dataType: 'FLOAT' };
    const fs = node.attrs['value_floats'] ?? node.attrs['value_ints'];
    if (Array.isArray(fs)) return { dims: [fs.length], data: Float64Array.from(fs as number[]), dataType: 'FLOAT' };
    throw nodeError(node, 'Constant without a supported value attribute');
  },
};

function isConstNode(ctx: Pick<LowerContext, 'consts'>, node: OnnxNode): boolean {
  return node.opType === 'Constant' || (node.inputs.length > 0 && node.inputs.every((i) => i === '' || ctx.consts.has(i)));
}

/** Lowers a parsed ONNX graph. Throws one {@link UserError} listing every unsupported node. */
export function lowerGraph(graph: OnnxGraph): FloatGraph {
  const consts = new Map(graph.constants);
  // Support check first, so the user sees every offending node at once.
  assertSupportedOps(graph, (n) => (!n.domain || n.domain === 'ai.onnx') && (n.opType in LOWERINGS || (n.opType in CONST_FOLDS && isConstNode({ consts: graph.constants }, n)) || n.opType === 'Constant'));
  const uses = new Map<string, number>();
  for (const n of graph.nodes) for (const i of n.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  for (const o of graph.outputs) uses.set(o.name, (uses.get(o.name) ?? 0) + 1);
  const ctx: LowerContext = { graph, consts, shapes: new Map([[graph.input.name, graph.input.shape]]), ops: [], producer: new Map(), uses };
  for (const node of graph.nodes) {
    if (isConstNode(ctx, node) && node.opType in CONST_FOLDS) {
      consts.set(node.outputs[0]!, CONST_FOLDS[node.opType]!(ctx, node));
      continue;
    }
    const lower = LOWERINGS[node.opType];
    if (!lower) throw nodeError(node, 'operation on constants only is not supported');
    lower(ctx, node);
  }
  const out = graph.outputs[0]!;
  const shape = ctx.shapes.get(out.name);
  if (!shape) throw new UserError(`${graph.path}: graph output "${out.name}" is not computed from the input`);
  return { input: graph.input, output: { name: out.name, shape }, ops: ctx.ops, shapes: ctx.shapes };
}
