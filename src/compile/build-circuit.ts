/**
 * Lowers a quantized model to R1CS with the gadget library (one emitter per op kind, in
 * circuit-emitters.ts), computing the witness on the way.
 * The same function compiles (with a placeholder input) and generates witnesses (with the
 * real input, optionally in witness-only mode): gadget structure never depends on values, so
 * both runs produce the same wires in the same order.
 */
import { BuilderOptions, BuiltCircuit, R1csBuilder, Signal } from '../../circuits/builder.js';
import { toSigned } from '../../circuits/field.js';
import { rangeBits } from '../../circuits/bit-length.js';
import { commitSignals, CommitmentOptions } from '../../circuits/commitment.js';
import { packedCount, PackOptions, packSignals } from '../../circuits/pack.js';
import { assertInInterval } from '../../circuits/range-check.js';
import type { QuantizedModel } from '../formats/quantized-schema.js';
import { eachInputPart } from '../quantize/quantize-input.js';
import { emitOp } from './circuit-emitters.js';
import { hasHashedWeights } from '../formats/quantized-model.js';
import { weightSignals, WeightSignals } from './weight-signals.js';

/**
 * How inputs and outputs appear to the verifier: `public` puts every value in the public
 * signals; `hashed` range-checks the values in the circuit and exposes one Poseidon
 * commitment (see circuits/commitment.ts) instead.
 */
export type Visibility = 'public' | 'hashed' | 'packed';

/**
 * The visibilities, for flag validation. `packed` (outputs only) keeps the values public but
 * packs them into as few field elements as possible (circuits/pack.ts): cheaper on chain.
 */
export const VISIBILITIES: readonly Visibility[] = ['public', 'hashed', 'packed'];

/** Commitment encoding of the model input: every value of [lo, hi] shifted to [0, 2^bits). */
export function inputCommitmentParams(input: QuantizedModel['input']): CommitmentOptions {
  return { bits: rangeBits(input.lo, input.hi), offset: BigInt(-input.lo) };
}

/** Commitment encoding of the model output, from its worst-case range. */
export function outputCommitmentParams(output: QuantizedModel['output']): CommitmentOptions {
  return { bits: rangeBits(output.lo, output.hi), offset: BigInt(-output.lo) };
}

/** Packing of the model output for `packed` visibility; its range is guaranteed by the circuit. */
export function packParams(output: QuantizedModel['output']): PackOptions {
  return { bits: rangeBits(output.lo, output.hi), offset: BigInt(-output.lo) };
}

/** Where each part sits in the public-signal vector. */
export interface PublicLayout {
  readonly output: { readonly visibility: Visibility; readonly offset: number; readonly count: number };
  readonly input: { readonly visibility: Visibility; readonly offset: number; readonly count: number };
  /** Hashed weights only: the weight commitment W (after the input commitment, before public inputs). */
  readonly weights?: { readonly visibility: 'hashed'; readonly offset: number; readonly count: 1 };
  readonly nPublic: number;
}

/** Options for {@link buildCircuit}. */
export interface BuildOptions {
  readonly inputVisibility?: Visibility;
  readonly outputVisibility?: Visibility;
  readonly witnessOnly?: boolean;
  /** Blinding of the input commitment (hashed input): a private input wire; 0 when compiling. */
  readonly inputBlinding?: bigint;
  /** Blinding of the output commitment (hashed output). */
  readonly outputBlinding?: bigint;
  /**
   * Blinding r of the weight commitment W (hashed-weights models only, an error otherwise): a
   * private input wire; 0 when compiling. The weights are the model's own (placeholders when compiling).
   */
  readonly weightsBlinding?: bigint;
  /** Called after each op with the constraints it added: where the circuit's cost goes (`inspect`). */
  readonly onOpCost?: OpCostListener;
  /** Passed to the builder: called as the circuit grows (compile's heap guard, memory-guard.ts). */
  readonly onGrowth?: BuilderOptions['onGrowth'];
  /** Passed to the builder: range checks and table functions by LogUp lookups (circuits/lookup.ts). */
  readonly lookup?: BuilderOptions['lookup'];
}

/** Receives one op's share of the constraints (see {@link modelSignals}). */
export type OpCostListener = (op: { readonly kind: string; readonly name: string }, constraints: number) => void;

/** A built circuit plus what the proof will reveal. */
export interface CircuitBuild {
  readonly circuit: BuiltCircuit;
  readonly layout: PublicLayout;
  /** The output integers (signed). */
  readonly output: bigint[];
  /** Public signals as decimal strings, in snarkjs order. */
  readonly publicSignals: string[];
}

/**
 * Per element of the flat input, its graph input's [lo, hi] when narrower than the flat input's
 * (undefined otherwise). The flat range — all that the public check and the input commitment
 * enforce — spans every part, so without this an integer input could leave its own calibrated
 * range (a class id of 50 where calibration saw 0..9) while the bundle claims that range.
 */
export function narrowerPartIntervals(model: Pick<QuantizedModel, 'input'>): Array<[bigint, bigint] | undefined> {
  const out: Array<[bigint, bigint] | undefined> = [];
  for (const p of model.input.parts ?? []) {
    const n = p.shape.reduce((a, c) => a * c, 1);
    const iv: [bigint, bigint] | undefined =
      p.lo > model.input.lo || p.hi < model.input.hi ? [BigInt(p.lo), BigInt(p.hi)] : undefined;
    for (let k = 0; k < n; k++) out.push(iv);
  }
  return out;
}

/** Builds the circuit for `model` on the quantized input `xq`. */
export function buildCircuit(model: QuantizedModel, xq: readonly number[], options: BuildOptions = {}): CircuitBuild {
  const b = new R1csBuilder({
    witnessOnly: options.witnessOnly ?? false,
    onGrowth: options.onGrowth,
    lookup: options.lookup,
  });
  const inputVisibility = options.inputVisibility ?? 'public';
  const outputVisibility = options.outputVisibility ?? 'public';
  const inputs = xq.map((v) => b.input(BigInt(v), inputVisibility === 'public' ? 'public' : 'private'));
  // Every input is range-checked in the circuit: hashed ones by the commitment's decomposition,
  // public ones here. A verifier (a contract calling verifyProof, say) that checks nothing but
  // the pairing must reach the same verdict as zkinfer's own verifier; an out-of-range public
  // input (a pixel of 415) would otherwise flip a prediction with a valid proof.
  // Elements of a graph input with a narrower range than the whole are checked against their own
  // range in modelSignals instead.
  const narrower = narrowerPartIntervals(model);
  if (inputVisibility === 'public')
    inputs.forEach((s, i) => narrower[i] || assertInInterval(b, s, BigInt(model.input.lo), BigInt(model.input.hi)));
  const inputHash =
    inputVisibility === 'hashed'
      ? commitSignals(b, inputs, {
          ...inputCommitmentParams(model.input),
          blinding: b.input(options.inputBlinding ?? 0n, 'private'),
        }).hash
      : undefined;
  const hashedWeights = hasHashedWeights(model);
  if (!hashedWeights && options.weightsBlinding !== undefined)
    throw new Error('weightsBlinding given for a fixed-weights model');
  const weights = hashedWeights ? weightSignals(b, model, options.weightsBlinding ?? 0n) : undefined;
  const y = modelSignals(b, model, inputs, options.onOpCost, weights);
  // Public-signal order: output values or their commitment, then the input commitment, then W
  // (hashed weights), then public inputs.
  if (outputVisibility === 'public') for (const s of y) b.exposeOutput(s);
  else if (outputVisibility === 'packed')
    for (const e of packSignals(b, y, packParams(model.output))) b.exposeOutput(e);
  else
    b.exposeOutput(
      commitSignals(b, y, {
        ...outputCommitmentParams(model.output),
        blinding: b.input(options.outputBlinding ?? 0n, 'private'),
      }).hash,
    );
  if (inputHash) b.exposeOutput(inputHash);
  if (weights) b.exposeOutput(weights.commitment);
  const circuit = b.finalize();
  const outCount =
    outputVisibility === 'public'
      ? y.length
      : outputVisibility === 'packed'
        ? packedCount(y.length, packParams(model.output).bits)
        : 1;
  const inputCount = inputVisibility === 'public' ? xq.length : 1;
  // Public inputs follow every exposed output (W included); an input commitment precedes W.
  const inputOffset = outCount + (weights && inputVisibility === 'public' ? 1 : 0);
  const weightsOffset = outCount + (inputVisibility === 'public' ? 0 : 1);
  const layout: PublicLayout = {
    output: { visibility: outputVisibility, offset: 0, count: outCount },
    input: { visibility: inputVisibility, offset: inputOffset, count: inputCount },
    ...(weights ? { weights: { visibility: 'hashed', offset: weightsOffset, count: 1 } as const } : {}),
    nPublic: circuit.nPubOut + circuit.nPubIn,
  };
  const publicSignals = circuit.witness.slice(1, 1 + layout.nPublic).map((v) => v.toString());
  return { circuit, layout, output: y.map((s) => toSigned(s.value)), publicSignals };
}

/**
 * The model's ops on input signals, returning the output signals: the part of the circuit every
 * model circuit shares (one inference here; one per sample in the accuracy chunk circuit).
 * `weights` is required for a hashed-weights model (its {@link weightSignals}, made once and
 * shared by every sample) and refused otherwise.
 */
export function modelSignals(
  b: R1csBuilder,
  model: QuantizedModel,
  inputs: Signal[],
  onOpCost?: OpCostListener,
  weights?: WeightSignals,
): Signal[] {
  // A hashed-weights model's linear ops take their weights from the signals, never from the file.
  if (hasHashedWeights(model) !== (weights !== undefined))
    throw new Error(
      hasHashedWeights(model)
        ? 'hashed-weights model without weight signals'
        : 'weight signals for a fixed-weights model',
    );
  narrowerPartIntervals(model).forEach((iv, i) => iv && assertInInterval(b, inputs[i]!, iv[0], iv[1]));
  const tensors = new Map<string, Signal[]>();
  tensors.set(model.input.name, inputs);
  eachInputPart(model, inputs, (name, part) => tensors.set(name, part));
  for (const op of model.ops) {
    const before = b.nConstraints;
    tensors.set(op.output, emitOp(b, op, tensors.get(op.input)!, tensors, weights));
    onOpCost?.(op, b.nConstraints - before);
  }
  return [...tensors.get(model.output.name)!];
}
