/**
 * Quantizes a float tree ensemble (trees-float.ts) into the `trees` kind: every threshold
 * moves to the input's integer scale as the equivalent comparison of the rounded input
 * (x ≤ t becomes x_q ≤ floor(t·2^f), x < t becomes x_q ≤ ceil(t·2^f) − 1, ≥ and > their
 * negations), clipped to the input's range so out-of-range thresholds cost no comparator
 * width; leaf weights become integers at an output scale chosen from the largest possible sum.
 */
import { UserError, quote } from '../core/errors.js';
import { comparatorBits } from '../../circuits/max.js';
import { featureThresholds } from '../../circuits/tree-ensemble.js';
import type { QTrees } from '../formats/quantized-schema.js';
import type { TensorState } from './quantize-ops.js';
import type { FloatTreeNode, TreesOp } from './trees-float.js';
import { chooseFrac } from './quantize-context.js';

/** Largest |output| the quantized ensemble may reach: room below 2^53 for the integer reference. */
const OUTPUT_LIMIT = 2 ** 31 - 1;

type QNode = QTrees['trees'][number][number];

/** One float split at input scale f, for x in [lo, hi]. */
function quantizeSplit(n: Extract<FloatTreeNode, { f: number }>, f: number, lo: number, hi: number): QNode {
  const t = n.threshold * 2 ** f;
  const clip = (k: number) => Math.min(hi, Math.max(lo - 1, k));
  const split = (op: 'le' | 'gt', k: number): QNode => ({ f: n.f, op, t: clip(k), yes: n.yes, no: n.no });
  switch (n.mode) {
    case 'le':
      return split('le', Math.floor(t));
    case 'lt':
      return split('le', Math.ceil(t) - 1);
    case 'gt':
      return split('gt', Math.floor(t));
    case 'ge':
      return split('gt', Math.ceil(t) - 1);
    case 'eq':
    case 'ne': {
      // A threshold between two grid points is never equal to the rounded input: a constant split.
      if (!Number.isInteger(t) || t < lo || t > hi) return split(n.mode === 'eq' ? 'le' : 'gt', lo - 1);
      return { f: n.f, op: n.mode, t, yes: n.yes, no: n.no };
    }
  }
}

/** Quantizes `op` on an input of state `s`. */
export function quantizeTrees(op: TreesOp, s: TensorState): { op: QTrees; state: TensorState } {
  const nOut = op.base.length;
  // The largest |output|: |base| plus each tree's largest |weight| per output.
  let bound = Math.max(...Array.from(op.base, Math.abs));
  for (let j = 0; j < nOut; j++) {
    let sum = Math.abs(op.base[j]!);
    for (const tree of op.trees) {
      let m = 0;
      for (const n of tree) if ('leaf' in n) for (const [t, w] of n.leaf) if (t === j) m = Math.max(m, Math.abs(w));
      sum += m * Math.abs(op.scale);
    }
    bound = Math.max(bound, sum);
  }
  const frac = chooseFrac(bound, OUTPUT_LIMIT);
  const q = (v: number) => Math.round(v * 2 ** frac);
  const trees: QNode[][] = op.trees.map((tree) =>
    tree.map((n) =>
      'leaf' in n
        ? { leaf: n.leaf.map(([t, w]) => [t, q(w * op.scale)] as [number, number]) }
        : quantizeSplit(n, s.frac, s.lo[n.f]!, s.hi[n.f]!),
    ),
  );
  for (const tree of trees)
    for (const n of tree)
      if (!('leaf' in n) && !Number.isSafeInteger(n.t))
        throw new UserError(`node ${quote(op.name)}: a threshold does not fit the input's integer scale`);
  const base = Array.from(op.base, q);
  const th = featureThresholds({ trees }, s.lo.length);
  const bits = th.map((ts, f) =>
    ts.length ? comparatorBits(s.lo[f]! - ts[ts.length - 1]! - 1, s.hi[f]! - ts[0]! - 1) : 0,
  );
  // The output range: base plus each tree's smallest and largest contribution (0 for a leaf without the output).
  const lo = [...base];
  const hi = [...base];
  for (const tree of trees)
    for (let j = 0; j < nOut; j++) {
      const values = tree.filter((n) => 'leaf' in n).map((n) => n.leaf.reduce((a, [t, w]) => a + (t === j ? w : 0), 0));
      lo[j]! += Math.min(...values);
      hi[j]! += Math.max(...values);
    }
  return {
    op: { kind: 'trees', name: op.name, input: op.input, output: op.output, trees, base, bits },
    state: { frac, kind: 'acc', lo, hi },
  };
}
