/**
 * The lowering table, merged from one file per op family. The set of keys of
 * {@link LOWERINGS} is the set of supported ops, so the "unsupported ops" error can never
 * drift from what is implemented. Adding a family is one import and one line per table.
 */
import type { ConstFold, Lowering } from '../lower-context.js';
import { ACTIVATION_LOWERINGS } from './activations.js';
import { COMPARISON_LOWERINGS } from './comparisons.js';
import { CONV_LOWERINGS } from './conv.js';
import { ELEMENTWISE_LOWERINGS } from './elementwise.js';
import { MATMUL_LOWERINGS } from './matmul.js';
import { POOLING_LOWERINGS } from './pooling.js';
import { SHAPE_CONST_FOLDS, SHAPE_LOWERINGS } from './shape.js';
import { SOFTMAX_LOWERINGS } from './softmax.js';

/** One entry per supported ONNX op whose input is an activation. */
export const LOWERINGS: Record<string, Lowering> = {
  ...MATMUL_LOWERINGS,
  ...ELEMENTWISE_LOWERINGS,
  ...SHAPE_LOWERINGS,
  ...SOFTMAX_LOWERINGS,
  ...CONV_LOWERINGS,
  ...POOLING_LOWERINGS,
  ...ACTIVATION_LOWERINGS,
  ...COMPARISON_LOWERINGS,
};

/** Compile-time evaluation of nodes whose inputs are all constants. */
export const CONST_FOLDS: Record<string, ConstFold> = {
  ...SHAPE_CONST_FOLDS,
};
