/**
 * The lowering table, merged from one file per op family. The set of keys of
 * {@link LOWERINGS} is the set of supported ops, so the "unsupported ops" error can never
 * drift from what is implemented. Adding a family is one import and one line per table.
 */
import type { ConstFold, Lowering } from '../lower-context.js';
import { ACTIVATION_LOWERINGS } from './activations.js';
import { COMPARISON_LOWERINGS } from './comparisons.js';
import { CONCAT_CONST_FOLDS, CONCAT_LOWERINGS } from './concat.js';
import { CONV_LOWERINGS } from './conv.js';
import { EINSUM_LOWERINGS } from './einsum.js';
import { ELEMENTWISE_LOWERINGS } from './elementwise.js';
import { LOGIC_LOWERINGS } from './logic.js';
import { ARITH_CONST_FOLDS } from './fold-arith.js';
import { ATTENTION_LOWERINGS } from './attention.js';
import { ATTENTION_MASK_LOWERINGS } from './attention-mask.js';
import { MATMUL_LOWERINGS } from './matmul.js';
import { MOVEMENT_CONST_FOLDS, MOVEMENT_LOWERINGS } from './movement.js';
import { NORMALIZATION_LOWERINGS } from './normalization.js';
import { NORMALIZATION_PATTERN_LOWERINGS } from './normalization-pattern.js';
import { POOLING_LOWERINGS } from './pooling.js';
import { RECURRENT_LOWERINGS } from './recurrent.js';
import { REDUCTION_LOWERINGS } from './reductions.js';
import { RESIZE_LOWERINGS } from './resize.js';
import { SHAPE_CONST_FOLDS } from './shape.js';
import { SOFTMAX_LOWERINGS } from './softmax.js';
import { ML_LOWERINGS } from './trees.js';

export { ML_LOWERINGS };
import {
  COMPUTED_INDEX_LOWERINGS,
  SELECTION_CONST_FOLDS,
  SELECTION_LOWERINGS,
  withComputedIndex,
} from './selection.js';
import { SCATTER_CONST_FOLDS, SCATTER_LOWERINGS } from './scatter.js';

/** One entry per supported ONNX op whose input is an activation. */
export const LOWERINGS: Record<string, Lowering> = {
  ...MATMUL_LOWERINGS,
  ...ELEMENTWISE_LOWERINGS,
  ...MOVEMENT_LOWERINGS,
  ...CONCAT_LOWERINGS,
  ...SOFTMAX_LOWERINGS,
  ...CONV_LOWERINGS,
  ...POOLING_LOWERINGS,
  ...ACTIVATION_LOWERINGS,
  ...COMPARISON_LOWERINGS,
  ...REDUCTION_LOWERINGS,
  ...RESIZE_LOWERINGS,
  ...EINSUM_LOWERINGS,
  ...NORMALIZATION_LOWERINGS,
  ...RECURRENT_LOWERINGS,
  ...ATTENTION_LOWERINGS,
  ...NORMALIZATION_PATTERN_LOWERINGS,
  ...ATTENTION_MASK_LOWERINGS,
  ...LOGIC_LOWERINGS,
  ...SELECTION_LOWERINGS,
  ...SCATTER_LOWERINGS,
  // Gather / GatherElements: free wiring for constant indices, one-hot selection for computed ones.
  ...Object.fromEntries(
    Object.entries(COMPUTED_INDEX_LOWERINGS).map(([op, byIndex]) => [
      op,
      withComputedIndex(MOVEMENT_LOWERINGS[op]!, byIndex),
    ]),
  ),
};

/** Compile-time evaluation of nodes whose inputs are all constants (or only their shapes). */
export const CONST_FOLDS: Record<string, ConstFold> = {
  ...ARITH_CONST_FOLDS,
  ...MOVEMENT_CONST_FOLDS,
  ...CONCAT_CONST_FOLDS,
  ...SHAPE_CONST_FOLDS,
  ...SELECTION_CONST_FOLDS,
  ...SCATTER_CONST_FOLDS,
};

/** Ops that read only the shape of their input, so they fold even when it is an activation. */
export const SHAPE_READERS = new Set(['Shape', 'Size']);
