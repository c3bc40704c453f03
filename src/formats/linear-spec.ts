/**
 * The shape of a linear layer, independent of its numbers: which inputs feed which outputs
 * through which weight. Every linear ONNX op (Gemm, MatMul, Conv, …) lowers to one of these;
 * the float executor, the quantizer, the integer reference and the circuit all walk the same
 * term lists, so they cannot disagree about the wiring.
 */
import type { LinearTerms } from '../../circuits/linear.js';

/** A fully connected layer: out[j] = Σ_i W[j·inFeatures + i] · in[i] + bias[j]. */
export interface DenseSpec {
  readonly type: 'dense';
  readonly inFeatures: number;
  readonly outFeatures: number;
}

/** Spatial geometry of a 2-D window op (convolution or pooling). */
export interface Geometry {
  readonly kernel: [number, number];
  readonly strides: [number, number];
  readonly dilations: [number, number];
  /** [top, left, bottom, right] */
  readonly pads: [number, number, number, number];
  readonly outHeight: number;
  readonly outWidth: number;
}

/** A 2-D convolution over an NCHW tensor with N = 1 and group = 1. */
export interface Conv2dSpec extends Geometry {
  readonly type: 'conv2d';
  readonly inChannels: number;
  readonly inHeight: number;
  readonly inWidth: number;
  readonly outChannels: number;
}

/**
 * Explicit term lists, for linear maps without a regular structure worth naming: pooling
 * averages, elementwise affine layers (BatchNormalization, Add/Mul with constants), batched
 * or broadcast MatMul/Gemm and compositions of consecutive linear layers.
 */
export interface SparseSpec {
  readonly type: 'sparse';
  readonly nIn: number;
  readonly nOut: number;
  readonly nWeights: number;
  readonly nBias: number;
  /** Terms of output j are at [offsets[j], offsets[j+1]). */
  readonly offsets: number[];
  readonly inputIndex: number[];
  readonly weightIndex: number[];
  readonly biasIndex: number[];
}

/** Any linear layer. */
export type LinearSpec = DenseSpec | Conv2dSpec | SparseSpec;

/** Number of weights the spec expects. */
export function weightCount(spec: LinearSpec): number {
  if (spec.type === 'sparse') return spec.nWeights;
  return spec.type === 'dense'
    ? spec.inFeatures * spec.outFeatures
    : spec.outChannels * spec.inChannels * spec.kernel[0] * spec.kernel[1];
}

/** Number of biases the spec expects (one per output feature or channel). */
export function biasCount(spec: LinearSpec): number {
  if (spec.type === 'sparse') return spec.nBias;
  return spec.type === 'dense' ? spec.outFeatures : spec.outChannels;
}

/** Input and output element counts. */
export function linearSizes(spec: LinearSpec): { nIn: number; nOut: number } {
  if (spec.type === 'sparse') return { nIn: spec.nIn, nOut: spec.nOut };
  return spec.type === 'dense'
    ? { nIn: spec.inFeatures, nOut: spec.outFeatures }
    : { nIn: spec.inChannels * spec.inHeight * spec.inWidth, nOut: spec.outChannels * spec.outHeight * spec.outWidth };
}

const cache = new WeakMap<LinearSpec, LinearTerms>();

/** Builds (and caches per spec object) the term lists of a linear layer. */
export function linearTerms(spec: LinearSpec): LinearTerms {
  const hit = cache.get(spec);
  if (hit) return hit;
  if (spec.type === 'sparse') {
    const t = {
      nOut: spec.nOut,
      nIn: spec.nIn,
      offsets: Int32Array.from(spec.offsets),
      inputIndex: Int32Array.from(spec.inputIndex),
      weightIndex: Int32Array.from(spec.weightIndex),
      biasIndex: Int32Array.from(spec.biasIndex),
    };
    cache.set(spec, t);
    return t;
  }
  const { nIn, nOut } = linearSizes(spec);
  const offsets = new Int32Array(nOut + 1);
  const inputIndex: number[] = [];
  const weightIndex: number[] = [];
  const biasIndex = new Int32Array(nOut);
  if (spec.type === 'dense') {
    for (let j = 0; j < nOut; j++) {
      offsets[j] = inputIndex.length;
      biasIndex[j] = j;
      for (let i = 0; i < nIn; i++) {
        inputIndex.push(i);
        weightIndex.push(j * nIn + i);
      }
    }
  } else {
    const {
      inChannels: ci,
      inHeight: H,
      inWidth: W,
      kernel: [kh, kw],
      strides: [sh, sw],
      dilations: [dh, dw],
      pads: [pt, pl],
    } = spec;
    let j = 0;
    for (let co = 0; co < spec.outChannels; co++) {
      for (let oy = 0; oy < spec.outHeight; oy++) {
        for (let ox = 0; ox < spec.outWidth; ox++, j++) {
          offsets[j] = inputIndex.length;
          biasIndex[j] = co;
          for (let c = 0; c < ci; c++) {
            for (let ky = 0; ky < kh; ky++) {
              const y = oy * sh - pt + ky * dh;
              if (y < 0 || y >= H) continue; // zero padding contributes nothing
              for (let kx = 0; kx < kw; kx++) {
                const x = ox * sw - pl + kx * dw;
                if (x < 0 || x >= W) continue;
                inputIndex.push((c * H + y) * W + x);
                weightIndex.push(((co * ci + c) * kh + ky) * kw + kx);
              }
            }
          }
        }
      }
    }
  }
  offsets[nOut] = inputIndex.length;
  const terms = {
    nOut,
    nIn,
    offsets,
    inputIndex: Int32Array.from(inputIndex),
    weightIndex: Int32Array.from(weightIndex),
    biasIndex,
  };
  cache.set(spec, terms);
  return terms;
}

/** Builds a sparse spec from per-output term lists. */
export function sparseSpec(
  nIn: number,
  nWeights: number,
  nBias: number,
  outputs: ReadonlyArray<{ inputs: number[]; weights: number[]; bias: number }>,
): SparseSpec {
  const offsets = [0];
  const inputIndex: number[] = [];
  const weightIndex: number[] = [];
  for (const o of outputs) {
    inputIndex.push(...o.inputs);
    weightIndex.push(...o.weights);
    offsets.push(inputIndex.length);
  }
  return {
    type: 'sparse',
    nIn,
    nOut: outputs.length,
    nWeights,
    nBias,
    offsets,
    inputIndex,
    weightIndex,
    biasIndex: outputs.map((o) => o.bias),
  };
}
