/**
 * Circuit lowering of the quantized divide and softmax ops (src/formats/quantized-products.ts)
 * onto the gadgets circuits/divide.ts and circuits/softmax.ts.
 */
import { R1csBuilder, Signal } from '../../circuits/builder.js';
import { divide } from '../../circuits/divide.js';
import { isNonNegative } from '../../circuits/max.js';
import { isZero } from '../../circuits/is-zero.js';
import { softmaxRow } from '../../circuits/softmax.js';
import type { QDivide, QSoftmax } from '../formats/quantized-products.js';

/** y[j] = floor(sign·a·2^shift / max(sign·b, 1)), the clamp proven only where it can act. */
export function buildDivide(b: R1csBuilder, op: QDivide, a: readonly Signal[], den: readonly Signal[]): Signal[] {
  return op.aIndex.map((i, j) => {
    const bj = den[op.bIndex[j]!]!;
    const aj = b.linear([[a[i]!, 1n << BigInt(op.shift)]]);
    let d: Signal;
    let n: Signal;
    if (op.sign === 0) {
      // t = ±1 from the proven sign of b; |b| = t·b and the numerator t·a: one product each.
      const t = b.linear([[isNonNegative(b, bj, op.signBits![j]!), 2n]], -1n);
      d = b.mul(t, bj);
      n = b.mul(t, aj);
    } else {
      d = b.linear([[bj, BigInt(op.sign)]]);
      n = b.linear([[aj, BigInt(op.sign)]]);
    }
    // d ≥ 0 here, so max(d, 1) = d + [d = 0].
    if (op.clamp[j]) d = b.add(d, isZero(b, d));
    return divide(b, n, d, { qOffset: BigInt(op.qOffset[j]!), qBits: op.qBits[j]!, rBits: op.rBits[j]! });
  });
}

/** Softmax / LogSoftmax row by row; the output keeps the input's layout. */
export function buildSoftmax(b: R1csBuilder, op: QSoftmax, x: readonly Signal[]): Signal[] {
  const y: Signal[] = new Array(x.length);
  const params = {
    expBits: op.expBits,
    expTable: op.expTable.map(BigInt),
    log: op.log,
    outFrac: op.outFrac,
    sumBits: op.sumBits,
    logShift: op.logShift,
    logTable: op.logTable.map(BigInt),
  };
  let c = 0;
  for (let r = 0; r + 1 < op.offsets.length; r++) {
    const row = op.index.slice(op.offsets[r], op.offsets[r + 1]);
    const out = softmaxRow(
      b,
      row.map((i) => x[i]!),
      { ...params, cmpBits: op.cmpBits.slice(c, c + row.length - 1) },
    );
    c += row.length - 1;
    row.forEach((i, k) => (y[i] = out[k]!));
  }
  return y;
}
