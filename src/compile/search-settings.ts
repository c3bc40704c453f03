/**
 * The circuit side of `quantize --target-agreement` (src/quantize/search-settings.ts): the
 * search compares settings by constraint count, which only building the circuit tells. quantize
 * may not import compile, so the caller passes {@link circuitConstraints} to the search.
 */
import { buildCircuit } from './build-circuit.js';
import type { QuantizedModel } from '../formats/quantized-schema.js';

/** Constraints of `model`'s circuit, built witness-only on the quantized input `xq`. */
export function circuitConstraints(model: QuantizedModel, xq: number[]): number {
  return buildCircuit(model, xq, { witnessOnly: true }).circuit.nConstraints;
}
