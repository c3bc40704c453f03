/**
 * Float semantics of the ops on two activations (products, division) and of Softmax /
 * LogSoftmax over rows: what the float executor computes for calibration and fidelity. The
 * op types are declared here (float-ir.ts imports them), so the two files form no cycle.
 */

/** y[j] = Σ_{k ∈ [offsets[j], offsets[j+1])} a[aIndex[k]] · b[bIndex[k]]: products of two activations. */
export interface ProductOp {
  readonly kind: 'product';
  readonly name: string;
  /** a */
  readonly input: string;
  /** b (may equal input: x·x) */
  readonly other: string;
  readonly output: string;
  readonly offsets: number[];
  readonly aIndex: number[];
  readonly bIndex: number[];
}

/**
 * y[j] = a[aIndex[j]] / b[bIndex[j]]: division of two activations (integer semantics: QDivide in
 * quantized-products.ts).
 */
export interface DivideOp {
  readonly kind: 'divide';
  readonly name: string;
  /** numerator a */
  readonly input: string;
  /** denominator b */
  readonly other: string;
  readonly output: string;
  readonly aIndex: number[];
  readonly bIndex: number[];
}

/**
 * Softmax (or LogSoftmax with `log`) over rows: row r is the input elements
 * index[offsets[r] .. offsets[r+1]); output has the input's shape and layout.
 */
export interface SoftmaxOp {
  readonly kind: 'softmax';
  readonly name: string;
  readonly input: string;
  readonly output: string;
  readonly offsets: number[];
  readonly index: number[];
  readonly log: boolean;
}

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
