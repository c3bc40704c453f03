/**
 * A Softmax or LogSoftmax dropped from the end of the graph is applied outside the circuit: the
 * circuit proves the logits and reports this function of them.
 */
import type { DroppedFinal } from './float-ir.js';

/** Applies a dropped Softmax/LogSoftmax to a flat output of shape `shape`. */
export function applyDroppedFinal(d: DroppedFinal, shape: number[], y: ArrayLike<number>): number[] {
  const outer = d.axis === 0 ? 1 : shape.slice(0, d.axis).reduce((a, b) => a * b, 1);
  const len = d.coerce2d ? shape.slice(d.axis).reduce((a, b) => a * b, 1) : (shape[d.axis] ?? 1);
  const inner = d.coerce2d ? 1 : shape.slice(d.axis + 1).reduce((a, b) => a * b, 1);
  const out = new Array<number>(y.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (k: number) => (o * len + k) * inner + i;
      let m = -Infinity;
      for (let k = 0; k < len; k++) m = Math.max(m, y[at(k)]!);
      let sum = 0;
      for (let k = 0; k < len; k++) sum += Math.exp(y[at(k)]! - m);
      for (let k = 0; k < len; k++)
        out[at(k)] = d.op === 'Softmax' ? Math.exp(y[at(k)]! - m) / sum : y[at(k)]! - m - Math.log(sum);
    }
  }
  return out;
}
