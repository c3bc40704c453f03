/**
 * Keys for the accuracy chunk circuit. The chunk circuit differs from the single-inference
 * circuit (C model copies, argmax, count, dataset commitment), so it has its own r1cs and
 * Groth16 keys, kept in `BUILD/accuracy/chunk-C/` with the same file names as a build
 * directory (circuit.r1cs, circuit.json, circuit.zkey, vkey.json, setup.json). They come from a
 * multi-party ceremony (`zkinfer ceremony init|…|finalize BUILD --chunk C`), which is then used
 * as it is, or are made here by the same setup route as BUILD's own keys (dev setup, or phase 2
 * on BUILD's powers-of-tau file). The verification key carries `zkinfer.accuracy` (chunk size,
 * dataset encoding, the sha256 of the quantized model), so pinning its hash pins model, circuit
 * and encoding at once.
 *
 * Keys from a ptau or a ceremony are never replaced by another route without `force`: a claim
 * made with the replacement would quietly be a weaker setup than the one the owner paid for.
 * Dev keys are replaced freely (anyone can make them again in seconds).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { artifactPath } from '../formats/paths.js';
import { readArtifact } from '../formats/artifacts.js';
import { readSetupInfo } from '../formats/build-dir.js';
import { CircuitInfo } from '../formats/circuit.js';
import { readQuantizedModel } from '../compile/compile-circuit.js';
import { UserError } from '../core/errors.js';
import { setupKeys } from '../setup/setup-keys.js';
import { describeSetup, keyReplacementNotice } from '../setup/existing-keys.js';
import { hashFileBlake2b } from '../setup/ptau/ptau-file.js';
import { ceremonyDir, TRANSCRIPT_FILE } from '../setup/ceremony/ceremony.js';
import { SetupInfo } from '../formats/setup.js';
import { buildProofSystem, chunkKeyDir, compileChunkCircuit, compiledChunkCircuit } from './chunk-compile.js';
import type { ResolvedProofSystem } from '../compile/proof-system.js';
import { chunkQuantizedSha256 } from './chunk-weights.js';

/** Options of {@link ensureChunkKeys}. */
export interface ChunkKeyOptions {
  readonly buildDir: string;
  readonly chunkSize: number;
  /** A powers-of-tau file for the chunk keys (default: the build's own setup route). */
  readonly ptauPath?: string;
  /** Replace existing ptau or ceremony keys by another setup route instead of refusing. */
  readonly force?: boolean;
  readonly onProgress?: (msg: string) => void;
  /** Receives the notice (old and new vkey hash) when `force` replaced ptau or ceremony keys. */
  readonly onWarning?: (msg: string) => void;
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

/** How keys were made: dev, phase 2 with one local contribution on a ptau, or a multi-party ceremony on a ptau. */
type Route =
  | { readonly kind: 'dev' }
  | { readonly kind: 'ptau'; readonly file: string; readonly blake2b?: string }
  | { readonly kind: 'ceremony'; readonly file: string; readonly blake2b: string; readonly contributors: string[] };

function routeOf(setup: SetupInfo): Route {
  if (setup.ceremony && setup.ptau)
    return {
      kind: 'ceremony',
      file: setup.ptau.file,
      blake2b: setup.ptau.blake2b,
      contributors: setup.ceremony.contributors,
    };
  if (setup.kind === 'ptau' && setup.ptau) return { kind: 'ptau', file: setup.ptau.file, blake2b: setup.ptau.blake2b };
  return { kind: 'dev' };
}

function describeRoute(r: Route): string {
  switch (r.kind) {
    case 'dev':
      return 'dev keys';
    case 'ptau':
      return `phase-2 keys on ${r.file} (one local contribution)`;
    case 'ceremony':
      return `keys from a phase-2 ceremony on ${r.file} (${r.contributors.join(', ')})`;
  }
}

/** Whether the ptau file at `path` is the one a key was made on: the same path, else the same blake2b. */
async function samePtau(path: string, of: { readonly file: string; readonly blake2b?: string }): Promise<boolean> {
  if (resolve(path) === resolve(of.file)) return true;
  if (!of.blake2b || !existsSync(path)) return false;
  return (await hashFileBlake2b(path)) === of.blake2b;
}

/** The keys already in `dir`, and whether they are complete keys of this very chunk circuit (this model, this zkinfer). */
function existingKeys(
  dir: string,
  quantizedSha256: string,
  chunkSize: number,
  system: ResolvedProofSystem,
): { setup: SetupInfo; route: Route; circuit?: CircuitInfo } | undefined {
  if (!existsSync(artifactPath(dir, 'setup'))) return undefined;
  const setup = readSetupInfo(dir);
  // Keys of the other proof system (the build was recompiled with another --proof-system) are not current.
  const compiled = compiledChunkCircuit(dir, quantizedSha256, chunkSize, system);
  const complete =
    compiled !== undefined &&
    existsSync(artifactPath(dir, 'zkey')) &&
    existsSync(artifactPath(dir, 'vkey')) &&
    setup.modelId === compiled.modelId &&
    readArtifact<{ zkinfer?: { accuracy?: unknown } }>(dir, 'vkey', 'accuracy').zkinfer?.accuracy !== undefined;
  return { setup, route: routeOf(setup), ...(complete ? { circuit: compiled } : {}) };
}

/**
 * Whether current keys made by `have` serve a request for `explicitPtau` (given by the caller)
 * or, without one, the build's own route (`wantedPtau`; undefined: dev); `onWantedPtau` tells
 * whether `wantedPtau` is the keys' ptau file. A ceremony key serves any request but one for
 * another ptau file: it is what the owner set up on purpose.
 */
async function serves(
  have: Route,
  explicitPtau: string | undefined,
  wantedPtau: string | undefined,
  onWantedPtau: () => Promise<boolean>,
): Promise<boolean> {
  switch (have.kind) {
    case 'ceremony':
      return explicitPtau === undefined || (await onWantedPtau());
    case 'ptau':
      return wantedPtau !== undefined && (await onWantedPtau());
    case 'dev':
      return wantedPtau === undefined;
  }
}

/** The one-line refusal to replace `have` (ptau or ceremony keys) by the `wantedPtau` route, saying how to go on. */
function refusal(dir: string, have: Route, current: boolean, wantedPtau: string | undefined, opts: ChunkKeyOptions) {
  const wanted = wantedPtau ? `phase-2 keys on ${wantedPtau}` : 'dev keys';
  const keep =
    have.kind === 'ceremony'
      ? current
        ? 'leave out --ptau (or pass the ceremony’s file) to use them'
        : `run a new ceremony (zkinfer ceremony init ${opts.buildDir} --chunk ${opts.chunkSize} --ptau FILE)`
      : current
        ? `pass --ptau ${have.kind === 'ptau' ? have.file : 'FILE'} to use them`
        : `pass --ptau ${have.kind === 'ptau' ? have.file : 'FILE'} to make new ones on the same file`;
  return new UserError(
    `${dir}: holds ${describeRoute(have)}${current ? '' : ' for another model or zkinfer version'}, which ${wanted} would replace; ${keep}, or pass --force to replace them`,
  );
}

/** The build's own setup, which picks the default route for chunk keys. */
function buildSetup(buildDir: string): SetupInfo | undefined {
  return existsSync(artifactPath(buildDir, 'setup')) ? readArtifact<SetupInfo>(buildDir, 'setup', 'setup') : undefined;
}

/**
 * Returns the chunk keys for the build's model: existing ones when they are for this very model
 * and zkinfer and serve the wanted route (a ceremony's always, unless another ptau is asked
 * for); otherwise compiles the chunk circuit and sets up keys, refusing (unless `force`) when
 * that would replace ptau or ceremony keys by another route.
 */
export async function ensureChunkKeys(opts: ChunkKeyOptions): Promise<ChunkKeys> {
  const { model, bytes } = readQuantizedModel(opts.buildDir);
  const quantizedSha256 = chunkQuantizedSha256(model, bytes);
  const dir = chunkKeyDir(opts.buildDir, opts.chunkSize);
  // Same setup route as the build's own keys: a ptau build gets ptau chunk keys.
  const baseSetup = buildSetup(opts.buildDir);
  const ptauPath = opts.ptauPath ?? (baseSetup?.kind === 'ptau' ? baseSetup.ptau?.file : undefined);
  const existing = existingKeys(dir, quantizedSha256, opts.chunkSize, buildProofSystem(opts.buildDir));
  // Hashing a large ptau takes seconds: at most once, and only when a decision needs it.
  let same: Promise<boolean> | undefined;
  const onWantedPtau = () =>
    (same ??=
      ptauPath && existing && existing.route.kind !== 'dev'
        ? samePtau(ptauPath, existing.route)
        : Promise.resolve(false));
  if (existing?.circuit && (await serves(existing.route, opts.ptauPath, ptauPath, onWantedPtau))) {
    return {
      dir,
      created: false,
      seconds: { compile: 0, setup: 0 },
      circuit: existing.circuit,
      setup: existing.setup,
      vkey: readArtifact<Record<string, unknown>>(dir, 'vkey', 'accuracy'),
    };
  }
  let forced = false;
  if (existing && existing.route.kind !== 'dev') {
    // Only ptau keys on the wanted file may be remade without asking (for a new model): same route.
    const sameRoute = existing.route.kind === 'ptau' && (await onWantedPtau());
    if (!sameRoute && !opts.force) throw refusal(dir, existing.route, existing.circuit !== undefined, ptauPath, opts);
    forced = !sameRoute;
  }
  const compiled = compileChunkCircuit({ buildDir: opts.buildDir, chunkSize: opts.chunkSize });
  const info = compiled.circuit;
  opts.onProgress?.(
    `chunk circuit: ${opts.chunkSize} samples, ${info.nConstraints} constraints (domain 2^${info.power}); setting up keys (${ptauPath ? `ptau ${ptauPath}` : 'dev'})`,
  );
  if (existsSync(join(ceremonyDir(dir), TRANSCRIPT_FILE)))
    opts.onProgress?.(
      `a ceremony was started in ${ceremonyDir(dir)}: \`zkinfer ceremony finalize ${opts.buildDir} --chunk ${opts.chunkSize}\` installs its key over these`,
    );
  if (!opts.ptauPath && baseSetup?.kind === 'ptau' && (!ptauPath || !existsSync(ptauPath))) {
    throw new UserError(
      `${artifactPath(opts.buildDir, 'setup')}: the build's keys came from ${ptauPath ?? 'a powers-of-tau file'}, which is not there; the chunk keys need the same file`,
    );
  }
  const {
    info: setup,
    vkey,
    replaced,
  } = await setupKeys({
    buildDir: dir,
    ptauPath,
    onProgress: opts.onProgress,
    // ensureChunkKeys decided above whether these keys may be replaced (dev chunk keys freely).
    force: true,
  });
  // A warning, not a progress line: it must survive --quiet and reach --json's `warnings`.
  if (forced && replaced) opts.onWarning?.(keyReplacementNotice(dir, replaced, describeSetup(setup), setup.vkeyHash));
  return {
    dir,
    circuit: info,
    setup,
    vkey,
    created: true,
    seconds: { compile: compiled.seconds, setup: setup.seconds },
  };
}
