/**
 * The integer semantics of selection by a computed index (gatherIndex, topk): what the circuits
 * of circuits/one-hot.ts and circuits/top-k.ts must reproduce exactly.
 */
import { quote, UserError } from '../core/errors.js';
import type { QGatherIndex, QTopK } from '../formats/quantized-index.js';
import { topKOrder } from './index-float.js';

/** The integer semantics of a gatherIndex; an index outside the proven range is refused naming the node. */
export function gatherIndexNumbers(op: QGatherIndex, idx: readonly number[], data: readonly number[]): number[] {
  const scale = 2 ** op.indexFrac;
  return op.base.map((b, k) => {
    const at = op.indexOf[k]!;
    const v = idx[at]! / scale;
    const [lo, span] = [op.lo[at]!, op.span[at]!];
    if (!Number.isInteger(v) || v < lo || v >= lo + span)
      throw new UserError(
        `node ${quote(op.name)}: index ${v} is outside its range [${lo}, ${lo + span - 1}] for an axis of ${op.axisDim}`,
      );
    const y = data[b + (v < 0 ? v + op.axisDim : v) * op.axisStride]!;
    return 'tensor' in op.data ? y * op.data.scale : y;
  });
}

/** The integer semantics of a topk. */
export function topKNumbers(op: QTopK, x: readonly number[]): number[] {
  const rows = op.index.length / op.n;
  const y = new Array<number>(2 * rows * op.k);
  for (let r = 0; r < rows; r++) {
    const row = op.index.slice(r * op.n, (r + 1) * op.n).map((i) => x[i]!);
    topKOrder(row, op.k, op.largest).forEach((p, t) => {
      y[r * op.k + t] = row[p]!;
      y[rows * op.k + r * op.k + t] = p * op.indexScale;
    });
  }
  return y;
}
