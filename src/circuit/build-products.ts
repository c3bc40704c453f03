/**
 * Circuit lowering of the quantized divide and softmax ops (src/quantize/quantized-products.ts)
 * onto the gadgets circuits/divide.ts and circuits/softmax.ts.
 */
import { R1csBuilder, Signal } from '../../circuits/builder.js';
import { divide } from '../../circuits/divide.js';
import { max2 } from '../../circuits/max.js';
import type { QDivide } from '../quantize/quantized-products.js';

/** y[j] = floor(sign·a·2^shift / max(sign·b, 1)), the clamp proven only where it can act. */
export function buildDivide(b: R1csBuilder, op: QDivide, a: readonly Signal[], den: readonly Signal[]): Signal[] {
  const sign = BigInt(op.sign);
  return op.aIndex.map((i, j) => {
    let d = b.linear([[den[op.bIndex[j]!]!, sign]]);
    if (op.clampBits[j]! > 0) d = max2(b, d, b.constant(1n), op.clampBits[j]!);
    const n = b.linear([[a[i]!, sign << BigInt(op.shift)]]);
    return divide(b, n, d, { qOffset: BigInt(op.qOffset[j]!), qBits: op.qBits[j]!, rBits: op.rBits[j]! });
  });
}
