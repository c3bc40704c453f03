/**
 * The verifier's `trusted-setup` check (`verify --require-trusted-setup`). A key is trusted only
 * when it carries a ceremony transcript that (1) is the one its hash names, (2) is for the
 * key's model, (3) starts from a recognised powers of tau (the published table, or one the
 * verifier names with --trust-ptau FILE|HASH), (4) has a contribution chain that verifies and
 * ends in the key's δ, and (5) has at least `minContributions` phase-2 contributions — with
 * fewer, one party could know δ, and whoever knows δ can forge a proof of anything. When the
 * verifier holds the ptau file and the recompiled r1cs, the key's α, β, γ and IC are rebuilt
 * from them and compared too.
 */
import { existsSync, statSync } from 'node:fs';
import * as snarkjs from 'snarkjs';
import { canonicalJson } from '../core/hash.js';
import { UserError } from '../core/errors.js';
import type { CeremonyMeta } from '../formats/ceremony.js';
import { transcriptHash } from '../setup/ceremony/ceremony-transcript.js';
import { verifyContributionChain } from '../setup/ceremony/contribution-chain.js';
import { identifyPtau, isRecognisedPtau, parsePtauHash } from '../setup/ptau/ptau-file.js';
import type { VkeyMeta } from '../formats/vkey.js';
import type { CheckResult } from './check-result.js';

/** Default of --min-contributions. */
export const DEFAULT_MIN_CONTRIBUTIONS = 2;

/** A ptau the verifier trusts: its hash, and the file when given as one. */
export interface TrustedPtau {
  readonly blake2b: string;
  readonly path?: string;
}

/** Turns --trust-ptau arguments (files or blake2b-512 hashes) into {@link TrustedPtau}s. */
export async function resolveTrustedPtau(args: readonly string[]): Promise<TrustedPtau[]> {
  const out: TrustedPtau[] = [];
  for (const a of args) {
    if (existsSync(a) && statSync(a).isFile()) {
      // Hashed without the published-name check's refusal being skipped: a renamed impostor is still refused.
      const p = await identifyPtau(a);
      out.push({ blake2b: p.blake2b, path: a });
      continue;
    }
    const h = parsePtauHash(a);
    if (!h) throw new UserError(`--trust-ptau ${a}: neither a file nor a blake2b-512 hash (128 hex digits)`);
    out.push({ blake2b: h });
  }
  return out;
}

/** Options of {@link checkTrustedSetup}. */
export interface TrustedSetupOptions {
  readonly vkey: Record<string, unknown>;
  readonly minContributions?: number;
  readonly trustPtau?: readonly TrustedPtau[];
  /** The circuit recompiled by the verifier (from --model), for rebuilding α, β, IC. */
  readonly r1cs?: Uint8Array;
}

/** Result: the check, the contributors (in order) and anything worth a warning. */
export interface TrustedSetupResult {
  readonly check: CheckResult;
  readonly contributors: Array<{ index: number; name: string; kind: string; hash: string }>;
  readonly warnings: string[];
}

const pick = (v: Record<string, unknown>, keys: string[]): string => canonicalJson(keys.map((k) => v[k]));

/** Rebuilds the initial key from r1cs and ptau; null when it matches the verification key, else why not. */
async function rebuildMismatch(
  r1cs: Uint8Array,
  ptauPath: string,
  meta: CeremonyMeta,
  vkey: Record<string, unknown>,
): Promise<string | null> {
  const init = { type: 'bigMem' };
  const cs = await snarkjs.zKey.newZKey({ type: 'mem', data: r1cs }, ptauPath, init);
  if (!(cs instanceof Uint8Array)) return `snarkjs could not set up the recompiled circuit with ${ptauPath}`;
  if (Buffer.from(cs).toString('hex') !== meta.transcript.circuit.csHash)
    return `the ceremony's circuit hash is not the one the recompiled r1cs and ${ptauPath} give`;
  const initVkey = (await snarkjs.zKey.exportVerificationKey(init)) as Record<string, unknown>;
  const fields = ['vk_alpha_1', 'vk_beta_2', 'vk_gamma_2', 'IC', 'nPublic'];
  if (pick(initVkey, fields) !== pick(vkey, fields))
    return `the key's α, β, γ or IC are not the ones the recompiled r1cs and ${ptauPath} give`;
  return null;
}

/** The trusted-setup verdict for a verification key. */
export async function checkTrustedSetup(o: TrustedSetupOptions): Promise<TrustedSetupResult> {
  const min = o.minContributions ?? DEFAULT_MIN_CONTRIBUTIONS;
  const meta = o.vkey['zkinfer'] as VkeyMeta | undefined;
  const warnings: string[] = [];
  const result = (
    ok: boolean,
    detail: string,
    contributors: TrustedSetupResult['contributors'] = [],
  ): TrustedSetupResult => ({ check: { check: 'trusted-setup', ok, detail }, contributors, warnings });
  if (!meta) return result(false, 'the key has no zkinfer metadata, so no ceremony transcript');
  if (meta.setup === 'dev')
    return result(false, 'dev setup: one process sampled all the toxic waste, so whoever ran it could forge proofs');
  const ceremony = meta.ceremony;
  if (!ceremony)
    return result(
      false,
      'no ceremony transcript: the key was made by `zkinfer setup --ptau`, one phase-2 contribution inside one process, so whoever ran it knows δ and could forge proofs; run a ceremony (zkinfer ceremony init/contribute/beacon/finalize)',
    );
  const t = ceremony.transcript;
  const contributors = (t?.contributions ?? []).map(({ index, name, kind, hash }) => ({ index, name, kind, hash }));
  if (!t || transcriptHash(t) !== ceremony.transcriptSha256)
    return result(false, 'the ceremony transcript in the key does not match its recorded hash (altered)', contributors);
  if (t.circuit.modelId !== meta.modelId)
    return result(
      false,
      `the ceremony was for model ${t.circuit.modelId.slice(0, 16)}…, the key is labelled ${meta.modelId.slice(0, 16)}…`,
      contributors,
    );
  const trusted = o.trustPtau ?? [];
  const source = isRecognisedPtau(
    t.ptau.blake2b,
    trusted.map((p) => p.blake2b),
  );
  if (!source)
    return result(
      false,
      `ptau ${t.ptau.name} (blake2b ${t.ptau.blake2b.slice(0, 16)}…) is not recognised: not a published perpetual powers-of-tau file; name it with --trust-ptau FILE|HASH if you trust whoever made it`,
      contributors,
    );
  const chain = await verifyContributionChain({
    csHash: t.circuit.csHash,
    contributions: t.contributions,
    vkDelta2: o.vkey['vk_delta_2'] ?? null,
  });
  if (!chain.ok) return result(false, `contribution chain: ${chain.detail}`, contributors);
  const names = contributors
    .map((c) => `${c.index}. ${c.name || '(unnamed)'}${c.kind === 'beacon' ? ' [beacon]' : ''} ${c.hash.slice(0, 16)}…`)
    .join(', ');
  if (contributors.length < min) {
    return result(
      false,
      `${contributors.length} phase-2 contribution${contributors.length === 1 ? '' : 's'} (${names || 'none'}), at least ${min} required: a single party could know δ and forge proofs`,
      contributors,
    );
  }
  const ptauFile = trusted.find((p) => p.path && p.blake2b === t.ptau.blake2b)?.path;
  let rebuilt = 'α, β, IC not rebuilt (pass --model and the ptau file as --trust-ptau FILE to rebuild them)';
  if (ptauFile && o.r1cs) {
    const why = await rebuildMismatch(o.r1cs, ptauFile, ceremony, o.vkey);
    if (why) return result(false, why, contributors);
    rebuilt = `α, β, IC rebuilt from the recompiled r1cs and ${ptauFile}`;
  } else {
    warnings.push(
      `trusted setup: the key's α, β and IC were not rebuilt from the ptau and the circuit; ${rebuilt.slice(rebuilt.indexOf('(') + 1, -1)}`,
    );
  }
  return result(
    true,
    `${contributors.length} phase-2 contributions: ${names}; ptau ${t.ptau.name} (${source}); ${rebuilt}`,
    contributors,
  );
}
