/**
 * Verification of an accuracy claim (src/accuracy/claim.ts). Every check is named, and chunk
 * checks name the chunk:
 * `format` (exit 2), `vkey` (the embedded key hashes to the claim's vkeyHash), `key-pin` (that
 * hash is the one the verifier trusts: --vkey FILE, --vkey-hash HEX or the trusted-key store,
 * as for bundles), `model-id` (the key is
 * an accuracy-chunk key for the claim's model, chunk size and dataset encoding), `chunks` (k =
 * ceil(N/C) chunks, indexed 0..k−1 in order, with the right sample counts), `public-signals`
 * (per chunk: canonical [c_i, count], count ≤ samples), `dataset-commitment` (D recomputed from
 * N, C and the proven c_i equals the claim's), `dataset-pin` (D equals --dataset-commitment, or
 * every c_i and D are recomputed from --dataset with its --opening), `proof` (the Groth16 check
 * of every chunk), `count` (K is the sum of the proven counts, accuracy = K/N), `min-accuracy`,
 * `trusted-setup`.
 */
import { availableParallelism } from 'node:os';
import { verifyGroth16 } from '../verify/groth16.js';
import { readJsonFile } from '../core/json.js';
import { FIELD_PRIME } from '../core/bn254.js';
import { canonicalJson } from '../core/hash.js';
import { AccuracyClaim, CLAIM_FORMAT, claimSchema } from '../formats/claim.js';
import {
  combineChunkCommitments,
  computeDatasetCommitment,
  parseFieldElement,
  readOpening,
  toHex,
} from './dataset-commitment.js';
import { DatasetEncoding } from '../formats/dataset.js';
import { UserError } from '../core/errors.js';
import { DEV_SETUP_WARNING, vkeyHash, VkeyMeta, assertVerificationKey } from '../formats/vkey.js';
import { resolveKey } from '../verify/pin-key.js';
import type { ChunkVerifyTask } from './verify-chunk-worker.js';
import { withWorkerPool } from '../runtime/pool.js';

/** Names of the claim checks, in the order they run. */
export type ClaimCheckName =
  | 'format'
  | 'vkey'
  | 'key-pin'
  | 'model-id'
  | 'chunks'
  | 'public-signals'
  | 'dataset-commitment'
  | 'dataset-pin'
  | 'proof'
  | 'count'
  | 'min-accuracy'
  | 'trusted-setup';

/** One check's outcome. */
export interface ClaimCheck {
  readonly check: ClaimCheckName;
  readonly ok: boolean;
  readonly detail: string;
}

/** The verdict on a claim. */
export interface ClaimReport {
  readonly kind: 'accuracy-claim';
  readonly valid: boolean;
  readonly failed?: ClaimCheckName;
  readonly checks: ClaimCheck[];
  readonly samples?: number;
  readonly correct?: number;
  readonly accuracy?: number;
  readonly datasetCommitment?: string;
  readonly modelId?: string;
  readonly setup?: string;
  readonly warnings: string[];
}

/** Options of {@link verifyClaim}. */
export interface VerifyClaimOptions {
  readonly claimPath?: string;
  readonly claim?: unknown;
  /** The trusted chunk verification key (BUILD/accuracy/chunk-C/vkey.json). */
  readonly vkeyPath?: string;
  /** The trusted key's hash (sha256 of the canonical vkey JSON). */
  readonly vkeyHash?: string;
  /** Accept a claim whose key or dataset is not pinned (reported as a warning). */
  readonly allowUnpinned?: boolean;
  /** Trusted-key store directory (default: the user's config dir, see src/verify/key-store.ts). */
  readonly keyStoreDir?: string;
  /** The dataset itself, with its opening: recompute every chunk commitment. */
  readonly dataset?: string;
  readonly opening?: string;
  /** The published dataset commitment D. */
  readonly datasetCommitment?: string;
  readonly minAccuracy?: number;
  readonly requireTrustedSetup?: boolean;
  /** Worker threads for claims of `poolMinChunks` chunks or more (default: available cores). */
  readonly workers?: number;
  /** Use the worker pool from this many chunks on (default {@link POOL_VERIFY_MIN_CHUNKS}). */
  readonly poolMinChunks?: number;
}

/** Claim fields nothing in the proofs or the pinned key fixes: reported, never trusted. */
export const UNVERIFIED_CLAIM_FIELDS = [
  'baseModelId',
  'circuit',
  'setup.ptau',
  'unverified',
  'tool',
  'createdAt',
] as const;

/** From this many chunks on, proofs are checked on a pool of worker threads. */
export const POOL_VERIFY_MIN_CHUNKS = 64;

/** The Groth16 verdict of every chunk proof, on worker threads when there are many. */
async function verifyChunkProofs(
  vkey: Record<string, unknown>,
  chunks: AccuracyClaim['chunks'],
  workers: number | undefined,
  poolMinChunks: number,
): Promise<boolean[]> {
  if (chunks.length < poolMinChunks) {
    const out: boolean[] = [];
    for (const ch of chunks) {
      out.push(await verifyGroth16(vkey, ch.publicSignals, ch.proof));
    }
    return out;
  }
  const n = Math.max(1, Math.min(workers ?? availableParallelism(), chunks.length));
  return withWorkerPool<ChunkVerifyTask, boolean, boolean[]>(
    { filename: new URL('./verify-chunk-worker.js', import.meta.url), name: 'verifyChunkProof', workers: n },
    (pool) =>
      // A worker that dies fails the whole verification, as a verdict it cannot give.
      Promise.all(
        chunks.map((ch) =>
          pool.run({ vkey, publicSignals: ch.publicSignals, proof: ch.proof }, (e) => {
            throw e;
          }),
        ),
      ),
  );
}

/** True when `value` looks like a claim file (so `zkinfer verify` can dispatch on it). */
export function isClaim(value: unknown): boolean {
  return !!value && typeof value === 'object' && (value as { format?: unknown }).format === CLAIM_FORMAT;
}

function sameEncoding(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** Verifies an accuracy claim; throws {@link UserError} only when a file cannot be read. */
export async function verifyClaim(opts: VerifyClaimOptions): Promise<ClaimReport> {
  const where = opts.claimPath ?? 'claim';
  const raw = opts.claim ?? readJsonFile(opts.claimPath!, 'accuracy claim');
  const checks: ClaimCheck[] = [];
  const warnings: string[] = [];
  const add = (check: ClaimCheckName, ok: boolean, detail: string) => checks.push({ check, ok, detail });
  const done = (extra: Partial<ClaimReport> = {}): ClaimReport => {
    const failed = checks.find((c) => !c.ok)?.check;
    return {
      kind: 'accuracy-claim',
      valid: failed === undefined,
      ...(failed ? { failed } : {}),
      checks,
      warnings,
      ...extra,
    };
  };
  const parsed = claimSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    add('format', false, `${where}: field ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    return done();
  }
  const claim = raw as AccuracyClaim;
  add('format', true, 'claim fields present and well-typed');

  // Keys: the embedded key must be the one the claim names, and that one must be pinned.
  const embeddedHash = vkeyHash(claim.vkey);
  add(
    'vkey',
    embeddedHash === claim.vkeyHash,
    embeddedHash === claim.vkeyHash
      ? `vkey hash ${claim.vkeyHash.slice(0, 16)}… matches the embedded key`
      : `the embedded key hashes to ${embeddedHash.slice(0, 16)}…, the claim names ${claim.vkeyHash.slice(0, 16)}…`,
  );
  // Pinning as for bundles (src/verify/pin-key.ts): --vkey FILE, --vkey-hash HEX or the trusted-key store.
  try {
    assertVerificationKey(claim.vkey, `${where}: vkey`);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    checks[0] = { check: 'format', ok: false, detail: e.message };
    return done();
  }
  const key = resolveKey(claim.vkey as Parameters<typeof resolveKey>[0], {
    vkeyPath: opts.vkeyPath,
    vkeyHash: opts.vkeyHash,
    allowUnpinned: opts.allowUnpinned,
    keyStoreDir: opts.keyStoreDir,
  });
  if (!key.ok) add('key-pin', false, key.detail);
  else if (key.pinned && key.hash !== claim.vkeyHash)
    add(
      'key-pin',
      false,
      `the claim's key ${claim.vkeyHash.slice(0, 16)}… is not the trusted key ${key.hash.slice(0, 16)}… (${key.source})`,
    );
  else add('key-pin', true, key.detail);
  if (key.ok && !key.pinned)
    warnings.push('the verification key is not pinned: anyone can make a key and a claim for any model');
  const vkey = key.vkey as Record<string, unknown>;
  const meta = vkey['zkinfer'] as VkeyMeta | undefined;
  const acc = meta?.accuracy;
  const idProblem = keyIdProblem(meta, claim);
  add(
    'model-id',
    idProblem === null,
    idProblem ?? `accuracy key for model ${claim.modelId.slice(0, 16)}…, chunks of ${claim.dataset.chunkSize}`,
  );
  // The setup a claim reports must be the key's, warning included (as for bundles).
  const wantWarning = meta?.setup === 'dev' ? DEV_SETUP_WARNING : undefined;
  if (meta && (claim.setup.kind !== meta.setup || claim.setup.warning !== wantWarning))
    add('model-id', false, `setup "${claim.setup.kind}" (or its warning) differs from the key's "${meta.setup}"`);
  if (!acc) return done();
  const enc: DatasetEncoding = acc.encoding;

  const { samples: n, chunkSize: c } = claim.dataset;
  const structure = structureProblem(claim);
  add('chunks', structure === null, structure ?? `${Math.ceil(n / c)} chunks of ${c}`);

  const signals = signalsProblem(claim);
  add('public-signals', signals === null, signals ?? "every chunk's [commitment, count] is canonical and consistent");
  if (signals) return done();

  const proven = claim.chunks.map((ch) => BigInt(ch.publicSignals[0]!));
  const d = toHex(await combineChunkCommitments(n, c, proven));
  add(
    'dataset-commitment',
    d === claim.dataset.commitment.toLowerCase(),
    d === claim.dataset.commitment.toLowerCase()
      ? `D = ${d.slice(0, 18)}… from N, C and the proven chunk commitments`
      : `the proven chunks and N = ${n}, C = ${c} give ${d.slice(0, 18)}…, the claim says ${claim.dataset.commitment.slice(0, 18)}…`,
  );

  const pin = await datasetPin(opts, enc, n, c, proven, d);
  add('dataset-pin', pin.ok, pin.detail);
  if (pin.warning) warnings.push(pin.warning);

  const verdicts = await verifyChunkProofs(
    vkey,
    claim.chunks,
    opts.workers,
    opts.poolMinChunks ?? POOL_VERIFY_MIN_CHUNKS,
  );
  const badProof = claim.chunks[verdicts.indexOf(false)]?.index;
  add(
    'proof',
    badProof === undefined,
    badProof === undefined
      ? `${claim.chunks.length} chunk proofs pass the Groth16 check`
      : `chunk ${badProof}: Groth16 pairing check failed`,
  );

  const k2 = claim.chunks.reduce((a, ch) => a + ch.count, 0);
  const countProblem =
    claim.result.correct !== k2
      ? `claim says K = ${claim.result.correct}, the proofs ${k2}`
      : Math.abs(claim.result.accuracy - k2 / n) > 1e-12
        ? `accuracy ${claim.result.accuracy} is not ${k2}/${n}`
        : null;
  add('count', countProblem === null, countProblem ?? `K = ${k2} of N = ${n} (${((100 * k2) / n).toFixed(2)} %)`);
  if (opts.minAccuracy !== undefined) {
    const a = k2 / n;
    add(
      'min-accuracy',
      a >= opts.minAccuracy,
      `${(100 * a).toFixed(2)} % ${a >= opts.minAccuracy ? '≥' : '<'} required ${(100 * opts.minAccuracy).toFixed(2)} %`,
    );
  }
  const kind = meta?.setup ?? claim.setup.kind;
  if (kind === 'dev') warnings.push('keys come from the single-party dev setup: whoever ran it could forge proofs');
  if (opts.requireTrustedSetup) {
    add(
      'trusted-setup',
      kind !== 'dev' && key.pinned,
      !key.pinned
        ? "the key is not pinned, so its setup is only the claim's word"
        : kind === 'dev'
          ? 'keys come from the dev setup (--require-trusted-setup)'
          : `keys from a ${kind} setup`,
    );
  }
  return done({ samples: n, correct: k2, accuracy: k2 / n, datasetCommitment: d, modelId: claim.modelId, setup: kind });
}

/** Why the key cannot be this claim's accuracy-chunk key, or null when it is. */
function keyIdProblem(meta: VkeyMeta | undefined, claim: AccuracyClaim): string | null {
  const acc = meta?.accuracy;
  return !acc || acc.kind !== 'accuracy-chunk'
    ? 'the key is not an accuracy-chunk key'
    : meta!.modelId !== claim.modelId
      ? `the claim names model ${claim.modelId.slice(0, 16)}…, the key is for ${meta!.modelId.slice(0, 16)}…`
      : acc.quantizedSha256 !== claim.quantizedSha256
        ? 'the key was made for another quantized model'
        : acc.chunkSize !== claim.dataset.chunkSize
          ? `the key proves chunks of ${acc.chunkSize}, the claim uses ${claim.dataset.chunkSize}`
          : !sameEncoding(acc.encoding, claim.dataset.encoding)
            ? "the claim's dataset encoding differs from the key's"
            : null;
}

/** Chunk structure: exactly ceil(N/C) chunks, in order, full except the last; null when it holds. */
function structureProblem(claim: AccuracyClaim): string | null {
  const { samples: n, chunkSize: c } = claim.dataset;
  const k = Math.ceil(n / c);
  let structure: string | null =
    claim.result.samples !== n
      ? `result.samples ${claim.result.samples} differs from dataset.samples ${n}`
      : claim.chunks.length !== k || claim.dataset.chunks !== k
        ? `${claim.chunks.length} chunks; ${n} samples in chunks of ${c} need ${k}`
        : null;
  for (const [i, ch] of claim.chunks.entries()) {
    if (structure) break;
    const expected = i < k - 1 ? c : n - (k - 1) * c;
    if (ch.index !== i) structure = `chunk at position ${i} says index ${ch.index}`;
    else if (ch.samples !== expected) structure = `chunk ${i} has ${ch.samples} samples, expected ${expected}`;
  }
  return structure;
}

/** Why some chunk's public signals are not its canonical [commitment, count], or null. */
function signalsProblem(claim: AccuracyClaim): string | null {
  let signals: string | null = null;
  for (const ch of claim.chunks) {
    const s = ch.publicSignals;
    if (s.length !== 2 || !s.every((v) => /^\d+$/.test(v) && BigInt(v) < FIELD_PRIME))
      signals = `chunk ${ch.index}: public signals are not two canonical field elements`;
    else if (toHex(BigInt(s[0]!)) !== ch.commitment.toLowerCase())
      signals = `chunk ${ch.index}: commitment ${ch.commitment.slice(0, 18)}… is not the proven one`;
    else if (s[1] !== String(ch.count) || ch.count < 0 || ch.count > ch.samples)
      signals = `chunk ${ch.index}: count ${ch.count} is not the proven count ${s[1]} (or exceeds its ${ch.samples} samples)`;
    if (signals) break;
  }
  return signals;
}

/** The `dataset-pin` check: the data (with its opening) or its published commitment pins D. */
async function datasetPin(
  opts: VerifyClaimOptions,
  enc: DatasetEncoding,
  n: number,
  c: number,
  proven: bigint[],
  d: string,
): Promise<{ ok: boolean; detail: string; warning?: string }> {
  if (opts.dataset) {
    if (!opts.opening)
      throw new UserError(
        '--dataset needs --opening FILE (the opening written by `zkinfer dataset commit` or `zkinfer accuracy`): the chunk commitments are blinded',
      );
    const recomputed = await computeDatasetCommitment({
      dataset: opts.dataset,
      encoding: enc,
      chunkSize: c,
      blinding: readOpening(opts.opening),
    });
    const bad =
      recomputed.samples !== n
        ? `${opts.dataset} has ${recomputed.samples} samples, the claim ${n}`
        : (() => {
            const i = recomputed.chunkCommitments.findIndex((x, j) => x !== proven[j]);
            return i >= 0
              ? `chunk ${i} was not proven on ${opts.dataset} (its commitment differs)`
              : toHex(recomputed.commitment) !== d
                ? 'dataset commitment differs'
                : null;
          })();
    return { ok: bad === null, detail: bad ?? `every chunk commits to ${opts.dataset}` };
  }
  if (opts.datasetCommitment) {
    const pinned = toHex(parseFieldElement(opts.datasetCommitment, '--dataset-commitment'));
    return {
      ok: pinned === d,
      detail:
        pinned === d
          ? `D is the published commitment ${pinned.slice(0, 18)}…`
          : `the proven dataset ${d.slice(0, 18)}… is not the published ${pinned.slice(0, 18)}…`,
    };
  }
  return {
    ok: opts.allowUnpinned ?? false,
    detail: opts.allowUnpinned
      ? 'unpinned dataset (--allow-unpinned)'
      : 'no dataset pin: pass --dataset-commitment HEX (the published commitment) or --dataset DATA --opening FILE, or --allow-unpinned',
    ...(opts.allowUnpinned ? { warning: 'the dataset is not pinned: the claim could be about any data' } : {}),
  };
}
