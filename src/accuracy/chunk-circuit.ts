/**
 * The accuracy chunk circuit: C samples, each run through the model (the same gadgets as the
 * single-inference circuit, via modelSignals), argmax with the integer reference's tie-break,
 * equality with the label code, and the count of matches. Public signals, in order: the chunk
 * commitment c_i (src/accuracy/dataset-commitment.ts, step 3), the count and, for a model with
 * hashed weights, the weights commitment W. Private inputs: the C·inputSize quantized input
 * values, the C label codes, the chunk blinding r_i and, with hashed weights, every weight and
 * bias with W's blinding — once per chunk, shared by every sample (src/accuracy/chunk-weights.ts).
 *
 * Inputs and label codes are range-checked by their commitments' bit decompositions, so the
 * model sees exactly the committed, in-range integers; the model's outputs are then bounded
 * by construction, which is what the argmax comparator width relies on. A decomposition bounds
 * an input to [lo, lo + 2^bits − 1]; when the input range [lo, hi] is not that wide,
 * {@link assertInputIntervals} closes the gap, so every input is exactly in [lo, hi] as in the
 * single-inference circuit (label codes above the class count need no such check: they never
 * equal a prediction, so they can only lower the count).
 */
import { type BuilderOptions, BuiltCircuit, R1csBuilder, Signal } from '../../circuits/builder.js';
import { toSigned } from '../../circuits/field.js';
import { argmax, argmaxBits } from '../../circuits/argmax.js';
import { commitSignals } from '../../circuits/commitment.js';
import type { LookupConfig } from '../../circuits/lookup.js';
import { rangeSegments } from '../../circuits/range-check.js';
import { rangeBits } from '../../circuits/bit-length.js';
import { countMatches } from '../../circuits/count-matches.js';
import { poseidon } from '../../circuits/poseidon.js';
import { modelSignals, narrowerPartIntervals } from '../compile/build-circuit.js';
import { weightSignals } from '../compile/weight-signals.js';
import { hasHashedWeights } from './chunk-weights.js';
import { commitmentOptions, datasetEncoding, QuantizedChunk } from './dataset-commitment.js';
import { DatasetEncoding } from '../formats/dataset.js';
import type { QuantizedModel } from '../quantize/quantized-model.js';

/** Result of {@link buildChunkCircuit}. */
export interface ChunkBuild {
  readonly circuit: BuiltCircuit;
  /**
   * [chunk commitment, count] (then W with hashed weights) as decimal strings; a lookup build's
   * last public signal, the challenge, follows them and is set by the two-round prover.
   */
  readonly publicSignals: string[];
  readonly count: number;
  /** The circuit's predicted index per sample (padding included). */
  readonly predictions: number[];
}

/** Options of {@link buildChunkCircuit}. */
export interface ChunkBuildOptions {
  readonly witnessOnly?: boolean;
  readonly encoding?: DatasetEncoding;
  /** W's blinding (hashed weights only; default 0, as compile uses: the structure never depends on it). */
  readonly weightsBlinding?: bigint;
  /** LogUp lookups for the range checks (ultragroth chunk keys, as the build's own circuit). */
  readonly lookup?: BuilderOptions['lookup'];
}

/** Builds the chunk circuit for `model` over one quantized, padded chunk and its blinding r_i. */
export function buildChunkCircuit(
  model: QuantizedModel,
  chunk: QuantizedChunk,
  blinding: bigint,
  options: ChunkBuildOptions = {},
): ChunkBuild {
  const enc = options.encoding ?? datasetEncoding(model);
  const b = new R1csBuilder({
    witnessOnly: options.witnessOnly ?? false,
    ...(options.lookup ? { lookup: options.lookup } : {}),
  });
  const inputs = chunk.inputs.map((x) => x.map((v) => b.input(BigInt(v), 'private')));
  const codes = chunk.codes.map((c) => b.input(BigInt(c), 'private'));
  const r = b.input(blinding, 'private');
  // The weights once per chunk: every sample's model copy reads the same signals, so W covers them all.
  const weights = hasHashedWeights(model) ? weightSignals(b, model, options.weightsBlinding ?? 0n) : undefined;
  const hx = commitSignals(b, inputs.flat(), commitmentOptions(enc.inputCommitment)).hash;
  assertInputIntervals(b, model, enc, inputs);
  const hy = commitSignals(b, codes, commitmentOptions(enc.labelCommitment)).hash;
  const commitment = poseidon(b, [hx, hy, r]);
  const bits = argmaxBits(model.output.lo, model.output.hi);
  const indices = inputs.map((x) => argmax(b, modelSignals(b, model, x, undefined, weights), bits).index);
  const { count } = countMatches(b, indices, codes);
  b.exposeOutput(commitment);
  b.exposeOutput(count);
  if (weights) b.exposeOutput(weights.commitment);
  const circuit = b.finalize();
  return {
    circuit,
    publicSignals: circuit.witness.slice(1, weights ? 4 : 3).map((v) => v.toString()),
    count: Number(toSigned(count.value)),
    predictions: indices.map((s) => Number(s.value)),
  };
}

/**
 * Makes each input exactly in the model's [lo, hi] where the commitment's decomposition alone
 * does not: it proves lo' ≤ x ≤ lo' + 2^bits − 1 (lo' = −offset), so hi − x (or x − lo) gets one
 * more decomposition of bitLength(hi − lo) bits only when that side is loose — never for the
 * usual float input ranges, which are exactly 2^bits wide. Inputs of a graph input with a
 * narrower range of its own are checked against it in modelSignals instead, as in build-circuit.ts.
 */
function assertInputIntervals(b: R1csBuilder, model: QuantizedModel, enc: DatasetEncoding, inputs: Signal[][]): void {
  const { bits, offset = 0n } = commitmentOptions(enc.inputCommitment);
  const [lo, hi] = [BigInt(model.input.lo), BigInt(model.input.hi)];
  const w = rangeBits(lo, hi);
  const checkLo = -offset < lo;
  const checkHi = -offset + (1n << BigInt(bits)) - 1n > hi;
  if (!checkLo && !checkHi) return;
  const narrower = narrowerPartIntervals(model);
  for (const x of inputs)
    x.forEach((s, i) => {
      if (narrower[i]) return;
      // By bits (exactly bitDecompose's constraints) or, in a lookup build, by limbs.
      if (checkLo) rangeSegments(b, b.linear([[s, 1n]], -lo), [w]);
      if (checkHi) rangeSegments(b, b.linear([[s, -1n]], hi), [w]);
    });
}

/** A chunk of all-padding samples: what compile uses as placeholder (structure never depends on values). */
export function placeholderChunk(enc: DatasetEncoding, chunkSize: number): QuantizedChunk {
  return {
    inputs: Array.from({ length: chunkSize }, () => new Array<number>(enc.inputSize).fill(enc.padValue)),
    codes: new Array<number>(chunkSize).fill(0),
    samples: 0,
  };
}

/**
 * Constraints of the chunk circuit for 1 and 2 samples: the fixed part and the per-sample part
 * (`lookup`: the build's lookup configuration; its tables land in the fixed part).
 */
export function chunkCost(model: QuantizedModel, lookup?: LookupConfig): { perSample: number; fixed: number } {
  const enc = datasetEncoding(model);
  const n = (c: number) =>
    buildChunkCircuit(model, placeholderChunk(enc, c), 0n, { witnessOnly: true, encoding: enc, lookup }).circuit
      .nConstraints;
  const one = n(1);
  const perSample = n(2) - one;
  return { perSample, fixed: one - perSample };
}

/** Exact constraint count of the chunk circuit for C samples (a witness-only build of a placeholder chunk). */
export function chunkConstraints(model: QuantizedModel, chunkSize: number, lookup?: LookupConfig): number {
  const chunk = placeholderChunk(datasetEncoding(model), chunkSize);
  return buildChunkCircuit(model, chunk, 0n, { witnessOnly: true, lookup }).circuit.nConstraints;
}

/**
 * The default chunk size: estimated proving work is domain·log(domain) per chunk (the FFTs and
 * multi-exponentiations of Groth16 grow like that) plus a fixed per-proof cost. Among domains
 * 2^10..2^17 (larger ones need more than 1 GB per proving worker) it picks the size that fills
 * a domain best for this many samples. The linear estimate of each domain's capacity is then
 * corrected with exact constraint counts (the commitments' Poseidon chains grow in steps), so
 * the chunk really lands in the domain. It depends on the model and N only, not on the
 * machine, so `dataset commit` and `accuracy` agree on it.
 */
export function chooseChunkSize(
  model: QuantizedModel,
  samples: number,
  lookup?: LookupConfig,
): { chunkSize: number; power: number; perSample: number; fixed: number } {
  const cost = chunkCost(model, lookup);
  const perProof = 2 ** 12 * 12; // ≈ a 2^12 proof's work: witness I/O, curve set-up, the final steps
  // Public signals (with W when hashed, and the challenge in a lookup build) and the constant.
  const extra = (hasHashedWeights(model) ? 4 : 3) + (lookup ? 1 : 0);
  const fits = (c: number, power: number) => chunkConstraints(model, c, lookup) + extra <= 2 ** power;
  let best = { chunkSize: 1, power: 0, work: Infinity };
  for (let power = 10; power <= 17; power++) {
    let c = Math.min(Math.floor((2 ** power - cost.fixed - extra) / cost.perSample), samples);
    if (c < 1) continue;
    const chunks = Math.ceil(samples / c);
    // Same number of chunks with fewer samples each: balanced chunks, less padding.
    c = Math.ceil(samples / chunks);
    while (c > 1 && !fits(c, power)) c--;
    if (!fits(c, power)) continue;
    const work = Math.ceil(samples / c) * (2 ** power * power + perProof);
    if (work < best.work) best = { chunkSize: c, power, work };
  }
  return { chunkSize: best.chunkSize, power: best.power, ...cost };
}
