/**
 * The accuracy claim file: everything a verifier needs to check "the model pinned by this key
 * predicts the label on K of the N samples of the dataset with commitment D". Documented
 * field by field in the README ("The accuracy claim").
 */
import type { DatasetEncoding } from './dataset-commitment.js';
import type { SetupKind } from '../setup/setup-keys.js';
import type { PtauProvenance } from '../setup/ptau/ptau-file.js';

/** The `format` value of claim files. */
export const CLAIM_FORMAT = 'zkinfer-accuracy-claim';
/** The current claim format version. */
export const CLAIM_VERSION = 1;

/** A snarkjs Groth16 proof. */
export interface Groth16Proof {
  readonly pi_a: string[];
  readonly pi_b: string[][];
  readonly pi_c: string[];
  readonly protocol?: string;
  readonly curve?: string;
}

/** One chunk's proof, as in the claim and in `OUT/chunks/chunk-NNNNNN.json`. */
export interface ChunkProof {
  readonly index: number;
  /** Real (unpadded) samples in the chunk. */
  readonly samples: number;
  /** Correct predictions the proof attests. */
  readonly count: number;
  /** The chunk commitment c_i, 0x-hex. */
  readonly commitment: string;
  /** [c_i, count] as decimal field elements, snarkjs order. */
  readonly publicSignals: string[];
  readonly proof: Groth16Proof;
}

/** The claim file. */
export interface AccuracyClaim {
  readonly format: typeof CLAIM_FORMAT;
  readonly formatVersion: typeof CLAIM_VERSION;
  readonly protocol: 'groth16';
  readonly curve: 'bn128';
  /** Model id of the chunk circuit: sha256 over model.quant.json and the chunk circuit's r1cs. */
  readonly modelId: string;
  /** sha256 of model.quant.json (the quantized model, independent of any circuit). */
  readonly quantizedSha256: string;
  /** Model id of the build's single-inference circuit, when the build has one. */
  readonly baseModelId?: string;
  /** sha256 of the canonical chunk verification key, and the key itself. */
  readonly vkeyHash: string;
  readonly vkey: Record<string, unknown>;
  readonly dataset: {
    /** D, 0x-hex (src/accuracy/dataset-commitment.ts). */
    readonly commitment: string;
    readonly samples: number;
    readonly chunkSize: number;
    readonly chunks: number;
    readonly encoding: DatasetEncoding;
  };
  readonly result: { readonly samples: number; readonly correct: number; readonly accuracy: number };
  readonly chunks: ChunkProof[];
  readonly circuit: { readonly constraints: number; readonly constraintsPerSample: number; readonly power: number };
  readonly setup: { readonly kind: SetupKind; readonly warning?: string; readonly ptau?: PtauProvenance & { readonly file: string } };
  /** What the prover measured on the same data without proof: not checked by `zkinfer verify`. */
  readonly unverified: {
    readonly note: string;
    readonly float: { readonly correct: number; readonly accuracy: number };
    readonly quantized: { readonly correct: number; readonly accuracy: number };
  };
  readonly tool: { readonly name: 'zkinfer'; readonly version: string; readonly snarkjs: string };
  readonly createdAt: string;
}
