/**
 * "Which model produced this output?" answered without trusting the key's publisher: the
 * verifier recompiles the circuit from the ONNX file and the published settings.json (the
 * scales calibration chose, replayed instead of recalibrated); the model id — sha256 of the
 * quantized model and the r1cs — must equal the bundle's (or claim's) and the key's label, and
 * with the powers-of-tau file the key itself is rebuilt from that circuit (key-rebuild.ts), so a
 * key relabelled with another model's id fails. Given the ceremony's transcript or final zkey,
 * the key must also come from a ceremony for exactly that r1cs.
 */
import type { ProofSystemChoice } from '../compile/proof-system.js';
import { existsSync } from 'node:fs';
import * as snarkjs from 'snarkjs';
import { canonicalJson } from '../core/hash.js';
import type { PublicLayout } from '../compile/build-circuit.js';
import { compileQuantized } from '../compile/compile-circuit.js';
import { replayQuantization } from '../quantize/replay-settings.js';
import { UserError } from '../core/errors.js';
import { circuitKeyMeta, circuitMetaDifferences, type CircuitKeyMeta, type ZkinferVkey } from '../formats/vkey.js';
import { readTranscript } from '../setup/ceremony/ceremony-transcript.js';
import { verifyContributionChain } from '../setup/ceremony/contribution-chain.js';
import { readZkeyMpc } from '../setup/ceremony/zkey-mpc.js';
import { fail, pass, type CheckResult } from './check-result.js';
import type { CircuitBinding, KeyRebuild } from './key-rebuild.js';
import type { QuantizedModel } from '../quantize/quantized-model.js';

/** A circuit recompiled by the verifier. */
export interface RecompiledModel {
  readonly modelId: string;
  /** The replayed quantized model (its weights give W with `--weights-opening`); single-inference circuits only. */
  readonly model?: QuantizedModel;
  /** The key metadata setup would write for this circuit (layout, scales, ranges, chunk encoding…). */
  readonly meta: CircuitKeyMeta;
  readonly r1cs: Uint8Array;
  readonly r1csSha256: string;
  /** sha256 of the ONNX file, and whether it is the one settings.json names. */
  readonly onnxSha256: string;
  readonly onnxMatchesSettings: boolean;
}

/** Options of {@link recompileModel}. */
export interface RecompileOptions {
  readonly modelPath: string;
  /** Default: settings.json beside the model. */
  readonly settingsPath?: string;
  readonly inputVisibility: PublicLayout['input']['visibility'];
  readonly outputVisibility: PublicLayout['output']['visibility'];
  /** The key's proof system (src/compile/proof-system.ts keyProofSystem; default groth16). */
  readonly system?: ProofSystemChoice;
}

/** Quantizes and compiles an ONNX model exactly as the settings say, without calibration. */
export function recompileModel(o: RecompileOptions): RecompiledModel {
  const replay = replayQuantization(o);
  const { r1cs, info } = compileQuantized(replay.model, replay.bytes, {
    inputVisibility: o.inputVisibility,
    outputVisibility: o.outputVisibility,
    ...o.system,
    check: false,
  });
  return {
    modelId: info.modelId,
    model: replay.model,
    meta: circuitKeyMeta(info, replay.quantization),
    r1cs,
    r1csSha256: info.r1csSha256,
    onnxSha256: replay.onnxSha256,
    onnxMatchesSettings: replay.onnxMatchesSettings,
  };
}

/** A circuit the verifier recompiled from --model (the single-inference or the accuracy chunk circuit). */
export interface RecompiledCircuit extends RecompiledModel {
  readonly modelPath: string;
}

/** Options of {@link modelIdCheck}. */
export interface ModelIdCheckOptions {
  readonly recompiled: RecompiledCircuit;
  /** The model id the bundle or claim names. */
  readonly claimedModelId: string;
  /** `bundle` or `claim`, for messages. */
  readonly artifact: string;
  readonly vkey: ZkinferVkey;
  /** The key rebuilt from the recompiled r1cs and a ptau file, when the verifier has one. */
  readonly rebuild?: KeyRebuild;
  /** How the key's δ is tied to the rebuilt circuit (with `rebuild`). */
  readonly binding?: CircuitBinding;
}

const short = (h: string): string => `${h.slice(0, 16)}…`;

/**
 * The `model-id` check of --model: the recompiled model id must be the artifact's and the key's
 * label, and — when a ptau file is at hand — the key itself must be the one rebuilt from the
 * recompiled circuit. Without a rebuild only labels were compared, and the check says so
 * (marked unverified) instead of claiming the key matches.
 */
export function modelIdCheck(o: ModelIdCheckOptions): CheckResult {
  const { recompiled: rec, vkey } = o;
  const label = vkey.zkinfer.modelId;
  const onnxNote = rec.onnxMatchesSettings
    ? ''
    : ` (${rec.modelPath} is not the ONNX file settings.json was made from: sha256 ${short(rec.onnxSha256)})`;
  const gives = `recompiling ${rec.modelPath} gives model ${short(rec.modelId)}`;
  if (rec.modelId !== o.claimedModelId)
    return fail('model-id', `${gives}, the ${o.artifact} claims ${short(o.claimedModelId)}${onnxNote}`);
  if (rec.modelId !== label) return fail('model-id', `${gives}, the key is labelled ${short(label)}${onnxNote}`);
  // The verifier reads the signals by the key's layout, scales and ranges (and a claim's data by
  // its encoding): every one of those labels must be what setup writes for the recompiled circuit.
  const edited = circuitMetaDifferences(vkey.zkinfer, rec.meta);
  if (edited.length > 0)
    return fail(
      'model-id',
      `the key's metadata (${edited.join(', ')}) is not what setup writes for the recompiled circuit: the key's labels were edited`,
    );
  const r = o.rebuild;
  if (r && !r.ptauMatches)
    return fail(
      'model-id',
      `the key was not made from ${r.ptau.path} (its α, β differ${vkey.zkinfer.setup === 'dev' ? '; the key says it comes from a dev setup' : ''}), so it cannot be rebuilt from it`,
    );
  if (r && !r.circuitMatches)
    return fail(
      'model-id',
      `the key is not for the recompiled circuit: its γ and IC differ from those rebuilt from r1cs ${short(rec.r1csSha256)} and ${r.ptau.path} (its model id label names a circuit it does not verify)`,
    );
  const b = o.binding;
  if (r && b?.kind === 'broken') return fail('model-id', b.why);
  const rebuilt = `recompiled ${rec.modelPath}${onnxNote}: model ${short(rec.modelId)}, r1cs ${short(rec.r1csSha256)}; the key's α, β, γ, IC rebuilt from that r1cs and ${r?.ptau.path} match`;
  const warn = (detail: string): CheckResult => ({ check: 'model-id', ok: true, unverified: true, detail });
  if (r && !r.ptau.recognised)
    // Whoever made an unrecognised ptau knows τ, and τ with the proving key gives [1/δ]: anything can be forged.
    return warn(
      `${rebuilt}, but ${r.ptau.path} is neither a published powers of tau nor one named with --trust-ptau: whoever made it could make a key for any circuit`,
    );
  if (r && b?.kind === 'ceremony')
    return pass(
      'model-id',
      `${rebuilt}, and its δ ends a verified contribution chain over that circuit's hash (${b.secret} secret contribution${b.secret === 1 ? '' : 's'}): the key verifies this model unless every contributor colluded`,
    );
  if (r)
    return warn(
      `${rebuilt}, which binds the circuit's public wiring only: ${b?.kind === 'none' ? b.why : 'no ceremony'}`,
    );
  const why =
    vkey.zkinfer.setup === 'dev'
      ? 'a dev-setup key cannot be rebuilt'
      : `pass --ptau FILE, the published or trusted powers of tau it names, to rebuild it${describeKeyPtau(vkey)}`;
  return warn(
    `recompiled ${rec.modelPath}${onnxNote}: model ${short(rec.modelId)} equals the ${o.artifact}'s model id and the key's model id label only; the key was not rebuilt (${why})`,
  );
}

/** ": NAME, 2^P, blake2b …" for the ptau a key records, or "". */
export function describeKeyPtau(vkey: ZkinferVkey): string {
  const p = vkey.zkinfer.ceremony?.transcript.ptau ?? vkey.zkinfer.ptau;
  return p ? `: ${p.name}, 2^${p.power}, blake2b ${p.blake2b}` : '';
}

const core = (vkey: Record<string, unknown>): string =>
  canonicalJson(Object.fromEntries(Object.entries(vkey).filter(([k]) => k !== 'zkinfer')));

/** Why the zkey at `path` is not the key's ceremony for the recompiled circuit, or null. */
async function zkeyCeremonyProblem(path: string, rec: RecompiledCircuit, vkey: ZkinferVkey): Promise<string | null> {
  let zkeyVkey: Record<string, unknown>;
  try {
    zkeyVkey = (await snarkjs.zKey.exportVerificationKey(path)) as Record<string, unknown>;
  } catch (e) {
    throw new UserError(`${path}: not a readable snarkjs .zkey (${(e as Error).message})`);
  }
  if (core(zkeyVkey) !== core(vkey)) return `the verification key is not the one of ${path}`;
  const mpc = await readZkeyMpc(path);
  const t = vkey.zkinfer.ceremony?.transcript;
  if (!t) return `${path} is the key's zkey, but the key carries no ceremony transcript naming its r1cs`;
  if (t.circuit.csHash !== mpc.csHash) return `${path}'s circuit hash differs from the key's transcript`;
  if (t.circuit.r1csSha256 !== rec.r1csSha256)
    return `the ceremony was run for r1cs ${short(t.circuit.r1csSha256)}, the recompiled circuit is ${short(rec.r1csSha256)}`;
  return null;
}

/**
 * The `ceremony` check (--ceremony FILE): the key comes from the ceremony in the verifier's
 * transcript (.json) or final key (.zkey), run for the recompiled r1cs. With a rebuild the
 * transcript's circuit hash is tied to that r1cs and ptau; without one it is only the
 * transcript's word, and the check says so.
 */
export async function ceremonyCheck(
  path: string,
  rec: RecompiledCircuit,
  vkey: ZkinferVkey,
  rebuild: KeyRebuild | undefined,
): Promise<CheckResult> {
  if (!existsSync(path)) throw new UserError(`${path}: ceremony transcript or zkey not found`);
  const t = path.endsWith('.zkey') ? vkey.zkinfer.ceremony?.transcript : readTranscript(path);
  const problem = path.endsWith('.zkey')
    ? await zkeyCeremonyProblem(path, rec, vkey)
    : t!.circuit.r1csSha256 !== rec.r1csSha256
      ? `the ceremony was run for r1cs ${short(t!.circuit.r1csSha256)}, the recompiled circuit is ${short(rec.r1csSha256)}`
      : t!.circuit.modelId !== rec.modelId
        ? `the ceremony names model ${short(t!.circuit.modelId)}, the recompiled model is ${short(rec.modelId)}`
        : null;
  if (problem) return fail('ceremony', problem);
  if (rebuild && rebuild.csHash !== t!.circuit.csHash)
    return fail(
      'ceremony',
      `the ceremony's circuit hash is not the one the recompiled r1cs and ${rebuild.ptau.path} give`,
    );
  const chain = await verifyContributionChain({
    csHash: t!.circuit.csHash,
    contributions: t!.contributions,
    vkDelta2: vkey['vk_delta_2'] ?? null,
  });
  if (!chain.ok) return fail('ceremony', `the key does not come from this ceremony: ${chain.detail}`);
  const n = t!.contributions.length;
  if (rebuild)
    return pass(
      'ceremony',
      `the key's δ ends the ${n}-contribution chain of ${path}, which starts from the circuit hash of the recompiled r1cs and ${rebuild.ptau.path}`,
    );
  return {
    check: 'ceremony',
    ok: true,
    unverified: true,
    detail: `the key's δ ends the ${n}-contribution chain of ${path}; its circuit hash was not tied to the recompiled r1cs (no ptau file: pass --ptau FILE${describeKeyPtau(vkey)})`,
  };
}
