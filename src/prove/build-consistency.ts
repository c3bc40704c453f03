/**
 * Before proving, the build directory's files are checked against each other: model.quant.json
 * ↔ circuit.r1cs ↔ circuit.zkey ↔ vkey.json, by the sha256 recorded at compile and setup time
 * and by content (the zkey's header and IC points must be vkey.json's key; its sizes must be
 * the r1cs's). A zkey with flipped or missing bytes, keys from another setup, or an edited model
 * is refused with one line naming the file, instead of yielding bundles nobody can verify (or,
 * worse, bundles that verify against a key the model owner never made).
 */
import { readFileSync } from 'node:fs';
import { artifactPath } from '../formats/paths.js';
import { sha256Hex } from '../core/hash.js';
import type { Groth16VerificationKey } from '../formats/vkey.js';
import { proofSystemOf, type CircuitInfo } from '../formats/circuit.js';
import { ULTRAGROTH_PROTOCOL_ID } from '../setup/zkey-file.js';
import { decodeR1cs, R1csFile } from '../compile/r1cs-file.js';
import { UserError } from '../core/errors.js';
import { modelHashBytes } from '../formats/quantized-model.js';
import type { QuantizedModel } from '../quantize/quantized-model.js';
import type { Settings } from '../formats/settings.js';
import {
  readCircuitInfo,
  readQuantizedModelFile,
  readSettings,
  readSetupInfo,
  readVkey,
} from '../formats/build-dir.js';
import { BASE_FIELD_PRIME as BN254_P } from '../core/bn254.js';
import { vkeyHash } from '../formats/vkey.js';
import { type SetupInfo } from '../formats/setup.js';

/** Everything proving needs from a build directory, checked for consistency. */
export interface CheckedBuildDir {
  readonly model: QuantizedModel;
  readonly settings: Settings;
  readonly circuit: CircuitInfo;
  readonly setup: SetupInfo;
  readonly vkey: Groth16VerificationKey & Record<string, unknown>;
  readonly r1cs: R1csFile;
  readonly zkey: Uint8Array;
}

// Montgomery form of the zkey's base-field coordinates: value = stored · R⁻¹ mod p, R = 2^256.
const R_INV = modPow((1n << 256n) % BN254_P, BN254_P - 2n, BN254_P);

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  for (b %= m; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) r = (r * b) % m;
  return r;
}

function readLe(bytes: Uint8Array, o: number): bigint {
  let v = 0n;
  for (let i = 31; i >= 0; i--) v = (v << 8n) | BigInt(bytes[o + i]!);
  return v;
}

const fromMont = (bytes: Uint8Array, o: number) => ((readLe(bytes, o) % BN254_P) * R_INV) % BN254_P;

/** The zkey's sections by id; throws a plain Error on a malformed container. */
function zkeySections(z: Uint8Array): Map<number, { start: number; size: number }> {
  const view = new DataView(z.buffer, z.byteOffset, z.byteLength);
  if (z.length < 12 || Buffer.from(z.subarray(0, 4)).toString('ascii') !== 'zkey') throw new Error('not a zkey file');
  const out = new Map<number, { start: number; size: number }>();
  let o = 12;
  for (let i = 0, n = view.getUint32(8, true); i < n; i++) {
    if (o + 12 > z.length) throw new Error('truncated');
    const id = view.getUint32(o, true);
    const size = Number(view.getBigUint64(o + 4, true));
    if (o + 12 + size > z.length) throw new Error('truncated');
    out.set(id, { start: o + 12, size });
    o += 12 + size;
  }
  if (o !== z.length) throw new Error('trailing bytes after the last section');
  return out;
}

/** Compares the zkey's Groth16 header and IC points with vkey.json; returns the first difference. */
function zkeyVkeyMismatch(
  z: Uint8Array,
  vk: Groth16VerificationKey,
  r1cs: R1csFile,
  circuit: CircuitInfo,
): string | undefined {
  const s = zkeySections(z);
  const view = new DataView(z.buffer, z.byteOffset, z.byteLength);
  const protocol = s.get(1);
  const header = s.get(2);
  const ic = s.get(3);
  if (!protocol || !header || !ic) return 'lacks its header or IC section';
  const system = proofSystemOf(circuit);
  const protocolId = view.getUint32(protocol.start, true);
  if (system === 'groth16' && protocolId !== 1) return 'is not a Groth16 key';
  if (system === 'ultragroth' && protocolId !== ULTRAGROTH_PROTOCOL_ID)
    return 'is not an ultragroth key (circuit.json is an ultragroth circuit)';
  if (vk.protocol !== system) return `is for a ${system} circuit, vkey.json is a ${vk.protocol} key`;
  let o = header.start;
  if (view.getUint32(o, true) !== 32 || readLe(z, o + 4) !== BN254_P) return 'is not a bn128 key';
  o += 4 + 32 + 4 + 32;
  const nVars = view.getUint32(o, true);
  const nPublic = view.getUint32(o + 4, true);
  const domainSize = view.getUint32(o + 8, true);
  if (nVars !== r1cs.nWires) return `has ${nVars} variables, circuit.r1cs has ${r1cs.nWires} wires`;
  if (nPublic !== circuit.nPublic || nPublic !== vk.nPublic)
    return `has ${nPublic} public signals, circuit.json ${circuit.nPublic}, vkey.json ${vk.nPublic}`;
  if (domainSize !== 2 ** circuit.power) return `has domain ${domainSize}, circuit.json needs 2^${circuit.power}`;
  o += 12;
  const g1 = (at: number, p: readonly string[]) =>
    fromMont(z, at) === BigInt(p[0]!) && fromMont(z, at + 32) === BigInt(p[1]!);
  const g2 = (at: number, p: readonly (readonly string[])[]) =>
    [0, 1].every(
      (c) => fromMont(z, at + 64 * c) === BigInt(p[c]![0]!) && fromMont(z, at + 64 * c + 32) === BigInt(p[c]![1]!),
    );
  // Header points: alpha1, beta1, beta2, gamma2, delta1, delta2.
  if (!g1(o, vk.vk_alpha_1)) return 'has another alpha than vkey.json';
  if (!g2(o + 128, vk.vk_beta_2)) return 'has another beta than vkey.json';
  if (!g2(o + 256, vk.vk_gamma_2)) return 'has another gamma than vkey.json';
  if (!g2(o + 448, vk.vk_delta_2)) return 'has another delta than vkey.json';
  if (ic.size !== 64 * (nPublic + 1)) return 'has an IC section of the wrong size';
  for (let i = 0; i <= nPublic; i++)
    if (!g1(ic.start + 64 * i, vk.IC[i]!)) return `has another IC[${i}] than vkey.json`;
  return system === 'ultragroth' ? round1Mismatch(z, s.get(11), vk, circuit, g2) : undefined;
}

/** ultragroth: the zkey's round-1 section (11) against circuit.json's split and vkey.json's δ₁. */
function round1Mismatch(
  z: Uint8Array,
  section: { start: number; size: number } | undefined,
  vk: Groth16VerificationKey,
  circuit: CircuitInfo,
  g2: (at: number, p: readonly (readonly string[])[]) => boolean,
): string | undefined {
  if (!section || section.size < 8 + 64 + 128) return 'lacks its round-1 section';
  const view = new DataView(z.buffer, z.byteOffset, z.byteLength);
  const round2Start = view.getUint32(section.start, true);
  const challengeWire = view.getUint32(section.start + 4, true);
  if (round2Start !== circuit.lookup?.round2Start || challengeWire !== circuit.lookup.challengeWire)
    return (
      `splits the rounds at wire ${round2Start} (challenge ${challengeWire}), ` +
      `circuit.json at ${circuit.lookup?.round2Start} (challenge ${circuit.lookup?.challengeWire})`
    );
  if (!vk.vk_delta1_2 || !g2(section.start + 8 + 64, vk.vk_delta1_2)) return 'has another delta1 than vkey.json';
  return undefined;
}

/**
 * Loads and cross-checks a build directory. Throws {@link UserError} naming the first file
 * that does not belong with the others. `floatModel: false` skips the float model.onnx, for key
 * directories that have none (the accuracy chunk keys in `BUILD/accuracy/chunk-C/`).
 */
export function checkBuildConsistency(buildDir: string, opts: { floatModel?: boolean } = {}): CheckedBuildDir {
  const path = (n: Parameters<typeof artifactPath>[1]) => artifactPath(buildDir, n);
  const circuit = readCircuitInfo(buildDir);
  const setup = readSetupInfo(buildDir);
  const settings = readSettings(buildDir);
  const { model, bytes } = readQuantizedModelFile(buildDir);
  const stale = (file: string, since: string, again: string) =>
    new UserError(
      `${file}: does not match the rest of ${buildDir} (changed since \`zkinfer ${since}\`); run \`zkinfer ${again}\` again`,
    );
  // Hashed weights: the ids cover the architecture only (formats/quantized-model.ts).
  const hashed = modelHashBytes(model, bytes);
  const qSha = sha256Hex(hashed);
  if (qSha !== circuit.quantizedSha256) throw stale(path('quantized'), 'compile', 'compile` and `zkinfer setup');
  if (qSha !== setup.hashes.quantized) throw stale(path('quantized'), 'setup', 'setup');
  const r1csBytes = readBinary(path('r1cs'), 'compile');
  const rSha = sha256Hex(r1csBytes);
  if (rSha !== circuit.r1csSha256) throw stale(path('r1cs'), 'compile', 'compile` and `zkinfer setup');
  if (rSha !== setup.hashes.r1cs) throw stale(path('r1cs'), 'setup', 'setup');
  const modelId = sha256Hex(hashed, r1csBytes);
  if (modelId !== circuit.modelId) throw stale(path('circuit'), 'compile', 'compile` and `zkinfer setup');
  if (modelId !== setup.modelId) throw stale(path('setup'), 'setup', 'setup');
  // The float model is what fidelity compares with: it must be the one quantize read.
  if (opts.floatModel !== false && sha256Hex(readBinary(path('model'), 'quantize')) !== settings.model.sha256)
    throw stale(path('model'), 'quantize', 'quantize');
  const zkey = readBinary(path('zkey'), 'setup');
  if (sha256Hex(zkey) !== setup.hashes.zkey) throw stale(path('zkey'), 'setup', 'setup');
  const vkey = readVkey(buildDir);
  const vHash = vkeyHash(vkey);
  if (vHash !== setup.vkeyHash || vHash !== setup.hashes.vkey) throw stale(path('vkey'), 'setup', 'setup');
  const meta = vkey['zkinfer'] as { modelId?: unknown } | undefined;
  if (meta?.modelId !== modelId)
    throw new UserError(
      `${path('vkey')}: made for another model (its zkinfer.modelId is not ${modelId}); run \`zkinfer setup\` again`,
    );
  let r1cs: R1csFile;
  try {
    r1cs = decodeR1cs(Buffer.from(r1csBytes));
  } catch (e) {
    throw new UserError(`${path('r1cs')}: not a valid r1cs file (${(e as Error).message})`);
  }
  if (
    r1cs.nWires !== circuit.nWires ||
    r1cs.constraints.length !== circuit.nConstraints ||
    r1cs.nPubOut + r1cs.nPubIn !== circuit.nPublic
  ) {
    throw new UserError(`${path('r1cs')}: its sizes differ from circuit.json; run \`zkinfer compile\` again`);
  }
  let mismatch: string | undefined;
  try {
    mismatch = zkeyVkeyMismatch(zkey, vkey, r1cs, circuit);
  } catch (e) {
    mismatch = `is not a valid zkey file (${(e as Error).message})`;
  }
  if (mismatch) throw new UserError(`${path('zkey')}: ${mismatch}; run \`zkinfer setup\` again`);
  return { model, settings, circuit, setup, vkey, r1cs, zkey };
}

function readBinary(file: string, stage: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(
      code === 'ENOENT'
        ? `${file}: missing; run \`zkinfer ${stage}\` first`
        : `${file}: cannot read (${code ?? (e as Error).message})`,
    );
  }
}
