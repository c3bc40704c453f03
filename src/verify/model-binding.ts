/**
 * "Which model produced this output?" answered without trusting the key's publisher: the
 * verifier recompiles the circuit from the ONNX file and the published settings.json (the
 * scales calibration chose, replayed instead of recalibrated), and the model id — sha256 of the
 * quantized model and the r1cs — must equal the bundle's and the key's. Given the ceremony's
 * transcript or final zkey, the key must also come from a ceremony for exactly that r1cs.
 */
import { existsSync } from 'node:fs';
import * as snarkjs from 'snarkjs';
import { canonicalJson } from '../core/hash.js';
import type { PublicLayout } from '../compile/build-circuit.js';
import { compileQuantized } from '../compile/compile-circuit.js';
import { replayQuantization } from '../quantize/replay-settings.js';
import { UserError } from '../core/errors.js';
import { CeremonyMeta } from '../formats/ceremony.js';
import { readTranscript } from '../setup/ceremony/ceremony-transcript.js';
import { verifyContributionChain } from '../setup/ceremony/contribution-chain.js';
import { readZkeyMpc } from '../setup/ceremony/zkey-mpc.js';
import type { CheckResult } from './check-result.js';

/** A circuit recompiled by the verifier. */
export interface RecompiledModel {
  readonly modelId: string;
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
}

/** Quantizes and compiles an ONNX model exactly as the settings say, without calibration. */
export function recompileModel(o: RecompileOptions): RecompiledModel {
  const replay = replayQuantization(o);
  const { r1cs, info } = compileQuantized(replay.model, replay.bytes, {
    inputVisibility: o.inputVisibility,
    outputVisibility: o.outputVisibility,
    check: false,
  });
  return {
    modelId: info.modelId,
    r1cs,
    r1csSha256: info.r1csSha256,
    onnxSha256: replay.onnxSha256,
    onnxMatchesSettings: replay.onnxMatchesSettings,
  };
}

/** Options of {@link checkModelBinding}. */
export interface ModelBindingOptions extends Omit<RecompileOptions, 'inputVisibility' | 'outputVisibility'> {
  readonly layout: PublicLayout;
  readonly bundleModelId: string;
  readonly vkey: Record<string, unknown>;
  /** The ceremony's transcript (.json) or final key (.zkey). */
  readonly ceremonyPath?: string;
}

const core = (vkey: Record<string, unknown>): string =>
  canonicalJson(Object.fromEntries(Object.entries(vkey).filter(([k]) => k !== 'zkinfer')));

async function ceremonyBinding(
  path: string,
  rec: RecompiledModel,
  vkey: Record<string, unknown>,
): Promise<string | null> {
  if (!existsSync(path)) throw new UserError(`${path}: ceremony transcript or zkey not found`);
  const keyTranscript = (vkey['zkinfer'] as { ceremony?: CeremonyMeta } | undefined)?.ceremony?.transcript;
  if (path.endsWith('.zkey')) {
    let zkeyVkey: Record<string, unknown>;
    try {
      zkeyVkey = (await snarkjs.zKey.exportVerificationKey(path)) as Record<string, unknown>;
    } catch (e) {
      throw new UserError(`${path}: not a readable snarkjs .zkey (${(e as Error).message})`);
    }
    if (core(zkeyVkey) !== core(vkey)) return `the verification key is not the one of ${path}`;
    const mpc = await readZkeyMpc(path);
    if (!keyTranscript) return `${path} is the key's zkey, but the key carries no ceremony transcript naming its r1cs`;
    if (keyTranscript.circuit.csHash !== mpc.csHash) return `${path}'s circuit hash differs from the key's transcript`;
    if (keyTranscript.circuit.r1csSha256 !== rec.r1csSha256)
      return `the ceremony was run for r1cs ${keyTranscript.circuit.r1csSha256.slice(0, 16)}…, the recompiled circuit is ${rec.r1csSha256.slice(0, 16)}…`;
    return null;
  }
  const t = readTranscript(path);
  if (t.circuit.r1csSha256 !== rec.r1csSha256)
    return `the ceremony was run for r1cs ${t.circuit.r1csSha256.slice(0, 16)}…, the recompiled circuit is ${rec.r1csSha256.slice(0, 16)}…`;
  if (t.circuit.modelId !== rec.modelId)
    return `the ceremony names model ${t.circuit.modelId.slice(0, 16)}…, the recompiled model is ${rec.modelId.slice(0, 16)}…`;
  const chain = await verifyContributionChain({
    csHash: t.circuit.csHash,
    contributions: t.contributions,
    vkDelta2: vkey['vk_delta_2'] ?? null,
  });
  return chain.ok ? null : `the key does not come from this ceremony: ${chain.detail}`;
}

/** Recompiles the model and checks the bundle's and key's model ids (and the ceremony, when given). */
export async function checkModelBinding(
  o: ModelBindingOptions,
): Promise<{ check: CheckResult; recompiled: RecompiledModel }> {
  const rec = recompileModel({
    ...o,
    inputVisibility: o.layout.input.visibility,
    outputVisibility: o.layout.output.visibility,
  });
  const keyModelId = (o.vkey['zkinfer'] as { modelId?: string } | undefined)?.modelId;
  const fail = (detail: string) => ({ check: { check: 'model-id' as const, ok: false, detail }, recompiled: rec });
  const onnxNote = rec.onnxMatchesSettings
    ? ''
    : ` (${o.modelPath} is not the ONNX file settings.json was made from: sha256 ${rec.onnxSha256.slice(0, 16)}…)`;
  if (rec.modelId !== o.bundleModelId)
    return fail(
      `recompiling ${o.modelPath} gives model ${rec.modelId.slice(0, 16)}…, the bundle claims ${o.bundleModelId.slice(0, 16)}…${onnxNote}`,
    );
  if (rec.modelId !== keyModelId)
    return fail(
      `recompiling ${o.modelPath} gives model ${rec.modelId.slice(0, 16)}…, the key is labelled ${keyModelId?.slice(0, 16) ?? 'with no model'}…`,
    );
  if (o.ceremonyPath) {
    const why = await ceremonyBinding(o.ceremonyPath, rec, o.vkey);
    if (why) return fail(why);
  }
  return {
    check: {
      check: 'model-id',
      ok: true,
      detail: `recompiled ${o.modelPath}: model ${rec.modelId.slice(0, 16)}…, r1cs ${rec.r1csSha256.slice(0, 16)}… match the bundle and the key${o.ceremonyPath ? ` and the ceremony ${o.ceremonyPath}` : ''}`,
    },
    recompiled: rec,
  };
}
