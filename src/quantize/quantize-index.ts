/**
 * Quantization and integer semantics of selection by a computed index (gatherIndex, topk).
 * A gather's proven index range is the index tensor's worst-case range cut to the axis
 * ([−axisDim, axisDim) with negative indices); its output range is the hull of the candidates'
 * ranges. TopK keeps its input's scale; its indices are scaled onto the same grid.
 */
import { quote, UserError } from '../core/errors.js';
import { topKBits } from '../../circuits/top-k.js';
import type { QGatherIndex, QTopK } from '../formats/quantized-index.js';
import type { GatherIndexOp, TopKOp } from './index-float.js';
import { chooseFrac } from './quantize-context.js';
import type { TensorState } from './quantize-ops.js';

function minMax(v: readonly number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of v) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return [lo, hi];
}

function integralScale(name: string, frac: number, what: string): number {
  if (frac < 0)
    throw new UserError(
      `node ${quote(name)}: ${what} has a negative fractional width (${frac}); it cannot hold indices`,
    );
  return 2 ** frac;
}

/** Quantizes a gather by a computed index; `activationBits` scales constant data that is not integral. */
export function quantizeGatherIndex(
  op: GatherIndexOp,
  states: ReadonlyMap<string, TensorState>,
  activationBits: number,
): { op: QGatherIndex; state: TensorState } {
  const s = states.get(op.input)!;
  const scale = integralScale(op.name, s.frac, 'the index');
  // Each index element keeps its own range (a tree's index per tree spans only that tree's nodes).
  const lo = s.lo.map((l) => Math.max(-op.axisDim, Math.ceil(l / scale)));
  const hi = s.hi.map((h) => Math.min(op.axisDim - 1, Math.floor(h / scale)));
  const empty = lo.findIndex((l, i) => hi[i]! < l);
  if (empty >= 0)
    throw new UserError(
      `node ${quote(op.name)}: index ${empty} ranges over [${s.lo[empty]! / scale}, ${s.hi[empty]! / scale}], outside an axis of ${op.axisDim}`,
    );
  let data: QGatherIndex['data'];
  let dataState: TensorState;
  if ('tensor' in op.data) {
    data = { tensor: op.data.tensor, scale: 1 };
    dataState = states.get(op.data.tensor)!;
  } else {
    const c = op.data.constant;
    const [cl, ch] = minMax(Array.from(c));
    const integral = c.every((v) => Number.isInteger(v));
    const f = chooseFrac(Math.max(Math.abs(cl), Math.abs(ch)), 2 ** (activationBits - 1) - 1);
    const frac = integral ? Math.max(0, f) : f;
    const q = Array.from(c, (v) => Math.round(v * 2 ** frac));
    if (q.some((v) => !Number.isSafeInteger(v))) throw new UserError(`node ${quote(op.name)}: constant data too large`);
    data = { constant: q };
    dataState = { frac, kind: 'act', lo: q, hi: q };
  }
  const span = lo.map((l, i) => hi[i]! - l + 1);
  const hull = new Map<string, [number, number]>();
  const range = (base: number, at: number): [number, number] => {
    const key = `${base}:${lo[at]}:${hi[at]}`;
    let r = hull.get(key);
    if (!r) {
      r = [Infinity, -Infinity];
      for (let v = lo[at]!; v <= hi[at]!; v++) {
        const at = base + (v < 0 ? v + op.axisDim : v) * op.axisStride;
        r = [Math.min(r[0], dataState.lo[at]!), Math.max(r[1], dataState.hi[at]!)];
      }
      hull.set(key, r);
    }
    return r;
  };
  const q: QGatherIndex = {
    kind: 'gatherIndex',
    name: op.name,
    input: op.input,
    output: op.output,
    data,
    indexFrac: s.frac,
    lo,
    span,
    axisDim: op.axisDim,
    axisStride: op.axisStride,
    base: op.base,
    indexOf: op.indexOf,
  };
  return {
    op: q,
    state: {
      frac: dataState.frac,
      kind: dataState.kind,
      lo: op.base.map((b, k) => range(b, op.indexOf[k]!)[0]),
      hi: op.base.map((b, k) => range(b, op.indexOf[k]!)[1]),
    },
  };
}

/** Quantizes a TopK: the comparator width from the rows' worst-case range. */
export function quantizeTopK(op: TopKOp, s: TensorState): { op: QTopK; state: TensorState } {
  const indexScale = integralScale(op.name, s.frac, 'the input');
  const rows = op.index.length / op.n;
  const [lo] = minMax(op.index.map((i) => s.lo[i]!));
  const [, hi] = minMax(op.index.map((i) => s.hi[i]!));
  const bits = topKBits(op.n, lo, hi);
  if (bits > 240) throw new UserError(`node ${quote(op.name)}: the values are too wide to compare`);
  const outLo: number[] = [];
  const outHi: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = op.index.slice(r * op.n, (r + 1) * op.n);
    const [l] = minMax(row.map((i) => s.lo[i]!));
    const [, h] = minMax(row.map((i) => s.hi[i]!));
    for (let t = 0; t < op.k; t++) {
      outLo.push(l);
      outHi.push(h);
    }
  }
  for (let t = 0; t < rows * op.k; t++) {
    outLo.push(0);
    outHi.push((op.n - 1) * indexScale);
  }
  const q: QTopK = {
    kind: 'topk',
    name: op.name,
    input: op.input,
    output: op.output,
    n: op.n,
    k: op.k,
    largest: op.largest,
    index: op.index,
    bits,
    indexScale,
  };
  return { op: q, state: { frac: s.frac, kind: s.kind, lo: outLo, hi: outHi } };
}
