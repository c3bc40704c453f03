/**
 * Circuit lowering of the quantized divide and softmax ops (src/quantize/quantized-products.ts)
 * onto the gadgets circuits/divide.ts and circuits/softmax.ts.
 */
import { R1csBuilder, Signal } from '../../circuits/builder.js';
import { divide } from '../../circuits/divide.js';
import { max2 } from '../../circuits/max.js';
import { softmaxRow } from '../../circuits/softmax.js';
import type { QDivide, QSoftmax } from '../quantize/quantized-products.js';

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

/** Softmax / LogSoftmax row by row; the output keeps the input's layout. */
export function buildSoftmax(b: R1csBuilder, op: QSoftmax, x: readonly Signal[]): Signal[] {
  const y: Signal[] = new Array(x.length);
  const params = { expBits: op.expBits, expTable: op.expTable.map(BigInt), log: op.log, outFrac: op.outFrac, sumBits: op.sumBits, logShift: op.logShift, logTable: op.logTable.map(BigInt) };
  let c = 0;
  for (let r = 0; r + 1 < op.offsets.length; r++) {
    const row = op.index.slice(op.offsets[r], op.offsets[r + 1]);
    const out = softmaxRow(b, row.map((i) => x[i]!), { ...params, cmpBits: op.cmpBits.slice(c, c + row.length - 1) });
    c += row.length - 1;
    row.forEach((i, k) => (y[i] = out[k]!));
  }
  return y;
}
