/**
 * Hashed weights in `model.quant.json` (`weights: 'hashed'`): what the mode hides and what it
 * cannot. The linear layers' weights and biases (Gemm, MatMul, Conv and every affine map fused
 * into them: BatchNormalization, Mul/Add by constants) become private witnesses under a
 * commitment, each range-checked to its layer's `weightBits`/`biasBits`. Every other field of the
 * model is compiled into the circuit, hence published by the key, so an op that still carries a
 * learned constant *tensor* is refused rather than silently published:
 *  - `trees`: the whole ensemble (thresholds, leaf values, base scores);
 *  - `table` with more than one table: a per-element parameter (PRelu slopes, Pow exponents);
 *  - constant operands with differing values: `binary` a/b, `bitwise` a/b, `where` cond/x/y,
 *    `gatherIndex` data (an embedding table), `divConst` divisor, `permute` fill (a Concat with
 *    a constant tensor, e.g. a learned token).
 * What stays public (architecture and hyperparameters, not learned tensors): shapes, scales, shifts
 * and widths; scalars such as clamp bounds, LeakyRelu alpha, a single table's function and parameter,
 * a constant operand or fill holding one value broadcast (padding fill, a scalar Max/Div), softmax
 * tables, index lists.
 */
import type { QOp, QOperand, QOpKind, QOpOf, QuantizedModel } from './quantized-schema.js';

/** How a model's linear weights reach the circuit: compiled-in constants, or private behind a commitment. */
export type WeightsMode = 'fixed' | 'hashed';

/** Every weights mode, the default first. */
export const WEIGHTS_MODES: readonly WeightsMode[] = ['fixed', 'hashed'];

/** The weights mode of a quantized model (absent `weights`: fixed). */
export function weightsModeOf(m: Pick<QuantizedModel, 'weights'>): WeightsMode {
  return m.weights ?? 'fixed';
}

/** Smallest signed width b ≥ 1 holding every value: each in [−2^(b−1), 2^(b−1) − 1]. */
export function signedWidth(values: Iterable<number>): number {
  let b = 1;
  for (const v of values) while (v < -(2 ** (b - 1)) || v > 2 ** (b - 1) - 1) b++;
  return b;
}

/** The range a signed width allows. */
export function signedRange(bits: number): { lo: number; hi: number } {
  return { lo: -(2 ** (bits - 1)), hi: 2 ** (bits - 1) - 1 };
}

/** More than one distinct value: a tensor, not a broadcast scalar. */
const varied = (a: readonly number[]): boolean => a.some((v) => v !== a[0]);
const constantTensor = (o: QOperand): boolean => 'constant' in o && varied(o.constant);
const firstConstant = (fields: Record<string, QOperand>): string | undefined =>
  Object.keys(fields).find((k) => constantTensor(fields[k]!));

/** The field of an op that holds a learned constant tensor, or undefined. */
type LearnedField<K extends QOpKind> = (op: QOpOf<K>) => string | undefined;

const none = (): undefined => undefined;

/** Per kind, where a learned constant tensor would sit (a new kind must decide here). */
const LEARNED_FIELDS: { readonly [K in QOpKind]: LearnedField<K> } = {
  // Hidden: its weight and bias are the committed witnesses.
  linear: none,
  requantize: none,
  reshape: none,
  maxpool: none,
  add: none,
  clamp: none,
  leakyRelu: none,
  permute: (op) => (op.fill && varied(op.fill.filter((_, i) => op.perm[i]! < 0)) ? 'fill' : undefined),
  concat: none,
  table: (op) => (op.tables.length > 1 ? 'tables' : undefined),
  binary: (op) => firstConstant({ a: op.a, b: op.b }),
  where: (op) => firstConstant({ cond: op.cond, x: op.x, y: op.y }),
  bitwise: (op) => firstConstant({ a: op.a, b: op.b }),
  divConst: (op) => (varied(op.divisor) ? 'divisor' : undefined),
  trees: () => 'trees',
  product: none,
  divide: none,
  softmax: none,
  gatherIndex: (op) => (constantTensor(op.data) ? 'data' : undefined),
  topk: none,
};

/** The field of `op` holding a learned constant tensor that hashed weights cannot hide, or undefined. */
export function learnedConstantField(op: QOp): string | undefined {
  return (LEARNED_FIELDS[op.kind] as LearnedField<QOpKind>)(op as never);
}

/** Why a hashed op is invalid (the quantizer's refusal and the reader's check share it). */
export function learnedConstantMessage(field: string): string {
  return `field ${field} is a learned constant tensor: --weights hashed hides only linear layers' weights and biases, and the circuit would publish it`;
}

/**
 * The hashed-weights rules of one op a schema cannot express: a linear op has `weightBits` and
 * `biasBits` exactly in a hashed model, with every value in its width; no op of a hashed model
 * carries a learned constant tensor. Returns what is wrong, or undefined.
 */
export function checkHashedOp(op: QOp, hashed: boolean): string | undefined {
  if (op.kind !== 'linear') {
    const f = hashed ? learnedConstantField(op) : undefined;
    return f === undefined ? undefined : learnedConstantMessage(f);
  }
  if (!hashed) {
    const extra = op.weightBits !== undefined ? 'weightBits' : op.biasBits !== undefined ? 'biasBits' : undefined;
    return extra && `field ${extra} belongs to a hashed-weights model (top-level weights: "hashed")`;
  }
  for (const [field, values, bits] of [
    ['weight', op.weight, op.weightBits],
    ['bias', op.bias, op.biasBits],
  ] as const) {
    if (bits === undefined) return `field ${field}Bits is missing (a hashed-weights model needs it on every linear op)`;
    const { lo, hi } = signedRange(bits);
    const i = values.findIndex((v) => v < lo || v > hi);
    if (i >= 0) return `field ${field}[${i}] = ${values[i]} does not fit ${field}Bits ${bits} (${lo}..${hi})`;
  }
  return undefined;
}
