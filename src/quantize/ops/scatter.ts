/**
 * ScatterElements (reduction none or add), composed of existing ops. With constant indices it is
 * wiring (none: each output is a data or an update element) or a free sum (add). With computed
 * indices each update u gets a one-hot hit row H[u, j] = [norm(idx_u) = j] over its axis (a
 * gatherIndex of a constant identity, so the indicators are shared like any gather's), and
 *   add:  y_e = data_e + Σ_u H[u, e_axis] · upd_u
 *   none: y_e = data_e + Σ_u H[u, e_axis] · (upd_u − data_e)
 * over the updates u whose other coordinates are e's: products of two activations, free linear
 * maps where a side is constant. With `none`, duplicate indices (which ONNX leaves undefined) sum
 * their replacements. mul / max / min are refused by name.
 */
import type { OnnxNode } from '../../onnx/onnx-graph.js';
import type { ConstTensor } from '../../onnx/tensor.js';
import { sparseSpec } from '../../formats/linear-spec.js';
import type { FloatOp } from '../float-ir.js';
import {
  activationShape,
  attrNum,
  attrStr,
  ConstFold,
  constInput,
  elementwiseAffine,
  emit,
  LowerContext,
  Lowering,
  mapIndex,
  nodeError,
  normAxis,
  stridesOf,
} from '../lower-context.js';

type Side = { tensor: string } | { constant: Float64Array };

interface Geometry {
  readonly shape: number[];
  readonly axis: number;
  readonly dim: number;
  /** Per update u: the flat data position with the axis coordinate set to 0. */
  readonly rowBase: number[];
  readonly stride: number;
  readonly nData: number;
  readonly nUpd: number;
}

function side(ctx: LowerContext, node: OnnxNode, i: number): { s: Side; shape: number[] } {
  const c = ctx.consts.get(node.inputs[i] ?? '');
  if (c) return { s: { constant: Float64Array.from(c.data) }, shape: c.dims };
  return { s: { tensor: node.inputs[i]! }, shape: activationShape(ctx, node, i) };
}

function geometry(node: OnnxNode, shape: number[], idxShape: number[]): Geometry {
  if (idxShape.length !== shape.length) throw nodeError(node, 'indices must have the rank of the data');
  const axis = normAxis(node, attrNum(node, 'axis', 0), shape.length);
  if (idxShape.some((d, i) => i !== axis && d > shape[i]!))
    throw nodeError(node, `indices ${JSON.stringify(idxShape)} exceed the data ${JSON.stringify(shape)}`);
  const st = stridesOf(shape);
  const rowBase = mapIndex(idxShape, (pos) => pos.reduce((a, p, i) => a + (i === axis ? 0 : p * st[i]!), 0));
  return {
    shape,
    axis,
    dim: shape[axis]!,
    rowBase,
    stride: st[axis]!,
    nData: shape.reduce((a, b) => a * b, 1),
    nUpd: rowBase.length,
  };
}

function reduction(node: OnnxNode): 'none' | 'add' {
  const r = attrStr(node, 'reduction', 'none');
  if (r !== 'none' && r !== 'add') throw nodeError(node, `reduction "${r}" is not supported (only none and add)`);
  return r;
}

/** Target of each update for constant indices. */
function targets(node: OnnxNode, g: Geometry, idx: ArrayLike<number>): number[] {
  return g.rowBase.map((b, u) => {
    const v = idx[u]!;
    if (!Number.isInteger(v) || v < -g.dim || v >= g.dim) throw nodeError(node, `index ${v} out of range`);
    return b + (v < 0 ? v + g.dim : v) * g.stride;
  });
}

/** A constant side's element (an activation side's entries are wired, never filled). */
const value = (s: Side, i: number) => ('constant' in s ? s.constant[i]! : 0);

/** Constant indices: wiring (none) or a free sum (add). */
function scatterConstant(ctx: LowerContext, node: OnnxNode, data: Side, upd: Side, g: Geometry, t: number[]): void {
  const out = node.outputs[0]!;
  const base = { name: node.name, output: out };
  const inD = 'tensor' in data;
  const inU = 'tensor' in upd;
  if (!inD && !inU) throw nodeError(node, 'is constant');
  // Flat input: data then updates when both are activations, else the one activation.
  let input: string;
  if (inD && inU) {
    input = `${node.name}::joined`;
    emit(ctx, { kind: 'concat', name: `${node.name}:join`, input: data.tensor, others: [upd.tensor], output: input }, [
      g.nData + g.nUpd,
    ]);
  } else input = inD ? (data as { tensor: string }).tensor : (upd as { tensor: string }).tensor;
  const dAt = (e: number) => (inD ? e : -1);
  const uAt = (u: number) => (inU ? (inD ? g.nData + u : u) : -1);
  if (reduction(node) === 'none') {
    const src = new Array<number>(g.nData).fill(-1);
    t.forEach((e, u) => (src[e] = u));
    const perm = src.map((u, e) => (u < 0 ? dAt(e) : uAt(u)));
    const fill = src.map((u, e) => (u < 0 ? value(data, e) : value(upd, u)));
    emit(ctx, { kind: 'permute', ...base, input, perm, ...(perm.some((p) => p < 0) ? { fill } : {}) }, g.shape);
    return;
  }
  const terms = Array.from({ length: g.nData }, (_, e) => ({ inputs: inD ? [e] : [], bias: e }));
  const bias = Float64Array.from({ length: g.nData }, (_, e) => ('constant' in data ? data.constant[e]! : 0));
  t.forEach((e, u) => {
    if (inU) terms[e]!.inputs.push(uAt(u));
    else bias[e] = bias[e]! + (upd as { constant: Float64Array }).constant[u]!;
  });
  const nIn = inD && inU ? g.nData + g.nUpd : inD ? g.nData : g.nUpd;
  const spec = sparseSpec(
    nIn,
    1,
    g.nData,
    terms.map((o) => ({ inputs: o.inputs, weights: o.inputs.map(() => 0), bias: o.bias })),
  );
  emit(ctx, { kind: 'linear', ...base, input, spec, weight: Float64Array.of(1), bias }, g.shape);
}

/** Computed indices: one-hot hit rows, then products (or free maps) per output element. */
interface Pair {
  readonly u: number;
  readonly j: number;
  readonly e: number;
}

/** H[u, j] = [norm(idx_u) = j] for every update u and axis position j: a gatherIndex of an identity. */
function emitHits(ctx: LowerContext, node: OnnxNode, g: Geometry, hit: string): Pair[] {
  const eye = new Float64Array(g.dim * g.dim);
  for (let j = 0; j < g.dim; j++) eye[j * g.dim + j] = 1;
  const pairs = g.rowBase.flatMap((b, u) => Array.from({ length: g.dim }, (_, j) => ({ u, j, e: b + j * g.stride })));
  const op: FloatOp = {
    kind: 'gatherIndex',
    name: `${node.name}:hit`,
    input: node.inputs[1]!,
    output: hit,
    data: { constant: eye },
    axisDim: g.dim,
    axisStride: g.dim,
    base: pairs.map((p) => p.j),
    indexOf: pairs.map((p) => p.u),
  };
  emit(ctx, op, [pairs.length]);
  return pairs;
}

function scatterComputed(ctx: LowerContext, node: OnnxNode, data: Side, upd: Side, g: Geometry): void {
  const hit = `${node.name}::hit`;
  const pairs = emitHits(ctx, node, g, hit);
  const none = reduction(node) === 'none';
  const byE = Array.from({ length: g.nData }, () => [] as number[]);
  pairs.forEach((p, k) => byE[p.e]!.push(k));
  const order = byE.flat();
  const offsets = [0];
  for (const ks of byE) offsets.push(offsets[offsets.length - 1]! + ks.length);
  const sum = `${node.name}::sum`;
  const dConst = 'constant' in data ? data.constant : undefined;
  const dTensor = 'tensor' in data ? data.tensor : undefined;
  if (!('tensor' in upd) && (!none || dConst)) {
    // The replacement per pair is a constant: a free linear map of the hits.
    const w = Float64Array.from(pairs, (p) => upd.constant[p.u]! - (none ? dConst![p.e]! : 0));
    const spec = sparseSpec(
      pairs.length,
      pairs.length,
      1,
      byE.map((ks) => ({ inputs: ks, weights: ks, bias: 0 })),
    );
    emit(
      ctx,
      { kind: 'linear', name: `${node.name}:sum`, input: hit, output: sum, spec, weight: w, bias: Float64Array.of(0) },
      g.shape,
    );
  } else {
    let other: string;
    if (!none) other = (upd as { tensor: string }).tensor;
    else {
      other = `${node.name}::diff`;
      emitDifference(ctx, node, other, upd, data, pairs);
    }
    const bIndex = none ? order : order.map((k) => pairs[k]!.u);
    const op: FloatOp = {
      kind: 'product',
      name: `${node.name}:sum`,
      input: hit,
      other,
      output: sum,
      offsets,
      aIndex: order,
      bIndex,
    };
    emit(ctx, op, g.shape);
  }
  const out = node.outputs[0]!;
  if (dTensor)
    emit(ctx, { kind: 'add', name: node.name, input: sum, other: dTensor, otherSign: 1, output: out }, g.shape);
  else {
    const id = Array.from({ length: g.nData }, (_, e) => e);
    emit(
      ctx,
      elementwiseAffine(
        node.name,
        sum,
        out,
        g.nData,
        id,
        new Float64Array(g.nData).fill(1),
        Float64Array.from(dConst!),
      ),
      g.shape,
    );
  }
}

/** upd_u − data_e per pair, with at least one side an activation. */
function emitDifference(
  ctx: LowerContext,
  node: OnnxNode,
  output: string,
  upd: Side,
  data: Side,
  pairs: ReadonlyArray<{ u: number; e: number }>,
): void {
  const n = pairs.length;
  const name = `${node.name}:diff`;
  if ('tensor' in upd && 'tensor' in data) {
    const pu = `${node.name}::pu`;
    const pd = `${node.name}::pd`;
    emit(ctx, { kind: 'permute', name: `${name}u`, input: upd.tensor, output: pu, perm: pairs.map((p) => p.u) }, [n]);
    emit(ctx, { kind: 'permute', name: `${name}d`, input: data.tensor, output: pd, perm: pairs.map((p) => p.e) }, [n]);
    emit(ctx, { kind: 'add', name, input: pu, other: pd, otherSign: -1, output }, [n]);
    return;
  }
  const [t, src, scale, shift] =
    'tensor' in upd
      ? [upd.tensor, pairs.map((p) => p.u), 1, pairs.map((p) => -(data as { constant: Float64Array }).constant[p.e]!)]
      : [(data as { tensor: string }).tensor, pairs.map((p) => p.e), -1, pairs.map((p) => upd.constant[p.u]!)];
  const nIn = ctx.shapes.get(t)!.reduce((a, b) => a * b, 1);
  emit(ctx, elementwiseAffine(name, t, output, nIn, src, new Float64Array(n).fill(scale), Float64Array.from(shift)), [
    n,
  ]);
}

const lowerScatter: Lowering = (ctx, node) => {
  const { s: data, shape } = side(ctx, node, 0);
  const { s: upd, shape: uShape } = side(ctx, node, 2);
  const g = geometry(node, shape, uShape);
  const idx = ctx.consts.get(node.inputs[1] ?? '');
  if (idx) scatterConstant(ctx, node, data, upd, g, targets(node, g, idx.data));
  else {
    if (JSON.stringify(activationShape(ctx, node, 1)) !== JSON.stringify(uShape))
      throw nodeError(node, 'indices and updates must have the same shape');
    scatterComputed(ctx, node, data, upd, g);
  }
};

const foldScatter: ConstFold = (ctx, node) => {
  const d = constInput(ctx, node, 0);
  const u = constInput(ctx, node, 2);
  const g = geometry(node, d.dims, u.dims);
  const add = reduction(node) === 'add';
  const y = Float64Array.from(d.data);
  targets(node, g, constInput(ctx, node, 1).data).forEach((e, k) => (y[e] = add ? y[e]! + u.data[k]! : u.data[k]!));
  const out: ConstTensor = { dims: d.dims, data: y, dataType: d.dataType };
  return out;
};

/** ScatterElements on activations (data, updates or indices computed). */
export const SCATTER_LOWERINGS: Record<string, Lowering> = { ScatterElements: lowerScatter };

/** ScatterElements on constants. */
export const SCATTER_CONST_FOLDS: Record<string, ConstFold> = { ScatterElements: foldScatter };
