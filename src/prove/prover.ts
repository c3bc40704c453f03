/**
 * The prove stage: input → witness (checked against the r1cs on disk) → Groth16 proof →
 * bundle. A {@link Prover} loads a build directory once and proves many inputs with it.
 */
import * as snarkjs from 'snarkjs';
import { findViolatedConstraint, type BuiltCircuit } from '../../circuits/builder.js';
import { WitnessRangeError } from '../../circuits/range-check.js';
import { artifactPath, openingPathFor } from '../formats/paths.js';
import { VERSIONS } from '../core/versions.js';
import { writeJsonAtomic } from '../core/atomic-write.js';
import { checkBuildConsistency, type CheckedBuildDir } from './build-consistency.js';
import type { ProofBundle } from '../formats/bundle.js';
import { buildCircuit } from '../compile/build-circuit.js';
import { proofSystemOf, type CircuitInfo } from '../formats/circuit.js';
import { lookupOptionOf } from '../compile/proof-system.js';
import { proofVerifies } from '../verify/proof-check.js';
import { proveWitness, type MadeProof } from './two-round.js';
import { assembleBundle } from './assemble-bundle.js';
import { encodeWtns } from '../compile/r1cs-file.js';
import { UserError } from '../core/errors.js';
import { floatCheckUnavailable, OnnxRuntimeRefusal, runOnnxRuntime } from '../quantize/onnx-runtime.js';
import { requiredFloatCheckError } from '../quantize/fidelity.js';
import { argmax, dequantizeOutput, QuantizedModel, reportedOutput } from '../quantize/quantized-model.js';
import { quantizeInputReport } from '../quantize/quantize-input.js';
import { useSingleThreadCurve } from '../runtime/curve.js';
import { proverCurve } from './groth16/curve-api.js';
import { Groth16Prover } from './groth16/groth16-prover.js';
import { ProvingKeyError } from './groth16/proving-key.js';
import { Opening, OPENING_FORMAT, OPENING_VERSION, randomBlinding, writeOpening } from '../formats/opening.js';
import {
  hasHashedWeights,
  loadWeightsOpening,
  readBuildWeightsOpening,
  type LoadedWeightsOpening,
} from './weights-opening.js';

/** Options of {@link createProver}. */
export interface ProverOptions {
  readonly buildDir: string;
  /** Compare each proven output with onnxruntime's float output (default true). */
  readonly fidelity?: boolean;
  /**
   * When onnxruntime refuses the model, fail (exit 2) instead of recording the float check as
   * unavailable in the bundle (`fidelity.unavailable`).
   */
  readonly requireFloatCheck?: boolean;
  /**
   * Prove on one single-threaded curve (default false: snarkjs's multi-threaded curve). Needed
   * inside worker_threads, where the multi-threaded curve fails to start.
   */
  readonly singleThread?: boolean;
  /**
   * Which Groth16 prover makes the proof: zkinfer's own (default; src/prove/groth16/, the key
   * kept parsed in memory) or snarkjs's `groth16.prove` on the same key, kept for comparison
   * (the bench) and as a reference. Both make proofs of the same key and shape.
   */
  readonly groth16Prover?: 'zkinfer' | 'snarkjs';
}

/** Per-input options of {@link Prover.prove}. */
export interface ProveInputOptions {
  /** Where the input came from, recorded in the bundle (unverified). */
  readonly source?: string;
  /** Refuse inputs with values outside the quantized range instead of clamping them. */
  readonly strictRange?: boolean;
  /** Blinding of the input commitment (hashed input); fresh random when absent. */
  readonly inputBlinding?: bigint;
  /** Blinding of the output commitment (hashed output); fresh random when absent. */
  readonly outputBlinding?: bigint;
}

/** A proof: the bundle to publish and, for hashed inputs or outputs, the opening to keep. */
export interface ProofResult {
  readonly bundle: ProofBundle;
  readonly opening?: Opening;
}

/** A loaded build directory, ready to prove inputs. */
export interface Prover {
  readonly model: QuantizedModel;
  readonly circuit: CircuitInfo;
  /** Hash of the build's verification key. */
  readonly vkeyHash: string;
  /** Proves one float input (model layout, flattened). */
  prove(input: Float64Array, options?: ProveInputOptions): Promise<ProofResult>;
}

/** Thrown when a witness does not satisfy the circuit: a bug, never a user error. */
export class WitnessCheckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WitnessCheckError';
  }
}

/** A build directory loaded for proving: checked files, the zkey in memory. */
interface Loaded extends CheckedBuildDir {
  readonly buildDir: string;
  readonly opts: ProverOptions;
  /** Hashed weights: the build's weight opening, read and checked once, at the first proof. */
  readonly weights: () => Promise<LoadedWeightsOpening | undefined>;
  /** The parsed proving key, made on the first proof (it needs the curve) and kept. */
  own?: Promise<Groth16Prover>;
}

/** Loads everything proving needs from a build directory, once. */
export function createProver(opts: ProverOptions): Prover {
  const { buildDir } = opts;
  // Every file checked against the others (hashes recorded at compile/setup, zkey ↔ vkey content).
  const checked = checkBuildConsistency(buildDir);
  // A hashed build without its weight opening fails here, before any input is read (exit 2).
  if (hasHashedWeights(checked.circuit)) readBuildWeightsOpening(buildDir, checked.circuit);
  let weights: Promise<LoadedWeightsOpening | undefined> | undefined;
  const l: Loaded = {
    ...checked,
    buildDir,
    opts,
    weights: () =>
      (weights ??= hasHashedWeights(checked.circuit)
        ? loadWeightsOpening(buildDir, checked.model, checked.circuit)
        : Promise.resolve(undefined)),
  };
  return {
    model: l.model,
    circuit: l.circuit,
    vkeyHash: l.setup.vkeyHash,
    prove: (input, meta = {}) => proveInput(l, input, meta),
  };
}

/** The witness of one quantized input, checked against the r1cs on disk. */
function checkedWitness(
  l: Loaded,
  xq: Parameters<typeof buildCircuit>[1],
  where: string,
  blindings: { inputBlinding?: bigint; outputBlinding?: bigint; weightsBlinding?: bigint },
): ReturnType<typeof buildCircuit> {
  const { model, circuit, r1cs, buildDir } = l;
  let build;
  try {
    build = buildCircuit(model, xq, {
      witnessOnly: true,
      inputVisibility: circuit.layout.input.visibility,
      outputVisibility: circuit.layout.output.visibility,
      // ultragroth: the round-1 witness (lookups as compiled); round 2 needs the prover's challenge.
      lookup: lookupOptionOf(circuit),
      ...blindings,
    });
  } catch (e) {
    if (e instanceof WitnessRangeError) throw new UserError(`${where}: ${e.message}`);
    throw e;
  }
  const witness = build.circuit.witness;
  if (witness.length !== r1cs.nWires) {
    // The gadgets changed since this directory was compiled (another zkinfer build): stale artifacts, not a bad input.
    throw new UserError(
      `${artifactPath(buildDir, 'r1cs')}: compiled by zkinfer ${circuit.zkinfer} for a different circuit layout (${r1cs.nWires} wires; this zkinfer ${VERSIONS.zkinfer} builds ${witness.length}); run \`zkinfer compile\` and \`zkinfer setup\` on ${buildDir} again`,
    );
  }
  // ultragroth: the completed witness is checked once the challenge is known (two-round.ts).
  if (circuit.lookup) return build;
  // snarkjs does not check the witness: a bad one would yield a proof that fails only at verification.
  const bad = findViolatedConstraint(r1cs.constraints, witness);
  if (bad >= 0) throw new WitnessCheckError(`witness violates constraint ${bad} of ${artifactPath(buildDir, 'r1cs')}`);
  return build;
}

/** Proves one float input with a loaded build directory. */
async function proveInput(l: Loaded, input: Float64Array, meta: ProveInputOptions): Promise<ProofResult> {
  const { model, circuit, vkey, buildDir, opts } = l;
  const { values: xq, clamped } = quantizeInputReport(model, input);
  const where = meta.source ?? 'input';
  if (clamped > 0 && meta.strictRange) {
    throw new UserError(
      `${where}: ${clamped} value(s) outside the quantized input range [${model.input.lo / 2 ** model.input.frac}, ${model.input.hi / 2 ** model.input.frac}] (--strict-range refuses to clamp them)`,
    );
  }
  const { input: inVis, output: outVis } = {
    input: circuit.layout.input.visibility,
    output: circuit.layout.output.visibility,
  };
  const inputBlinding = inVis === 'hashed' ? (meta.inputBlinding ?? randomBlinding()) : undefined;
  const outputBlinding = outVis === 'hashed' ? (meta.outputBlinding ?? randomBlinding()) : undefined;
  const weights = await l.weights();
  const build = checkedWitness(l, xq, where, {
    inputBlinding,
    outputBlinding,
    ...(weights ? { weightsBlinding: weights.blinding } : {}),
  });
  const { proof, publicSignals } = await groth16Prove(l, build.circuit);
  // No bundle leaves here unverified: a proof the build's own key rejects (by the verifier of the
  // key's proof system) means a broken build dir.
  if (!(await proofVerifies(vkey, publicSignals, proof)))
    throw new UserError(
      `${artifactPath(buildDir, 'zkey')}: the proof it produced does not verify with ${artifactPath(buildDir, 'vkey')}; run \`zkinfer setup\` again`,
    );
  checkProvenWeights(l, weights, publicSignals);
  const values = dequantizeOutput(model, build.output);
  // A final Softmax/LogSoftmax is not in the circuit; apply it outside so the float comparison is like for like.
  const reported = reportedOutput(model, values);
  const fidelity = (opts.fidelity ?? true) ? await fidelityOf(l, input, reported.values) : undefined;
  const bundle = assembleBundle(l, {
    proof,
    publicSignals,
    build,
    values,
    reported,
    fidelity,
    clamped,
    source: meta.source,
  });
  const opening: Opening | undefined =
    inputBlinding !== undefined || outputBlinding !== undefined
      ? {
          format: OPENING_FORMAT,
          formatVersion: OPENING_VERSION,
          vkeyHash: l.setup.vkeyHash,
          ...(inputBlinding !== undefined
            ? { input: { integers: xq.map(String), blinding: String(inputBlinding) } }
            : {}),
          ...(outputBlinding !== undefined
            ? { output: { integers: build.output.map(String), blinding: String(outputBlinding) } }
            : {}),
        }
      : undefined;
  return opening ? { bundle, opening } : { bundle };
}

/** The proof's W must be the opening's (the published one): anything else is a bug, never a bundle. */
function checkProvenWeights(l: Loaded, weights: LoadedWeightsOpening | undefined, publicSignals: string[]): void {
  const slot = l.circuit.layout.weights;
  if (!weights && !slot) return;
  const proven = slot ? publicSignals[slot.offset] : undefined;
  if (!weights || proven !== String(weights.commitment))
    throw new WitnessCheckError(
      `the proof's weight commitment ${proven ?? '(none)'} is not the one in ${weights?.path ?? 'weights.opening.json'}`,
    );
}

/** The proof of a checked witness (ultragroth: of its round-1 part, completed here), by the prover the options select. */
async function groth16Prove(l: Loaded, built: BuiltCircuit): Promise<MadeProof> {
  const singleThread = l.opts.singleThread ?? false;
  const ultragroth = proofSystemOf(l.circuit) === 'ultragroth';
  if (l.opts.groth16Prover === 'snarkjs') {
    if (ultragroth)
      throw new UserError(
        `${artifactPath(l.buildDir, 'circuit')}: an ultragroth build; snarkjs's prover makes standard Groth16 proofs only (use zkinfer's own prover)`,
      );
    if (singleThread) await useSingleThreadCurve();
    const wtns = { type: 'mem', data: new Uint8Array(encodeWtns(built.witness)) };
    return (await snarkjs.groth16.prove({ type: 'mem', data: l.zkey }, wtns)) as {
      proof: ProofBundle['proof'];
      publicSignals: string[];
    };
  }
  l.own ??= proverCurve(singleThread).then((curve) => {
    try {
      return Groth16Prover.create(curve, l.zkey);
    } catch (e) {
      if (e instanceof ProvingKeyError)
        throw new UserError(`${artifactPath(l.buildDir, 'zkey')}: ${e.message}; run \`zkinfer setup\` again`);
      throw e;
    }
  });
  return proveWitness(built, {
    prover: await l.own,
    ultragroth,
    constraints: l.r1cs.constraints,
    violation: (m) => new WitnessCheckError(`${m} of ${artifactPath(l.buildDir, 'r1cs')}`),
  });
}

/**
 * onnxruntime's float output for the same input, and how far the proven output is from it; when
 * onnxruntime refuses the model, why (the proof does not need it), or with `requireFloatCheck` an error.
 */
async function fidelityOf(
  l: Loaded,
  input: Float64Array,
  reported: readonly number[],
): Promise<NonNullable<ProofBundle['fidelity']>> {
  const { model } = l;
  const modelPath = artifactPath(l.buildDir, 'model');
  let f: Float64Array | undefined;
  try {
    [f] = await runOnnxRuntime(modelPath, model.input.name, model.input.shape, [input]);
  } catch (e) {
    if (!(e instanceof OnnxRuntimeRefusal)) throw e;
    if (l.opts.requireFloatCheck) throw requiredFloatCheckError(modelPath, e.reason);
    return { unavailable: floatCheckUnavailable(e.reason) };
  }
  const floatOutput = Array.from(f!);
  return {
    floatOutput,
    floatPrediction: argmax(floatOutput),
    maxAbsError: Math.max(...reported.map((v, i) => Math.abs(v - floatOutput[i]!))),
  };
}

/**
 * Writes a proof atomically: the opening first (readable by the owner only: it reveals the
 * private input), then the bundle, so a bundle on disk always has its opening beside it.
 */
export function writeBundle(path: string, result: ProofResult): void {
  if (result.opening) writeOpening(openingPathFor(path), result.opening);
  writeJsonAtomic(path, result.bundle);
}
