/**
 * Window geometry shared by convolution and pooling over NCHW tensors with N = 1.
 */
import type { OnnxNode } from '../../onnx/load-onnx.js';
import { activationShape, attrInts, attrNum, attrStr, LowerContext, nodeError } from '../lower-context.js';
import type { Geometry } from '../linear-spec.js';

/** Channels, height and width of a 4-D activation input with batch 1. */
export function nchw(ctx: LowerContext, node: OnnxNode): [number, number, number] {
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
    } else if (autoPad !== 'VALID') throw nodeError(node, `unknown auto_pad "${autoPad}"`);
    const room = ins[d]! + pads[d]! + pads[d + 2]! - span;
    if (room < 0) throw nodeError(node, 'the kernel is larger than the padded input');
    out[d] = (ceil ? Math.ceil(room / strides[d]!) : Math.floor(room / strides[d]!)) + 1;
    // A last window starting inside the end padding is dropped (ONNX and PyTorch ceil_mode rule).
    if (ceil && (out[d]! - 1) * strides[d]! >= ins[d]! + pads[d]!) out[d]!--;
  }
  return { kernel, strides, dilations, pads, outHeight: out[0]!, outWidth: out[1]! };
}


/** The 2-D kernel size from kernel_shape, or `dflt`. */
export function kernelOf(node: OnnxNode, dflt?: number[]): [number, number] {
  const k = attrInts(node, 'kernel_shape', dflt ?? []);
  if (k.length !== 2) throw nodeError(node, `kernel_shape must have two entries (2-D only), got ${JSON.stringify(k)}`);
  return [k[0]!, k[1]!];
}


/** For each output (channel-major), the flat input indices of its window and the count divisor. */
export function windows(channels: number, H: number, W: number, g: Geometry, includePad: boolean): Array<{ inputs: number[]; count: number }> {
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
