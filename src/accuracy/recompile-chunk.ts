/**
 * The verifier's recompile of an accuracy chunk circuit: from the ONNX file and the owner's
 * published settings.json (quantization replayed, not recalibrated) to the exact chunk r1cs and
 * model id the owner's `BUILD/accuracy/chunk-C/circuit.json` names, through the same compile as
 * the prover (chunk-compile.ts). Nothing here makes or reads keys.
 */
import { replayQuantization } from '../quantize/replay-settings.js';
import type { DatasetEncoding } from '../formats/dataset.js';
import { circuitKeyMeta, type CircuitKeyMeta } from '../formats/vkey.js';
import { compileChunkQuantized } from './chunk-compile.js';
import type { ResolvedProofSystem } from '../compile/proof-system.js';

/** Options of {@link recompileChunkCircuit}. */
export interface RecompileChunkOptions {
  readonly modelPath: string;
  /** Default: settings.json beside the model. */
  readonly settingsPath?: string;
  readonly chunkSize: number;
  /** The proof system of the key being bound (its `zkinfer.proofSystem` and `limbBits`; default groth16). */
  readonly system?: ResolvedProofSystem;
}

/** A chunk circuit recompiled by the verifier. */
export interface RecompiledChunk {
  /** sha256 of model.quant.json's bytes (hashed weights: the architecture's) and the r1cs, as in the chunk circuit.json and key. */
  readonly modelId: string;
  /** The key metadata setup writes for this chunk circuit (its `accuracy` names chunk size and encoding). */
  readonly meta: CircuitKeyMeta;
  readonly r1cs: Uint8Array;
  readonly r1csSha256: string;
  /** sha256 of the replayed model.quant.json, or of its architecture (the key's `zkinfer.accuracy.quantizedSha256`). */
  readonly quantizedSha256: string;
  /** The dataset encoding the chunk circuit commits with. */
  readonly encoding: DatasetEncoding;
  /** sha256 of the ONNX file, and whether it is the one settings.json names. */
  readonly onnxSha256: string;
  readonly onnxMatchesSettings: boolean;
}

/** Quantizes the ONNX model exactly as the settings say and compiles its chunk circuit for `chunkSize` samples. */
export function recompileChunkCircuit(o: RecompileChunkOptions): RecompiledChunk {
  const replay = replayQuantization(o);
  // No determinism check: it vouches for the circuit's design, which the owner's compile ran;
  // the verifier only needs the bytes to compare.
  const { r1cs, info } = compileChunkQuantized(replay.model, replay.bytes, o.chunkSize, {
    check: false,
    ...(o.system ? { system: o.system } : {}),
  });
  return {
    modelId: info.modelId,
    meta: circuitKeyMeta(info, replay.quantization),
    r1cs,
    r1csSha256: info.r1csSha256,
    quantizedSha256: info.quantizedSha256,
    encoding: info.accuracy!.encoding,
    onnxSha256: replay.onnxSha256,
    onnxMatchesSettings: replay.onnxMatchesSettings,
  };
}
