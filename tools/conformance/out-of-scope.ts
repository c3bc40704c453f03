/**
 * The reviewed list of conformance cases that exercise a supported op but are out of scope,
 * each with the reason. Any other case of a supported op that does not pass counts against
 * that op's pass rate; a listed case that starts passing makes the conformance test fail
 * until it is removed from here, so the list cannot silently go stale.
 */

/** Cases matching `cases` (suite/name) are out of scope for `reason`. */
export interface OutOfScope {
  readonly cases: RegExp;
  readonly reason: string;
}

/** Every out-of-scope case of a supported op. */
export const OUT_OF_SCOPE: readonly OutOfScope[] = [
  {
    cases:
      /^onnx-pytorch-converted\/test_(BatchNorm2d_eval|Conv2d|Conv2d_no_bias|Conv2d_padding|Conv2d_strided|Linear|Linear_no_bias)$/,
    reason: 'ONNX opset 6: older than the supported 7–25 (BatchNormalization and Gemm had other attributes then)',
  },
  {
    cases:
      /\/test_(reshape_allowzero_reordered|slice_start_out_of_bounds|split_zero_size_splits_opset1[38]|reduce_(l1|max|min|sum|sum_square)_empty_set(_expanded)?|reduce_sum_empty_set_non_reduced_axis_zero)$/,
    reason: 'zero-size tensor (a dimension of 0): nothing to prove',
  },
  {
    cases:
      /\/test_layer_normalization_(2d_axis0|2d_axis_negative_2|3d_axis0_epsilon|3d_axis_negative_3_epsilon|4d_axis0|4d_axis_negative_4)_expanded(_ver18)?$/,
    reason:
      'normalizing over every axis: the expanded body slices the empty shape prefix, a zero-size tensor (the LayerNormalization case itself passes)',
  },
  {
    cases:
      /\/test_attention_\w*with_past_and_present\w*$(?<!_expanded)|\/test_attention_4d_diff_heads_mask4d_padded_kv$/,
    reason:
      'a KV cache (past_key/past_value, nonpad_kv_seqlen): refused by name; a proof covers one forward pass over its inputs',
  },
  {
    cases:
      /\/test_(equal|less|less_equal|greater|greater_equal|div|max|min|top_k)_uint64(_expanded)?$|\/test_equal_string(_broadcast)?$|\/test_bitwise_(and|or|xor)_ui64_bcast_3v1d$/,
    reason: 'a UINT64 or string input: no exact fixed-point value (UINT64 inputs are refused at load)',
  },

  {
    cases:
      /\/test_cast(like)?_(no_saturate_|e8m0_)?\w*(FLOAT8E4M3FN|FLOAT8E4M3FNUZ|FLOAT8E5M2|FLOAT8E5M2FNUZ|FLOAT8E8M0|FLOAT4E2M1|INT4|UINT4|INT2|UINT2)\w*$/,
    reason: '8-bit and 4-bit float or 2-/4-bit integer element types: no model input or output uses them',
  },
  {
    cases:
      /\/test_cast(like)?_(DOUBLE_to_FLOAT|DOUBLE_to_FLOAT16|FLOAT_to_DOUBLE|FLOAT_to_FLOAT16|FLOAT16_to_DOUBLE|FLOAT16_to_FLOAT|BFLOAT16_to_FLOAT|FLOAT_to_BFLOAT16)(_expanded)?$/,
    reason: 'the input holds NaN and ±Inf, which have no fixed-point value',
  },
  {
    cases: /\/test_reduce_log_sum_exp_(do_not_keepdims|keepdims|negative_axes_keepdims)_(example|random)_expanded$/,
    reason:
      'the expanded form sums exp(x) without subtracting the max: one tensor spans exp(−2.3) to exp(60) (10^27), ' +
      'beyond any per-tensor fixed-point scale, so small sums round to 0 and Log saturates ' +
      '(the circuit still equals the integer reference; only the tolerance fails)',
  },
  {
    cases: /\/test_nonzero_example$/,
    reason:
      'NonZero of a computed input: its output shape depends on the data, so no fixed circuit computes it (refused by name; a constant input folds)',
  },
  {
    cases: /\/test_scatter_elements_with_reduction_(max|min|mul)$/,
    reason:
      'ScatterElements reductions mul, max and min are not built (refused by name); none and add are, with constant or computed indices',
  },
  {
    cases: /\/test_not_(2d|3d|4d)$/,
    reason:
      "the model declares opset 1, below the loader's supported 7–25 (Not is unchanged since opset 1; test/ops/logic-differential.test.ts covers it)",
  },
];

/** The reason a case is out of scope, or undefined. */
export function outOfScopeReason(name: string): string | undefined {
  return OUT_OF_SCOPE.find((o) => o.cases.test(name))?.reason;
}
