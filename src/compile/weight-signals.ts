/**
 * The weights of a hashed-weights model (issue 21) as circuit signals: every linear op's
 * weights and biases become private input wires, committed to once by W
 * (circuits/weight-commitment.ts), and the linear emitters multiply by them instead of by
 * constants.
 */
import { R1csBuilder, Signal } from '../../circuits/builder.js';
import type { LookupConfig } from '../../circuits/lookup.js';
import { commitWeightSignals, commitWeightValues, weightCommitmentCost } from '../../circuits/weight-commitment.js';
import type { QLinear, QuantizedModel } from '../formats/quantized-schema.js';
import { hasHashedWeights } from '../formats/quantized-model.js';

/** One run of committed values: a linear op's weights or its biases. */
export interface WeightSegment {
  readonly op: string;
  readonly part: 'weight' | 'bias';
  readonly values: readonly number[];
  /** Signed width: every value in [−2^(bits−1), 2^(bits−1) − 1]. */
  readonly bits: number;
}

/** The weight signals of every linear op, and their commitment W. */
export interface WeightSignals {
  readonly byOp: ReadonlyMap<string, { readonly weight: Signal[]; readonly bias: Signal[] }>;
  readonly commitment: Signal;
}

function width(op: QLinear, field: 'weightBits' | 'biasBits'): number {
  const bits = op[field];
  if (bits === undefined) throw new Error(`linear op "${op.name}" of a hashed-weights model has no ${field}`);
  return bits;
}

/**
 * The committed values in W's order: for each linear op in model order, its weights (width
 * weightBits), then its biases (width biasBits). Throws for a fixed-weights model.
 */
export function weightSegments(model: QuantizedModel): WeightSegment[] {
  if (!hasHashedWeights(model)) throw new Error('weightSegments: the model has fixed weights');
  const out: WeightSegment[] = [];
  for (const op of model.ops) {
    if (op.kind !== 'linear') continue;
    // weightSignals hands out wires by op name: a repeated name would let one op read another's weights.
    if (out.some((s) => s.op === op.name)) throw new Error(`two linear ops are named "${op.name}"`);
    out.push({ op: op.name, part: 'weight', values: op.weight, bits: width(op, 'weightBits') });
    out.push({ op: op.name, part: 'bias', values: op.bias, bits: width(op, 'biasBits') });
  }
  return out;
}

/**
 * Constraints the weights themselves add (each value's range check and the Poseidon chain of W);
 * the products weight × activation are counted with their linear ops. `lookup`: the build's
 * lookup configuration (each lookup counted as the constraint it becomes; undefined = bits).
 */
export function weightsOwnCost(model: QuantizedModel, lookup?: LookupConfig): number {
  const shapes = weightSegments(model).map((s) => ({ bits: s.bits, count: s.values.length }));
  return weightCommitmentCost(shapes, lookup).total;
}

/** Number of integers W commits to. */
export function weightValueCount(model: QuantizedModel): number {
  return weightSegments(model).reduce((a, s) => a + s.values.length, 0);
}

/**
 * Allocates every weight and bias as a private input, and the blinding after them, and commits
 * to them (range checks and Poseidon). Throws WitnessRangeError while computing the witness when
 * a value is outside its width.
 */
export function weightSignals(b: R1csBuilder, model: QuantizedModel, blinding: bigint): WeightSignals {
  const segments = weightSegments(model).map((s) => ({
    ...s,
    signals: s.values.map((v) => b.input(BigInt(v), 'private')),
  }));
  const r = b.input(blinding, 'private');
  const commitment = commitWeightSignals(b, segments, r);
  const byOp = new Map<string, { weight: Signal[]; bias: Signal[] }>();
  for (const s of segments) {
    const entry = byOp.get(s.op) ?? { weight: [], bias: [] };
    entry[s.part] = s.signals;
    byOp.set(s.op, entry);
  }
  return { byOp, commitment };
}

/** W off-circuit: what {@link weightSignals} exposes for these weights and blinding. */
export function weightsCommitment(model: QuantizedModel, blinding: bigint): Promise<bigint> {
  return commitWeightValues(
    weightSegments(model).map((s) => ({ bits: s.bits, values: s.values.map(BigInt) })),
    blinding,
  );
}

/**
 * The model with every weight and bias set to 0 (the compile placeholder): the circuit's
 * structure does not depend on the values, and compiling never touches the real ones.
 */
export function withPlaceholderWeights(model: QuantizedModel): QuantizedModel {
  return {
    ...model,
    ops: model.ops.map((op) =>
      op.kind === 'linear' ? { ...op, weight: op.weight.map(() => 0), bias: op.bias.map(() => 0) } : op,
    ),
  };
}
