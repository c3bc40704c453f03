/**
 * The pure parts of claim verification (src/accuracy/verify-claim.ts): each finds what is wrong with one aspect
 * of a claim, or says it holds. Kept apart so that verify-claim.ts reads as the ordered list of checks.
 */
import { FIELD_PRIME } from '../core/bn254.js';
import { canonicalJson } from '../core/hash.js';
import { UserError } from '../core/errors.js';
import { AccuracyClaim } from '../formats/claim.js';
import { DatasetEncoding } from '../formats/dataset.js';
import { VkeyMeta } from '../formats/vkey.js';
import { readWeightsPin } from '../formats/weights.js';
import {
  combineChunkCommitments,
  datasetChunkCommitments,
  parseFieldElement,
  readOpening,
  toHex,
} from './dataset-commitment.js';

/** The options of {@link datasetPin} (those of `VerifyClaimOptions` that pin the dataset). */
export interface DatasetPinOptions {
  /** The dataset itself, with its opening: recompute every chunk commitment. */
  readonly dataset?: string;
  readonly opening?: string;
  /** The published dataset commitment D. */
  readonly datasetCommitment?: string;
  /** Accept an unpinned dataset (reported as a warning). */
  readonly allowUnpinned?: boolean;
}

function sameEncoding(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** Why the key cannot be this claim's accuracy-chunk key, or null when it is. */
export function keyIdProblem(meta: VkeyMeta | undefined, claim: AccuracyClaim): string | null {
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
export function structureProblem(claim: AccuracyClaim): string | null {
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

/**
 * Why some chunk's public signals are not its canonical [commitment, count] (then W when the key
 * has hashed weights: `nPublic` 3), or null.
 */
export function signalsProblem(claim: AccuracyClaim, nPublic = 2): string | null {
  let signals: string | null = null;
  for (const ch of claim.chunks) {
    const s = ch.publicSignals;
    if (s.length !== nPublic || !s.every((v) => /^\d+$/.test(v) && BigInt(v) < FIELD_PRIME))
      signals = `chunk ${ch.index}: public signals are not ${nPublic === 2 ? 'two' : nPublic} canonical field elements`;
    else if (toHex(BigInt(s[0]!)) !== ch.commitment.toLowerCase())
      signals = `chunk ${ch.index}: commitment ${ch.commitment.slice(0, 18)}… is not the proven one`;
    else if (s[1] !== String(ch.count) || ch.count < 0 || ch.count > ch.samples)
      signals = `chunk ${ch.index}: count ${ch.count} is not the proven count ${s[1]} (or exceeds its ${ch.samples} samples)`;
    if (signals) break;
  }
  return signals;
}

/**
 * Why the data and opening do not give the proven chunks and D, or null when they do. Streamed:
 * one chunk of samples in memory at a time, and the first chunk that differs ends the reading.
 */
async function datasetProblem(
  dataset: string,
  opening: string,
  enc: DatasetEncoding,
  n: number,
  c: number,
  proven: bigint[],
  d: string,
): Promise<string | null> {
  const commitments = datasetChunkCommitments({ dataset, encoding: enc, chunkSize: c, blinding: readOpening(opening) });
  let samples = 0;
  for await (const ch of commitments) {
    samples += ch.samples;
    // More chunks than proven: N differs, whatever the rest holds (the count is for the message).
    if (ch.index >= proven.length) {
      for await (const rest of commitments) samples += rest.samples;
      return `${dataset} has ${samples} samples, the claim ${n}`;
    }
    if (ch.commitment !== proven[ch.index])
      // A short chunk is the data's last: then the sample count, if it differs, says more.
      return ch.samples < c && samples !== n
        ? `${dataset} has ${samples} samples, the claim ${n}`
        : `chunk ${ch.index} was not proven on ${dataset} (its commitment differs)`;
  }
  if (samples !== n) return `${dataset} has ${samples} samples, the claim ${n}`;
  return toHex(await combineChunkCommitments(n, c, proven)) !== d ? 'dataset commitment differs' : null;
}

/**
 * The `dataset-pin` check: the published commitment D and the data with its opening each pin the
 * dataset, and every pin given must hold — a "copy" of the test set handed over with a fresh
 * opening must not stand in for the published commitment.
 */
export async function datasetPin(
  opts: DatasetPinOptions,
  enc: DatasetEncoding,
  n: number,
  c: number,
  proven: bigint[],
  d: string,
): Promise<{ ok: boolean; detail: string; warning?: string }> {
  if (opts.dataset && !opts.opening)
    throw new UserError(
      '--dataset needs --opening FILE (the opening written by `zkinfer dataset commit` or `zkinfer accuracy`): the chunk commitments are blinded',
    );
  if (opts.opening && !opts.dataset)
    throw new UserError('--opening applies to an accuracy claim only with --dataset DATA (it opens that dataset)');
  const held: string[] = [];
  if (opts.datasetCommitment) {
    const pinned = toHex(parseFieldElement(opts.datasetCommitment, '--dataset-commitment'));
    if (pinned !== d)
      return {
        ok: false,
        detail: `the proven dataset ${d.slice(0, 18)}… is not the published ${pinned.slice(0, 18)}…`,
      };
    held.push(`D is the published commitment ${pinned.slice(0, 18)}…`);
  }
  if (opts.dataset) {
    const bad = await datasetProblem(opts.dataset, opts.opening!, enc, n, c, proven, d);
    if (bad) return { ok: false, detail: bad };
    held.push(`every chunk commits to ${opts.dataset}`);
  }
  if (held.length > 0) return { ok: true, detail: held.join('; ') };
  return {
    ok: opts.allowUnpinned ?? false,
    detail: opts.allowUnpinned
      ? 'unpinned dataset (--allow-unpinned)'
      : 'no dataset pin: pass --dataset-commitment HEX (the published commitment) or --dataset DATA --opening FILE, or --allow-unpinned',
    ...(opts.allowUnpinned ? { warning: 'the dataset is not pinned: the claim could be about any data' } : {}),
  };
}

/** The options of {@link weightsCheck}. */
export interface WeightsPinOptions {
  /** The published weights commitment W. */
  readonly weightsCommitment?: string;
  /** Accept an unpinned W (reported as a warning). */
  readonly allowUnpinned?: boolean;
}

/** Throws {@link UserError} (exit 2) for `--weights-commitment` on a key with fixed weights (`offset` undefined). */
export function assertWeightsPinApplies(opts: WeightsPinOptions, offset: number | undefined): void {
  if (offset === undefined && opts.weightsCommitment !== undefined)
    throw new UserError(
      "--weights-commitment does not apply: the claim's key has fixed weights (the key itself is the model)",
    );
}

/**
 * The `weights` check: a key with hashed weights (its layout names where W sits, `offset`) needs
 * a claim naming W, every chunk proving that very W (chunks of two weight sets would make a
 * count of no model), and W equal to the published one — unpinned only with --allow-unpinned.
 * A fixed-weights key takes no W at all. `--weights-commitment` on a fixed-weights key is a
 * {@link UserError} (an option that does not apply).
 */
export function weightsCheck(
  opts: WeightsPinOptions,
  claim: AccuracyClaim,
  offset: number | undefined,
): { ok: boolean; detail: string; warning?: string } | undefined {
  if (offset === undefined) {
    assertWeightsPinApplies(opts, offset);
    return claim.weights
      ? { ok: false, detail: 'the claim names a weights commitment, but its key has fixed weights' }
      : undefined;
  }
  if (!claim.weights)
    return { ok: false, detail: 'the key proves hashed weights, but the claim names no weights commitment' };
  const w = BigInt(claim.weights.commitment);
  const other = claim.chunks.find((ch) => BigInt(ch.publicSignals[offset]!) !== w);
  if (other)
    return {
      ok: false,
      detail:
        `chunk ${other.index}: proven with weights ${toHex(BigInt(other.publicSignals[offset]!)).slice(0, 18)}…, the claim names ` +
        `${toHex(w).slice(0, 18)}…`,
    };
  if (opts.weightsCommitment !== undefined) {
    // The W itself is compared; a weights.json names the single-inference key's id, not the chunk key's.
    const pinned = readWeightsPin(opts.weightsCommitment).value;
    return pinned === w
      ? { ok: true, detail: `every chunk proves the published weights commitment ${toHex(w).slice(0, 18)}…` }
      : {
          ok: false,
          detail: `the chunks prove weights ${toHex(w).slice(0, 18)}…, not the published ${toHex(pinned).slice(0, 18)}…`,
        };
  }
  return {
    ok: opts.allowUnpinned ?? false,
    detail: opts.allowUnpinned
      ? `unpinned weights commitment ${toHex(w).slice(0, 18)}… (--allow-unpinned)`
      : 'no weights pin: the key proves hashed weights; pass --weights-commitment HEX (the published W), or --allow-unpinned',
    ...(opts.allowUnpinned
      ? { warning: 'the weights commitment is not pinned: the claim could be about any model of this architecture' }
      : {}),
  };
}
