/**
 * How each lowered float op kind becomes quantized ops: one entry per kind, sharing the
 * {@link QuantizeContext}. A float kind without an entry is a type error.
 */
import type { FloatOp, WhereOp } from './float-ir.js';
import { quantizeLinear } from './quantize-linear.js';
import {
  quantizeAdd,
  quantizeClamp,
  quantizeConcat,
  quantizeLeakyRelu,
  quantizeMaxPool,
  quantizePermute,
} from './quantize-ops.js';
import { quantizeBinary, quantizeBitwise, quantizeDivConst, quantizeWhere } from './quantize-selection.js';
import { quantizeDivide, quantizeProduct, quantizeSoftmax } from './quantize-products.js';
import { quantizeTable } from './quantize-table.js';
import { quantizeTrees } from './quantize-trees.js';
import { quantizeGatherIndex, quantizeTopK } from './quantize-index.js';
import { FRAC_BOUNDS } from './calibration-decisions.js';
import { chooseFrac, QuantizeContext } from './quantize-context.js';

/** Quantizes one float op of kind K into the context. */
export type Quantizer<K extends FloatOp['kind']> = (c: QuantizeContext, op: Extract<FloatOp, { kind: K }>) => void;

/** Largest |constant| among a Where's branches (scales them when neither is an activation). */
function maxAbsConst(op: WhereOp): number {
  let m = 0;
  for (const o of [op.x, op.y]) if ('constant' in o) for (const v of o.constant) m = Math.max(m, Math.abs(v));
  return m;
}

/** Product and divide: both operands materialized as activations first. */
function quantizePair(c: QuantizeContext, op: Extract<FloatOp, { kind: 'product' | 'divide' }>): void {
  const a = c.materialize(op.name, op.input, false, op.input);
  const b = op.other === op.input ? a : c.materialize(op.name, op.other, false, op.other, 'other');
  const r =
    op.kind === 'product'
      ? quantizeProduct(op, a, b, c.state(a), c.state(b))
      : quantizeDivide(op, a, b, c.state(a), c.state(b));
  if (op.kind === 'product') c.productAccs.add(op.output);
  c.emit(op.output, r);
}

/** The quantizer of every lowered float op kind. */
export const QUANTIZERS: { readonly [K in FloatOp['kind']]: Quantizer<K> } = {
  linear: quantizeLinear,
  relu: (c, op) => c.requant(op.name, op.input, op.output, true, op.output),
  reshape: (c, op) => {
    c.emit(op.output, {
      op: { kind: 'reshape', name: op.name, input: op.input, output: op.output },
      state: c.state(op.input),
    });
    if (c.productAccs.has(op.input)) c.productAccs.add(op.output);
  },
  // Max commutes with the monotonic requantize, so pooling accumulators is exact.
  maxpool: (c, op) =>
    c.emit(
      op.output,
      quantizeMaxPool(op.name, op.input, op.output, op.offsets, op.index, c.state(op.input), op.min ?? false),
    ),
  add: (c, op) =>
    c.emit(
      op.output,
      quantizeAdd(op.name, op.input, op.other, op.output, op.otherSign, c.state(op.input), c.state(op.other)),
    ),
  clamp: (c, op) => {
    // The output range is at most [min, max]: rescale to it (with ReLU when min ≥ 0), then clamp.
    const input = c.materialize(op.name, op.input, op.min !== null && op.min >= 0, op.output);
    c.emit(op.output, quantizeClamp(op.name, input, op.output, op.min, op.max, c.state(input)));
  },
  leakyRelu: (c, op) => {
    const input = c.materialize(op.name, op.input, false, op.input);
    c.emit(op.output, quantizeLeakyRelu(op.name, input, op.output, op.alpha, c.widths.weightBits, c.state(input)));
  },
  unary: (c, op) => {
    const input = c.tableInput(op.name, op.input);
    const frac = (compute: () => number) => c.decisions.int(op.name, 'frac', compute, FRAC_BOUNDS.min, FRAC_BOUNDS.max);
    c.emit(
      op.output,
      quantizeTable(op.name, input, op.output, op, c.state(input), c.stats(op.output), c.bitsOf(op.name), frac),
    );
  },
  binary: (c, op) => c.emit(op.output, quantizeBinary(op, c.states)),
  where: (c, op) =>
    c.emit(
      op.output,
      quantizeWhere(
        op,
        c.states,
        op.integral ? 0 : chooseFrac(maxAbsConst(op), 2 ** (c.widths.activationBits - 1) - 1),
      ),
    ),
  bitwise: (c, op) => c.emit(op.output, quantizeBitwise(op, c.states)),
  divConst: (c, op) => c.emit(op.output, quantizeDivConst(op, c.state(op.input))),
  permute: (c, op) => {
    c.emit(op.output, quantizePermute(op.name, op.input, op.output, op.perm, op.fill, c.state(op.input)));
    if (c.productAccs.has(op.input)) c.productAccs.add(op.output);
  },
  softmax: (c, op) => {
    const input = c.tableInput(op.name, op.input);
    c.emit(op.output, quantizeSoftmax(op, input, c.state(input), c.widths.activationBits));
  },
  trees: (c, op) => c.emit(op.output, quantizeTrees(op, c.state(op.input))),
  product: quantizePair,
  divide: quantizePair,
  concat: (c, op) =>
    c.emit(
      op.output,
      quantizeConcat(
        op.name,
        op.input,
        op.others,
        op.output,
        [op.input, ...op.others].map((t) => c.state(t)),
      ),
    ),
  gatherIndex: (c, op) => c.emit(op.output, quantizeGatherIndex(op, c.states, c.widths.activationBits)),
  topk: (c, op) => c.emit(op.output, quantizeTopK(op, c.state(op.input))),
};

/** Quantizes `op` with its own kind's quantizer (the cast only restates that the table is keyed by kind). */
export function quantizeOp(c: QuantizeContext, op: FloatOp): void {
  (QUANTIZERS[op.kind] as Quantizer<FloatOp['kind']>)(c, op as never);
}
