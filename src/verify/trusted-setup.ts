/**
 * The verifier's `trusted-setup` check (`verify --require-trusted-setup`), for bundles and
 * claims alike. Whoever knows a key's δ can forge a proof of anything (A = α, B = β,
 * C = −IC(x)/δ), and every other part of a key can be written by whoever publishes it, so the
 * check trusts nothing the key says about itself. It passes only when:
 * 1. the key is pinned and carries a ceremony transcript (the one its hash names);
 * 2. that transcript starts from a recognised powers of tau (the published table, or one the
 *    verifier names with --trust-ptau), and the verifier holds that very file;
 * 3. the key's α, β, γ and IC equal those rebuilt from that file and the circuit the verifier
 *    recompiled from the ONNX file and settings (src/verify/key-rebuild.ts), and the rebuilt
 *    circuit hash is the one the transcript's contribution chain starts from;
 * 4. that chain verifies and ends in the key's δ, with at least `minContributions` secret
 *    contributions (beacons do not count: their secret follows from a public seed) — one honest
 *    contributor is then enough to keep δ unknown.
 * A missing ptau file or recompiled circuit is a failure that says what to pass, never a warning.
 */
import { UserError } from '../core/errors.js';
import type { ZkinferVkey } from '../formats/vkey.js';
import { transcriptHash } from '../setup/ceremony/ceremony-transcript.js';
import { verifyContributionChain } from '../setup/ceremony/contribution-chain.js';
import { isRecognisedPtau } from '../setup/ptau/ptau-file.js';
import { fail, pass, type CheckResult } from './check-result.js';
import type { KeyRebuild, PtauSources } from './key-rebuild.js';

/** Default of --min-contributions. */
export const DEFAULT_MIN_CONTRIBUTIONS = 2;

/** A phase-2 contributor, as reports list them. */
export interface Contributor {
  readonly index: number;
  readonly name: string;
  readonly kind: string;
  readonly hash: string;
}

/** Options of {@link checkTrustedSetup}. */
export interface TrustedSetupOptions {
  readonly vkey: ZkinferVkey;
  readonly pinned: boolean;
  readonly minContributions?: number;
  readonly ptau: PtauSources;
  /** Whether the verifier recompiled the circuit (--model). */
  readonly recompiled: boolean;
  /** The key rebuilt from the recompiled r1cs and the ptau file the transcript names, when both are at hand. */
  readonly rebuild?: KeyRebuild;
  /** Why the key was not rebuilt although the model was recompiled (its labels already failed). */
  readonly notRebuilt?: string;
}

/** Result: the check and the contributors, in order. */
export interface TrustedSetupResult {
  readonly check: CheckResult;
  readonly contributors: Contributor[];
}

const short = (h: string): string => `${h.slice(0, 16)}…`;

/** The trusted-setup verdict for a pinned verification key. */
export async function checkTrustedSetup(o: TrustedSetupOptions): Promise<TrustedSetupResult> {
  const min = o.minContributions ?? DEFAULT_MIN_CONTRIBUTIONS;
  // Fewer than one secret contribution would pass keys whose δ is public (a beacon alone).
  if (!Number.isInteger(min) || min < 1)
    throw new UserError(`--min-contributions must be an integer of at least 1, got ${min}`);
  const meta = o.vkey.zkinfer;
  const t = meta.ceremony?.transcript;
  const contributors = (t?.contributions ?? []).map(({ index, name, kind, hash }) => ({ index, name, kind, hash }));
  const result = (ok: boolean, detail: string): TrustedSetupResult => ({
    check: ok ? pass('trusted-setup', detail) : fail('trusted-setup', detail),
    contributors,
  });
  if (!o.pinned) return result(false, "the key is not pinned, so its setup is only the prover's word");
  if (meta.setup === 'dev')
    return result(false, 'dev setup: one process sampled all the toxic waste, so whoever ran it could forge proofs');
  if (!meta.ceremony || !t)
    return result(
      false,
      'no ceremony transcript: the key was made by `zkinfer setup --ptau`, one phase-2 contribution inside one process, so whoever ran it knows δ and could forge proofs; run a ceremony (zkinfer ceremony init/contribute/beacon/finalize)',
    );
  if (transcriptHash(t) !== meta.ceremony.transcriptSha256)
    return result(false, 'the ceremony transcript in the key does not match its recorded hash (altered)');
  const source = isRecognisedPtau(t.ptau.blake2b, o.ptau.trusted);
  if (!source)
    return result(
      false,
      `ptau ${t.ptau.name} (blake2b ${short(t.ptau.blake2b)}) is not recognised: not a published perpetual powers-of-tau file; name it with --trust-ptau FILE if you trust whoever made it`,
    );
  const file = o.ptau.files.find((f) => f.blake2b === t.ptau.blake2b);
  if (!file)
    return result(
      false,
      `the key's α, β, γ and IC must be rebuilt from the powers of tau its ceremony started from: fetch ${t.ptau.name} (2^${t.ptau.power}, blake2b ${t.ptau.blake2b}) and pass it with --ptau FILE`,
    );
  if (o.notRebuilt) return result(false, o.notRebuilt);
  if (!o.recompiled || !o.rebuild)
    return result(
      false,
      "the key's α, β, γ and IC must be rebuilt from the circuit recompiled from the model: pass --model ONNX (and --settings FILE)",
    );
  const r = o.rebuild;
  if (r.ptau.blake2b !== t.ptau.blake2b)
    return result(false, `the key was rebuilt from ${r.ptau.name}, not from ${t.ptau.name}, which its ceremony names`);
  if (!r.ptauMatches)
    return result(false, `the key's α and β are not those of ${r.ptau.path}: it was not made from it`);
  if (!r.circuitMatches)
    return result(false, `the key's γ and IC are not those rebuilt from the recompiled circuit and ${r.ptau.path}`);
  if (r.csHash !== t.circuit.csHash)
    return result(
      false,
      "the ceremony's circuit hash is not the one the recompiled r1cs and the ptau give: the transcript is for another circuit",
    );
  const chain = await verifyContributionChain({
    csHash: r.csHash,
    contributions: t.contributions,
    vkDelta2: o.vkey['vk_delta_2'] ?? null,
    ...(o.vkey['vk_delta1_2'] !== undefined ? { vkDelta1_2: o.vkey['vk_delta1_2'] } : {}),
  });
  if (!chain.ok) return result(false, `contribution chain: ${chain.detail}`);
  const names = contributors
    .map((c) => `${c.index}. ${c.name || '(unnamed)'}${c.kind === 'beacon' ? ' [beacon]' : ''} ${short(c.hash)}`)
    .join(', ');
  // A beacon's secret follows from its public seed: it adds no secrecy, so only the others count.
  const secret = contributors.filter((c) => c.kind !== 'beacon').length;
  if (secret < min)
    return result(
      false,
      `${secret} secret phase-2 contribution${secret === 1 ? '' : 's'} (${names || 'none'}), at least ${min} required (a beacon's secret is public): a single party could know δ and forge proofs`,
    );
  return result(
    true,
    `${secret} secret phase-2 contributions${secret < contributors.length ? ' and a beacon' : ''}: ${names}; ptau ${t.ptau.name} (${source}); α, β, γ, IC rebuilt from the recompiled circuit and ${r.ptau.path}; δ ends the verified contribution chain`,
  );
}
