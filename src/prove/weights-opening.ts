/**
 * The weight commitment of a hashed-weights build: `zkinfer weights commit BUILD` makes it
 * (a fresh random blinding, W over the quantized weights), and the prover loads it, so every
 * proof carries the W the model owner published. A fixed-weights build has no W: its key
 * already is the model.
 */
import { existsSync } from 'node:fs';
import { artifactPath } from '../formats/paths.js';
import { UserError } from '../core/errors.js';
import { readCircuitInfo, readQuantizedModelFile } from '../formats/build-dir.js';
import { randomBlinding } from '../formats/opening.js';
import {
  readWeightsOpening,
  weightsHex,
  writeWeightsFiles,
  type WeightsCommitmentFile,
  type WeightsOpeningFile,
} from '../formats/weights.js';
import { weightsCommitment } from '../compile/weight-signals.js';
import type { CircuitInfo } from '../formats/circuit.js';
import type { QuantizedModel } from '../quantize/quantized-model.js';

/** True when circuit.json says the weights are private inputs committed by W. */
export function hasHashedWeights(circuit: CircuitInfo): boolean {
  return circuit.weights?.mode === 'hashed';
}

/** A build's loaded weight opening: the blinding and the W it gives for the build's weights. */
export interface LoadedWeightsOpening {
  readonly path: string;
  readonly blinding: bigint;
  readonly commitment: bigint;
}

/**
 * Reads `BUILD/weights.opening.json` and checks it was made for this build (same model id).
 * {@link loadWeightsOpening} also checks that the blinding with the current model.quant.json
 * gives the opening's W (a re-quantized model has other weights, hence another W: commit
 * again). Both throw {@link UserError} naming the file and `zkinfer weights commit`.
 */
export function readBuildWeightsOpening(buildDir: string, circuit: CircuitInfo): WeightsOpeningFile {
  const path = artifactPath(buildDir, 'weightsOpening');
  if (!existsSync(path))
    throw new UserError(
      `${path}: missing; the build has hashed weights, so proofs need a weight commitment: run \`zkinfer weights commit ${buildDir}\` first`,
    );
  const o = readWeightsOpening(path);
  assertSameModel(path, o, circuit);
  return o;
}

/** {@link readBuildWeightsOpening}, then the W check against the current weights (async: Poseidon). */
export async function loadWeightsOpening(
  buildDir: string,
  model: QuantizedModel,
  circuit: CircuitInfo,
): Promise<LoadedWeightsOpening> {
  const path = artifactPath(buildDir, 'weightsOpening');
  const o = readBuildWeightsOpening(buildDir, circuit);
  await assertOpensWeights(path, o, model, circuit);
  return { path, blinding: BigInt(o.blinding), commitment: BigInt(o.commitment) };
}

function assertSameModel(path: string, o: WeightsOpeningFile, circuit: CircuitInfo): void {
  if (o.modelId !== circuit.modelId)
    throw new UserError(
      `${path}: made for model ${o.modelId.slice(0, 16)}…, the build is ${circuit.modelId.slice(0, 16)}… (compiled again since?); run \`zkinfer ` +
        `weights commit BUILD --force\``,
    );
}

/** Throws unless the opening belongs to this build and opens W for its current weights. */
async function assertOpensWeights(
  path: string,
  o: WeightsOpeningFile,
  model: QuantizedModel,
  circuit: CircuitInfo,
): Promise<void> {
  assertSameModel(path, o, circuit);
  const w = await weightsCommitment(model, BigInt(o.blinding));
  if (weightsHex(w) !== o.commitment)
    throw new UserError(
      `${path}: its blinding gives W ${weightsHex(w).slice(0, 18)}… for the weights in model.quant.json, not the recorded ` +
        `${o.commitment.slice(0, 18)}… (the model was quantized again with other weights); ` +
        'run `zkinfer weights commit BUILD --force` and publish the new W',
    );
}

/** Whether the opening at `path` is well-formed and still opens the build's current weights. */
async function stillOpens(path: string, model: QuantizedModel, circuit: CircuitInfo): Promise<boolean> {
  try {
    await assertOpensWeights(path, readWeightsOpening(path), model, circuit);
    return true;
  } catch (e) {
    if (e instanceof UserError) return false;
    throw e;
  }
}

/** Outcome of {@link commitWeights}. */
export interface CommitWeightsResult {
  readonly file: WeightsCommitmentFile;
  readonly commitmentPath: string;
  readonly openingPath: string;
  /** False when an existing commitment was kept. */
  readonly created: boolean;
  /** True when --force replaced a commitment (every published pin of the old W breaks). */
  readonly replaced: boolean;
}

/**
 * `zkinfer weights commit BUILD`: W of a compiled hashed-weights build, with a fresh blinding.
 * An existing pair is kept (and checked) unless `force`. Throws {@link UserError} for a
 * fixed-weights or uncompiled build.
 */
export async function commitWeights(opts: {
  buildDir: string;
  force?: boolean;
  /** Replace an existing commitment that no longer opens the build's weights (`run` after re-quantizing). */
  renewStale?: boolean;
}): Promise<CommitWeightsResult> {
  const { buildDir } = opts;
  const circuit = readCircuitInfo(buildDir);
  if (!hasHashedWeights(circuit))
    throw new UserError(
      `${artifactPath(buildDir, 'circuit')}: the build has fixed weights (the weights are constants of the circuit, so the key already is the model): ` +
        `nothing to commit; quantize with \`--weights hashed\` for a weight commitment`,
    );
  const { model } = readQuantizedModelFile(buildDir);
  const commitmentPath = artifactPath(buildDir, 'weights');
  const openingPath = artifactPath(buildDir, 'weightsOpening');
  const exists = existsSync(openingPath);
  if (exists && !opts.force && !(opts.renewStale && !(await stillOpens(openingPath, model, circuit)))) {
    const o = readWeightsOpening(openingPath);
    await assertOpensWeights(openingPath, o, model, circuit);
    // weights.json is derived from the opening: written again, so a missing or edited one is restored.
    const file = writeWeightsFiles(
      { commitmentPath, openingPath },
      { modelId: o.modelId, commitment: BigInt(o.commitment), blinding: BigInt(o.blinding) },
    );
    return { file, commitmentPath, openingPath, created: false, replaced: false };
  }
  const blinding = randomBlinding();
  const commitment = await weightsCommitment(model, blinding);
  const file = writeWeightsFiles({ commitmentPath, openingPath }, { modelId: circuit.modelId, commitment, blinding });
  return { file, commitmentPath, openingPath, created: true, replaced: exists };
}
