/**
 * The bundle of one proof: the proof, its public signals decoded by the build's layout, the key,
 * the setup's provenance and the prover's own (unverified) notes.
 */
import { VERSIONS } from '../core/versions.js';
import { BUNDLE_FORMAT, BUNDLE_VERSION, type ProofBundle } from '../formats/bundle.js';
import type { buildCircuit } from '../compile/build-circuit.js';
import type { CircuitInfo } from '../formats/circuit.js';
import type { SetupInfo } from '../formats/setup.js';
import type { Settings } from '../formats/settings.js';
import { argmax, isClassScoreVector, type QuantizedModel, type reportedOutput } from '../quantize/quantized-model.js';

/** What of the loaded build directory a bundle records. */
export interface BundleSource {
  readonly model: QuantizedModel;
  readonly circuit: CircuitInfo;
  readonly setup: SetupInfo;
  readonly vkey: ProofBundle['vkey'];
  readonly settings: Settings;
}

/** The parts of one proof that go into its bundle. */
export interface ProofParts {
  readonly proof: ProofBundle['proof'];
  readonly publicSignals: string[];
  readonly build: ReturnType<typeof buildCircuit>;
  readonly values: number[];
  readonly reported: ReturnType<typeof reportedOutput>;
  readonly fidelity?: ProofBundle['fidelity'];
  readonly clamped: number;
  readonly source?: string;
}

/** The bundle of one proof; its protocol is the proof's (groth16 or ultragroth). */
export function assembleBundle(l: BundleSource, p: ProofParts): ProofBundle {
  const { model, circuit, setup, vkey, settings } = l;
  const { publicSignals, build, reported } = p;
  const inVis = circuit.layout.input.visibility;
  const hashedOut = circuit.layout.output.visibility === 'hashed';
  return {
    format: BUNDLE_FORMAT,
    formatVersion: BUNDLE_VERSION,
    protocol: p.proof.protocol,
    curve: 'bn128',
    proof: p.proof,
    publicSignals,
    layout: circuit.layout,
    output: {
      visibility: circuit.layout.output.visibility,
      shape: model.output.shape,
      frac: model.output.frac,
      // A hashed output stays private: its integers go to the opening, not the bundle.
      ...(hashedOut
        ? { commitment: publicSignals[circuit.layout.output.offset]! }
        : {
            integers: build.output.map(String),
            values: p.values,
            ...(reported.note ? { softmax: reported.values, note: reported.note } : {}),
          }),
    },
    // A prediction only means something for a vector of class scores (say, not a segmentation map).
    ...(hashedOut || !isClassScoreVector(model.output.shape) ? {} : { prediction: argmax(build.output) }),
    input: {
      visibility: inVis,
      ...(inVis === 'hashed' ? { commitment: publicSignals[circuit.layout.input.offset]! } : {}),
      frac: model.input.frac,
      lo: model.input.lo,
      hi: model.input.hi,
      ...(p.source ? { source: p.source } : {}),
      clamped: p.clamped,
    },
    ...(circuit.layout.weights
      ? { weights: { visibility: 'hashed' as const, commitment: publicSignals[circuit.layout.weights.offset]! } }
      : {}),
    modelId: circuit.modelId,
    vkeyHash: setup.vkeyHash,
    vkey,
    setup: {
      kind: setup.kind,
      ...(setup.warning ? { warning: setup.warning } : {}),
      ...(setup.ptau
        ? {
            ptau: {
              name: setup.ptau.name,
              power: setup.ptau.power,
              blake2b: setup.ptau.blake2b,
              recognised: setup.ptau.recognised,
            },
          }
        : {}),
    },
    quantization: {
      weightBits: settings.quantization.weightBits,
      activationBits: settings.quantization.activationBits,
      inputFrac: model.input.frac,
      outputFrac: model.output.frac,
    },
    ...(p.fidelity ? { fidelity: p.fidelity } : {}),
    tool: { name: 'zkinfer', version: VERSIONS.zkinfer, snarkjs: VERSIONS.snarkjs },
    createdAt: new Date().toISOString(),
  };
}
