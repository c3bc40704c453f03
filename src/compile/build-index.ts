/**
 * Circuit lowering of selection by a computed index (QGatherIndex, QTopK). The indicators of one
 * index element are built once per circuit and shared by every gather that reads that element
 * with the same range (a tree traversal reads its node arrays, thresholds and features through
 * one index), so each further constant gather by it is free.
 */
import { R1csBuilder, Signal } from '../../circuits/builder.js';
import { oneHot, OneHotRange, selectOneHot } from '../../circuits/one-hot.js';
import { topK } from '../../circuits/top-k.js';
import type { QGatherIndex, QTopK } from '../formats/quantized-index.js';

const indicatorCache = new WeakMap<R1csBuilder, Map<Signal, Map<string, Signal[]>>>();

/** The indicators of `q` over `r`, built once per builder, index signal and range. */
function cachedOneHot(b: R1csBuilder, q: Signal, r: OneHotRange): Signal[] {
  let bySignal = indicatorCache.get(b);
  if (!bySignal) indicatorCache.set(b, (bySignal = new Map()));
  let byRange = bySignal.get(q);
  if (!byRange) bySignal.set(q, (byRange = new Map()));
  const key = `${r.lo}:${r.span}:${r.frac}`;
  let e = byRange.get(key);
  if (!e) byRange.set(key, (e = oneHot(b, q, r)));
  return e;
}

/** Emits a gather by computed indices: one-hot per index element, then a selection per output. */
export function buildGatherIndex(
  b: R1csBuilder,
  op: QGatherIndex,
  idx: readonly Signal[],
  tensors: ReadonlyMap<string, readonly Signal[]>,
): Signal[] {
  const constant = 'constant' in op.data;
  let data: (i: number) => Signal;
  if ('constant' in op.data) {
    const c = op.data.constant;
    data = (i) => b.constant(BigInt(c[i]!));
  } else {
    const t = tensors.get(op.data.tensor)!;
    const scale = BigInt(op.data.scale);
    const scaled = scale === 1n ? t : t.map((s) => b.linear([[s, scale]]));
    data = (i) => scaled[i]!;
  }
  return op.base.map((base, k) => {
    const at = op.indexOf[k]!;
    const range: OneHotRange = { lo: op.lo[at]!, span: op.span[at]!, frac: op.indexFrac };
    const e = cachedOneHot(b, idx[at]!, range);
    const cand = e.map((_, p) => {
      const v = range.lo + p;
      return data(base + (v < 0 ? v + op.axisDim : v) * op.axisStride);
    });
    return selectOneHot(b, e, cand, constant);
  });
}

/** Emits a TopK: a selection network per row, values then indices (scaled onto the values' grid). */
export function buildTopK(b: R1csBuilder, op: QTopK, x: readonly Signal[]): Signal[] {
  const rows = op.index.length / op.n;
  const values: Signal[] = [];
  const indices: Signal[] = [];
  for (let r = 0; r < rows; r++) {
    const row = op.index.slice(r * op.n, (r + 1) * op.n).map((i) => x[i]!);
    const t = topK(b, row, { k: op.k, largest: op.largest, bits: op.bits });
    values.push(...t.values);
    indices.push(...t.indices.map((s) => (op.indexScale === 1 ? s : b.linear([[s, BigInt(op.indexScale)]]))));
  }
  return [...values, ...indices];
}
