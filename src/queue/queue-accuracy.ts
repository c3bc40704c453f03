/**
 * `zkinfer accuracy BUILD --dataset … --queue URL`: the accuracy proof with its chunks proven by
 * `zkinfer worker` processes on the Postgres queue instead of local threads.
 *
 * The submitter does everything but the proving: it chooses the chunking, holds the opening,
 * makes the chunk keys, streams the dataset (quantizing each chunk and computing its commitment
 * c_i and the unverified references itself), enqueues one `accuracy-chunk` job per chunk, and
 * accepts a returned proof only when it is a valid proof (of the key's system), under its own chunk key, of
 * exactly the chunk it sent (index, sample count, c_i) with the count the integer reference
 * predicts. Accepted proofs are written to OUT/chunks/ as the local route writes them, and the
 * claim is built by the same code (prove-accuracy.ts), so both routes state the same thing.
 *
 * Resuming is rerunning: job ids derive from the chunk key and (index, c_i, samples), and c_i
 * from the opening kept in OUT, so after a kill -9 the same command finds its jobs (finished ones
 * included) instead of proving again, and chunk files already in OUT are reused when they verify.
 */
import { join } from 'node:path';
import type PgBoss from 'pg-boss';
import { sha256Hex } from '../core/hash.js';
import { parseJsonText, readJsonFile } from '../core/json.js';
import { oneLine, UserError } from '../core/errors.js';
import { writeJsonAtomic } from '../core/atomic-write.js';
import { chunkProofSchema, type ChunkProof } from '../formats/claim.js';
import { vkeyHash } from '../formats/vkey.js';
import {
  chunkBlinding,
  chunkCommitment,
  combineChunkCommitments,
  quantizeChunk,
  toHex,
} from '../accuracy/dataset-commitment.js';
import { chunked, readDataset } from '../accuracy/read-dataset.js';
import { isProofOfChunk } from '../accuracy/chunk-prover.js';
import { type ChunkReference, referenceCounts, referencePredictions } from '../accuracy/prove-chunks.js';
import {
  type AccuracyRun,
  type AccuracySummary,
  checkCommittedDataset,
  finishAccuracy,
  prepareAccuracy,
  type ProveAccuracyOptions,
} from '../accuracy/prove-accuracy.js';
import { existingOutput } from '../runtime/resume.js';
import { createBatchTally, type BatchProgress } from '../runtime/progress.js';
import {
  checkQueueUrl,
  connectQueue,
  disconnectQueue,
  enqueueJobs,
  type JobDelivery,
  type JobSpec,
  queueLocation,
  queueName,
  removeJobs,
} from './job-queue.js';
import { type BatchEntry, batchIdFor, saveBatch } from './batch-manifest.js';
import type { ChunkJobPayload, ChunkJobResult } from './chunk-job.js';
import { type OpenJobs, waitForJobs } from './wait-jobs.js';

/** Options of {@link submitAccuracy}: the local route's, less `workers`, plus the queue's. */
export interface QueueAccuracyOptions extends Omit<ProveAccuracyOptions, 'workers'> {
  /** Postgres URL of the queue. */
  readonly url: string;
  readonly delivery?: JobDelivery;
  /** Milliseconds between polls while waiting (default 500). */
  readonly pollMs?: number;
  /** pg-boss maintenance interval of this client in seconds (default 10). */
  readonly maintenanceIntervalSeconds?: number;
  /** Called once every chunk is proven, reused or in the queue. */
  readonly onEnqueued?: (b: EnqueuedChunks) => void;
  /** Chunks finished so far, after each one. */
  readonly onChunk?: (p: BatchProgress) => void;
  /** After each poll: open jobs waiting for a worker and running. */
  readonly onWaiting?: (open: OpenJobs) => void;
  /** The database went away for a moment, or came back. */
  readonly onNotice?: (msg: string) => void;
  /** Stops waiting (Ctrl-C): the jobs stay queued; a rerun collects them. */
  readonly signal?: AbortSignal;
}

/** What {@link QueueAccuracyOptions.onEnqueued} is told. */
export interface EnqueuedChunks {
  readonly batchId: string;
  readonly chunks: number;
  /** Chunks whose proof file in OUT/chunks/ was reused. */
  readonly reused: number;
  /** Jobs in the queue for this run, and of those, how many this run added. */
  readonly jobs: number;
  readonly created: number;
  readonly location: string;
}

/** A chunk that could not be proven (failed job, or a result refused). */
export interface ChunkFailure {
  readonly index: number;
  readonly error: string;
}

/** What {@link submitAccuracy} did: a claim, or the chunks that failed or are still open. */
export interface QueueAccuracyResult {
  /** The summary, as the local route's, when every chunk was proven and the claim written. */
  readonly summary?: AccuracySummary;
  readonly batchId: string;
  readonly queue: string;
  readonly chunks: number;
  readonly proved: number;
  readonly reused: number;
  readonly failed: ChunkFailure[];
  /** Chunks still in the queue (the wait was stopped). */
  readonly pending: number;
}

/** What the submitter keeps per chunk: no samples, only what checking its proof needs. */
interface ChunkSlot {
  readonly index: number;
  readonly samples: number;
  readonly commitment: string;
  readonly ref: ChunkReference;
  /** Correct predictions of the integer reference: the count a valid proof must state. */
  readonly expectedCount: number;
  /** Hashed weights: the submitter's W (0x-hex), which a valid proof must expose (the worker holds the same opening). */
  readonly weightsCommitment?: string;
  readonly proofPath: string;
  proof?: ChunkProof;
}

/** The proof file of chunk i, as the local route names it. */
function proofPathFor(outDir: string, index: number): string {
  return join(outDir, 'chunks', `chunk-${String(index).padStart(6, '0')}.json`);
}

/** The chunk file in OUT/chunks/ when it is a valid proof of this very chunk. */
function reusable(vkey: Record<string, unknown>, slot: ChunkSlot): Promise<ChunkProof | undefined> {
  return existingOutput(slot.proofPath, async () => {
    const p = readJsonFile(slot.proofPath, 'chunk proof') as ChunkProof;
    return (await isProofOfChunk(vkey, p, slot)) && p.count === slot.expectedCount ? p : undefined;
  });
}

/** The chunks of a run: their slots in order, the batch entries of the queued ones, and totals. */
interface ChunkPlan {
  readonly slots: ChunkSlot[];
  readonly entries: BatchEntry[];
  /** The slot of each queued job, by job id. */
  readonly jobs: Map<string, ChunkSlot>;
  readonly created: number;
  readonly samples: number;
  readonly commitments: bigint[];
}

/** Enqueues in groups as the dataset streams, so workers start on the first chunks at once. */
const ENQUEUE_GROUP = 32;

/** Streams the dataset into chunk slots; reuses valid chunk files and enqueues jobs for the rest. */
async function planChunks(
  opts: QueueAccuracyOptions,
  run: AccuracyRun,
  boss: PgBoss,
  keyHash: string,
): Promise<ChunkPlan> {
  const slots: ChunkSlot[] = [];
  const entries: BatchEntry[] = [];
  const jobs = new Map<string, ChunkSlot>();
  const commitments: bigint[] = [];
  let group: Array<JobSpec<ChunkJobPayload>> = [];
  let created = 0;
  let samples = 0;
  const flush = async (): Promise<void> => {
    if (group.length === 0) return;
    const enqueued = await enqueueJobs(boss, 'accuracy-chunk', keyHash, group, opts.delivery);
    enqueued.forEach((e, k) => {
      const index = group[k]!.payload.index;
      entries.push({ name: `chunk-${String(index).padStart(6, '0')}`, source: `chunk ${index}`, jobId: e.jobId });
      jobs.set(e.jobId, slots[index]!);
      if (e.created) created++;
    });
    group = [];
  };
  for await (const chunk of chunked(readDataset(opts.dataset, run.enc), run.chunkSize)) {
    const index = slots.length;
    samples += chunk.length;
    const q = quantizeChunk(run.enc, chunk, run.chunkSize);
    const r = await chunkBlinding(run.blinding, index);
    const c = await chunkCommitment(run.enc, q, r);
    commitments.push(c);
    const ref = {
      ...(await referencePredictions(opts.buildDir, run.model, chunk)),
      labels: chunk.map((s) => s.label),
    };
    const slot: ChunkSlot = {
      index,
      samples: chunk.length,
      commitment: toHex(c),
      ref,
      expectedCount: referenceCounts([ref]).quantCorrect,
      proofPath: proofPathFor(opts.outDir, index),
      ...(run.weights ? { weightsCommitment: run.weights.commitment } : {}),
    };
    slots.push(slot);
    slot.proof = await reusable(run.keys.vkey, slot);
    if (slot.proof) continue;
    group.push({
      // W in the key too (when hashed): a job queued under other weights is another job.
      jobKey: sha256Hex(
        `${index}\0${slot.commitment}\0${slot.samples}${slot.weightsCommitment ? `\0${slot.weightsCommitment}` : ''}`,
      ),
      payload: { index, chunk: q, blinding: r.toString(), commitment: slot.commitment },
    });
    if (group.length >= ENQUEUE_GROUP) await flush();
  }
  await flush();
  return { slots, entries, jobs, created, samples, commitments };
}

/**
 * Accepts a worker's result for `slot` when it is a valid proof of exactly that chunk with the
 * reference's count; returns why not otherwise.
 */
async function acceptChunk(
  vkey: Record<string, unknown>,
  slot: ChunkSlot,
  result: ChunkJobResult,
): Promise<ChunkProof | string> {
  let parsed: unknown;
  try {
    parsed = parseJsonText(String(result?.proofJson), `chunk ${slot.index}: the worker's result`);
  } catch (e) {
    return e instanceof UserError ? e.message : `chunk ${slot.index}: the worker's result holds no proof JSON`;
  }
  const shape = chunkProofSchema.safeParse(parsed);
  if (!shape.success)
    return `chunk ${slot.index}: the worker's result is not a chunk proof (${shape.error.issues[0]!.message})`;
  const p = parsed as ChunkProof;
  if (!(await isProofOfChunk(vkey, p, slot)))
    return (
      `chunk ${slot.index}: the worker's result is not a valid proof of this chunk (index ${p.index}, commitment ` +
      `${String(p.commitment).slice(0, 18)}…${slot.weightsCommitment ? '; or proven under another weights opening than the submitter’s' : ''})`
    );
  // A valid proof of this chunk states the circuit's count; the integer reference disagreeing is a bug.
  if (p.count !== slot.expectedCount)
    return `chunk ${slot.index}: proven count ${p.count} differs from the integer reference's ${slot.expectedCount} (a bug)`;
  return p;
}

/** Proves the dataset's chunks on the queue's workers and writes the claim once every chunk is proven. */
export async function submitAccuracy(opts: QueueAccuracyOptions): Promise<QueueAccuracyResult> {
  checkQueueUrl(opts.url);
  const run = await prepareAccuracy(opts);
  const vkey = run.keys.vkey;
  const keyHash = vkeyHash(vkey);
  const queue = queueName('accuracy-chunk', keyHash);
  const boss = await connectQueue({
    url: opts.url,
    maintenanceIntervalSeconds: opts.maintenanceIntervalSeconds,
    onError: (e) => opts.onNotice?.(`queue database: ${e.message.split('\n')[0]}`),
  });
  try {
    const tp = performance.now();
    const plan = await planChunks(opts, run, boss, keyHash);
    const { slots, entries } = plan;
    // A committed opening names its D: other data is refused now, before any worker proves a chunk of it.
    const d = toHex(await combineChunkCommitments(plan.samples, run.chunkSize, plan.commitments));
    checkCommittedDataset(opts, run.committed, d, run.chunkSize);
    const batchId = batchIdFor('accuracy-chunk', keyHash, entries);
    await saveBatch(boss, { batchId, kind: 'accuracy-chunk', keyHash, buildDir: opts.buildDir, entries });
    const reused = slots.filter((s) => s.proof).length;
    opts.onEnqueued?.({
      batchId,
      chunks: slots.length,
      reused,
      jobs: entries.length,
      created: plan.created,
      location: queueLocation(opts.url),
    });
    const tally = createBatchTally(slots.length, opts.onChunk);
    for (let i = 0; i < reused; i++) tally.finish('skipped');
    const byJob = plan.jobs;
    const failed: ChunkFailure[] = [];
    let proved = 0;
    const open = await waitForJobs<ChunkJobPayload, ChunkJobResult>(boss, queue, [...byJob.keys()], {
      wait: true,
      pollMs: opts.pollMs,
      onPoll: opts.onWaiting,
      signal: opts.signal,
      onPollError: (e) => opts.onNotice?.(`queue database: ${e.message.split('\n')[0]} (retrying until it is back)`),
      onPollRecovered: () => opts.onNotice?.('queue database: reachable again'),
      onEnded: async (end) => {
        const slot = byJob.get(end.jobId)!;
        const got = end.ok ? await acceptChunk(vkey, slot, end.result) : `chunk ${slot.index}: ${oneLine(end.error)}`;
        if (typeof got === 'string') {
          // Refused or failed: drop the job, so that a rerun enqueues the chunk afresh.
          await removeJobs(boss, queue, [end.jobId]).catch(() => undefined);
          failed.push({ index: slot.index, error: `${got}; job removed, rerun to prove it again` });
          tally.finish('failed');
          return;
        }
        try {
          writeJsonAtomic(slot.proofPath, got);
        } catch (e) {
          // The job stays done: a rerun, once the disk is fixed, collects it without proving again.
          failed.push({ index: slot.index, error: `chunk ${slot.index}: ${oneLine((e as Error).message)}` });
          tally.finish('failed');
          return;
        }
        slot.proof = got;
        proved++;
        tally.finish('proved');
      },
    });
    const base = { batchId, queue, chunks: slots.length, proved, reused, failed, pending: open.length };
    if (failed.length > 0 || open.length > 0) return base;
    // The chunk files hold the proofs now: the database need not keep the samples, labels and r_i any longer.
    await removeJobs(boss, queue, [...byJob.keys()]).catch(() => undefined);
    const { floatCorrect, quantCorrect } = referenceCounts(slots.map((s) => s.ref));
    const summary = await finishAccuracy(opts, run, {
      chunks: slots.map((s) => s.proof!),
      commitments: plan.commitments,
      samples: plan.samples,
      floatCorrect,
      quantCorrect,
      proved,
      skipped: reused,
      proveSeconds: (performance.now() - tp) / 1000,
    });
    return { ...base, summary };
  } finally {
    await disconnectQueue(boss);
  }
}
