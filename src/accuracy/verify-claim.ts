/**
 * Verification of an accuracy claim (src/formats/claim.ts), on the same core as bundles
 * (src/verify): the same pinning, trust policy (src/verify/key-trust.ts), check names, report
 * shape and exit codes. Every check is named, and chunk checks name the chunk:
 * `format` (exit 2), `pin` (the key is the one the verifier trusts: --vkey FILE, --vkey-hash HEX
 * or the trusted-key store), `vkey` (the embedded key hashes to the claim's vkeyHash and is the
 * pinned one), `model-id` (the key is an accuracy-chunk key for the claim's model, chunk size and
 * dataset encoding; with --model, the chunk circuit is recompiled and the key bound to it),
 * `ceremony` (--ceremony), `chunks` (k = ceil(N/C) chunks, indexed 0..k−1 in order, with the right
 * sample counts), `public-signals` (per chunk: canonical [c_i, count], count ≤ samples),
 * `dataset-commitment` (D recomputed from N, C and the proven c_i equals the claim's),
 * `dataset-pin` (D equals --dataset-commitment, and every c_i and D are recomputed from --dataset
 * with its --opening: each pin given is checked),
 * `weights` (a key with hashed weights: the claim's W is every chunk's, and equals
 * --weights-commitment unless --allow-unpinned; a fixed-weights key takes no W), `proof` (the
 * Groth16 check of every chunk), `count` (K is the sum of the proven counts, accuracy = K/N),
 * `min-accuracy`, `trusted-setup`.
 */
import { availableParallelism } from 'node:os';
import { proofSystemMismatch, proofVerifies } from '../verify/proof-check.js';
import { readJsonFile } from '../core/json.js';
import { AccuracyClaim, CLAIM_FORMAT, claimSchema } from '../formats/claim.js';
import { combineChunkCommitments, toHex } from './dataset-commitment.js';
import { DatasetEncoding } from '../formats/dataset.js';
import { UserError } from '../core/errors.js';
import { DEV_SETUP_WARNING, vkeyHash, VkeyMeta, assertVerificationKey, type ZkinferVkey } from '../formats/vkey.js';
import { PinSource, ResolvedKey, resolveKey } from '../verify/pin-key.js';
import { fail, pass, type CheckName, type CheckResult } from '../verify/check-result.js';
import {
  assertNoForeignOptions,
  BUNDLE_ONLY_OPTIONS,
  checkKeyTrust,
  LABEL_ONLY_WARNING,
  type TrustOptions,
} from '../verify/key-trust.js';
import type { Contributor } from '../verify/trusted-setup.js';
import {
  assertWeightsPinApplies,
  datasetPin,
  keyIdProblem,
  signalsProblem,
  structureProblem,
  weightsCheck,
} from './claim-problems.js';
import { recompileChunkCircuit } from './recompile-chunk.js';
import { keyProofSystem, resolveProofSystem } from '../compile/proof-system.js';
import type { ChunkVerifyTask } from './verify-chunk-worker.js';
import { withWorkerPool } from '../runtime/pool.js';

/** The verdict on a claim: the same shape as a bundle's report where the two share a meaning. */
export interface ClaimReport {
  readonly kind: 'accuracy-claim';
  readonly valid: boolean;
  readonly failed?: CheckName;
  readonly checks: CheckResult[];
  /** Whether the key was pinned; when false, model id and setup are the claim's word. */
  readonly pinned: boolean;
  readonly keySource: PinSource;
  readonly samples?: number;
  readonly correct?: number;
  readonly accuracy?: number;
  readonly datasetCommitment?: string;
  /** Hashed weights: the weights commitment W every chunk proves (the model is the architecture id and W). */
  readonly weightsCommitment?: string;
  /** The model id (the pinned key's label; bound to the key itself only when `model-id` says so). */
  readonly modelId?: string;
  readonly claimedModelId?: string;
  readonly setup?: string;
  /** Claim fields present that nothing verifies (the prover's word). */
  readonly unverified: string[];
  readonly warnings: string[];
  /** Phase-2 contributors of the chunk key's ceremony, in order (with --require-trusted-setup). */
  readonly contributors?: Contributor[];
}

/** Options of {@link verifyClaim}: the trust options are the bundle verifier's. */
export interface VerifyClaimOptions extends TrustOptions {
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
  /** The published weights commitment W (keys with hashed weights only; on a fixed-weights key a UserError). */
  readonly weightsCommitment?: string;
  readonly minAccuracy?: number;
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
      out.push(await proofVerifies(vkey, ch.publicSignals, ch.proof));
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

/** The checks and warnings collected so far, and the report they make. */
interface Collector {
  readonly checks: CheckResult[];
  readonly warnings: string[];
  add(check: CheckName, ok: boolean, detail: string): void;
  /** The report: valid when no check failed, `failed` naming the first that did. */
  done(extra?: Partial<ClaimReport>): ClaimReport;
}

function collector(): Collector {
  const checks: CheckResult[] = [];
  const warnings: string[] = [];
  return {
    checks,
    warnings,
    add: (check, ok, detail) => {
      checks.push(ok ? pass(check, detail) : fail(check, detail));
    },
    done: (extra = {}) => {
      const failed = checks.find((c) => !c.ok)?.check;
      return {
        kind: 'accuracy-claim',
        valid: failed === undefined,
        ...(failed ? { failed } : {}),
        checks,
        pinned: false,
        keySource: 'unpinned',
        unverified: [],
        warnings,
        ...extra,
      };
    },
  };
}

/** Verifies an accuracy claim; throws {@link UserError} only when a file cannot be read or an option does not apply. */
export async function verifyClaim(opts: VerifyClaimOptions): Promise<ClaimReport> {
  assertNoForeignOptions(opts, BUNDLE_ONLY_OPTIONS, 'an accuracy claim');
  const where = opts.claimPath ?? 'claim';
  const raw = opts.claim ?? readJsonFile(opts.claimPath!, 'accuracy claim');
  const r = collector();
  const parsed = claimSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    r.add('format', false, `${where}: field ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    return r.done();
  }
  const claim = raw as AccuracyClaim;
  try {
    assertVerificationKey(claim.vkey, `${where}: vkey`);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    r.add('format', false, e.message);
    return r.done();
  }
  r.add('format', true, 'claim fields present and well-typed');
  const key = checkKeys(r, claim, opts);
  const meta = key.vkey.zkinfer;
  // Where the pinned key puts W (hashed weights), or undefined: a fixed-weights key.
  const wOffset = (meta.layout as { weights?: { offset: number } }).weights?.offset;
  assertWeightsPinApplies(opts, wOffset);
  const keyReport: Partial<ClaimReport> = {
    pinned: key.pinned,
    keySource: key.source,
    ...(key.pinned ? { modelId: meta.modelId, setup: meta.setup } : { claimedModelId: claim.modelId }),
    unverified: UNVERIFIED_CLAIM_FIELDS.filter((f) => fieldPresent(claim, f)),
  };
  checkModelId(r, meta, claim);
  const trust = await checkKeyTrust({
    ...opts,
    vkey: key.vkey,
    pinned: key.pinned,
    claimedModelId: claim.modelId,
    artifact: 'claim',
    recompile: (modelPath, settingsPath) => ({
      modelPath,
      ...recompileChunkCircuit({
        modelPath,
        settingsPath,
        chunkSize: claim.dataset.chunkSize,
        system: resolveProofSystem(keyProofSystem(meta)),
      }),
    }),
  });
  r.checks.push(...trust.checks.filter((c) => c.check !== 'trusted-setup'));
  if (opts.modelPath && !trust.bound) r.warnings.push(LABEL_ONLY_WARNING);
  const acc = meta.accuracy;
  if (!acc) return r.done(keyReport);
  const { samples: n } = claim.dataset;
  // [c_i, count], then W (hashed weights), then the challenge (ultragroth keys).
  const nSignals = (wOffset === undefined ? 2 : 3) + (key.vkey['protocol'] === 'ultragroth' ? 1 : 0);
  const d = await checkDataset(r, claim, opts, acc.encoding, nSignals);
  if (d === null) return r.done(keyReport);
  const w = weightsCheck(opts, claim, wOffset);
  if (w) {
    r.checks.push({
      check: 'weights',
      ok: w.ok,
      detail: w.detail,
      ...(w.ok && w.warning ? { unverified: true as const } : {}),
    });
    if (w.warning) r.warnings.push(w.warning);
  }
  await checkProofs(r, key.vkey, claim, opts);
  const k2 = checkCount(r, claim, opts.minAccuracy);
  if (meta.setup === 'dev')
    r.warnings.push('keys come from the single-party dev setup: whoever ran it could forge proofs');
  r.checks.push(...trust.checks.filter((c) => c.check === 'trusted-setup'));
  return r.done({
    ...keyReport,
    samples: n,
    correct: k2,
    accuracy: k2 / n,
    datasetCommitment: d,
    ...(claim.weights && wOffset !== undefined ? { weightsCommitment: claim.weights.commitment } : {}),
    ...(trust.contributors ? { contributors: trust.contributors } : {}),
  });
}

function fieldPresent(claim: AccuracyClaim, path: string): boolean {
  let v: unknown = claim;
  for (const k of path.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v !== undefined;
}

/**
 * The `pin` and `vkey` checks, as for bundles: the key must be pinned, and the claim's embedded key must be it
 * and hash to the claim's vkeyHash.
 */
function checkKeys(r: Collector, claim: AccuracyClaim, opts: VerifyClaimOptions): ResolvedKey {
  const embedded = claim.vkey as unknown as ZkinferVkey;
  const key = resolveKey(embedded, {
    vkeyPath: opts.vkeyPath,
    vkeyHash: opts.vkeyHash,
    allowUnpinned: opts.allowUnpinned,
    keyStoreDir: opts.keyStoreDir,
  });
  r.checks.push({
    check: 'pin',
    ok: key.ok,
    detail: key.detail,
    ...(key.ok && !key.pinned ? { unverified: true as const } : {}),
  });
  if (key.ok && !key.pinned)
    r.warnings.push('the verification key is not pinned: anyone can make a key and a claim for any model');
  const embeddedHash = vkeyHash(embedded);
  const problem =
    embeddedHash !== claim.vkeyHash
      ? `the embedded key hashes to ${embeddedHash.slice(0, 16)}…, the claim names ${claim.vkeyHash.slice(0, 16)}…`
      : key.hash !== claim.vkeyHash
        ? `the verification key's hash ${key.hash.slice(0, 16)}… differs from the claim's ${claim.vkeyHash.slice(0, 16)}…`
        : null;
  r.add('vkey', problem === null, problem ?? `vkey hash ${claim.vkeyHash.slice(0, 16)}… matches`);
  return key;
}

/** The `model-id` check on labels: the key is an accuracy-chunk key for this claim, and its setup is the one the claim reports. */
function checkModelId(r: Collector, meta: VkeyMeta, claim: AccuracyClaim): void {
  const idProblem = keyIdProblem(meta, claim);
  r.add(
    'model-id',
    idProblem === null,
    idProblem ?? `accuracy key labelled for model ${claim.modelId.slice(0, 16)}…, chunks of ${claim.dataset.chunkSize}`,
  );
  // The setup a claim reports must be the key's, warning included (as for bundles).
  const wantWarning = meta.setup === 'dev' ? DEV_SETUP_WARNING : undefined;
  if (claim.setup.kind !== meta.setup || claim.setup.warning !== wantWarning)
    r.add('model-id', false, `setup "${claim.setup.kind}" (or its warning) differs from the key's "${meta.setup}"`);
}

/**
 * The `chunks`, `public-signals`, `dataset-commitment` and `dataset-pin` checks; returns D recomputed from the
 * proven chunk commitments, or null when the public signals are unusable (nothing after them can be checked).
 */
async function checkDataset(
  r: Collector,
  claim: AccuracyClaim,
  opts: VerifyClaimOptions,
  enc: DatasetEncoding,
  nPublic: number,
): Promise<string | null> {
  const { samples: n, chunkSize: c } = claim.dataset;
  const structure = structureProblem(claim);
  r.add('chunks', structure === null, structure ?? `${Math.ceil(n / c)} chunks of ${c}`);

  const signals = signalsProblem(claim, nPublic);
  r.add(
    'public-signals',
    signals === null,
    signals ?? `every chunk's [commitment, count${nPublic > 2 ? ', W' : ''}] is canonical and consistent`,
  );
  if (signals) return null;

  const proven = claim.chunks.map((ch) => BigInt(ch.publicSignals[0]!));
  const d = toHex(await combineChunkCommitments(n, c, proven));
  r.add(
    'dataset-commitment',
    d === claim.dataset.commitment.toLowerCase(),
    d === claim.dataset.commitment.toLowerCase()
      ? `D = ${d.slice(0, 18)}… from N, C and the proven chunk commitments`
      : `the proven chunks and N = ${n}, C = ${c} give ${d.slice(0, 18)}…, the claim says ${claim.dataset.commitment.slice(0, 18)}…`,
  );

  const pin = await datasetPin(opts, enc, n, c, proven, d);
  // An unpinned dataset passes only because the user waived the pin: marked, as an unpinned key is.
  r.checks.push({
    check: 'dataset-pin',
    ok: pin.ok,
    detail: pin.detail,
    ...(pin.ok && pin.warning ? { unverified: true as const } : {}),
  });
  if (pin.warning) r.warnings.push(pin.warning);
  return d;
}

/** The `proof-system` check (every chunk proof of the key's system), then `proof`: every chunk proof verifies under the pinned key. */
async function checkProofs(
  r: Collector,
  vkey: Record<string, unknown>,
  claim: AccuracyClaim,
  opts: VerifyClaimOptions,
): Promise<void> {
  const bad = claim.chunks.find((ch) =>
    proofSystemMismatch(vkey, { bundle: claim.protocol, proof: String(ch.proof.protocol) }),
  );
  const mismatch = proofSystemMismatch(vkey, {
    bundle: claim.protocol,
    proof: bad ? String(bad.proof.protocol) : claim.protocol,
  });
  r.add(
    'proof-system',
    !mismatch,
    mismatch ? `chunk ${bad?.index ?? 0}: ${mismatch}` : `chunk proofs and key are all ${claim.protocol}`,
  );
  if (mismatch) return r.add('proof', false, 'not checked: the proofs are of another proof system');
  const verdicts = await verifyChunkProofs(
    vkey,
    claim.chunks,
    opts.workers,
    opts.poolMinChunks ?? POOL_VERIFY_MIN_CHUNKS,
  );
  const badProof = claim.chunks[verdicts.indexOf(false)]?.index;
  r.add(
    'proof',
    badProof === undefined,
    badProof === undefined
      ? `${claim.chunks.length} chunk proofs pass the ${claim.protocol} check`
      : `chunk ${badProof}: ${claim.protocol} check failed (challenge or pairing)`,
  );
}

/** The `count` and (when asked for) `min-accuracy` checks; returns K, the sum of the proven counts. */
function checkCount(r: Collector, claim: AccuracyClaim, minAccuracy: number | undefined): number {
  const n = claim.dataset.samples;
  const k2 = claim.chunks.reduce((a, ch) => a + ch.count, 0);
  const countProblem =
    claim.result.correct !== k2
      ? `claim says K = ${claim.result.correct}, the proofs ${k2}`
      : Math.abs(claim.result.accuracy - k2 / n) > 1e-12
        ? `accuracy ${claim.result.accuracy} is not ${k2}/${n}`
        : null;
  r.add('count', countProblem === null, countProblem ?? `K = ${k2} of N = ${n} (${((100 * k2) / n).toFixed(2)} %)`);
  if (minAccuracy !== undefined) {
    const a = k2 / n;
    r.add(
      'min-accuracy',
      a >= minAccuracy,
      `${(100 * a).toFixed(2)} % ${a >= minAccuracy ? '≥' : '<'} required ${(100 * minAccuracy).toFixed(2)} %`,
    );
  }
  return k2;
}
