/**
 * Quantization of products of two activations, divisions and softmax rows. Every choice is
 * calibration-free: the output scales follow from the operands' scales and worst-case ranges,
 * and the operands themselves are materialized by quantize-graph.ts's helpers.
 */
import { quote, UserError } from '../errors.js';
import type { ProductOp } from './float-ir.js';
import type { TensorState } from './quantize-ops.js';
import type { QProduct } from './quantized-products.js';

function safe(v: number, name: string): number {
  if (!Number.isSafeInteger(v)) throw new UserError(`node ${quote(name)}: integer range exceeds 2^53; use fewer --activation-bits`);
  return v;
}

/** Range of u·v for u ∈ [ul, uh], v ∈ [vl, vh]; a square (same element) is never negative. */
function productRange(ul: number, uh: number, vl: number, vh: number, square: boolean): [number, number] {
  if (square) {
    const lo = ul <= 0 && uh >= 0 ? 0 : Math.min(ul * ul, uh * uh);
    return [lo, Math.max(ul * ul, uh * uh)];
  }
  const c = [ul * vl, ul * vh, uh * vl, uh * vh];
  return [Math.min(...c), Math.max(...c)];
}

/** Products of two activations: an accumulator at frac(a) + frac(b), bounded term by term. */
export function quantizeProduct(op: ProductOp, input: string, other: string, a: TensorState, b: TensorState): { op: QProduct; state: TensorState } {
  const lo: number[] = [];
  const hi: number[] = [];
  const sameTensor = input === other;
  for (let j = 0; j + 1 < op.offsets.length; j++) {
    let l = 0;
    let h = 0;
    for (let k = op.offsets[j]!; k < op.offsets[j + 1]!; k++) {
      const [i, m] = [op.aIndex[k]!, op.bIndex[k]!];
      const [pl, ph] = productRange(a.lo[i]!, a.hi[i]!, b.lo[m]!, b.hi[m]!, sameTensor && i === m);
      l += pl;
      h += ph;
    }
    lo.push(safe(l, op.name));
    hi.push(safe(h, op.name));
  }
  const q: QProduct = { kind: 'product', name: op.name, input, other, output: op.output, offsets: op.offsets, aIndex: op.aIndex, bIndex: op.bIndex };
  return { op: q, state: { frac: a.frac + b.frac, kind: 'acc', lo, hi } };
}
