/**
 * Lowerings of 2-D convolution and pooling over NCHW tensors with N = 1. Conv becomes the
 * conv2d linear spec; AveragePool a sparse linear layer whose weights are 1/count (the
 * division is folded into the weights, so it is free in the circuit and exact whenever the
 * count is a power of two); MaxPool a window-maximum op.
 */
import type { OnnxNode } from '../onnx/load-onnx.js';
import { quote } from '../errors.js';
import { MAX_WINDOW } from '../onnx/validate-onnx.js';
import { activationShape, attrInts, attrNum, attrStr, constInput, emit, LowerContext, Lowering, nodeError, optionalConst } from './lower-context.js';
import type { Conv2dSpec } from './linear-spec.js';
import { Geometry, sparseSpec } from './linear-spec.js';


function nchw(ctx: LowerContext, node: OnnxNode): [number, number, number] {
  const s = activationShape(ctx, node);
  if (s.length !== 4) throw nodeError(node, `only 2-D (NCHW) inputs are supported, got shape ${JSON.stringify(s)}`);
  if (s[0] !== 1) throw nodeError(node, `batch size must be 1, got ${s[0]}`);
  return [s[1]!, s[2]!, s[3]!];
}

/** Resolves kernel, strides, dilations, padding (explicit or auto_pad) and output size per ONNX. */
export function windowGeometry(node: OnnxNode, inH: number, inW: number, kernel: [number, number]): Geometry {
  const strides = attrInts(node, 'strides', [1, 1]) as [number, number];
  const dilations = attrInts(node, 'dilations', [1, 1]) as [number, number];
  const ceil = attrNum(node, 'ceil_mode', 0) === 1;
  const autoPad = attrStr(node, 'auto_pad', 'NOTSET');
  if (strides.length !== 2 || dilations.length !== 2) throw nodeError(node, 'strides and dilations must have two entries (2-D only)');
  const ins = [inH, inW];
  const pads = [0, 0, 0, 0] as [number, number, number, number];
  const out = [0, 0];
  for (let d = 0; d < 2; d++) {
    const span = (kernel[d]! - 1) * dilations[d]! + 1;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      out[d] = Math.ceil(ins[d]! / strides[d]!);
      const total = Math.max(0, (out[d]! - 1) * strides[d]! + span - ins[d]!);
      const begin = autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2);
      pads[d] = begin;
      pads[d + 2] = total - begin;
      continue;
    }
    if (autoPad === 'NOTSET') {
      const p = attrInts(node, 'pads', [0, 0, 0, 0]);
      if (p.length !== 4) throw nodeError(node, 'pads must have four entries (2-D only)');
      pads[d] = p[d]!;
      pads[d + 2] = p[d + 2]!;
    } else if (autoPad !== 'VALID') throw nodeError(node, `unknown auto_pad ${quote(autoPad)}`);
    const room = ins[d]! + pads[d]! + pads[d + 2]! - span;
    if (room < 0) throw nodeError(node, 'the kernel is larger than the padded input');
    out[d] = (ceil ? Math.ceil(room / strides[d]!) : Math.floor(room / strides[d]!)) + 1;
    // A last window starting inside the end padding is dropped (ONNX and PyTorch ceil_mode rule).
    if (ceil && (out[d]! - 1) * strides[d]! >= ins[d]! + pads[d]!) out[d]!--;
  }
  return { kernel, strides, dilations, pads, outHeight: out[0]!, outWidth: out[1]! };
}

function kernelOf(node: OnnxNode, dflt?: number[]): [number, number] {
  const k = attrInts(node, 'kernel_shape', dflt ?? []);
  if (k.length !== 2) throw nodeError(node, `kernel_shape must have two entries (2-D only), got ${JSON.stringify(k)}`);
  if (k.some((d) => !Number.isInteger(d) || d < 1 || d > MAX_WINDOW)) throw nodeError(node, `kernel_shape ${JSON.stringify(k)} must be integers in 1..${MAX_WINDOW}`);
  return [k[0]!, k[1]!];
}

/** For each output (channel-major), the flat input indices of its window and the count divisor. */
function windows(channels: number, H: number, W: number, g: Geometry, includePad: boolean): Array<{ inputs: number[]; count: number }> {
  const out = [];
  const [pt, pl, pb, pr] = g.pads;
  for (let c = 0; c < channels; c++) {
    for (let oy = 0; oy < g.outHeight; oy++) {
      for (let ox = 0; ox < g.outWidth; ox++) {
        const inputs: number[] = [];
        let padded = 0;
        for (let ky = 0; ky < g.kernel[0]; ky++) {
          const y = oy * g.strides[0] - pt + ky * g.dilations[0];
          for (let kx = 0; kx < g.kernel[1]; kx++) {
            const x = ox * g.strides[1] - pl + kx * g.dilations[1];
            if (y >= -pt && y < H + pb && x >= -pl && x < W + pr) padded++;
            if (y >= 0 && y < H && x >= 0 && x < W) inputs.push((c * H + y) * W + x);
          }
        }
        out.push({ inputs, count: includePad ? padded : inputs.length });
      }
    }
  }
  return out;
}

function noExtraOutputs(node: OnnxNode): void {
  if (node.outputs.filter((o) => o !== '').length > 1) throw nodeError(node, 'optional second output (indices) is not supported');
}

function maxPool(ctx: LowerContext, node: OnnxNode, global: boolean): void {
  const [C, H, W] = nchw(ctx, node);
  noExtraOutputs(node);
  const g = global ? windowGeometry({ ...node, attrs: {} }, H, W, [H, W]) : windowGeometry(node, H, W, kernelOf(node));
  const offsets = [0];
  const index: number[] = [];
  for (const w of windows(C, H, W, g, false)) {
    if (w.inputs.length === 0) throw nodeError(node, 'a pooling window lies entirely in the padding');
    index.push(...w.inputs);
    offsets.push(index.length);
  }
  emit(ctx, { kind: 'maxpool', name: node.name, input: node.inputs[0]!, output: node.outputs[0]!, offsets, index }, [1, C, g.outHeight, g.outWidth]);
}

function averagePool(ctx: LowerContext, node: OnnxNode, global: boolean): void {
  const [C, H, W] = nchw(ctx, node);
  const g = global ? windowGeometry({ ...node, attrs: {} }, H, W, [H, W]) : windowGeometry(node, H, W, kernelOf(node));
  const ws = windows(C, H, W, g, attrNum(node, 'count_include_pad', 0) === 1);
  if (ws.some((w) => w.count === 0)) throw nodeError(node, 'a pooling window lies entirely in the padding');
  // One weight per output (1/count): the divisor differs at borders when padding is excluded.
  const spec = sparseSpec(C * H * W, ws.length, ws.length, ws.map((w, j) => ({ inputs: w.inputs, weights: w.inputs.map(() => j), bias: j })));
  const weight = Float64Array.from(ws, (w) => 1 / w.count);
  emit(ctx, { kind: 'linear', name: node.name, input: node.inputs[0]!, output: node.outputs[0]!, spec, weight, bias: new Float64Array(ws.length) }, [1, C, g.outHeight, g.outWidth]);
}

/** Convolution and pooling lowerings. */
export const CONV_LOWERINGS: Record<string, Lowering> = {
  Conv(ctx, node) {
    const [C, H, W] = nchw(ctx, node);
    const w = constInput(ctx, node, 1);
    if (attrNum(node, 'group', 1) !== 1) throw nodeError(node, `group ${attrNum(node, 'group', 1)} is not supported (only group = 1)`);
    if (w.dims.length !== 4 || w.dims[1] !== C) throw nodeError(node, `weight shape ${JSON.stringify(w.dims)} does not match ${C} input channels (2-D convolution)`);
    const M = w.dims[0]!;
    const g = windowGeometry(node, H, W, kernelOf(node, w.dims.slice(2)));
    if (g.kernel[0] !== w.dims[2] || g.kernel[1] !== w.dims[3]) throw nodeError(node, 'kernel_shape does not match the weight shape');
    const b = optionalConst(ctx, node, 2);
    if (b && b.data.length !== M) throw nodeError(node, `bias has ${b.data.length} elements, expected ${M}`);
    const spec: Conv2dSpec = { type: 'conv2d', inChannels: C, inHeight: H, inWidth: W, outChannels: M, ...g };
    emit(ctx, { kind: 'linear', name: node.name, input: node.inputs[0]!, output: node.outputs[0]!, spec, weight: Float64Array.from(w.data), bias: b ? Float64Array.from(b.data) : new Float64Array(M) }, [1, M, g.outHeight, g.outWidth]);
  },
  MaxPool: (ctx, node) => maxPool(ctx, node, false),
  GlobalMaxPool: (ctx, node) => maxPool(ctx, node, true),
  AveragePool: (ctx, node) => averagePool(ctx, node, false),
  GlobalAveragePool: (ctx, node) => averagePool(ctx, node, true),
};
