/**
 * The accuracy claim file: everything a verifier needs to check "the model pinned by this key
 * predicts the label on K of the N samples of the dataset with commitment D". Documented
 * field by field in the README ("The accuracy claim"); src/accuracy/verify-claim.ts checks it.
 *
 * {@link AccuracyClaim} is written out rather than inferred from {@link claimSchema}: the
 * schema checks the dataset encoding and the ptau record only as objects (the verifier compares
 * the encoding with the pinned key's), and tightening it would refuse claims accepted until now.
 */
import { z } from 'zod';
import { FIELD_PRIME } from '../core/bn254.js';
import { canonicalDecimal, proofSchema } from './bundle.js';
import type { DatasetEncoding } from './dataset.js';
import type { PtauProvenance, SetupKind } from './setup.js';

/** The `format` value of claim files. */
export const CLAIM_FORMAT = 'zkinfer-accuracy-claim';
/** The current claim format version. */
export const CLAIM_VERSION = 1;

/** A snarkjs Groth16 proof. */
export interface Groth16Proof {
  readonly pi_a: string[];
  readonly pi_b: string[][];
  readonly pi_c: string[];
  /** ultragroth proofs only: the round-1 commitment C₁. */
  readonly pi_c1?: string[];
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
  /** [c_i, count] (then W, with hashed weights; then the challenge, ultragroth) as decimal field elements, snarkjs order. */
  readonly publicSignals: string[];
  readonly proof: Groth16Proof;
}

/** The claim file. */
export interface AccuracyClaim {
  readonly format: typeof CLAIM_FORMAT;
  readonly formatVersion: typeof CLAIM_VERSION;
  /** The proof system of every chunk proof (their own `protocol` must say the same). */
  readonly protocol: 'groth16' | 'ultragroth';
  readonly curve: 'bn128';
  /**
   * Model id of the chunk circuit: sha256 over model.quant.json and the chunk circuit's r1cs (with
   * hashed weights: over the architecture, model.quant.json with every weight and bias emptied).
   */
  readonly modelId: string;
  /** sha256 of model.quant.json (the quantized model, independent of any circuit); with hashed weights, of the architecture. */
  readonly quantizedSha256: string;
  /**
   * Hashed weights only: the weights commitment W (0x-hex) every chunk proof exposes after
   * [c_i, count]. The model is then (architecture id, W); a verifier pins W with `--weights-commitment`.
   */
  readonly weights?: { readonly commitment: string };
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
  readonly setup: {
    readonly kind: SetupKind;
    readonly warning?: string;
    readonly ptau?: PtauProvenance & { readonly file: string };
  };
  /** What the prover measured on the same data without proof: not checked by `zkinfer verify`. */
  readonly unverified: {
    readonly note: string;
    readonly float: { readonly correct: number; readonly accuracy: number };
    readonly quantized: { readonly correct: number; readonly accuracy: number };
  };
  readonly tool: { readonly name: 'zkinfer'; readonly version: string; readonly snarkjs: string };
  readonly createdAt: string;
}

const signal = canonicalDecimal(FIELD_PRIME, 'public signal');
const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');
const fieldHex = z.string().regex(/^0x[0-9a-f]{1,64}$/, 'must be 0x and lowercase hex');
const count = z.number().int().nonnegative();
const fraction = z.number().min(0).max(1);
/** One chunk proof (a claim's `chunks` item, a chunk file, a queue worker's result), strict. */
export const chunkProofSchema = z.strictObject({
  index: count,
  samples: count,
  count,
  commitment: fieldHex,
  publicSignals: z.array(signal).max(4),
  proof: proofSchema,
});

/** The claim file, strict at every level: an unknown field is a format error. */
export const claimSchema = z.strictObject({
  format: z.literal(CLAIM_FORMAT),
  formatVersion: z.literal(CLAIM_VERSION),
  protocol: z.enum(['groth16', 'ultragroth']),
  curve: z.literal('bn128'),
  modelId: hex64,
  quantizedSha256: hex64,
  baseModelId: hex64.optional(),
  weights: z.strictObject({ commitment: fieldHex }).optional(),
  vkeyHash: hex64,
  vkey: z.record(z.string(), z.unknown()),
  dataset: z.strictObject({
    commitment: fieldHex,
    samples: z.number().int().positive(),
    chunkSize: z.number().int().positive(),
    chunks: count,
    encoding: z.record(z.string(), z.unknown()),
  }),
  result: z.strictObject({ samples: count, correct: count, accuracy: fraction }),
  chunks: z.array(chunkProofSchema).max(10_000_000),
  circuit: z.strictObject({ constraints: count, constraintsPerSample: count, power: count }),
  setup: z.strictObject({
    kind: z.enum(['dev', 'ptau']),
    warning: z.string().max(1000).optional(),
    ptau: z.record(z.string(), z.unknown()).optional(),
  }),
  unverified: z.strictObject({
    note: z.string().max(1000),
    float: z.strictObject({ correct: count, accuracy: fraction }),
    quantized: z.strictObject({ correct: count, accuracy: fraction }),
  }),
  tool: z.strictObject({ name: z.literal('zkinfer'), version: z.string().max(100), snarkjs: z.string().max(100) }),
  createdAt: z.string().max(100),
});
