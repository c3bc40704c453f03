/**
 * Logic, index and cast lowerings on computed tensors: And/Or/Xor/Not, ArgMax/ArgMin, OneHot
 * and Cast/CastLike. None needs a new primitive. A boolean tensor is a 0/1 integer at scale 1
 * (comparisons, bool graph inputs — range-checked to [0, 1] — and these ops keep it so), and
 * every logic op is a selection by such a bit (`where`, one product each):
 *   And(a, b) = a ? b : 0    Or(a, b) = a ? 1 : b    Not(a) = a ? 0 : 1    Xor(a, b) = a ? ¬b : b
 * The quantizer refuses a `where` whose condition is not proven 0/1, so a logic op on a
 * non-boolean tensor cannot slip through. ArgMax/ArgMin fold the comparisons of
 * circuits/argmax.ts (s = [x_k > m], m ← s ? x_k : m, i ← s ? k : i) out of the same
 * primitives, at the same cost (comparator + 2 products per step). The Bitwise family on
 * integer tensors is the one new primitive (`bitwise`, circuits/bitwise.ts).
 */
import type { OnnxNode } from '../../onnx/onnx-graph.js';
import { elemTypeName } from '../../onnx/tensor.js';
import type { Operand } from '../float-ir.js';
import {
  activationShape,
  attrNum,
  constInput,
  emit,
  LowerContext,
  Lowering,
  nodeError,
  normAxis,
  size,
  stridesOf,
} from '../lower-context.js';
import { firstTensor, operand, outputShape } from './comparisons.js';
import { elemTypeOf } from './products.js';

const FLOAT_TYPES = new Set(['FLOAT', 'DOUBLE', 'FLOAT16', 'BFLOAT16']);
const INT_TYPES = new Set(['INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64']);

const fill = (n: number, v: number): Operand => ({ constant: new Float64Array(n).fill(v) });

/** Emits an integral `where` (constant branches kept at scale 1) and returns its output as an operand. */
function select(
  ctx: LowerContext,
  node: OnnxNode,
  parts: { cond: Operand; x: Operand; y: Operand },
  output: string,
  shape: number[],
  name = node.name,
): Operand {
  const input = firstTensor(node, parts.cond, parts.x, parts.y);
  emit(ctx, { kind: 'where', name, input, output, ...parts, integral: true }, shape);
  return { tensor: output };
}

/** Not(a) = a ? 0 : 1. */
function not(ctx: LowerContext, node: OnnxNode, a: Operand, output: string, shape: number[], name?: string): Operand {
  const n = size(shape);
  return select(ctx, node, { cond: a, x: fill(n, 0), y: fill(n, 1) }, output, shape, name);
}

/** And, Or, Xor of two broadcast booleans. */
function logic(op: 'and' | 'or' | 'xor'): Lowering {
  return (ctx, node) => {
    const shape = outputShape(ctx, node, node.inputs.slice(0, 2));
    const n = size(shape);
    const a = operand(ctx, node, node.inputs[0]!, shape, 'a');
    const b = operand(ctx, node, node.inputs[1]!, shape, 'b');
    const out = node.outputs[0]!;
    // A constant first operand cannot be the condition when the second is computed: swap (all three commute).
    const [c, o] = 'constant' in a && 'tensor' in b ? [b, a] : [a, b];
    if (op === 'and') select(ctx, node, { cond: c, x: o, y: fill(n, 0) }, out, shape);
    else if (op === 'or') select(ctx, node, { cond: c, x: fill(n, 1), y: o }, out, shape);
    else {
      const notO =
        'constant' in o
          ? { constant: o.constant.map((v) => (v !== 0 ? 0 : 1)) }
          : not(ctx, node, o, `${out}::not`, shape, `${node.name}::not`);
      select(ctx, node, { cond: c, x: notO, y: o }, out, shape);
    }
  };
}

/** BitwiseAnd/Or/Xor of two broadcast integer tensors (circuits/bitwise.ts). */
function bitwise(op: 'and' | 'or' | 'xor'): Lowering {
  return (ctx, node) => {
    const shape = outputShape(ctx, node, node.inputs.slice(0, 2));
    const a = operand(ctx, node, node.inputs[0]!, shape, 'a');
    const b = operand(ctx, node, node.inputs[1]!, shape, 'b');
    const input = firstTensor(node, a, b);
    emit(ctx, { kind: 'bitwise', name: node.name, input, output: node.outputs[0]!, op, a, b }, shape);
  };
}

const UNSIGNED_WIDTH: Record<string, number> = { UINT8: 8, UINT16: 16, UINT32: 32 };

/** BitwiseNot: x xor all-ones at the type's width (−1 for signed types, 2^W − 1 for unsigned ones). */
function bitwiseNot(ctx: LowerContext, node: OnnxNode): void {
  const x = node.inputs[0]!;
  const shape = activationShape(ctx, node);
  const type = elemTypeOf(ctx, x);
  if (type === 'UINT64') throw nodeError(node, 'BitwiseNot of UINT64 (2^64 − 1 − x) has no exact fixed-point value');
  const ones = type in UNSIGNED_WIDTH ? 2 ** UNSIGNED_WIDTH[type]! - 1 : -1;
  const b = fill(size(shape), ones);
  emit(
    ctx,
    { kind: 'bitwise', name: node.name, input: x, output: node.outputs[0]!, op: 'xor', a: { tensor: x }, b },
    shape,
  );
}

/** Flat input index of (outer o, position k along the axis, inner i). */
function axisIndex(shape: readonly number[], axis: number): (o: number, k: number, i: number) => number {
  const len = shape[axis]!;
  const inner = stridesOf(shape)[axis]!;
  return (o, k, i) => (o * len + k) * inner + i;
}

/**
 * ArgMax/ArgMin along `axis`: a left fold over the axis with a strict comparison (the first
 * extremum wins) or, with select_last_index, a non-strict one (the last wins), as ONNX says.
 */
function argExtremum(min: boolean): Lowering {
  return (ctx, node) => {
    const x = node.inputs[0]!;
    const shape = activationShape(ctx, node);
    const axis = normAxis(node, attrNum(node, 'axis', 0), shape.length);
    const keep = attrNum(node, 'keepdims', 1) === 1;
    const last = attrNum(node, 'select_last_index', 0) === 1;
    const outShape = keep ? shape.map((d, i) => (i === axis ? 1 : d)) : shape.filter((_, i) => i !== axis);
    const out = node.outputs[0]!;
    const len = shape[axis]!;
    const inner = stridesOf(shape)[axis]!;
    const outer = size(shape.slice(0, axis));
    const at = axisIndex(shape, axis);
    const n = outer * inner;
    const slice = (k: number): string => {
      const target = `${out}::slice-${k}`;
      const perm = Array.from({ length: n }, (_, j) => at(Math.floor(j / inner), k, j % inner));
      emit(ctx, { kind: 'permute', name: `${node.name}::slice-${k}`, input: x, output: target, perm }, outShape);
      return target;
    };
    if (len === 1) {
      // One candidate: index 0 everywhere (a constant fill, no constraint).
      const perm = new Array<number>(n).fill(-1);
      emit(
        ctx,
        { kind: 'permute', name: node.name, input: x, output: out, perm, fill: new Array(n).fill(0) },
        outShape,
      );
      return;
    }
    // x_k wins over the running extremum m when x_k > m (first index) or x_k ≥ m (last index); mirrored for min.
    const cmp = min ? (last ? 'le' : 'lt') : last ? 'ge' : 'gt';
    let m = slice(0);
    let index: Operand = fill(n, 0);
    for (let k = 1; k < len; k++) {
      const xk = slice(k);
      const s = `${out}::wins-${k}`;
      const tag = `${node.name}::${k}`;
      emit(
        ctx,
        { kind: 'binary', name: `${tag}-cmp`, input: xk, output: s, op: cmp, a: { tensor: xk }, b: { tensor: m } },
        outShape,
      );
      index = select(
        ctx,
        node,
        { cond: { tensor: s }, x: fill(n, k), y: index },
        k === len - 1 ? out : `${out}::index-${k}`,
        outShape,
        k === len - 1 ? node.name : `${tag}-index`,
      );
      if (k === len - 1) break;
      const nextM = `${out}::best-${k}`;
      emit(
        ctx,
        {
          kind: 'where',
          name: `${tag}-best`,
          input: s,
          output: nextM,
          cond: { tensor: s },
          x: { tensor: xk },
          y: { tensor: m },
        },
        outShape,
      );
      m = nextM;
    }
  };
}

/**
 * OneHot with constant depth and values: output[…, j, …] = on if index = j or index = j − depth
 * (negative indices count from the end), else off — one equality per output element (two for
 * signed indices). An index outside [−depth, depth − 1] matches nothing, so its row is all
 * `off`, exactly as ONNX specifies; no range proof is needed.
 */
function oneHot(ctx: LowerContext, node: OnnxNode): void {
  const idx = node.inputs[0]!;
  const inShape = activationShape(ctx, node);
  const depthT = constInput(ctx, node, 1);
  const depth = Math.trunc(depthT.data[0]!);
  if (depthT.data.length !== 1 || !(depth >= 1)) throw nodeError(node, 'depth must be one positive number');
  const values = constInput(ctx, node, 2).data;
  if (values.length !== 2) throw nodeError(node, 'values must hold [off_value, on_value]');
  const [off, on] = [values[0]!, values[1]!];
  const axis = normAxis(node, attrNum(node, 'axis', -1), inShape.length + 1);
  const shape = [...inShape.slice(0, axis), depth, ...inShape.slice(axis)];
  const n = size(shape);
  const inner = size(inShape.slice(axis));
  const out = node.outputs[0]!;
  // Output element e = (o, j, i) reads index (o, i) and compares it with j.
  const perm = Array.from({ length: n }, (_, e) => Math.floor(e / (depth * inner)) * inner + (e % inner));
  const js = Float64Array.from({ length: n }, (_, e) => Math.floor(e / inner) % depth);
  const gathered = `${out}::index`;
  emit(ctx, { kind: 'permute', name: `${node.name}::index`, input: idx, output: gathered, perm }, shape);
  const plain = off === 0 && on === 1;
  const signed = !/^UINT|^BOOL$/.test(elemTypeOf(ctx, idx));
  const hit = plain && !signed ? out : `${out}::hit`;
  const eq = (target: string, name: string, c: Float64Array) =>
    emit(
      ctx,
      { kind: 'binary', name, input: gathered, output: target, op: 'eq', a: { tensor: gathered }, b: { constant: c } },
      shape,
    );
  eq(signed ? `${out}::hit-pos` : hit, `${node.name}::eq`, js);
  let cond: Operand = { tensor: signed ? `${out}::hit-pos` : hit };
  if (signed) {
    const neg = `${out}::hit-neg`;
    eq(
      neg,
      `${node.name}::eq-neg`,
      js.map((j) => j - depth),
    );
    const target = plain ? out : hit;
    cond = select(
      ctx,
      node,
      { cond, x: fill(n, 1), y: { tensor: neg } },
      target,
      shape,
      plain ? node.name : `${node.name}::or`,
    );
  }
  if (plain) return;
  const integral = Number.isInteger(off) && Number.isInteger(on);
  emit(
    ctx,
    { kind: 'where', name: node.name, input: hit, output: out, cond, x: fill(n, on), y: fill(n, off), integral },
    shape,
  );
}

/** The target element type of a Cast or CastLike. */
function castTarget(ctx: LowerContext, node: OnnxNode): string {
  if (node.opType === 'Cast') {
    const to = node.attrs['to'];
    return typeof to === 'string' ? to : elemTypeName(typeof to === 'number' ? to : 1);
  }
  const like = node.inputs[1] ?? '';
  return ctx.consts.get(like)?.dataType ?? elemTypeOf(ctx, like);
}

/**
 * Cast of a computed tensor. To a float type: unchanged. To an integer type: ONNX truncation
 * toward zero, an exact integer division by 1 at the tensor's scale (`divConst` with `trunc`):
 * free for a value already at scale 1 (comparisons, logic, ArgMax, integer inputs), a proven
 * truncation otherwise. Out-of-range values are not wrapped or saturated (ONNX leaves float →
 * integer overflow undefined). To BOOL: x ≠ 0, i.e. Not(x = 0), unless x is already boolean.
 */
function cast(ctx: LowerContext, node: OnnxNode): void {
  const x = node.inputs[0]!;
  const shape = activationShape(ctx, node);
  const out = node.outputs[0]!;
  const to = castTarget(ctx, node);
  const from = elemTypeOf(ctx, x);
  if (FLOAT_TYPES.has(to) || (to === 'BOOL' && from === 'BOOL')) {
    emit(ctx, { kind: 'reshape', name: node.name, input: x, output: out }, shape);
    return;
  }
  const n = size(shape);
  if (INT_TYPES.has(to)) {
    const divisor = new Float64Array(n).fill(1);
    emit(ctx, { kind: 'divConst', name: node.name, input: x, output: out, divisor, trunc: true }, shape);
    return;
  }
  if (to !== 'BOOL') throw nodeError(node, `cast of a computed value to ${to} is not supported`);
  const zero = `${out}::is-zero`;
  emit(
    ctx,
    {
      kind: 'binary',
      name: `${node.name}::is-zero`,
      input: x,
      output: zero,
      op: 'eq',
      a: { tensor: x },
      b: { constant: new Float64Array(n) },
    },
    shape,
  );
  not(ctx, node, { tensor: zero }, out, shape);
}

/** Logic, index and cast lowerings. */
export const LOGIC_LOWERINGS: Record<string, Lowering> = {
  And: logic('and'),
  Or: logic('or'),
  Xor: logic('xor'),
  Not(ctx, node) {
    const shape = activationShape(ctx, node);
    not(ctx, node, { tensor: node.inputs[0]! }, node.outputs[0]!, shape);
  },
  BitwiseAnd: bitwise('and'),
  BitwiseOr: bitwise('or'),
  BitwiseXor: bitwise('xor'),
  BitwiseNot: bitwiseNot,
  ArgMax: argExtremum(false),
  ArgMin: argExtremum(true),
  OneHot: oneHot,
  Cast: cast,
  CastLike: cast,
};
