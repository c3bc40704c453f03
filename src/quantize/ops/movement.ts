/**
 * Data-movement ops: every output element is one input element or a constant, so in the
 * circuit they are wiring and cost no constraints. Each op is defined once, as a function
 * from the input shape to "which input element does output element k read"; the same
 * definition lowers an activation (a permute op) and folds a constant at compile time.
 * Concat, the one multi-input move, is in concat.ts.
 */
import type { OnnxNode } from '../../onnx/onnx-graph.js';
import type { ConstTensor } from '../../onnx/tensor.js';
import {
  activationShape,
  attrInts,
  attrNum,
  attrStr,
  broadcastIndex,
  broadcastShape,
  ConstFold,
  constInput,
  emit,
  intsFrom,
  LowerContext,
  Lowering,
  mapIndex,
  nodeError,
  normAxis,
  optionalConst,
  size,
  stridesOf,
} from '../lower-context.js';
import { flattenShape, reshapeTarget, transposeIndex } from './shape.js';

/** Where each output element comes from: an input index, or fill[k] where index[k] < 0. */
export interface Move {
  readonly index: number[];
  readonly shape: number[];
  readonly fill?: number[];
}

/** A data-movement op on its first input; several results for ops with several outputs (Split). */
export type MoveFn = (ctx: LowerContext, node: OnnxNode, inShape: number[]) => Move | Move[];

const identity = (shape: number[]): Move => ({ index: Array.from({ length: size(shape) }, (_, i) => i), shape });

/** The output shape, unless it has a zero-size dimension (not supported). */
export function nonEmpty(node: OnnxNode, shape: number[]): number[] {
  if (shape.some((d) => d === 0)) throw nodeError(node, `zero-size output ${JSON.stringify(shape)} is not supported`);
  return shape;
}

/** Axes of Squeeze/Unsqueeze/ReduceX: input 1 from opset 13 (18 for reductions), an attribute before. */
export function axesOf(ctx: LowerContext, node: OnnxNode, i = 1): number[] | undefined {
  return intsFrom(ctx, node, i, 'axes');
}

function squeeze(ctx: LowerContext, node: OnnxNode, inShape: number[]): Move {
  const axes = axesOf(ctx, node)?.map((a) => normAxis(node, a, inShape.length));
  for (const a of axes ?? [])
    if (inShape[a] !== 1) throw nodeError(node, `cannot squeeze axis ${a} of size ${inShape[a]}`);
  return identity(inShape.filter((d, i) => (axes ? !axes.includes(i) : d !== 1)));
}

function unsqueeze(ctx: LowerContext, node: OnnxNode, inShape: number[]): Move {
  const axes = axesOf(ctx, node);
  if (!axes) throw nodeError(node, 'missing axes');
  const rank = inShape.length + axes.length;
  const norm = axes.map((a) => normAxis(node, a, rank));
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(norm.includes(i) ? 1 : inShape[k++]!);
  return identity(out);
}

function slice(ctx: LowerContext, node: OnnxNode, inShape: number[]): Move {
  const old = ctx.graph.opset < 10;
  const starts = old ? attrInts(node, 'starts', []) : Array.from(constInput(ctx, node, 1).data);
  const ends = old ? attrInts(node, 'ends', []) : Array.from(constInput(ctx, node, 2).data);
  const axes = old ? attrInts(node, 'axes', []) : Array.from(optionalConst(ctx, node, 3)?.data ?? []);
  const steps = old ? [] : Array.from(optionalConst(ctx, node, 4)?.data ?? []);
  // ONNX types these INT32/INT64; a FLOAT constant onnxruntime refuses is read only when it holds integers
  // (zkinfer then proves without onnxruntime's float check, so nothing else would catch a fraction).
  for (const [what, v] of [
    ['starts', starts],
    ['ends', ends],
    ['axes', axes],
    ['steps', steps],
  ] as const) {
    const bad = v.find((x) => !Number.isInteger(x));
    if (bad !== undefined) throw nodeError(node, `${what} must be integers, found ${bad}`);
  }
  const begin = inShape.map(() => 0);
  const step = inShape.map(() => 1);
  const shape = [...inShape];
  starts.forEach((s0, j) => {
    const a = normAxis(node, axes[j] ?? j, inShape.length);
    const dim = inShape[a]!;
    const st = steps[j] ?? 1;
    if (st === 0) throw nodeError(node, 'slice step 0');
    let s = s0 < 0 ? s0 + dim : s0;
    let e = ends[j]! < 0 ? ends[j]! + dim : ends[j]!;
    if (st > 0) {
      s = Math.min(Math.max(s, 0), dim);
      e = Math.min(Math.max(e, 0), dim);
    } else {
      s = Math.min(Math.max(s, 0), dim - 1);
      e = Math.min(Math.max(e, -1), dim - 1);
    }
    begin[a] = s;
    step[a] = st;
    shape[a] = Math.max(0, Math.ceil((e - s) / st));
  });
  const inSt = stridesOf(inShape);
  const index = mapIndex(nonEmpty(node, shape), (pos) =>
    pos.reduce((acc, p, i) => acc + (begin[i]! + p * step[i]!) * inSt[i]!, 0),
  );
  return { index, shape };
}

function split(ctx: LowerContext, node: OnnxNode, inShape: number[]): Move[] {
  const axis = normAxis(node, attrNum(node, 'axis', 0), inShape.length);
  const dim = inShape[axis]!;
  const n = node.outputs.length;
  let sizes =
    ctx.graph.opset >= 13
      ? node.inputs[1]
        ? Array.from(constInput(ctx, node, 1).data)
        : undefined
      : (node.attrs['split'] as number[] | undefined);
  if (!sizes) {
    const parts = attrNum(node, 'num_outputs', n);
    const chunk = Math.ceil(dim / parts);
    sizes = Array.from({ length: parts }, (_, i) => Math.min(chunk, dim - chunk * i));
  }
  if (sizes.reduce((a, b) => a + b, 0) !== dim || sizes.length !== n)
    throw nodeError(
      node,
      `split sizes ${JSON.stringify(sizes)} do not cover axis ${axis} of size ${dim} in ${n} outputs`,
    );
  const inSt = stridesOf(inShape);
  let at = 0;
  return sizes.map((len) => {
    const shape = inShape.map((d, i) => (i === axis ? len : d));
    const offset = at;
    at += len;
    return {
      shape,
      index: mapIndex(nonEmpty(node, shape), (pos) =>
        pos.reduce((acc, p, i) => acc + (i === axis ? p + offset : p) * inSt[i]!, 0),
      ),
    };
  });
}

function gather(ctx: LowerContext, node: OnnxNode, inShape: number[]): Move {
  if (!ctx.consts.has(node.inputs[1] ?? ''))
    throw nodeError(
      node,
      'indices computed from the input (a data-dependent lookup) are not supported; only constant indices',
    );
  const idx = constInput(ctx, node, 1);
  const axis = normAxis(node, attrNum(node, 'axis', 0), inShape.length);
  const dim = inShape[axis]!;
  const q = idx.dims.length;
  const shape = [...inShape.slice(0, axis), ...idx.dims, ...inShape.slice(axis + 1)];
  const inSt = stridesOf(inShape);
  const idxSt = stridesOf(idx.dims);
  const index = mapIndex(nonEmpty(node, shape), (pos) => {
    let flat = 0;
    for (let i = 0; i < q; i++) flat += pos[axis + i]! * idxSt[i]!;
    let j = idx.data[flat]!;
    if (j < 0) j += dim;
    if (j < 0 || j >= dim) throw nodeError(node, `index ${idx.data[flat]} out of range for axis of size ${dim}`);
    let src = j * inSt[axis]!;
    for (let i = 0; i < axis; i++) src += pos[i]! * inSt[i]!;
    for (let i = axis + 1; i < inShape.length; i++) src += pos[i + q - 1]! * inSt[i]!;
    return src;
  });
  return { index, shape };
}

function gatherElements(ctx: LowerContext, node: OnnxNode, inShape: number[]): Move {
  if (!ctx.consts.has(node.inputs[1] ?? ''))
    throw nodeError(node, 'indices computed from the input are not supported; only constant indices');
  const idx = constInput(ctx, node, 1);
  const axis = normAxis(node, attrNum(node, 'axis', 0), inShape.length);
  if (idx.dims.length !== inShape.length) throw nodeError(node, 'indices must have the rank of the data');
  const inSt = stridesOf(inShape);
  let k = 0;
  const index = mapIndex(nonEmpty(node, idx.dims), (pos) => {
    let j = idx.data[k++]!;
    if (j < 0) j += inShape[axis]!;
    if (j < 0 || j >= inShape[axis]!) throw nodeError(node, `index ${j} out of range`);
    return pos.reduce((acc, p, i) => acc + (i === axis ? j : p) * inSt[i]!, 0);
  });
  return { index, shape: idx.dims };
}

function expand(ctx: LowerContext, node: OnnxNode, inShape: number[]): Move {
  const shape = broadcastShape(node, inShape, Array.from(constInput(ctx, node, 1).data));
  return { index: Array.from(broadcastIndex(inShape, nonEmpty(node, shape))), shape };
}

function tile(ctx: LowerContext, node: OnnxNode, inShape: number[]): Move {
  const reps = Array.from(constInput(ctx, node, 1).data);
  if (reps.length !== inShape.length)
    throw nodeError(node, `repeats has ${reps.length} entries, the input rank is ${inShape.length}`);
  const shape = inShape.map((d, i) => d * reps[i]!);
  const inSt = stridesOf(inShape);
  return {
    index: mapIndex(nonEmpty(node, shape), (pos) => pos.reduce((acc, p, i) => acc + (p % inShape[i]!) * inSt[i]!, 0)),
    shape,
  };
}

function pad(ctx: LowerContext, node: OnnxNode, inShape: number[]): Move {
  const r = inShape.length;
  const old = ctx.graph.opset < 11;
  const raw = old ? attrInts(node, 'pads', attrInts(node, 'paddings', [])) : Array.from(constInput(ctx, node, 1).data);
  const value = old ? attrNum(node, 'value', 0) : (optionalConst(ctx, node, 2)?.data[0] ?? 0);
  const axes = old ? undefined : optionalConst(ctx, node, 3)?.data;
  const mode = attrStr(node, 'mode', 'constant');
  const nAx = axes ? axes.length : r;
  if (raw.length !== 2 * nAx) throw nodeError(node, `pads has ${raw.length} entries, expected ${2 * nAx}`);
  const begin = new Array<number>(r).fill(0);
  const end = new Array<number>(r).fill(0);
  for (let j = 0; j < nAx; j++) {
    const a = axes ? normAxis(node, axes[j]!, r) : j;
    begin[a] = raw[j]!;
    end[a] = raw[j + nAx]!;
  }
  const shape = inShape.map((d, i) => d + begin[i]! + end[i]!);
  const inSt = stridesOf(inShape);
  if (!['constant', 'edge', 'reflect', 'wrap'].includes(mode))
    throw nodeError(node, `pad mode "${mode}" is not supported`);
  const index = mapIndex(nonEmpty(node, shape), (pos) => {
    let src = 0;
    for (let i = 0; i < r; i++) {
      const d = inShape[i]!;
      let p = pos[i]! - begin[i]!;
      if (p < 0 || p >= d) {
        if (mode === 'constant') return -1;
        if (mode === 'edge') p = Math.min(Math.max(p, 0), d - 1);
        else if (mode === 'wrap') p = ((p % d) + d) % d;
        else if (d === 1) p = 0;
        else {
          const period = 2 * (d - 1);
          p = ((p % period) + period) % period;
          if (p >= d) p = period - p;
        }
      }
      src += p * inSt[i]!;
    }
    return src;
  });
  return { index, shape, ...(index.some((i) => i < 0) ? { fill: index.map(() => value) } : {}) };
}

function blockMove(node: OnnxNode, inShape: number[], toSpace: boolean): Move {
  const b = attrNum(node, 'blocksize', 0);
  if (inShape.length !== 4 || b < 1) throw nodeError(node, 'needs a 4-D input and blocksize ≥ 1');
  const [N, C, H, W] = inShape as [number, number, number, number];
  const crd = attrStr(node, 'mode', 'DCR') === 'CRD';
  const inSt = stridesOf(inShape);
  if (toSpace) {
    if (C % (b * b) !== 0) throw nodeError(node, `channels ${C} not divisible by blocksize² ${b * b}`);
    const oc = C / (b * b);
    const shape = [N, oc, H * b, W * b];
    return {
      shape,
      index: mapIndex(shape, ([n, c, y, x]) => {
        const [i, j] = [y! % b, x! % b];
        const ic = crd ? c! * b * b + i * b + j : (i * b + j) * oc + c!;
        return n! * inSt[0]! + ic * inSt[1]! + Math.floor(y! / b) * inSt[2]! + Math.floor(x! / b);
      }),
    };
  }
  if (H % b !== 0 || W % b !== 0) throw nodeError(node, `spatial size ${H}×${W} not divisible by blocksize ${b}`);
  const shape = [N, C * b * b, H / b, W / b];
  return {
    shape,
    index: mapIndex(shape, ([n, oc, y, x]) => {
      const c = oc! % C;
      const blk = Math.floor(oc! / C);
      const [i, j] = [Math.floor(blk / b), blk % b];
      return n! * inSt[0]! + c * inSt[1]! + (y! * b + i) * inSt[2]! + x! * b + j;
    }),
  };
}

/** Every single-input data-movement op. */
export const MOVES: Record<string, MoveFn> = {
  Identity: (_ctx, _node, s) => identity(s),
  // Inference mode: Dropout passes its input through.
  Dropout: (_ctx, _node, s) => identity(s),
  Flatten: (_ctx, node, s) => identity(flattenShape(node, s)),
  Reshape(ctx, node, s) {
    const target = node.inputs[1] ? Array.from(constInput(ctx, node, 1).data) : attrInts(node, 'shape', []);
    return identity(reshapeTarget(node, s, target));
  },
  Transpose(_ctx, node, s) {
    const { perm, shape } = transposeIndex(node, s);
    return { index: perm, shape };
  },
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Slice: slice,
  Split: split,
  Gather: gather,
  GatherElements: gatherElements,
  Expand: expand,
  Tile: tile,
  Pad: pad,
  DepthToSpace: (_ctx, node, s) => blockMove(node, s, true),
  SpaceToDepth: (_ctx, node, s) => blockMove(node, s, false),
};

function isIdentity(m: Move, n: number): boolean {
  return !m.fill && m.index.length === n && m.index.every((v, i) => v === i);
}

function lowerMove(fn: MoveFn): Lowering {
  return (ctx, node) => {
    if (ctx.consts.has(node.inputs[0] ?? ''))
      throw nodeError(
        node,
        'a constant table indexed or shaped by a computed value (data-dependent lookup) is not supported',
      );
    const inShape = activationShape(ctx, node);
    const r = fn(ctx, node, inShape);
    const moves = Array.isArray(r) ? r : [r];
    moves.forEach((m, k) => {
      const output = node.outputs[k];
      if (!output) return;
      const name = moves.length > 1 ? `${node.name}:${k}` : node.name;
      const base = { name, input: node.inputs[0]!, output };
      if (isIdentity(m, size(inShape))) emit(ctx, { kind: 'reshape', ...base }, m.shape);
      else emit(ctx, { kind: 'permute', ...base, perm: m.index, ...(m.fill ? { fill: m.fill } : {}) }, m.shape);
    });
  };
}

function foldMove(fn: MoveFn): ConstFold {
  return (ctx, node) => {
    const c = constInput(ctx, node, 0);
    const r = fn(ctx, node, c.dims);
    const one = (m: Move): ConstTensor => ({
      dims: m.shape,
      data: Float64Array.from(m.index, (i, k) => (i < 0 ? m.fill![k]! : c.data[i]!)),
      dataType: c.dataType,
    });
    return Array.isArray(r) ? r.map(one) : one(r);
  };
}

/** Data movement on activations: permutes (free wiring). */
export const MOVEMENT_LOWERINGS: Record<string, Lowering> = {
  ...Object.fromEntries(Object.entries(MOVES).map(([op, fn]) => [op, lowerMove(fn)])),
};

/** The same ops on constants (Cast is folded with the arithmetic, which converts values; see logic.ts for activations). */
export const MOVEMENT_CONST_FOLDS: Record<string, ConstFold> = {
  ...Object.fromEntries(Object.entries(MOVES).map(([op, fn]) => [op, foldMove(fn)])),
};
