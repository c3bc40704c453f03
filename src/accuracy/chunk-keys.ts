/**
 * Keys for the accuracy chunk circuit. The chunk circuit differs from the single-inference
 * circuit (C model copies, argmax, count, dataset commitment), so it has its own r1cs and
 * Groth16 keys, kept in `BUILD/accuracy/chunk-C/` with the same file names as a build
 * directory (circuit.r1cs, circuit.json, circuit.zkey, vkey.json, setup.json) and made by the
 * same setup route as BUILD's own keys (dev setup, or phase 2 on BUILD's powers-of-tau file).
 * The verification key carries `zkinfer.accuracy` (chunk size, dataset encoding, the sha256 of
 * the quantized model), so pinning its hash pins model, circuit and encoding at once.
 */
import { existsSync } from 'node:fs';
import { artifactPath } from '../formats/paths.js';
import { readArtifact } from '../formats/artifacts.js';
import { sha256Hex } from '../core/hash.js';
import { VERSIONS } from '../core/versions.js';
import { CircuitInfo } from '../formats/circuit.js';
import { readQuantizedModel } from '../compile/compile-circuit.js';
import { UserError } from '../core/errors.js';
import { setupKeys } from '../setup/setup-keys.js';
import { SetupInfo } from '../formats/setup.js';
import { chunkKeyDir, compileChunkCircuit } from './chunk-compile.js';

/** Options of {@link ensureChunkKeys}. */
export interface ChunkKeyOptions {
  readonly buildDir: string;
  readonly chunkSize: number;
  /** A powers-of-tau file for the chunk keys (default: the build's own setup route). */
  readonly ptauPath?: string;
  readonly onProgress?: (msg: string) => void;
}

/** What {@link ensureChunkKeys} returns. */
export interface ChunkKeys {
  readonly dir: string;
  readonly circuit: CircuitInfo;
  readonly setup: SetupInfo;
  readonly vkey: Record<string, unknown>;
  /** False when existing keys for this model were reused. */
  readonly created: boolean;
  readonly seconds: { readonly compile: number; readonly setup: number };
}

/** True when `dir` holds keys for this model, this zkinfer and the wanted setup route (a ptau file, or dev). */
function upToDate(dir: string, quantizedSha256: string, ptauPath: string | undefined): boolean {
  if (!['r1cs', 'circuit', 'zkey', 'vkey', 'setup'].every((a) => existsSync(artifactPath(dir, a as 'r1cs'))))
    return false;
  const circuit = readArtifact<CircuitInfo>(dir, 'circuit', 'accuracy');
  const setup = readArtifact<SetupInfo>(dir, 'setup', 'accuracy');
  const route = ptauPath ? setup.kind === 'ptau' && setup.ptau?.file === ptauPath : setup.kind === 'dev';
  const vkey = readArtifact<{ zkinfer?: { accuracy?: unknown } }>(dir, 'vkey', 'accuracy');
  return (
    vkey.zkinfer?.accuracy !== undefined &&
    circuit.zkinfer === VERSIONS.zkinfer &&
    circuit.quantizedSha256 === quantizedSha256 &&
    setup.modelId === circuit.modelId &&
    route
  );
}

function ptauPathLabel(opts: ChunkKeyOptions, base: SetupInfo | undefined): string {
  return opts.ptauPath ? `ptau ${opts.ptauPath}` : base?.kind === 'ptau' ? `ptau ${base.ptau?.file}` : 'dev';
}

/** Compiles the chunk circuit and sets up its keys, unless keys for this very model and zkinfer already exist. */
export async function ensureChunkKeys(opts: ChunkKeyOptions): Promise<ChunkKeys> {
  const { bytes } = readQuantizedModel(opts.buildDir);
  const quantizedSha256 = sha256Hex(bytes);
  const dir = chunkKeyDir(opts.buildDir, opts.chunkSize);
  // Same setup route as the build's own keys: a ptau build gets ptau chunk keys.
  const baseSetup = existsSync(artifactPath(opts.buildDir, 'setup'))
    ? readArtifact<SetupInfo>(opts.buildDir, 'setup', 'setup')
    : undefined;
  const ptauPath = opts.ptauPath ?? (baseSetup?.kind === 'ptau' ? baseSetup.ptau?.file : undefined);
  if (upToDate(dir, quantizedSha256, ptauPath)) {
    return {
      dir,
      created: false,
      seconds: { compile: 0, setup: 0 },
      circuit: readArtifact<CircuitInfo>(dir, 'circuit', 'accuracy'),
      setup: readArtifact<SetupInfo>(dir, 'setup', 'accuracy'),
      vkey: readArtifact<Record<string, unknown>>(dir, 'vkey', 'accuracy'),
    };
  }
  const compiled = compileChunkCircuit({ buildDir: opts.buildDir, chunkSize: opts.chunkSize });
  const info = compiled.circuit;
  opts.onProgress?.(
    `chunk circuit: ${opts.chunkSize} samples, ${info.nConstraints} constraints (domain 2^${info.power}); setting up keys (${ptauPathLabel(opts, baseSetup)})`,
  );
  if (!opts.ptauPath && baseSetup?.kind === 'ptau' && (!ptauPath || !existsSync(ptauPath))) {
    throw new UserError(
      `${artifactPath(opts.buildDir, 'setup')}: the build's keys came from ${ptauPath ?? 'a powers-of-tau file'}, which is not there; the chunk keys need the same file`,
    );
  }
  const { info: setup, vkey } = await setupKeys({ buildDir: dir, ptauPath, onProgress: opts.onProgress });
  return {
    dir,
    circuit: info,
    setup,
    vkey,
    created: true,
    seconds: { compile: compiled.seconds, setup: setup.seconds },
  };
}
