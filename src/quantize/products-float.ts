/**
 * Float semantics of the ops on two activations (products, division) and of Softmax /
 * LogSoftmax over rows: what the float executor computes for calibration and fidelity.
 */
import type { DivideOp, ProductOp, SoftmaxOp } from './float-ir.js';

/** Evaluates a product, division or softmax op in float64 (`b` is the second operand; ignored by softmax). */
export function runProductFloat(op: ProductOp | DivideOp | SoftmaxOp, a: Float64Array, b: Float64Array): Float64Array {
  switch (op.kind) {
    case 'product': {
      const y = new Float64Array(op.offsets.length - 1);
      for (let j = 0; j < y.length; j++) {
        let acc = 0;
        for (let k = op.offsets[j]!; k < op.offsets[j + 1]!; k++) acc += a[op.aIndex[k]!]! * b[op.bIndex[k]!]!;
        y[j] = acc;
      }
      return y;
    }
    case 'divide':
      return Float64Array.from(op.aIndex, (i, j) => a[i]! / b[op.bIndex[j]!]!);
    case 'softmax': {
      const y = new Float64Array(a.length);
      for (let r = 0; r + 1 < op.offsets.length; r++) {
        const row = op.index.slice(op.offsets[r], op.offsets[r + 1]);
        let m = -Infinity;
        for (const i of row) m = Math.max(m, a[i]!);
        let s = 0;
        for (const i of row) s += Math.exp(a[i]! - m);
        for (const i of row) y[i] = op.log ? a[i]! - m - Math.log(s) : Math.exp(a[i]! - m) / s;
      }
      return y;
    }
  }
}
