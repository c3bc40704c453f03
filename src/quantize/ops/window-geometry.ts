/**
 * Window geometry shared by convolution and pooling over N-C-spatial tensors with
 * any number of spatial dimensions (1-D, 2-D, 3-D): kernel, strides, dilations, padding
 * (explicit or auto_pad, ceil_mode) and output sizes per the ONNX rules.
 */
import type { OnnxNode } from '../../onnx/onnx-graph.js';
import { quote } from '../../core/errors.js';
import { MAX_WINDOW } from '../../onnx/validate-onnx.js';
import { activationShape, attrInts, attrNum, attrStr, LowerContext, nodeError, size } from '../lower-context.js';
import type { Geometry } from '../../formats/linear-spec.js';

/** An N-D window op's geometry: per spatial axis, with pads split into begin and end. */
export interface WindowNd {
  readonly kernel: number[];
  readonly strides: number[];
  readonly dilations: number[];
  readonly begin: number[];
  readonly end: number[];
  readonly out: number[];
}

/** Batch, channels and spatial sizes of an activation input [N, C, ...spatial] (at least one spatial axis). */
export function channelsAndSpatial(ctx: LowerContext, node: OnnxNode): { N: number; C: number; spatial: number[] } {
  const s = activationShape(ctx, node);
  if (s.length < 3) throw nodeError(node, `expects [N, C, spatial…], got shape ${JSON.stringify(s)}`);
  return { N: s[0]!, C: s[1]!, spatial: s.slice(2) };
}

/** Resolves the geometry of a window op over `ins` (spatial sizes) with kernel `kernel`. */
export function windowGeometryNd(node: OnnxNode, ins: number[], kernel: number[]): WindowNd {
  const r = ins.length;
  const strides = attrInts(node, 'strides', new Array(r).fill(1));
  const dilations = attrInts(node, 'dilations', new Array(r).fill(1));
  const ceil = attrNum(node, 'ceil_mode', 0) === 1;
  const autoPad = attrStr(node, 'auto_pad', 'NOTSET');
  if (kernel.length !== r || strides.length !== r || dilations.length !== r)
    throw nodeError(node, `kernel, strides and dilations must have ${r} entries (one per spatial axis)`);
  const begin = new Array<number>(r).fill(0);
  const end = new Array<number>(r).fill(0);
  const out = new Array<number>(r).fill(0);
  const p = attrInts(node, 'pads', new Array(2 * r).fill(0));
  if (autoPad === 'NOTSET' && p.length !== 2 * r) throw nodeError(node, `pads must have ${2 * r} entries`);
  for (let d = 0; d < r; d++) {
    const span = (kernel[d]! - 1) * dilations[d]! + 1;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      out[d] = Math.ceil(ins[d]! / strides[d]!);
      const total = Math.max(0, (out[d]! - 1) * strides[d]! + span - ins[d]!);
      begin[d] = autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2);
      end[d] = total - begin[d]!;
      continue;
    }
    if (autoPad === 'NOTSET') {
      begin[d] = p[d]!;
      end[d] = p[d + r]!;
    } else if (autoPad !== 'VALID') throw nodeError(node, `unknown auto_pad ${quote(autoPad)}`);
    const room = ins[d]! + begin[d]! + end[d]! - span;
    if (room < 0) throw nodeError(node, 'the kernel is larger than the padded input');
    out[d] = (ceil ? Math.ceil(room / strides[d]!) : Math.floor(room / strides[d]!)) + 1;
    // A last window starting inside the end padding is dropped (ONNX and PyTorch ceil_mode rule).
    if (ceil && (out[d]! - 1) * strides[d]! >= ins[d]! + begin[d]!) out[d]!--;
  }
  return { kernel, strides, dilations, begin, end, out };
}

/** The 2-D form of a geometry, for the conv2d linear spec. */
export function toGeometry2d(g: WindowNd): Geometry {
  return {
    kernel: [g.kernel[0]!, g.kernel[1]!],
    strides: [g.strides[0]!, g.strides[1]!],
    dilations: [g.dilations[0]!, g.dilations[1]!],
    pads: [g.begin[0]!, g.begin[1]!, g.end[0]!, g.end[1]!],
    outHeight: g.out[0]!,
    outWidth: g.out[1]!,
  };
}

/** The kernel size from kernel_shape, or `dflt`. */
export function kernelOf(node: OnnxNode, rank: number, dflt?: number[]): number[] {
  const k = attrInts(node, 'kernel_shape', dflt ?? []);
  if (k.length !== rank)
    throw nodeError(node, `kernel_shape must have ${rank} entries (one per spatial axis), got ${JSON.stringify(k)}`);
  if (k.some((d) => !Number.isInteger(d) || d < 1 || d > MAX_WINDOW))
    throw nodeError(node, `kernel_shape ${JSON.stringify(k)} must be integers in 1..${MAX_WINDOW}`);
  return k;
}

/**
 * One window: the flat input indices it covers, their kernel offsets, and how many positions
 * (padding included) it spans.
 */
export interface Window {
  readonly inputs: number[];
  readonly taps: number[];
  readonly padded: number;
}

/** Every window of one channel, outputs in row-major order; indices are within that channel. */
export function channelWindows(ins: number[], g: WindowNd): Window[] {
  const r = ins.length;
  const windows: Window[] = [];
  const nOut = size(g.out);
  const nTap = size(g.kernel);
  const o = new Array<number>(r).fill(0);
  for (let w = 0; w < nOut; w++) {
    const inputs: number[] = [];
    const taps: number[] = [];
    let padded = 0;
    const k = new Array<number>(r).fill(0);
    for (let t = 0; t < nTap; t++) {
      let flat = 0;
      let inside = true;
      let inPad = true;
      for (let d = 0; d < r; d++) {
        const x = o[d]! * g.strides[d]! - g.begin[d]! + k[d]! * g.dilations[d]!;
        if (x < -g.begin[d]! || x >= ins[d]! + g.end[d]!) inPad = false;
        if (x < 0 || x >= ins[d]!) inside = false;
        flat = flat * ins[d]! + x;
      }
      if (inPad) padded++;
      if (inside) {
        inputs.push(flat);
        taps.push(t);
      }
      for (let d = r - 1; d >= 0; d--) {
        if (++k[d]! < g.kernel[d]!) break;
        k[d] = 0;
      }
    }
    windows.push({ inputs, taps, padded });
    for (let d = r - 1; d >= 0; d--) {
      if (++o[d]! < g.out[d]!) break;
      o[d] = 0;
    }
  }
  return windows;
}
