/**
 * Compiling the accuracy chunk circuit, apart from its keys: the one way to turn a quantized
 * model and a chunk size into the chunk r1cs and its circuit.json, used by the prover
 * (`ensureChunkKeys`, `ceremony init --chunk`) and by verifiers recompiling from ONNX
 * (recompile-chunk.ts), so both get byte-identical r1cs and the same model id.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { artifactPath } from '../formats/paths.js';
import { sha256Hex } from '../core/hash.js';
import { VERSIONS } from '../core/versions.js';
import { writeFileAtomic, writeJsonAtomic } from '../core/atomic-write.js';
import { AccuracyCircuitMeta, CircuitInfo, proofSystemOf } from '../formats/circuit.js';
import {
  lookupOptionOf,
  proofSystemFields,
  withCompleteWitness,
  type ResolvedProofSystem,
} from '../compile/proof-system.js';
import { readCircuitInfo } from '../formats/build-dir.js';
import { CHECK_BY_DEFAULT_MAX_CONSTRAINTS, readQuantizedModel } from '../compile/compile-circuit.js';
import { requireDetermined } from '../compile/determinism-check.js';
import { encodeR1cs } from '../compile/r1cs-file.js';
import { UserError } from '../core/errors.js';
import { datasetEncoding } from './dataset-commitment.js';
import { buildChunkCircuit, chunkCost, placeholderChunk } from './chunk-circuit.js';
import {
  CHUNK_SIGNALS,
  CHUNK_WEIGHTS_OFFSET,
  chunkModelBytes,
  chunkQuantizedSha256,
  hasHashedWeights,
} from './chunk-weights.js';
import { weightValueCount, withPlaceholderWeights } from '../compile/weight-signals.js';
import type { QuantizedModel } from '../quantize/quantized-model.js';

/** The chunk-key directory of a build for chunk size C: `BUILD/accuracy/chunk-C`. */
export function chunkKeyDir(buildDir: string, chunkSize: number): string {
  return join(buildDir, 'accuracy', `chunk-${chunkSize}`);
}

function checkChunkSize(chunkSize: number): void {
  if (!Number.isInteger(chunkSize) || chunkSize < 1)
    throw new UserError(`--chunk must be a positive integer, got ${chunkSize}`);
}

/**
 * The pure part of the chunk compile: the chunk circuit of `model` for `chunkSize` samples,
 * built over a placeholder chunk (the structure never depends on values), as r1cs bytes and
 * circuit info. `bytes` are the exact bytes of model.quant.json, which the model id hashes with
 * the r1cs — with hashed weights, the architecture's bytes instead (src/accuracy/chunk-weights.ts),
 * so models of one architecture share the chunk circuit and its key, and differ only in W. With `check` (default: small circuits, as `zkinfer
 * compile`) the determinism check
 * runs first and throws when a wire is not forced by the inputs.
 */
export function compileChunkQuantized(
  model: QuantizedModel,
  bytes: Uint8Array,
  chunkSize: number,
  options: { readonly check?: boolean; readonly system?: ResolvedProofSystem } = {},
): { r1cs: Uint8Array; info: CircuitInfo } {
  const system = options.system ?? { proofSystem: 'groth16' };
  checkChunkSize(chunkSize);
  const enc = datasetEncoding(model);
  const hashed = hasHashedWeights(model);
  // Hashed weights: built with placeholder weights, so the r1cs (and key) is the architecture's whatever the values.
  const structure = hashed ? withPlaceholderWeights(model) : model;
  const build = buildChunkCircuit(structure, placeholderChunk(enc, chunkSize), 0n, {
    encoding: enc,
    ...(system.lookup ? { lookup: system.lookup } : {}),
  });
  // The same soundness gate as `zkinfer compile`: every wire forced by the inputs, before any key exists.
  if (options.check ?? build.circuit.nConstraints <= CHECK_BY_DEFAULT_MAX_CONSTRAINTS)
    requireDetermined(withCompleteWitness(build.circuit));
  const r1cs = encodeR1cs(build.circuit);
  const idBytes = chunkModelBytes(model, bytes);
  const quantizedSha256 = sha256Hex(idBytes);
  const accuracy: AccuracyCircuitMeta = {
    kind: 'accuracy-chunk',
    chunkSize,
    constraintsPerSample: chunkCost(model).perSample,
    quantizedSha256,
    encoding: enc,
  };
  const nPublic = build.circuit.nPubOut + build.circuit.nPubIn;
  const info: CircuitInfo = {
    zkinfer: VERSIONS.zkinfer,
    modelId: sha256Hex(idBytes, r1cs),
    quantizedSha256,
    r1csSha256: sha256Hex(r1cs),
    nConstraints: build.circuit.nConstraints,
    nWires: build.circuit.nWires,
    nPublic,
    power: Math.max(1, Math.ceil(Math.log2(build.circuit.nConstraints + nPublic + 1))),
    // Public signals: the chunk commitment, then the count; both "outputs" of the circuit; then W when hashed.
    layout: {
      output: { visibility: 'public', offset: 0, count: CHUNK_SIGNALS },
      input: { visibility: 'hashed', offset: 0, count: 0 },
      ...(hashed ? { weights: { visibility: 'hashed' as const, offset: CHUNK_WEIGHTS_OFFSET, count: 1 } } : {}),
      nPublic,
    },
    input: model.input,
    output: model.output,
    ...(hashed ? { weights: { mode: 'hashed' as const, values: weightValueCount(model) } } : {}),
    accuracy,
    ...proofSystemFields(system, build.circuit),
  };
  return { r1cs, info };
}

/**
 * circuit.json of the chunk directory when it and circuit.r1cs are this zkinfer's chunk circuit
 * of the model whose {@link chunkQuantizedSha256} is `quantizedSha256`; undefined otherwise.
 */
export function compiledChunkCircuit(
  dir: string,
  quantizedSha256: string,
  chunkSize: number,
  system: ResolvedProofSystem = { proofSystem: 'groth16' },
): CircuitInfo | undefined {
  if (!existsSync(artifactPath(dir, 'circuit')) || !existsSync(artifactPath(dir, 'r1cs'))) return undefined;
  const info = readCircuitInfo(dir);
  const current =
    info.zkinfer === VERSIONS.zkinfer &&
    info.quantizedSha256 === quantizedSha256 &&
    info.accuracy?.chunkSize === chunkSize &&
    proofSystemOf(info) === system.proofSystem &&
    info.lookup?.limbBits === system.lookup?.limbBits &&
    sha256Hex(readFileSync(artifactPath(dir, 'r1cs'))) === info.r1csSha256;
  return current ? info : undefined;
}

/**
 * The proof system of the build's own circuit (circuit.json; groth16 without one): chunk circuits
 * use the same, so an ultragroth build's accuracy proofs use lookups too.
 */
export function buildProofSystem(buildDir: string): ResolvedProofSystem {
  if (!existsSync(artifactPath(buildDir, 'circuit'))) return { proofSystem: 'groth16' };
  const info = readCircuitInfo(buildDir);
  const lookup = lookupOptionOf(info);
  return lookup ? { proofSystem: 'ultragroth', lookup } : { proofSystem: 'groth16' };
}

/** Options of {@link compileChunkCircuit}. */
export interface CompileChunkOptions {
  readonly buildDir: string;
  readonly chunkSize: number;
}

/** What {@link compileChunkCircuit} returns. */
export interface CompiledChunk {
  readonly dir: string;
  readonly circuit: CircuitInfo;
  /** False when the chunk directory already held this circuit (nothing was written). */
  readonly compiled: boolean;
  readonly seconds: number;
}

/** Writes `bytes` to `path` unless the file already holds exactly them (keeps files, and their times, as they are). */
function writeIfChanged(path: string, bytes: Uint8Array): void {
  if (!existsSync(path) || !readFileSync(path).equals(bytes)) writeFileAtomic(path, bytes);
}

/**
 * Compiles the chunk circuit of the build's model into `BUILD/accuracy/chunk-C/`: circuit.r1cs,
 * circuit.json, and copies of settings.json and model.quant.json (setup and ceremony finalize
 * check the quantized model against circuit.json and record the quantization settings in the
 * key, as for the build's own keys). Writes nothing when the directory already holds this
 * circuit for this model and zkinfer. Sets up no keys.
 */
export function compileChunkCircuit(opts: CompileChunkOptions): CompiledChunk {
  const t0 = performance.now();
  const { model, bytes } = readQuantizedModel(opts.buildDir);
  const dir = chunkKeyDir(opts.buildDir, opts.chunkSize);
  checkChunkSize(opts.chunkSize);
  const settingsPath = artifactPath(opts.buildDir, 'settings');
  if (!existsSync(settingsPath)) throw new UserError(`${settingsPath}: missing; run \`zkinfer quantize\` first`);
  const settings = readFileSync(settingsPath);
  const system = buildProofSystem(opts.buildDir);
  const existing = compiledChunkCircuit(dir, chunkQuantizedSha256(model, bytes), opts.chunkSize, system);
  if (existing) {
    writeIfChanged(artifactPath(dir, 'settings'), settings);
    writeIfChanged(artifactPath(dir, 'quantized'), bytes);
    return { dir, circuit: existing, compiled: false, seconds: (performance.now() - t0) / 1000 };
  }
  const { r1cs, info } = compileChunkQuantized(model, bytes, opts.chunkSize, { system });
  writeFileAtomic(artifactPath(dir, 'r1cs'), r1cs);
  writeJsonAtomic(artifactPath(dir, 'circuit'), info);
  writeFileAtomic(artifactPath(dir, 'settings'), settings);
  writeFileAtomic(artifactPath(dir, 'quantized'), bytes);
  return { dir, circuit: info, compiled: true, seconds: (performance.now() - t0) / 1000 };
}
