/**
 * Resize and Upsample in every mode. Each output element is a fixed weighted sum of input
 * elements (nearest: one element; linear: 2 per axis; cubic: 4 per axis, more with
 * antialias), computed per axis as in the ONNX reference and multiplied across axes. Nearest
 * lowers to a permute (free wiring); linear and cubic to a sparse linear layer with constant
 * weights (free apart from the requantization of its outputs).
 */
import type { OnnxNode } from '../../onnx/onnx-graph.js';
import {
  activationShape,
  attrInts,
  attrNum,
  attrStr,
  constInput,
  emit,
  LowerContext,
  Lowering,
  nodeError,
  normAxis,
  optionalConst,
  size,
  stridesOf,
} from '../lower-context.js';
import { sparseSpec } from '../../formats/linear-spec.js';

/** The taps of one output coordinate along one axis, or a constant when it extrapolates. */
type Taps = { readonly idx: number[]; readonly w: number[] } | { readonly extrapolate: true };

interface ResizeParams {
  readonly shape: number[];
  readonly scales: number[];
  readonly roi: number[] | undefined;
}

/** Output sizes, scales and region of interest of Resize/Upsample, per axis. */
function resizeParams(ctx: LowerContext, node: OnnxNode, inShape: number[]): ResizeParams {
  const r = inShape.length;
  let scales: number[] | undefined;
  let sizes: number[] | undefined;
  let roi: number[] | undefined;
  if (node.opType === 'Upsample')
    scales = ctx.graph.opset < 9 ? attrInts(node, 'scales', []) : Array.from(constInput(ctx, node, 1).data);
  else if (ctx.graph.opset < 11) scales = Array.from(constInput(ctx, node, 1).data);
  else {
    const ro = optionalConst(ctx, node, 1);
    if (ro && ro.data.length > 0) roi = Array.from(ro.data);
    const sc = optionalConst(ctx, node, 2);
    const sz = optionalConst(ctx, node, 3);
    if (sc && sc.data.length > 0) scales = Array.from(sc.data);
    else if (sz && sz.data.length > 0) sizes = Array.from(sz.data);
    else throw nodeError(node, 'needs scales or sizes');
  }
  const axes = attrInts(node, 'axes', []).map((a) => normAxis(node, a, r));
  const ax = axes.length > 0 ? axes : inShape.map((_, i) => i);
  const outScales = inShape.map(() => 1);
  const shape = [...inShape];
  const policy = attrStr(node, 'keep_aspect_ratio_policy', 'stretch');
  if (sizes && policy !== 'stretch') {
    const ratios = ax.map((a, j) => sizes![j]! / inShape[a]!);
    const s = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
    for (const a of ax) {
      outScales[a] = s;
      shape[a] = Math.floor(s * inShape[a]! + 0.5);
    }
  } else {
    ax.forEach((a, j) => {
      shape[a] = sizes ? sizes[j]! : Math.floor(inShape[a]! * scales![j]!);
      outScales[a] = sizes ? sizes[j]! / inShape[a]! : scales![j]!;
    });
  }
  if (shape.some((d) => d <= 0)) throw nodeError(node, `zero-size output ${JSON.stringify(shape)} is not supported`);
  // A roi given for `axes` only is spread over every axis (the others keep the full range).
  const fullRoi =
    roi && roi.length === 2 * ax.length && ax.length < r
      ? [
          ...inShape.map((_, i) => (ax.includes(i) ? roi[ax.indexOf(i)]! : 0)),
          ...inShape.map((_, i) => (ax.includes(i) ? roi[ax.length + ax.indexOf(i)]! : 1)),
        ]
      : roi;
  return { shape, scales: outScales, roi: fullRoi };
}

/** Input coordinate of output coordinate x, or undefined when tf_crop_and_resize extrapolates. */
function originalCoordinate(
  node: OnnxNode,
  mode: string,
  x: number,
  scale: number,
  inLen: number,
  outLen: number,
  outInt: number,
  roiStart: number,
  roiEnd: number,
): number | undefined {
  switch (mode) {
    case 'half_pixel':
      return (x + 0.5) / scale - 0.5;
    case 'pytorch_half_pixel':
      return outLen > 1 ? (x + 0.5) / scale - 0.5 : 0;
    case 'align_corners':
      return outLen === 1 ? 0 : (x * (inLen - 1)) / (outLen - 1);
    case 'asymmetric':
      return x / scale;
    case 'tf_half_pixel_for_nn':
      return (x + 0.5) / scale;
    case 'half_pixel_symmetric': {
      const adj = outInt / outLen;
      return (inLen / 2) * (1 - adj) + (x + 0.5) / scale - 0.5;
    }
    case 'tf_crop_and_resize': {
      const c =
        outLen > 1
          ? roiStart * (inLen - 1) + (x * (roiEnd - roiStart) * (inLen - 1)) / (outLen - 1)
          : 0.5 * (roiStart + roiEnd) * (inLen - 1);
      return c < 0 || c > inLen - 1 ? undefined : c;
    }
    default:
      throw nodeError(node, `coordinate_transformation_mode "${mode}" is not supported`);
  }
}

function nearestIndex(node: OnnxNode, s: number, rounding: string): number {
  switch (rounding) {
    case 'round_prefer_floor':
      return s - Math.floor(s) === 0.5 ? Math.floor(s) : Math.round(s);
    case 'round_prefer_ceil':
      return Math.round(s);
    case 'floor':
      return Math.floor(s);
    case 'ceil':
      return Math.ceil(s);
    default:
      throw nodeError(node, `nearest_mode "${rounding}" is not supported`);
  }
}

function cubicKernel(x: number, A: number): number {
  const a = Math.abs(x);
  if (a <= 1) return (A + 2) * a ** 3 - (A + 3) * a ** 2 + 1;
  if (a < 2) return A * a ** 3 - 5 * A * a ** 2 + 8 * A * a - 4 * A;
  return 0;
}

/** Interpolation weights for offsets start.. from the base index, ratio ∈ (0, 1] (ONNX reference). */
function kernelWeights(
  mode: string,
  ratio: number,
  scale: number,
  antialias: boolean,
  A: number,
): { start: number; w: number[] } {
  const s = antialias ? Math.min(scale, 1) : 1;
  if (mode === 'linear') {
    if (!antialias || scale >= 1) return { start: 0, w: [1 - ratio, ratio] };
    const start = Math.floor(-1 / s) + 1;
    const w = Array.from({ length: 2 - 2 * start }, (_, i) =>
      Math.min(Math.max(1 - Math.abs((start + i - ratio) * s), 0), 1),
    );
    const sum = w.reduce((a, b) => a + b, 0);
    return { start, w: w.map((v) => v / sum) };
  }
  if (!antialias || scale >= 1) return { start: -1, w: [-1, 0, 1, 2].map((i) => cubicKernel(i - ratio, A)) };
  const start = Math.floor(-2 / s) + 1;
  const w = Array.from({ length: 2 - 2 * start }, (_, i) => cubicKernel(s * (start + i - ratio), A));
  const sum = w.reduce((a, b) => a + b, 0);
  return { start, w: w.map((v) => v / sum) };
}

/** The taps of every output coordinate along one axis. */
function axisTaps(
  node: OnnxNode,
  p: { mode: string; coord: string; rounding: string; antialias: boolean; A: number; exclude: boolean },
  inLen: number,
  outLen: number,
  scale: number,
  roi: [number, number],
): Taps[] {
  return Array.from({ length: outLen }, (_, x): Taps => {
    // As in the ONNX reference, the coordinate formulas use the unrounded output length.
    const c = originalCoordinate(node, p.coord, x, scale, inLen, scale * inLen, outLen, roi[0], roi[1]);
    if (c === undefined) return { extrapolate: true };
    if (p.mode === 'nearest')
      return { idx: [Math.min(Math.max(nearestIndex(node, c, p.rounding), 0), inLen - 1)], w: [1] };
    let base = Math.floor(c);
    let ratio = c - base;
    if (ratio === 0) {
      base -= 1;
      ratio = 1;
    }
    const { start, w } = kernelWeights(p.mode, ratio, scale, p.antialias, p.A);
    const raw = w.map((_, i) => base + start + i);
    let weights = w;
    if (p.exclude) {
      weights = w.map((v, i) => (raw[i]! < 0 || raw[i]! >= inLen ? 0 : v));
      const sum = weights.reduce((a, b) => a + b, 0);
      weights = weights.map((v) => v / sum);
    }
    // Outside the input the reference pads with the edge value.
    return { idx: raw.map((i) => Math.min(Math.max(i, 0), inLen - 1)), w: weights };
  });
}

const resize: Lowering = (ctx, node) => {
  const inShape = activationShape(ctx, node);
  const r = inShape.length;
  const legacy = node.opType === 'Upsample' || ctx.graph.opset < 11;
  const rawMode = attrStr(node, 'mode', 'nearest');
  const mode = rawMode === 'bilinear' || rawMode === 'trilinear' ? 'linear' : rawMode;
  if (!['nearest', 'linear', 'cubic'].includes(mode)) throw nodeError(node, `mode "${rawMode}" is not supported`);
  const p = {
    mode,
    coord: legacy ? 'asymmetric' : attrStr(node, 'coordinate_transformation_mode', 'half_pixel'),
    rounding: legacy ? 'floor' : attrStr(node, 'nearest_mode', 'round_prefer_floor'),
    antialias: attrNum(node, 'antialias', 0) === 1,
    A: attrNum(node, 'cubic_coeff_a', -0.75),
    exclude: attrNum(node, 'exclude_outside', 0) === 1,
  };
  const { shape, scales, roi } = resizeParams(ctx, node, inShape);
  const taps = shape.map((len, a) =>
    axisTaps(node, p, inShape[a]!, len, scales[a]!, [roi?.[a] ?? 0, roi?.[a + r] ?? 1]),
  );
  const fill = attrNum(node, 'extrapolation_value', 0);
  const inSt = stridesOf(inShape);
  // Each output: Σ over the taps of every axis of the product of weights, the outermost axis
  // applied last, so an extrapolating outer axis yields the constant whatever the inner ones do.
  const outputs: Array<{ terms: Map<number, number>; constant: number }> = [];
  const pos = new Array<number>(r).fill(0);
  const expand = (d: number, flat: number): { terms: Map<number, number>; constant: number } => {
    if (d === r) return { terms: new Map([[flat, 1]]), constant: 0 };
    const t = taps[d]![pos[d]!]!;
    if ('extrapolate' in t) return { terms: new Map(), constant: fill };
    const acc = { terms: new Map<number, number>(), constant: 0 };
    t.idx.forEach((i, k) => {
      const sub = expand(d + 1, flat + i * inSt[d]!);
      for (const [j, v] of sub.terms) acc.terms.set(j, (acc.terms.get(j) ?? 0) + t.w[k]! * v);
      acc.constant += t.w[k]! * sub.constant;
    });
    return acc;
  };
  for (let k = 0; k < size(shape); k++) {
    const o = expand(0, 0);
    for (const [j, v] of o.terms) if (v === 0) o.terms.delete(j);
    outputs.push(o);
    for (let d = r - 1; d >= 0; d--) {
      if (++pos[d]! < shape[d]!) break;
      pos[d] = 0;
    }
  }
  const base = { name: node.name, input: node.inputs[0]!, output: node.outputs[0]! };
  const single = outputs.every(
    (o) => (o.terms.size === 1 && [...o.terms.values()][0] === 1 && o.constant === 0) || o.terms.size === 0,
  );
  if (single) {
    const perm = outputs.map((o) => (o.terms.size === 0 ? -1 : [...o.terms.keys()][0]!));
    const hasFill = perm.some((i) => i < 0);
    emit(ctx, { kind: 'permute', ...base, perm, ...(hasFill ? { fill: outputs.map((o) => o.constant) } : {}) }, shape);
    return;
  }
  // One weight and one bias per output: weights are the interpolation coefficients.
  const weight: number[] = [];
  const spec = sparseSpec(
    size(inShape),
    0,
    outputs.length,
    outputs.map((o, j) => {
      const inputs = [...o.terms.keys()];
      const weights = inputs.map((i) => {
        weight.push(o.terms.get(i)!);
        return weight.length - 1;
      });
      return { inputs, weights, bias: j };
    }),
  );
  emit(
    ctx,
    {
      kind: 'linear',
      ...base,
      spec: { ...spec, nWeights: weight.length },
      weight: Float64Array.from(weight),
      bias: Float64Array.from(outputs, (o) => o.constant),
    },
    shape,
  );
};

/** Resize and the older Upsample. */
export const RESIZE_LOWERINGS: Record<string, Lowering> = { Resize: resize, Upsample: resize };
