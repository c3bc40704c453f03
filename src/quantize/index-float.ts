/**
 * Float semantics of selection by a computed index: Gather / GatherElements whose indices are
 * computed from the input (one-hot selection), and TopK. The op types are declared here
 * (float-ir.ts imports them), so the two files form no cycle.
 */
import { UserError } from '../core/errors.js';

/**
 * y[k] = data[base[k] + norm(idx[indexOf[k]]) · axisStride], norm(v) = v + axisDim for v < 0
 * (ONNX negative indices). `input` is the index tensor; the data is an activation or a constant
 * tensor (an embedding table, a tree's node arrays).
 */
export interface GatherIndexOp {
  readonly kind: 'gatherIndex';
  readonly name: string;
  /** The index tensor (computed). */
  readonly input: string;
  readonly output: string;
  readonly data: { readonly tensor: string } | { readonly constant: Float64Array };
  readonly axisDim: number;
  readonly axisStride: number;
  readonly base: number[];
  readonly indexOf: number[];
}

/**
 * TopK along rows: row r is the input elements index[r·n .. (r+1)·n). The output is every row's k
 * values (rows in order), then every row's k indices (as numbers), so one op yields both ONNX
 * outputs; permutes take them apart.
 */
export interface TopKOp {
  readonly kind: 'topk';
  readonly name: string;
  readonly input: string;
  readonly output: string;
  readonly n: number;
  readonly k: number;
  readonly largest: boolean;
  readonly index: number[];
}

/** The data element an index value selects, or throws naming the op (out of range or not an integer). */
export function gatherSource(op: Pick<GatherIndexOp, 'name' | 'axisDim'>, v: number): number {
  if (!Number.isInteger(v) || v < -op.axisDim || v >= op.axisDim)
    throw new UserError(`node "${op.name}": index ${v} is out of range for an axis of ${op.axisDim}`);
  return v < 0 ? v + op.axisDim : v;
}

/** Float semantics of {@link GatherIndexOp}. */
export function gatherIndexFloat(op: GatherIndexOp, idx: Float64Array, data: Float64Array): Float64Array {
  return Float64Array.from(op.base, (b, k) => data[b + gatherSource(op, idx[op.indexOf[k]!]!) * op.axisStride]!);
}

/** Positions of one row in ONNX TopK order (ties: lower index first). */
export function topKOrder(row: ArrayLike<number>, k: number, largest: boolean): number[] {
  const order = Array.from({ length: row.length }, (_, i) => i);
  order.sort((i, j) => (row[i] === row[j] ? i - j : row[i]! > row[j]! === largest ? -1 : 1));
  return order.slice(0, k);
}

/** Float semantics of {@link TopKOp}. */
export function topKFloat(op: TopKOp, x: Float64Array): Float64Array {
  const rows = op.index.length / op.n;
  const y = new Float64Array(2 * rows * op.k);
  for (let r = 0; r < rows; r++) {
    const row = op.index.slice(r * op.n, (r + 1) * op.n).map((i) => x[i]!);
    topKOrder(row, op.k, op.largest).forEach((p, t) => {
      y[r * op.k + t] = row[p]!;
      y[rows * op.k + r * op.k + t] = p;
    });
  }
  return y;
}
