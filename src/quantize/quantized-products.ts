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
    // Every term and partial sum is checked: one beyond 2^53 would round silently, and the exact circuit would disagree.
    for (let k = op.offsets[j]!; k < op.offsets[j + 1]!; k++) acc = checkSafe(acc + checkSafe(a[op.aIndex[k]!]! * b[op.bIndex[k]!]!, op.name), op.name);
    y[j] = acc;
  }
  return y;
}

/**
 * y[j] = floor(n / d) with n = sign · a[aIndex[j]] · 2^shift and d = max(sign · b[bIndex[j]], 1)
 * (circuits/divide.ts): the quotient at frac(a) − frac(b) + shift, rounded toward −∞.
 *
 * `sign` is −1 when the denominator can never be positive (then −b is divided), +1 when it can
 * never be negative, and 0 when its worst-case range crosses zero: then the sign is proven per
 * element (`signBits`) and sign = +1 for b ≥ 0, −1 for b < 0, so y = floor(a·2^shift / b) for
 * every b ≠ 0. A denominator that can reach 0 is clamped to 1 ulp: x / 0 is x · 2^shift, the
 * largest quotient of its sign, never a failure. sign·b is never negative, so the clamp is
 * u + [u = 0] (an is-zero test, `clamp[j]`), emitted only where the range reaches 0.
 */
export interface QDivide {
  readonly kind: 'divide';
  readonly name: string;
  readonly input: string;
  readonly other: string;
  readonly output: string;
  readonly aIndex: number[];
  readonly bIndex: number[];
  readonly sign: 1 | -1 | 0;
  /** With sign 0: per element, the comparator width of the sign test b ≥ 0. */
  readonly signBits?: number[];
  readonly shift: number;
  /** Per element: whether sign·b can be 0, so the clamp max(sign·b, 1) = u + [u = 0] is proven. */
  readonly clamp: boolean[];
  /** Per element: the smallest quotient and the width of q − qOffset. */
  readonly qOffset: number[];
  readonly qBits: number[];
  /** Per element: the width of the remainder (d − 1 < 2^rBits). */
  readonly rBits: number[];
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

/**
 * Softmax (or LogSoftmax with `log`) over rows, exactly (circuits/softmax.ts): per row,
 * m = max x, d = x − m, e = expTable[d + 2^expBits − 1], S = Σ e;
 * softmax y = floor((2·e·2^outFrac + S) / 2S), e·2^outFrac / S rounded half up (probabilities at frac outFrac);
 * logsoftmax y = d − logTable[(S − E1) >> logShift] at the input's frac, with E1 = expTable's
 * last entry (the exponential of 0, the smallest possible S).
 */
export interface QSoftmax {
  readonly kind: 'softmax';
  readonly name: string;
  readonly input: string;
  readonly output: string;
  readonly offsets: number[];
  readonly index: number[];
  readonly log: boolean;
  /** Max comparator widths, rows in order (row length − 1 each). */
  readonly cmpBits: number[];
  readonly expBits: number;
  readonly expTable: number[];
  readonly outFrac: number;
  readonly sumBits: number;
  readonly logShift: number;
  readonly logTable: number[];
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
    const s = checkSafe(e.reduce((a, v) => a + v, 0), op.name);
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
