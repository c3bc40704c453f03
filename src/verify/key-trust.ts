/**
 * The trust policy bundles and claims share: once a key is pinned, what binds it to a model
 * (`model-id` with --model), to a ceremony (`ceremony` with --ceremony) and to a trusted setup
 * (`trusted-setup` with --require-trusted-setup). One implementation, so a bundle and a claim
 * made with the same kind of key pass or fail the same checks with the same words.
 */
import { existsSync } from 'node:fs';
import { UserError } from '../core/errors.js';
import type { ZkinferVkey } from '../formats/vkey.js';
import type { CheckResult } from './check-result.js';
import {
  circuitBinding,
  rebuildKey,
  resolvePtauSources,
  type CircuitBinding,
  type KeyRebuild,
  type PtauSources,
} from './key-rebuild.js';
import { ceremonyCheck, modelIdCheck, type RecompiledCircuit } from './model-binding.js';
import { checkTrustedSetup, type Contributor } from './trusted-setup.js';

/** The warning when --model could compare only labels (the report also marks `model-id` unverified). */
export const LABEL_ONLY_WARNING =
  '--model did not bind the key itself (see the model-id line): a key made for another circuit and labelled with this model id would pass too';

/** The verifier's trust options, the same for bundles and claims. */
export interface TrustOptions {
  /** The model's ONNX file: its circuit is recompiled (with `settingsPath`) and the key bound to it. */
  readonly modelPath?: string;
  readonly settingsPath?: string;
  /** The ceremony's transcript or final zkey: the key must come from it, for the recompiled r1cs. */
  readonly ceremonyPath?: string;
  /** Powers-of-tau files to rebuild the key from (trusted when published). */
  readonly ptau?: readonly string[];
  /** Powers-of-tau files or blake2b-512 hashes to treat as trusted, besides the published ones. */
  readonly trustPtau?: readonly string[];
  /** Fail keys that are not rebuilt from a trusted ptau and the recompiled circuit with δ from a verified ceremony. */
  readonly requireTrustedSetup?: boolean;
  /** Fewest phase-2 contributions a trusted key needs (default 2). */
  readonly minContributions?: number;
}

/**
 * Throws {@link UserError} for trust options that would do nothing: each needs another option
 * to mean anything, and an option that does not apply is an error, never silently ignored.
 */
export function assertTrustOptions(o: TrustOptions): void {
  const given = (v: unknown) => v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0);
  const refuse = (when: boolean, message: string) => {
    if (when) throw new UserError(message);
  };
  const rebuilds = !!o.modelPath || !!o.requireTrustedSetup;
  refuse(
    given(o.settingsPath) && !o.modelPath,
    '--settings needs --model (the settings replay the model quantization)',
  );
  refuse(
    given(o.ceremonyPath) && !o.modelPath,
    '--ceremony needs --model (the ceremony is checked against the recompiled circuit)',
  );
  refuse(
    given(o.minContributions) && !o.requireTrustedSetup,
    '--min-contributions applies only with --require-trusted-setup',
  );
  refuse(
    given(o.ptau) && !rebuilds,
    '--ptau needs --model or --require-trusted-setup (the key is rebuilt from it and the recompiled circuit)',
  );
  refuse(given(o.trustPtau) && !rebuilds, '--trust-ptau needs --model or --require-trusted-setup');
  // Checked before the (slow) recompile, so a mistyped path fails at once.
  refuse(!!o.ceremonyPath && !existsSync(o.ceremonyPath), `${o.ceremonyPath}: ceremony transcript or zkey not found`);
  for (const p of o.ptau ?? []) refuse(!existsSync(p), `${p}: powers-of-tau file not found (--ptau)`);
}

/** Library options of bundle verification that mean nothing for a claim, and the flags they come from. */
export const BUNDLE_ONLY_OPTIONS: Readonly<Record<string, string>> = {
  bundlePath: 'bundlePath',
  bundle: 'bundle',
  inputPath: '--input',
  inputValues: 'inputValues',
  openingPath: '--opening (of a bundle)',
  weightsOpeningPath: '--weights-opening',
  chain: '--chain/--rpc',
  chainVerifier: 'chainVerifier',
};

/** Library options of claim verification that mean nothing for a bundle. */
export const CLAIM_ONLY_OPTIONS: Readonly<Record<string, string>> = {
  claimPath: 'claimPath',
  claim: 'claim',
  dataset: '--dataset',
  opening: '--opening (of a dataset)',
  datasetCommitment: '--dataset-commitment',
  minAccuracy: '--min-accuracy',
  workers: 'workers',
  poolMinChunks: 'poolMinChunks',
};

/**
 * Throws {@link UserError} when `opts` (from JavaScript, where types do not stop it) holds an
 * option of the other kind of verification: it would be ignored, and an ignored option is a
 * check the caller believes ran.
 */
export function assertNoForeignOptions(opts: object, foreign: Readonly<Record<string, string>>, what: string): void {
  for (const [k, v] of Object.entries(opts))
    if (v !== undefined && k in foreign) throw new UserError(`${foreign[k]} does not apply to ${what}`);
}

/** What {@link checkKeyTrust} found. */
export interface KeyTrust {
  readonly checks: CheckResult[];
  readonly contributors?: Contributor[];
  /** Whether --model bound the key itself (rebuilt, and δ tied to the circuit by its ceremony), not only labels. */
  readonly bound: boolean;
}

/** Options of {@link checkKeyTrust}. */
export interface KeyTrustOptions extends TrustOptions {
  readonly vkey: ZkinferVkey;
  readonly pinned: boolean;
  /** The model id the bundle or claim names. */
  readonly claimedModelId: string;
  /** `bundle` or `claim`, for messages. */
  readonly artifact: string;
  /** Recompiles the circuit the key must be for (called only with --model). */
  readonly recompile: (
    modelPath: string,
    settingsPath: string | undefined,
  ) => RecompiledCircuit | Promise<RecompiledCircuit>;
}

/** The ptau file to rebuild from: the one the key records, else the first given. */
function ptauFor(vkey: ZkinferVkey, sources: PtauSources) {
  const recorded = vkey.zkinfer.ceremony?.transcript.ptau.blake2b ?? vkey.zkinfer.ptau?.blake2b;
  return sources.files.find((f) => f.blake2b === recorded) ?? sources.files[0];
}

/** The `model-id` (--model), `ceremony` (--ceremony) and `trusted-setup` (--require-trusted-setup) checks. */
export async function checkKeyTrust(o: KeyTrustOptions): Promise<KeyTrust> {
  assertTrustOptions(o);
  const checks: CheckResult[] = [];
  const sources = await resolvePtauSources(o);
  const rec = o.modelPath ? await o.recompile(o.modelPath, o.settingsPath) : undefined;
  const file = ptauFor(o.vkey, sources);
  const idCheck = (rebuild?: KeyRebuild, binding?: CircuitBinding) =>
    modelIdCheck({
      recompiled: rec!,
      claimedModelId: o.claimedModelId,
      artifact: o.artifact,
      vkey: o.vkey,
      rebuild,
      binding,
    });
  // The rebuild (snarkjs zkey new: seconds, more for large circuits) only when the labels agree:
  // a key that already fails on them is not rebuilt.
  const labels = rec ? idCheck() : undefined;
  const rebuild: KeyRebuild | undefined =
    rec && file && labels?.ok ? await rebuildKey(rec.r1cs, file, o.vkey) : undefined;
  const binding = rebuild ? await circuitBinding(o.vkey, rebuild) : undefined;
  const modelId = rebuild ? idCheck(rebuild, binding) : labels;
  if (modelId) checks.push(modelId);
  const bound = !!modelId && modelId.ok && !modelId.unverified;
  if (rec && o.ceremonyPath) checks.push(await ceremonyCheck(o.ceremonyPath, rec, o.vkey, rebuild));
  if (!o.requireTrustedSetup) return { checks, bound };
  const trust = await checkTrustedSetup({
    vkey: o.vkey,
    pinned: o.pinned,
    minContributions: o.minContributions,
    ptau: sources,
    recompiled: !!rec,
    rebuild,
    ...(labels && !labels.ok
      ? { notRebuilt: "the recompiled model is not the key's (model-id failed), so the key was not rebuilt" }
      : {}),
  });
  checks.push(trust.check);
  return { checks, contributors: trust.contributors, bound };
}
