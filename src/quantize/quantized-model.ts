/**
 * The quantized model: integer weights, power-of-two scales and the integer reference
 * executor that defines, bit for bit, what the circuit must compute. The types are declared
 * once, with the file format (src/formats/quantized-schema.ts); the integer semantics of each
 * kind are in integer-semantics.ts. This module gathers what the later stages use.
 */
import { applyDroppedFinal } from './dropped-final.js';
import type { QuantizedModel } from '../formats/quantized-schema.js';

export type {
  InputPart,
  QAdd,
  QBinary,
  QClamp,
  QConcat,
  QDivConst,
  QLeakyRelu,
  QLinear,
  QMaxPool,
  QOp,
  QOpKind,
  QOpOf,
  QOperand,
  QPermute,
  QRequantize,
  QReshape,
  QTable,
  QuantizedModel,
  QWhere,
  QBitwise,
} from '../formats/quantized-schema.js';
export {
  binaryNumber,
  clampNumber,
  divConstNumber,
  operandNumbers,
  requantizeNumber,
  runIntegerModel,
  tableNumber,
} from './integer-semantics.js';

/** Dequantizes the model output. */
export function dequantizeOutput(model: QuantizedModel, y: ArrayLike<number | bigint>): number[] {
  return Array.from(y, (v) => Number(v) / 2 ** model.output.frac);
}

/**
 * Whether an output of this shape is a vector of class scores: exactly one axis longer than 1
 * (e.g. [1, 10]). Only then is its argmax a prediction; a scalar, a regression vector of
 * length 1 or a map (segmentation, several heads) has none.
 */
export function isClassScoreVector(shape: readonly number[]): boolean {
  return shape.filter((d) => d > 1).length === 1;
}

/** Index of the largest value (first on ties). */
export function argmax(v: ArrayLike<number | bigint>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

/**
 * The dequantized output as the ONNX model reports it: with a dropped final Softmax or
 * LogSoftmax applied (outside the circuit, to the proven logits). `note` says so.
 */
export function reportedOutput(
  model: Pick<QuantizedModel, 'output' | 'droppedFinal'>,
  values: readonly number[],
): { values: number[]; note?: string } {
  const d = model.droppedFinal;
  if (!d) return { values: [...values] };
  return {
    values: applyDroppedFinal(d, model.output.shape, values),
    note: `the circuit proves the logits; ${d.op} (axis ${d.axis}) was applied outside it`,
  };
}
