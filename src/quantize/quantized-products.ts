/**
 * Quantized ops on two activations and softmax rows: their types and exact integer semantics
 * (the integer reference the circuit must reproduce bit for bit).
 */
import type { ProductOp } from './float-ir.js';

/**
 * y[j] = Σ a[aIndex[k]] · b[bIndex[k]] over k ∈ [offsets[j], offsets[j+1]): an accumulator at
 * frac(a) + frac(b) (circuits/product.ts). Both operands are materialized activations.
 */
export interface QProduct extends Omit<ProductOp, 'kind'> {
  readonly kind: 'product';
}

function checkSafe(v: number, op: string): number {
  if (!Number.isSafeInteger(v)) throw new Error(`integer overflow in op "${op}": ${v}`);
  return v;
}

/** The exact integer semantics of {@link QProduct}. */
export function productNumbers(op: QProduct, a: readonly number[], b: readonly number[]): number[] {
  const y: number[] = new Array(op.offsets.length - 1);
  for (let j = 0; j < y.length; j++) {
    let acc = 0;
    for (let k = op.offsets[j]!; k < op.offsets[j + 1]!; k++) acc += a[op.aIndex[k]!]! * b[op.bIndex[k]!]!;
    y[j] = checkSafe(acc, op.name);
  }
  return y;
}
