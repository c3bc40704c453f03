/**
 * The setup stage: Groth16 proving and verification keys for the compiled circuit. Default is
 * the fast single-party dev setup; `--ptau FILE` runs snarkjs's phase-2 setup on a powers-of-tau
 * file (e.g. from the public perpetual ceremony) plus one local random contribution.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import * as snarkjs from 'snarkjs';
import { artifactPath } from '../formats/paths.js';
import { sha256Hex } from '../core/hash.js';
import { sha256OfArtifact } from '../formats/artifacts.js';
import { VERSIONS } from '../core/versions.js';
import { cleanupOnFailure, writeFileAtomic, writeJsonAtomic } from '../core/atomic-write.js';
import { checkOutputDir } from '../core/output-path.js';
import { proofSystemOf, type CircuitInfo } from '../formats/circuit.js';
import { readCircuitInfo, readQuantizedModelFile, readSettings } from '../formats/build-dir.js';
import { modelHashBytes } from '../formats/quantized-model.js';
import { UserError } from '../core/errors.js';
import { devSetup } from './dev/dev-setup.js';
import { buildRound1, ultragrothPtauSetup } from './ceremony/ultragroth-setup.js';
import { identifyPtau } from './ptau/ptau-file.js';
import type { SetupInfo, SetupKind } from '../formats/setup.js';
import { circuitKeyMeta, DEV_SETUP_WARNING, vkeyHash, type VkeyMeta } from '../formats/vkey.js';
import { createTaskProgress } from '../runtime/progress.js';
import { existingKeys, keyReplacementRefusal, type ExistingKeys } from './existing-keys.js';

/**
 * zkinfer's metadata for a key of the circuit in `buildDir` (ptau provenance and ceremony are
 * added by the caller).
 */
export function vkeyMetaFor(buildDir: string, circuit: CircuitInfo, kind: SetupKind): VkeyMeta {
  const settings = readSettings(buildDir);
  return { ...circuitKeyMeta(circuit, settings.quantization), setup: kind } as VkeyMeta;
}

/** Options of {@link setupKeys}. */
export interface SetupOptions {
  readonly buildDir: string;
  /** A powers-of-tau file; absent means dev setup. */
  readonly ptauPath?: string;
  readonly onProgress?: (msg: string) => void;
  /** Extra ptau hashes to treat as recognised. */
  readonly trustPtau?: readonly string[];
  /** Show hashing progress on a terminal. */
  readonly progress?: boolean;
  /**
   * Replace keys the build directory already holds (every proof made with them then fails
   * verification). Without it, existing keys are a {@link UserError}: nothing is written.
   */
  readonly force?: boolean;
}

/** What {@link setupKeys} returns. */
export interface SetupResult {
  readonly info: SetupInfo;
  readonly vkey: Record<string, unknown>;
  /** The keys this setup replaced (only with `force`). */
  readonly replaced?: ExistingKeys;
}

/**
 * Runs setup for the circuit in `buildDir`, writing circuit.zkey, vkey.json and setup.json. The
 * directory must be writable (checked before the keys are made); on failure, key files this call
 * created are removed.
 * @throws UserError when the directory already holds keys and `force` is not set.
 */
export function setupKeys(opts: SetupOptions): Promise<SetupResult> {
  return cleanupOnFailure(() => setupKeysIn(opts));
}

async function setupKeysIn(opts: SetupOptions): Promise<SetupResult> {
  const circuit = readCircuitInfo(opts.buildDir);
  checkOutputDir(opts.buildDir, { flag: 'the build directory' });
  // Checked before any work: a refused setup writes nothing.
  const replaced = existingKeys(opts.buildDir);
  if (replaced && !opts.force) throw keyReplacementRefusal(opts.buildDir, replaced, 'setup');
  const r1csPath = artifactPath(opts.buildDir, 'r1cs');
  const zkeyPath = artifactPath(opts.buildDir, 'zkey');
  // Keys are made for exactly the compiled files: refuse to set up an r1cs or model edited since.
  const r1csSha256 = sha256OfArtifact(opts.buildDir, 'r1cs', 'compile');
  if (r1csSha256 !== circuit.r1csSha256)
    throw new UserError(
      `${r1csPath}: changed since \`zkinfer compile\` (sha256 differs from circuit.json); compile again`,
    );
  // Hashed weights: circuit.json hashes the architecture (weights emptied), not the file.
  const { model, bytes } = readQuantizedModelFile(opts.buildDir);
  const quantizedSha256 = sha256Hex(modelHashBytes(model, bytes));
  if (quantizedSha256 !== circuit.quantizedSha256)
    throw new UserError(
      `${artifactPath(opts.buildDir, 'quantized')}: changed since \`zkinfer compile\` (sha256 differs from circuit.json); compile again`,
    );
  const started = performance.now();
  let kind: SetupKind;
  let ptau: SetupInfo['ptau'];
  let vkeyCore: Record<string, unknown>;
  if (opts.ptauPath) {
    kind = 'ptau';
    ({ ptau, vkeyCore } = await ptauSetup(opts, opts.ptauPath, circuit, r1csPath, zkeyPath));
  } else {
    kind = 'dev';
    // ultragroth: the key splits the private wires at round2Start and gets δ₁ (src/setup/dev/).
    const round1 = circuit.lookup
      ? { round2Start: circuit.lookup.round2Start, challengeWire: circuit.lookup.challengeWire }
      : undefined;
    const res = await devSetup({ r1csPath, zkeyPath, onProgress: opts.onProgress, ...(round1 ? { round1 } : {}) });
    vkeyCore = res.vkey as Record<string, unknown>;
  }
  // A groth16 key for an ultragroth circuit would let the prover choose the challenge: never write one.
  if (vkeyCore['protocol'] !== proofSystemOf(circuit))
    throw new UserError(
      `${opts.ptauPath ?? 'dev setup'}: made a key of protocol ${String(vkeyCore['protocol'])}, ` +
        `but ${artifactPath(opts.buildDir, 'circuit')} is a ${proofSystemOf(circuit)} circuit; ` +
        `this setup route does not make ${proofSystemOf(circuit)} keys`,
    );
  const meta: VkeyMeta = {
    ...vkeyMetaFor(opts.buildDir, circuit, kind),
    ...(ptau
      ? {
          ptau: {
            name: ptau.name,
            power: ptau.power,
            blake2b: ptau.blake2b,
            recognised: ptau.recognised,
            source: ptau.source,
          },
        }
      : {}),
  };
  const vkey = { ...vkeyCore, zkinfer: meta };
  const info: SetupInfo = {
    kind,
    ...(kind === 'dev' ? { warning: DEV_SETUP_WARNING } : {}),
    ...(ptau ? { ptau } : {}),
    modelId: circuit.modelId,
    vkeyHash: vkeyHash(vkey),
    hashes: {
      quantized: quantizedSha256,
      r1cs: r1csSha256,
      zkey: sha256Hex(readFileSync(zkeyPath)),
      vkey: vkeyHash(vkey),
    },
    seconds: (performance.now() - started) / 1000,
    zkinfer: VERSIONS.zkinfer,
    snarkjs: VERSIONS.snarkjs,
    createdAt: new Date().toISOString(),
  };
  writeJsonAtomic(artifactPath(opts.buildDir, 'vkey'), vkey);
  writeJsonAtomic(artifactPath(opts.buildDir, 'setup'), info);
  return { info, vkey, ...(replaced ? { replaced } : {}) };
}

/**
 * The `--ptau` setup: snarkjs's phase 2 on the powers-of-tau file plus one local random
 * contribution (for an ultragroth build, the same on the ultragroth key: δ and δ₁ both moved),
 * the zkey written atomically to `zkeyPath`; returns the file's provenance and the key.
 */
async function ptauSetup(
  opts: SetupOptions,
  ptauPath: string,
  circuit: CircuitInfo,
  r1csPath: string,
  zkeyPath: string,
): Promise<{ ptau: NonNullable<SetupInfo['ptau']>; vkeyCore: Record<string, unknown> }> {
  // Refuses (exit 2) a file that claims to be a published one but does not hash to it.
  const provenance = await identifyPtau(ptauPath, {
    trusted: opts.trustPtau,
    progress: opts.progress ? createTaskProgress('hashing ptau') : undefined,
    forBuild: opts.buildDir,
  });
  const ptau = { file: ptauPath, ...provenance };
  if (provenance.power < circuit.power)
    throw new UserError(`${ptauPath}: powers of tau for 2^${provenance.power}, the circuit needs 2^${circuit.power}`);
  const round1 = buildRound1(circuit);
  if (round1) {
    try {
      const { zkey, vkeyCore } = await ultragrothPtauSetup({ r1csPath, ptauPath, round1 });
      writeFileAtomic(zkeyPath, Buffer.concat(zkey));
      return { ptau, vkeyCore };
    } catch (e) {
      throw new UserError(`${ptauPath}: phase-2 setup of the ultragroth key failed (${(e as Error).message})`);
    }
  }
  const tmp0 = `${zkeyPath}.tmp-${process.pid}-0`;
  const tmp1 = `${zkeyPath}.tmp-${process.pid}-1`;
  try {
    const csHash = await snarkjs.zKey.newZKey(r1csPath, ptauPath, tmp0);
    if (!csHash)
      throw new UserError(
        `${ptauPath}: snarkjs could not set up the circuit with this file (is it prepared for phase 2 and at least 2^${circuit.power}?)`,
      );
    await snarkjs.zKey.contribute(tmp0, tmp1, 'zkinfer local contribution', randomBytes(32).toString('hex'));
    const vkeyCore = await snarkjs.zKey.exportVerificationKey(tmp1);
    writeFileAtomic(zkeyPath, readFileSync(tmp1));
    return { ptau, vkeyCore };
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${ptauPath}: phase-2 setup failed (${(e as Error).message})`);
  } finally {
    rmSync(tmp0, { force: true });
    rmSync(tmp1, { force: true });
  }
}
