/**
 * The lowered float graph: ONNX nodes rewritten into the few primitives zkinfer can prove
 * (linear layers, ReLU, shape-only ops), plus a float executor for it. The executor supplies
 * calibration statistics; onnxruntime remains the reference for what the model computes.
 */
import type { GraphInput } from '../onnx/onnx-graph.js';
import type { LinearSpec } from '../formats/linear-spec.js';
import { linearTerms } from '../formats/linear-spec.js';
import { evalUnary, UnaryAttrs, UnaryFn } from './unary-functions.js';
import type { DivideOp, ProductOp, SoftmaxOp } from './products-float.js';
import { runProductFloat } from './products-float.js';
import type { TreesOp } from './trees-float.js';
import { runTreesFloat } from './trees-float.js';
import type { GatherIndexOp, TopKOp } from './index-float.js';
import { gatherIndexFloat, topKFloat } from './index-float.js';

/** y = W·x + b over flattened tensors. */
export interface LinearOp {
  readonly kind: 'linear';
  readonly name: string;
  readonly input: string;
  readonly output: string;
  readonly spec: LinearSpec;
  readonly weight: Float64Array;
  bias: Float64Array;
}

/** y = max(x, 0). */
export interface ReluOp {
  readonly kind: 'relu';
  readonly name: string;
  readonly input: string;
  readonly output: string;
}

/** A shape change of a row-major tensor (Reshape, Flatten, Identity): data untouched. */
export interface ReshapeOp {
  readonly kind: 'reshape';
  readonly name: string;
  readonly input: string;
  readonly output: string;
}

/** Output j is the maximum of inputs index[offsets[j] .. offsets[j+1]) (MaxPool windows, ReduceMax). */
export interface MaxPoolOp {
  readonly kind: 'maxpool';
  readonly name: string;
  readonly input: string;
  readonly output: string;
  readonly offsets: number[];
  readonly index: number[];
  /** The minimum instead (ReduceMin): −max(−x), the negations being free. */
  readonly min?: boolean;
}

/** y = input + sign · other, two activations of the same shape. */
export interface AddOp {
  readonly kind: 'add';
  readonly name: string;
  readonly input: string;
  readonly other: string;
  readonly otherSign: 1 | -1;
  readonly output: string;
}

/** y = min(max(x, min), max); an absent bound is unbounded (Clip). */
export interface ClampOp {
  readonly kind: 'clamp';
  readonly name: string;
  readonly input: string;
  readonly output: string;
  readonly min: number | null;
  readonly max: number | null;
}

/** y = x if x ≥ 0 else alpha · x. */
export interface LeakyReluOp {
  readonly kind: 'leakyRelu';
  readonly name: string;
  readonly input: string;
  readonly output: string;
  readonly alpha: number;
}

/**
 * y[i] = x[perm[i]]: every data-movement op (Transpose, Slice, Gather, Pad, Tile, Resize
 * nearest, …). A negative index reads the constant fill[i] instead (padding, constant
 * operands of Concat), so the op costs no constraints.
 */
export interface PermuteOp {
  readonly kind: 'permute';
  readonly name: string;
  readonly input: string;
  readonly output: string;
  readonly perm: number[];
  /** Constants for the outputs whose perm entry is negative (same length as perm). */
  readonly fill?: number[];
}

/** The flat concatenation of `input` and `others` in that order (Concat of activations). */
export interface ConcatOp {
  readonly kind: 'concat';
  readonly name: string;
  readonly input: string;
  readonly others: string[];
  readonly output: string;
}

/** y = f(x) elementwise for a univariate function, proven by exact table (unary-functions.ts). */
export interface UnaryOp {
  readonly kind: 'unary';
  readonly name: string;
  readonly input: string;
  readonly output: string;
  readonly fn: UnaryFn;
  readonly attrs: UnaryAttrs;
  /** Per-element constant (Pow's exponent, PRelu's slope), already broadcast; absent for the others. */
  readonly param?: Float64Array;
}

/** An operand of a comparison or selection: an activation of the output's shape, or one constant per output element. */
export type Operand = { readonly tensor: string } | { readonly constant: Float64Array };

/** Elementwise max/min of two operands, or a 0/1 comparison (Equal, Less, LessOrEqual, Greater, GreaterOrEqual). */
export interface BinaryOp {
  readonly kind: 'binary';
  readonly name: string;
  /** The first activation operand (every op reads at least one). */
  readonly input: string;
  readonly output: string;
  readonly op: 'max' | 'min' | 'eq' | 'lt' | 'le' | 'gt' | 'ge';
  readonly a: Operand;
  readonly b: Operand;
}

/** cond ? x : y elementwise (Where); cond is a 0/1 tensor (comparison, logic op, bool input) or a constant. */
export interface WhereOp {
  readonly kind: 'where';
  readonly name: string;
  readonly input: string;
  readonly output: string;
  readonly cond: Operand;
  readonly x: Operand;
  readonly y: Operand;
  /**
   * The constant branches are integers (logic ops, ArgMax indices, OneHot 0/1): all-constant
   * branches stay at scale 1, so the result is again a 0/1 (or integer) tensor at frac 0.
   */
  readonly integral?: boolean;
}

/** Bitwise and/or/xor of two integer operands (two's complement; BitwiseAnd/Or/Xor). */
export interface BitwiseOp {
  readonly kind: 'bitwise';
  readonly name: string;
  readonly input: string;
  readonly output: string;
  readonly op: 'and' | 'or' | 'xor';
  readonly a: Operand;
  readonly b: Operand;
}

/**
 * y = x / d for integer constants d ≠ 0 (Div, Mean), proven as an exact division; `trunc`: integer
 * Div, rounded toward zero.
 */
export interface DivConstOp {
  readonly kind: 'divConst';
  readonly name: string;
  readonly input: string;
  readonly output: string;
  readonly divisor: Float64Array;
  readonly trunc?: boolean;
}

/** Any lowered op. */
export type FloatOp =
  | LinearOp
  | ReluOp
  | ReshapeOp
  | MaxPoolOp
  | AddOp
  | ClampOp
  | LeakyReluOp
  | PermuteOp
  | ConcatOp
  | UnaryOp
  | BinaryOp
  | WhereOp
  | BitwiseOp
  | DivConstOp
  | ProductOp
  | DivideOp
  | SoftmaxOp
  | TreesOp
  | GatherIndexOp
  | TopKOp;

/** Every activation an op reads, `input` first. */
export function opInputs(op: FloatOp): string[] {
  const fromOperands = (...os: Operand[]) => os.flatMap((o) => ('tensor' in o ? [o.tensor] : []));
  switch (op.kind) {
    case 'add':
      return [op.input, op.other];
    case 'product':
    case 'divide':
      return op.other === op.input ? [op.input] : [op.input, op.other];
    case 'concat':
      return [op.input, ...op.others];
    case 'binary':
    case 'bitwise':
      return [op.input, ...fromOperands(op.a, op.b).filter((t) => t !== op.input)];
    case 'where':
      return [op.input, ...fromOperands(op.cond, op.x, op.y).filter((t) => t !== op.input)];
    case 'gatherIndex':
      return 'tensor' in op.data && op.data.tensor !== op.input ? [op.input, op.data.tensor] : [op.input];
    // No default: a new kind must say whether it reads a second activation.
    case 'linear':
    case 'relu':
    case 'reshape':
    case 'maxpool':
    case 'clamp':
    case 'leakyRelu':
    case 'permute':
    case 'unary':
    case 'divConst':
    case 'softmax':
    case 'trees':
    case 'topk':
      return [op.input];
  }
}

function operandValues(values: ReadonlyMap<string, Float64Array>, o: Operand): Float64Array {
  return 'tensor' in o ? values.get(o.tensor)! : o.constant;
}

function binaryFloat(op: BinaryOp['op'], a: number, b: number): number {
  switch (op) {
    case 'max':
      return Math.max(a, b);
    case 'min':
      return Math.min(a, b);
    case 'eq':
      return a === b ? 1 : 0;
    case 'lt':
      return a < b ? 1 : 0;
    case 'le':
      return a <= b ? 1 : 0;
    case 'gt':
      return a > b ? 1 : 0;
    case 'ge':
      return a >= b ? 1 : 0;
  }
}

/** a op b on integers in two's complement (BigInt's operators are exact at any width). */
export function bitwiseNumber(op: BitwiseOp['op'], a: number, b: number): number {
  const [x, y] = [BigInt(Math.trunc(a)), BigInt(Math.trunc(b))];
  return Number(op === 'and' ? x & y : op === 'or' ? x | y : x ^ y);
}

/** A Softmax or LogSoftmax removed from the end of the graph, to be applied outside the circuit. */
export interface DroppedFinal {
  readonly op: 'Softmax' | 'LogSoftmax';
  /** Normalized axis. */
  readonly axis: number;
  /** Opset < 13 semantics: normalize over the flattened block of dims [axis, rank). */
  readonly coerce2d: boolean;
}

/** A lowered graph with one (possibly joined) input and one output. */
export interface FloatGraph {
  readonly input: { name: string; shape: number[] };
  /** The graph inputs, consecutive slices of `input` in this order (just `input` when there is one). */
  readonly inputs: ReadonlyArray<GraphInput>;
  readonly output: { name: string; shape: number[] };
  readonly ops: FloatOp[];
  readonly shapes: Map<string, number[]>;
  /** Softmax/LogSoftmax dropped from the end of the graph (argmax is unchanged by them). */
  readonly droppedFinal?: DroppedFinal;
}

/** An op's output in float64 from its input `x` and the tensors computed so far. */
export type FloatSemantics<K extends FloatOp['kind']> = (
  op: Extract<FloatOp, { kind: K }>,
  x: Float64Array,
  values: ReadonlyMap<string, Float64Array>,
) => Float64Array;

function linearFloat(op: LinearOp, x: Float64Array): Float64Array {
  const t = linearTerms(op.spec);
  const y = new Float64Array(t.nOut);
  for (let j = 0; j < t.nOut; j++) {
    let acc = op.bias[t.biasIndex[j]!]!;
    for (let k = t.offsets[j]!; k < t.offsets[j + 1]!; k++) acc += op.weight[t.weightIndex[k]!]! * x[t.inputIndex[k]!]!;
    y[j] = acc;
  }
  return y;
}

function poolFloat(op: MaxPoolOp, x: Float64Array): Float64Array {
  const y = new Float64Array(op.offsets.length - 1);
  const pick = op.min ? Math.min : Math.max;
  for (let j = 0; j < y.length; j++) {
    let m = x[op.index[op.offsets[j]!]!]!;
    for (let k = op.offsets[j]! + 1; k < op.offsets[j + 1]!; k++) m = pick(m, x[op.index[k]!]!);
    y[j] = m;
  }
  return y;
}

function concatFloat(parts: Float64Array[]): Float64Array {
  const y = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    y.set(p, at);
    at += p.length;
  }
  return y;
}

/** The float semantics of every lowered op kind (what calibration and fidelity run). */
export const FLOAT_SEMANTICS: { readonly [K in FloatOp['kind']]: FloatSemantics<K> } = {
  linear: (op, x) => linearFloat(op, x),
  relu: (_op, x) => x.map((v) => (v > 0 ? v : 0)),
  reshape: (_op, x) => x,
  maxpool: (op, x) => poolFloat(op, x),
  add: (op, x, values) => {
    const o = values.get(op.other)!;
    return x.map((v, i) => v + op.otherSign * o[i]!);
  },
  clamp: (op, x) => x.map((v) => clampFloat(v, op.min, op.max)),
  leakyRelu: (op, x) => x.map((v) => (v >= 0 ? v : op.alpha * v)),
  permute: (op, x) => Float64Array.from(op.perm, (i, k) => (i < 0 ? op.fill![k]! : x[i]!)),
  unary: (op, x) => x.map((v, i) => evalUnary(op.fn, v, op.attrs, op.param?.[i] ?? 0)),
  binary: (op, _x, values) => {
    const a = operandValues(values, op.a);
    const b = operandValues(values, op.b);
    return a.map((v, i) => binaryFloat(op.op, v, b[i]!));
  },
  where: (op, _x, values) => {
    const [c, xs, ys] = [op.cond, op.x, op.y].map((o) => operandValues(values, o)) as [
      Float64Array,
      Float64Array,
      Float64Array,
    ];
    return c.map((v, i) => (v !== 0 ? xs[i]! : ys[i]!));
  },
  bitwise: (op, _x, values) => {
    const b = operandValues(values, op.b);
    return operandValues(values, op.a).map((v, i) => bitwiseNumber(op.op, v, b[i]!));
  },
  divConst: (op, x) => x.map((v, i) => (op.trunc ? Math.trunc(v / op.divisor[i]!) : v / op.divisor[i]!)),
  product: (op, x, values) => runProductFloat(op, x, values.get(op.other)!),
  divide: (op, x, values) => runProductFloat(op, x, values.get(op.other)!),
  softmax: (op, x) => runProductFloat(op, x, x),
  concat: (op, x, values) => concatFloat([x, ...op.others.map((o) => values.get(o)!)]),
  trees: (op, x) => runTreesFloat(op, x),
  gatherIndex: (op, x, values) =>
    gatherIndexFloat(op, x, 'tensor' in op.data ? values.get(op.data.tensor)! : op.data.constant),
  topk: (op, x) => topKFloat(op, x),
};

/** Runs the lowered graph in float64, returning every tensor by name. */
export function runFloatGraph(g: FloatGraph, input: Float64Array): Map<string, Float64Array> {
  const values = new Map<string, Float64Array>([[g.input.name, input]]);
  splitInput(g.inputs, input, (name, part) => values.set(name, part));
  for (const op of g.ops) {
    // The cast only restates that the table is keyed by kind.
    const run = FLOAT_SEMANTICS[op.kind] as FloatSemantics<FloatOp['kind']>;
    values.set(op.output, run(op as never, values.get(op.input)!, values));
  }
  return values;
}

/** ONNX Clip: max first, then min, so min > max yields max everywhere. */
export function clampFloat(v: number, min: number | null, max: number | null): number {
  const a = min !== null && v < min ? min : v;
  return max !== null && a > max ? max : a;
}

/** Calls `use` with each graph input's slice of the flat input vector. */
export function splitInput<T extends ArrayLike<unknown> & { slice(a: number, b: number): T }>(
  parts: ReadonlyArray<{ name: string; shape: number[] }>,
  flat: T,
  use: (name: string, part: T) => void,
): void {
  let at = 0;
  for (const p of parts) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    use(p.name, flat.slice(at, at + n));
    at += n;
  }
}
