/**
 * Compile-time arithmetic on constants (numpy broadcasting, ONNX element-type rules): what
 * is left of a shape subgraph after Shape/Gather/Concat (Add/Mul/Div on sizes, Equal/Where
 * on -1 placeholders, Cast to INT64, ReduceProd of dims) is evaluated here, never proven.
 */
import type { OnnxNode } from '../../onnx/onnx-graph.js';
import { ConstTensor, elemTypeName } from '../../onnx/tensor.js';
import {
  attrInts,
  attrNum,
  broadcastIndex,
  broadcastShape,
  ConstFold,
  constInput,
  LowerContext,
  nodeError,
  normAxis,
  size,
  stridesOf,
} from '../lower-context.js';

const CASTABLE = new Set([
  'FLOAT',
  'DOUBLE',
  'FLOAT16',
  'BFLOAT16',
  'BOOL',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
]);
const INT_TYPES = new Set(['INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64']);

/** Converts a value to an ONNX element type (truncation for integers, float32 rounding). */
export function castValue(v: number, type: string): number {
  if (type === 'BOOL') return v !== 0 ? 1 : 0;
  if (type === 'FLOAT') return Math.fround(v);
  if (INT_TYPES.has(type)) return Math.trunc(v);
  return v;
}

function operands(ctx: LowerContext, node: OnnxNode): ConstTensor[] {
  return node.inputs
    .map((_, i) => i)
    .filter((i) => node.inputs[i] !== '')
    .map((i) => constInput(ctx, node, i));
}

/** Elementwise op over any number of broadcast operands. */
function nary(node: OnnxNode, xs: ConstTensor[], f: (v: number[]) => number, type: string): ConstTensor {
  let shape: number[] = [];
  for (const x of xs) shape = broadcastShape(node, shape, x.dims);
  const idx = xs.map((x) => broadcastIndex(x.dims, shape));
  const data = new Float64Array(size(shape));
  for (let k = 0; k < data.length; k++) data[k] = castValue(f(xs.map((x, j) => x.data[idx[j]![k]!]!)), type);
  return { dims: shape, data, dataType: type };
}

function elementwise(f: (v: number[], type: string) => number, resultType?: string): ConstFold {
  return (ctx, node) => {
    const xs = operands(ctx, node);
    const type = resultType ?? xs[0]!.dataType;
    return nary(node, xs, (v) => f(v, type), type);
  };
}

const isInt = (t: string) => INT_TYPES.has(t);

function reduce(f: (vals: number[]) => number): ConstFold {
  return (ctx, node) => {
    const x = constInput(ctx, node, 0);
    const fromInput = ctx.graph.opset >= 18 || (node.opType === 'ReduceSum' && ctx.graph.opset >= 13);
    const axesRaw = fromInput
      ? node.inputs[1]
        ? Array.from(constInput(ctx, node, 1).data)
        : []
      : attrInts(node, 'axes', []);
    const noop = attrNum(node, 'noop_with_empty_axes', 0) === 1;
    if (axesRaw.length === 0 && noop) return x;
    const axes = axesRaw.length ? axesRaw.map((a) => normAxis(node, a, x.dims.length)) : x.dims.map((_, i) => i);
    const keep = attrNum(node, 'keepdims', 1) === 1;
    const outFull = x.dims.map((d, i) => (axes.includes(i) ? 1 : d));
    const groups = new Array<number[]>(size(outFull)).fill([]).map(() => [] as number[]);
    const st = stridesOf(outFull);
    const pos = new Array<number>(x.dims.length).fill(0);
    for (let k = 0; k < x.data.length; k++) {
      let o = 0;
      for (let i = 0; i < pos.length; i++) if (!axes.includes(i)) o += pos[i]! * st[i]!;
      groups[o]!.push(x.data[k]!);
      for (let i = pos.length - 1; i >= 0; i--) {
        if (++pos[i]! < x.dims[i]!) break;
        pos[i] = 0;
      }
    }
    const dims = keep ? outFull : x.dims.filter((_, i) => !axes.includes(i));
    return { dims, data: Float64Array.from(groups, (g) => castValue(f(g), x.dataType)), dataType: x.dataType };
  };
}

function castTo(node: OnnxNode, to: number | string): string {
  const t = typeof to === 'string' ? to : elemTypeName(to);
  if (!CASTABLE.has(t)) throw nodeError(node, `cast to ${t} is not supported`);
  return t;
}

/** Arithmetic, comparison, logic, Cast and reductions on constants. */
export const ARITH_CONST_FOLDS: Record<string, ConstFold> = {
  Add: elementwise(([a, b]) => a! + b!),
  Sub: elementwise(([a, b]) => a! - b!),
  Mul: elementwise(([a, b]) => a! * b!),
  Div: elementwise(([a, b], t) => (isInt(t) ? Math.trunc(a! / b!) : a! / b!)),
  Mod(ctx, node) {
    const fmod = attrNum(node, 'fmod', 0) === 1;
    return elementwise(([a, b]) => (fmod ? a! % b! : a! - b! * Math.floor(a! / b!)))(ctx, node);
  },
  Pow: elementwise(([a, b]) => a! ** b!),
  Neg: elementwise(([a]) => -a!),
  Abs: elementwise(([a]) => Math.abs(a!)),
  Sign: elementwise(([a]) => Math.sign(a!)),
  Floor: elementwise(([a]) => Math.floor(a!)),
  Ceil: elementwise(([a]) => Math.ceil(a!)),
  Sqrt: elementwise(([a]) => Math.sqrt(a!)),
  Reciprocal: elementwise(([a]) => 1 / a!),
  // Trigonometric and hyperbolic functions of constants (positional encodings): folded, never proven.
  Sin: elementwise(([a]) => Math.sin(a!)),
  Cos: elementwise(([a]) => Math.cos(a!)),
  Tan: elementwise(([a]) => Math.tan(a!)),
  Asin: elementwise(([a]) => Math.asin(a!)),
  Acos: elementwise(([a]) => Math.acos(a!)),
  Atan: elementwise(([a]) => Math.atan(a!)),
  Sinh: elementwise(([a]) => Math.sinh(a!)),
  Cosh: elementwise(([a]) => Math.cosh(a!)),
  Asinh: elementwise(([a]) => Math.asinh(a!)),
  Acosh: elementwise(([a]) => Math.acosh(a!)),
  Atanh: elementwise(([a]) => Math.atanh(a!)),
  Relu: elementwise(([a]) => Math.max(a!, 0)),
  Max: elementwise((v) => Math.max(...v)),
  Min: elementwise((v) => Math.min(...v)),
  Sum: elementwise((v) => v.reduce((a, b) => a + b, 0)),
  Mean: elementwise((v) => v.reduce((a, b) => a + b, 0) / v.length),
  Equal: elementwise(([a, b]) => Number(a === b), 'BOOL'),
  Less: elementwise(([a, b]) => Number(a! < b!), 'BOOL'),
  LessOrEqual: elementwise(([a, b]) => Number(a! <= b!), 'BOOL'),
  Greater: elementwise(([a, b]) => Number(a! > b!), 'BOOL'),
  GreaterOrEqual: elementwise(([a, b]) => Number(a! >= b!), 'BOOL'),
  Not: elementwise(([a]) => Number(!a), 'BOOL'),
  And: elementwise(([a, b]) => Number(Boolean(a) && Boolean(b)), 'BOOL'),
  Or: elementwise(([a, b]) => Number(Boolean(a) || Boolean(b)), 'BOOL'),
  Xor: elementwise(([a, b]) => Number(Boolean(a) !== Boolean(b)), 'BOOL'),
  Where(ctx, node) {
    const xs = operands(ctx, node);
    return nary(node, xs, ([c, a, b]) => (c ? a! : b!), xs[1]!.dataType);
  },
  Cast(ctx, node) {
    const x = constInput(ctx, node, 0);
    const t = castTo(node, attrNum(node, 'to', 1));
    return { dims: x.dims, data: x.data.map((v) => castValue(v, t)), dataType: t };
  },
  CastLike(ctx, node) {
    const x = constInput(ctx, node, 0);
    // A computed `like` input is an activation: a graph input's own type, else float.
    const like = node.inputs[1] ?? '';
    const t = castTo(
      node,
      ctx.consts.get(like)?.dataType ?? ctx.graph.inputs.find((i) => i.name === like)?.elemType ?? 'FLOAT',
    );
    return { dims: x.dims, data: x.data.map((v) => castValue(v, t)), dataType: t };
  },
  ReduceProd: reduce((g) => g.reduce((a, b) => a * b, 1)),
  ReduceSum: reduce((g) => g.reduce((a, b) => a + b, 0)),
  ReduceMax: reduce((g) => Math.max(...g)),
  ReduceMin: reduce((g) => Math.min(...g)),
};
