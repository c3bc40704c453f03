/**
 * Convolutions over [N, C, spatial…] tensors: 1-D to 3-D, grouped and depthwise, and
 * ConvTranspose. A 2-D group-1 Conv uses the conv2d linear spec; everything else lists its
 * terms explicitly (a sparse linear layer). Either way the layer is free in the circuit
 * apart from the requantization of its outputs.
 */
import type { OnnxNode } from '../../onnx/onnx-graph.js';
import {
  attrInts,
  attrNum,
  attrStr,
  constInput,
  emit,
  LowerContext,
  Lowering,
  nodeError,
  optionalConst,
  size,
} from '../lower-context.js';
import type { Conv2dSpec } from '../../formats/linear-spec.js';
import { sparseSpec } from '../../formats/linear-spec.js';
import { channelsAndSpatial, channelWindows, kernelOf, toGeometry2d, windowGeometryNd } from './window-geometry.js';

function biasOf(ctx: LowerContext, node: OnnxNode, M: number): Float64Array {
  const b = optionalConst(ctx, node, 2);
  if (b && b.data.length !== M) throw nodeError(node, `bias has ${b.data.length} elements, expected ${M}`);
  return b ? Float64Array.from(b.data) : new Float64Array(M);
}

function conv(ctx: LowerContext, node: OnnxNode): void {
  const { N, C, spatial } = channelsAndSpatial(ctx, node);
  const w = constInput(ctx, node, 1);
  const group = attrNum(node, 'group', 1);
  const r = spatial.length;
  if (w.dims.length !== r + 2 || C % group !== 0 || w.dims[1]! * group !== C || w.dims[0]! % group !== 0) {
    throw nodeError(
      node,
      `weight shape ${JSON.stringify(w.dims)} does not match ${C} input channels in ${group} group(s) (${r}-D convolution)`,
    );
  }
  const M = w.dims[0]!;
  const kernel = w.dims.slice(2);
  const g = windowGeometryNd(node, spatial, kernelOf(node, r, kernel));
  if (g.kernel.some((k, i) => k !== kernel[i])) throw nodeError(node, 'kernel_shape does not match the weight shape');
  const bias = biasOf(ctx, node, M);
  const base = {
    kind: 'linear' as const,
    name: node.name,
    input: node.inputs[0]!,
    output: node.outputs[0]!,
    weight: Float64Array.from(w.data),
    bias,
  };
  if (r === 2 && group === 1 && N === 1) {
    const spec: Conv2dSpec = {
      type: 'conv2d',
      inChannels: C,
      inHeight: spatial[0]!,
      inWidth: spatial[1]!,
      outChannels: M,
      ...toGeometry2d(g),
    };
    emit(ctx, { ...base, spec }, [1, M, ...g.out]);
    return;
  }
  const cg = C / group;
  const mg = M / group;
  const n = size(spatial);
  const nTap = size(kernel);
  const windows = channelWindows(spatial, g);
  const outputs = [];
  for (let b = 0; b < N; b++) {
    for (let m = 0; m < M; m++) {
      const c0 = b * C + Math.floor(m / mg) * cg;
      for (const win of windows) {
        const inputs: number[] = [];
        const weights: number[] = [];
        for (let c = 0; c < cg; c++) {
          win.inputs.forEach((i, t) => {
            inputs.push((c0 + c) * n + i);
            weights.push((m * cg + c) * nTap + win.taps[t]!);
          });
        }
        outputs.push({ inputs, weights, bias: m });
      }
    }
  }
  emit(ctx, { ...base, spec: sparseSpec(N * C * n, w.data.length, M, outputs) }, [N, M, ...g.out]);
}

/**
 * ConvTranspose's output geometry: strides, dilations, the pads actually applied (derived from
 * output_shape or SAME_* auto_pad when given) and the output spatial size.
 */
function transposeGeometry(
  node: OnnxNode,
  spatial: number[],
  kernel: number[],
): { strides: number[]; dil: number[]; pads: number[]; out: number[] } {
  const r = spatial.length;
  const strides = attrInts(node, 'strides', new Array(r).fill(1));
  const dil = attrInts(node, 'dilations', new Array(r).fill(1));
  const outPad = attrInts(node, 'output_padding', new Array(r).fill(0));
  const autoPad = attrStr(node, 'auto_pad', 'NOTSET');
  const outputShape = attrInts(node, 'output_shape', []);
  let pads = attrInts(node, 'pads', new Array(2 * r).fill(0));
  const full = spatial.map((x, d) => strides[d]! * (x - 1) + outPad[d]! + (kernel[d]! - 1) * dil[d]! + 1);
  let out = full.map((f, d) => f - pads[d]! - pads[d + r]!);
  if (outputShape.length > 0 || autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const target = outputShape.length > 0 ? outputShape.slice(-r) : spatial.map((x, d) => x * strides[d]!);
    pads = new Array(2 * r).fill(0);
    target.forEach((t, d) => {
      const total = full[d]! - t;
      const small = Math.floor(total / 2);
      // As the ONNX reference computes it (SAME_UPPER puts the smaller half first).
      pads[d] = autoPad === 'SAME_UPPER' ? small : total - small;
      pads[d + r] = total - pads[d]!;
    });
    out = target;
  }
  if (out.some((o) => o <= 0)) throw nodeError(node, `output size ${JSON.stringify(out)} is empty`);
  return { strides, dil, pads, out };
}

function convTranspose(ctx: LowerContext, node: OnnxNode): void {
  const { N, C, spatial } = channelsAndSpatial(ctx, node);
  const w = constInput(ctx, node, 1);
  const group = attrNum(node, 'group', 1);
  const r = spatial.length;
  if (w.dims.length !== r + 2 || w.dims[0] !== C || C % group !== 0)
    throw nodeError(
      node,
      `weight shape ${JSON.stringify(w.dims)} does not match ${C} input channels (${r}-D transposed convolution)`,
    );
  const mg = w.dims[1]!;
  const M = mg * group;
  const cg = C / group;
  const kernel = kernelOf(node, r, w.dims.slice(2));
  const { strides, dil, pads, out } = transposeGeometry(node, spatial, kernel);
  const n = size(spatial);
  const nOut = size(out);
  const nTap = size(kernel);
  const terms: Array<{ inputs: number[]; weights: number[] }> = Array.from({ length: N * M * nOut }, () => ({
    inputs: [],
    weights: [],
  }));
  const pos = new Array<number>(r).fill(0);
  for (let x = 0; x < n; x++) {
    const k = new Array<number>(r).fill(0);
    for (let t = 0; t < nTap; t++) {
      let o = 0;
      let inside = true;
      for (let d = 0; d < r; d++) {
        const y = pos[d]! * strides[d]! + k[d]! * dil[d]! - pads[d]!;
        if (y < 0 || y >= out[d]!) inside = false;
        o = o * out[d]! + y;
      }
      if (inside) {
        for (let b = 0; b < N; b++) {
          for (let c = 0; c < C; c++) {
            const g = Math.floor(c / cg);
            for (let mm = 0; mm < mg; mm++) {
              const term = terms[(b * M + g * mg + mm) * nOut + o]!;
              term.inputs.push((b * C + c) * n + x);
              term.weights.push((c * mg + mm) * nTap + t);
            }
          }
        }
      }
      for (let d = r - 1; d >= 0; d--) {
        if (++k[d]! < kernel[d]!) break;
        k[d] = 0;
      }
    }
    for (let d = r - 1; d >= 0; d--) {
      if (++pos[d]! < spatial[d]!) break;
      pos[d] = 0;
    }
  }
  const spec = sparseSpec(
    N * C * n,
    w.data.length,
    M,
    terms.map((t, j) => ({ ...t, bias: Math.floor(j / nOut) % M })),
  );
  emit(
    ctx,
    {
      kind: 'linear',
      name: node.name,
      input: node.inputs[0]!,
      output: node.outputs[0]!,
      spec,
      weight: Float64Array.from(w.data),
      bias: biasOf(ctx, node, M),
    },
    [N, M, ...out],
  );
}

/** Convolutions. */
export const CONV_LOWERINGS: Record<string, Lowering> = {
  Conv: conv,
  ConvTranspose: convTranspose,
};
