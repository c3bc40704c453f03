/**
 * 2-D convolution over NCHW tensors with N = 1: the conv2d linear spec.
 */
import { attrNum, constInput, emit, Lowering, nodeError, optionalConst } from '../lower-context.js';
import type { Conv2dSpec } from '../linear-spec.js';
import { kernelOf, nchw, windowGeometry } from './window-geometry.js';

/** Convolutions. */
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
};
