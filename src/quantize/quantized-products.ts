/**
 * Quantized ops on two activations and softmax rows: their exact integer semantics (the
 * integer reference the circuit must reproduce bit for bit). Their types and meaning are
 * declared with the file format, in src/formats/quantized-products.ts.
 */
import type { QDivide, QProduct, QSoftmax } from '../formats/quantized-products.js';

function checkSafe(v: number, op: string): number {
  if (!Number.isSafeInteger(v)) throw new Error(`integer overflow in op "${op}": ${v}`);
  return v;
}

/** The exact integer semantics of {@link QProduct}. */
export function productNumbers(op: QProduct, a: readonly number[], b: readonly number[]): number[] {
  const y: number[] = new Array(op.offsets.length - 1);
  for (let j = 0; j < y.length; j++) {
    let acc = 0;
    // Every term and partial sum is checked: one beyond 2^53 would round silently, and the exact
    // circuit would disagree.
    for (let k = op.offsets[j]!; k < op.offsets[j + 1]!; k++)
      acc = checkSafe(acc + checkSafe(a[op.aIndex[k]!]! * b[op.bIndex[k]!]!, op.name), op.name);
    y[j] = acc;
  }
  return y;
}

/** The exact integer semantics of {@link QDivide} for one element. */
export function divideNumber(a: number, b: number, sign: 1 | -1 | 0, shift: number): number {
  const s = sign === 0 ? (b >= 0 ? 1 : -1) : sign;
  const n = BigInt(s * a) * (1n << BigInt(shift));
  const d = BigInt(Math.max(s * b, 1));
  const q = n / d;
  return Number(q * d > n ? q - 1n : q) || 0;
}

/** The exact integer semantics of {@link QDivide}. */
export function divideNumbers(op: QDivide, a: readonly number[], b: readonly number[]): number[] {
  // A quotient beyond 2^53 would come back rounded (the circuit keeps it exact): refuse it instead.
  return op.aIndex.map((i, j) => checkSafe(divideNumber(a[i]!, b[op.bIndex[j]!]!, op.sign, op.shift), op.name));
}

/** The exact integer semantics of {@link QSoftmax}. */
export function softmaxNumbers(op: QSoftmax, x: readonly number[]): number[] {
  const y: number[] = new Array(x.length).fill(0);
  const expLo = 1 - 2 ** op.expBits;
  const one = op.expTable[op.expTable.length - 1]!;
  for (let r = 0; r + 1 < op.offsets.length; r++) {
    const row = op.index.slice(op.offsets[r], op.offsets[r + 1]);
    let m = -Infinity;
    for (const i of row) m = Math.max(m, x[i]!);
    const e = row.map((i) => {
      const v = op.expTable[x[i]! - m - expLo];
      if (v === undefined) throw new Error(`op "${op.name}": ${x[i]! - m} outside the exp table's domain`);
      return v;
    });
    const s = checkSafe(
      e.reduce((a, v) => a + v, 0),
      op.name,
    );
    if (op.log) {
      const l = op.logTable[Math.floor((s - one) / 2 ** op.logShift)]!;
      row.forEach((i) => (y[i] = x[i]! - m - l));
    } else {
      // floor(x / 2s) in float64 is exact while x + 2s < 2^53 (x/2s then cannot round up to the next integer).
      for (const k of e) checkSafe(2 * k * 2 ** op.outFrac + 3 * s, op.name);
      row.forEach((i, k) => (y[i] = Math.floor((2 * e[k]! * 2 ** op.outFrac + s) / (2 * s))));
    }
  }
  return y;
}
