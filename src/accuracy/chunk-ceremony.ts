/**
 * The multi-party phase-2 ceremony (src/setup/ceremony/) for the accuracy chunk circuit: the
 * chunk directory `BUILD/accuracy/chunk-C/` is laid out as a build directory, so the ceremony
 * runs on it unchanged — init compiles the chunk circuit first, contributions and the beacon
 * work on the zkey files, and finalize installs the final key there (its vkey keeps
 * `zkinfer.accuracy`, read from the chunk circuit.json), where `zkinfer accuracy` and
 * `zkinfer gate` then use it.
 */
import { sha256Hex } from '../core/hash.js';
import { UserError } from '../core/errors.js';
import { readCircuitInfo } from '../formats/build-dir.js';
import { readQuantizedModel } from '../compile/compile-circuit.js';
import { ceremonyInit, CeremonyInitOptions } from '../setup/ceremony/ceremony.js';
import { finalizeCeremony, FinalizeOptions } from '../setup/ceremony/ceremony-verify.js';
import { chunkKeyDir, compileChunkCircuit, CompiledChunk } from './chunk-compile.js';

/** Options of {@link chunkCeremonyInit}: those of `ceremony init`, `buildDir` being the build (not the chunk directory). */
export interface ChunkCeremonyInitOptions extends CeremonyInitOptions {
  readonly chunkSize: number;
}

/**
 * Compiles the chunk circuit for C samples (unless the chunk directory already holds it for this
 * model) and starts a ceremony on it, by default in `BUILD/accuracy/chunk-C/ceremony`.
 */
export async function chunkCeremonyInit(
  opts: ChunkCeremonyInitOptions,
): Promise<Awaited<ReturnType<typeof ceremonyInit>> & { chunk: CompiledChunk }> {
  const chunk = compileChunkCircuit({ buildDir: opts.buildDir, chunkSize: opts.chunkSize });
  const r = await ceremonyInit({ ...opts, buildDir: chunk.dir });
  return { ...r, chunk };
}

/**
 * The chunk directory of a build for a ceremony step, refusing one whose chunk circuit is not
 * the build's current model (re-quantized since `ceremony init --chunk`): its key would never
 * be used by `zkinfer accuracy`.
 */
export function currentChunkDir(buildDir: string, chunkSize: number): string {
  const dir = chunkKeyDir(buildDir, chunkSize);
  const circuit = readCircuitInfo(dir);
  const { bytes } = readQuantizedModel(buildDir);
  if (circuit.quantizedSha256 !== sha256Hex(bytes))
    throw new UserError(
      `${dir}: the chunk circuit is for another model.quant.json than ${buildDir}'s (quantized again since \`ceremony init --chunk ${chunkSize}\`); start the ceremony again`,
    );
  return dir;
}

/** Options of {@link finalizeChunkCeremony}: those of `ceremony finalize`, `buildDir` being the build. */
export interface FinalizeChunkOptions extends FinalizeOptions {
  readonly chunkSize: number;
}

/** Verifies the chunk ceremony and installs its final key in `BUILD/accuracy/chunk-C/`. */
export function finalizeChunkCeremony(opts: FinalizeChunkOptions): ReturnType<typeof finalizeCeremony> {
  return finalizeCeremony({ ...opts, buildDir: currentChunkDir(opts.buildDir, opts.chunkSize) });
}
