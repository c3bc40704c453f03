/**
 * Batch proving through the queue (`zkinfer prove BUILD --inputs … --queue URL`): one `prove`
 * job per input, enqueued idempotently (job id from the key hash and the hash of the quantized
 * input), then — with `wait` — every result is verified against this build's vkey.json, checked
 * to be about the input that was sent, and written atomically as `<name>.proof.json`.
 * `collectBatch` / `batchStatus` (queue-collect.ts) do the same later, from the batch id, on any
 * machine that has the build directory.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { removeStaleTemps } from '../prove/batch.js';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type PgBoss from 'pg-boss';
import { artifactPath, bundlePathNamed, openingPathFor, proofsDir } from '../formats/paths.js';
import { readArtifact } from '../formats/artifacts.js';
import type { ProofBundle } from '../formats/bundle.js';
import { writeOpening } from '../formats/opening.js';
import { readQuantizedModel } from '../compile/compile-circuit.js';
import { parseJsonText } from '../core/json.js';
import { UserError } from '../core/errors.js';
import { listBatchInputs } from '../prove/batch-inputs.js';
import { BatchTally, createBatchTally, type BatchProgress } from '../runtime/progress.js';
import { writeBundle } from '../prove/prover.js';
import type { QuantizedModel } from '../quantize/quantized-model.js';
import { vkeyHash, VkeyMeta } from '../formats/vkey.js';
import { verifyBundle } from '../verify/verify-bundle.js';
import {
  checkQueueUrl,
  connectQueue,
  disconnectQueue,
  enqueueJobs,
  JobDelivery,
  queueLocation,
  queueName,
} from './job-queue.js';
import { batchIdFor, BatchManifest, saveBatch } from './batch-manifest.js';
import { ProveJobPayload, ProveJobResult } from './prove-job.js';
import { OpenJobs, waitForJobs } from './wait-jobs.js';
import { planJobs } from './queue-plan.js';

/** Options shared by {@link submitProofs} and {@link collectBatch}. */
export interface QueueClientOptions {
  /** Postgres URL of the queue. */
  readonly url: string;
  /** Milliseconds between polls while waiting (default 500). */
  readonly pollMs?: number;
  readonly onProgress?: (p: BatchProgress) => void;
  /** Called when the database is unreachable for a moment (the wait goes on). */
  readonly onNotice?: (msg: string) => void;
  /** pg-boss maintenance interval of this client in seconds (default 10). */
  readonly maintenanceIntervalSeconds?: number;
  /** Called after each poll while waiting: how many open jobs wait for a worker and how many run. */
  readonly onWaiting?: (open: OpenJobs) => void;
  /**
   * Stops waiting (e.g. on Ctrl-C): the summary then counts the jobs still open as `pending`.
   * The jobs stay in the queue; workers go on proving them, and `collectBatch` collects them.
   */
  readonly signal?: AbortSignal;
}

/** What {@link SubmitProofsOptions.onEnqueued} is told once the batch is in the queue. */
export interface EnqueuedBatch {
  readonly batchId: string;
  /** Jobs of this batch in the queue (new or found from an earlier run). */
  readonly jobs: number;
  /** Of those, jobs this run added. */
  readonly created: number;
  /** Inputs already finished before any job ran (valid bundles skipped, unreadable inputs). */
  readonly finished: number;
  readonly total: number;
  /** Where the queue is: `host:port/database` (no user or password). */
  readonly location: string;
}

/** Options of {@link submitProofs}. */
export interface SubmitProofsOptions extends QueueClientOptions {
  readonly buildDir: string;
  /** A directory of `.json` / `.pb` inputs or a JSON-lines file. */
  readonly inputs: string;
  /** Bundle directory (default `<buildDir>/proofs`). */
  readonly outDir?: string;
  /** Wait for the results and write them (default true); otherwise just enqueue. */
  readonly wait?: boolean;
  readonly delivery?: JobDelivery;
  /** Refuse inputs with values outside the quantized range instead of clamping them. */
  readonly strictRange?: boolean;
  /** Called once every job is in the queue and the batch is saved, before waiting. */
  readonly onEnqueued?: (b: EnqueuedBatch) => void;
}

/** The outcome of one input. */
export interface QueueItem {
  readonly input: string;
  readonly bundle: string;
  /** `skipped`: a valid bundle was already there; `pending`: not finished yet. */
  readonly status: 'proved' | 'skipped' | 'failed' | 'pending';
  readonly prediction?: number;
  readonly error?: string;
  /** Attempts the queue made (more than 1 after a worker died or a retry). */
  readonly attempts?: number;
}

/** What submitting or collecting a batch did. */
export interface QueueSummary {
  readonly batchId: string;
  readonly queue: string;
  readonly total: number;
  /** Results written by this run. */
  readonly succeeded: number;
  readonly skipped: number;
  readonly failed: number;
  readonly pending: number;
  /** Jobs this run added to the queue (0 on a rerun: everything was there already). */
  readonly enqueued: number;
  readonly items: QueueItem[];
  readonly seconds: number;
  readonly proofsPerSecond: number;
}

/** The submitter's view of a build directory: model, pinned key, key hash. */
export interface BuildView {
  readonly buildDir: string;
  readonly model: QuantizedModel;
  readonly vkeyPath: string;
  readonly meta: VkeyMeta;
  readonly keyHash: string;
}

export function openBuild(buildDir: string): BuildView {
  if (!existsSync(buildDir)) throw new UserError(`${buildDir}: no such build directory`);
  const vkey = readArtifact<Record<string, unknown>>(buildDir, 'vkey', 'setup');
  const meta = vkey['zkinfer'] as VkeyMeta | undefined;
  if (!meta)
    throw new UserError(`${artifactPath(buildDir, 'vkey')}: lacks zkinfer metadata; run \`zkinfer setup\` again`);
  return {
    buildDir,
    model: readQuantizedModel(buildDir).model,
    vkeyPath: artifactPath(buildDir, 'vkey'),
    meta,
    keyHash: vkeyHash(vkey),
  };
}

export function prepareOut(outDir: string): void {
  try {
    mkdirSync(outDir, { recursive: true });
    // A submitter killed mid-write leaves a temp file; the rerun that collects clears it.
    removeStaleTemps(outDir);
  } catch (e) {
    throw new UserError(
      `${outDir}: cannot write bundles there (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
}

/**
 * Verifies a returned bundle with the pinned key, its opening and the input that was sent, then
 * writes both atomically; returns the failure line when the result is not acceptable.
 */
async function acceptResult(
  build: BuildView,
  path: string,
  payload: ProveJobPayload,
  result: ProveJobResult,
): Promise<{ prediction?: number } | { error: string }> {
  // verifyBundle reads openings from files: check this one from a temp file beside the bundle.
  let bundle: ProofBundle;
  try {
    bundle = parseJsonText(String(result?.bundleJson), `${payload.source}: the worker's bundle`) as ProofBundle;
  } catch (e) {
    // The shared reader: a duplicate key or deep nesting from a worker is refused like in any file.
    return {
      error: e instanceof UserError ? e.message : `${payload.source}: the worker's result holds no bundle JSON`,
    };
  }
  const tmpOpening = result.opening
    ? `${openingPathFor(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
    : undefined;
  try {
    if (tmpOpening) writeOpening(tmpOpening, result.opening!);
    const report = await verifyBundle({
      bundle,
      vkeyPath: build.vkeyPath,
      inputValues: { values: payload.input, label: payload.source },
      ...(tmpOpening ? { openingPath: tmpOpening } : {}),
    });
    if (!report.valid)
      return {
        error: `${payload.source}: the worker's result does not verify (check ${report.failed}: ${report.checks.find((c) => !c.ok)?.detail ?? ''})`,
      };
    writeBundle(path, { bundle, ...(result.opening ? { opening: result.opening } : {}) });
    return report.prediction !== undefined ? { prediction: report.prediction } : {};
  } finally {
    if (tmpOpening) rmSync(tmpOpening, { force: true });
  }
}

/** The items of a batch as they finish, with their counts (pending items are not counted). */
export interface Tracker {
  readonly items: QueueItem[];
  readonly t0: number;
  readonly counts: BatchTally['counts'];
  finish(i: number, item: QueueItem): void;
  /** Reports the current counts (e.g. 0/N once the jobs are enqueued, before any finished). */
  report(): void;
}

export function tracker(total: number, onProgress?: (p: BatchProgress) => void): Tracker {
  const items: QueueItem[] = new Array(total);
  const t0 = performance.now();
  const tally = createBatchTally(total, onProgress, t0);
  return {
    items,
    t0,
    counts: tally.counts,
    finish(i, item) {
      items[i] = item;
      if (item.status !== 'pending') tally.finish(item.status);
    },
    report() {
      const c = tally.counts;
      onProgress?.({ done: c.proved + c.skipped + c.failed, total, ...c, seconds: tally.seconds() });
    },
  };
}

/** What a wait says about the database and the open jobs, and what stops it. */
function pollCallbacks(opts: QueueClientOptions) {
  return {
    onPollError: (e: Error) =>
      opts.onNotice?.(`queue database: ${e.message.split('\n')[0]} (retrying until it is back)`),
    onPollRecovered: () => opts.onNotice?.('queue database: reachable again'),
    onPoll: opts.onWaiting,
    signal: opts.signal,
  };
}

/** Waits for (or, without `wait`, collects what is done of) the jobs of `entries` and writes their bundles. */
export async function collectInto(
  boss: PgBoss,
  build: BuildView,
  manifest: BatchManifest,
  outDir: string,
  t: Tracker,
  wait: boolean,
  opts: QueueClientOptions,
  enqueued: number,
): Promise<QueueSummary> {
  const queue = queueName(manifest.kind, manifest.keyHash);
  const index = new Map<string, number[]>();
  manifest.entries.forEach((e, i) => {
    if (e.jobId && t.items[i] === undefined) index.set(e.jobId, [...(index.get(e.jobId) ?? []), i]);
  });
  const open = await waitForJobs<ProveJobPayload, ProveJobResult>(boss, queue, [...index.keys()], {
    wait,
    pollMs: opts.pollMs,
    ...pollCallbacks(opts),
    onEnded: async (end) => {
      for (const i of index.get(end.jobId) ?? []) {
        const entry = manifest.entries[i]!;
        const bundle = bundlePathNamed(outDir, entry.name);
        if (!end.ok) {
          t.finish(i, {
            input: entry.source,
            bundle,
            status: 'failed',
            error: end.error.startsWith(entry.source) ? end.error : `${entry.source}: ${end.error}`,
            attempts: end.attempts,
          });
          continue;
        }
        const r = await acceptResult(build, bundle, end.payload, end.result);
        if ('error' in r) {
          // A result we refuse must not block the input forever: drop the job, so a rerun enqueues it afresh.
          await boss.deleteJob(queue, end.jobId);
          t.finish(i, {
            input: entry.source,
            bundle,
            status: 'failed',
            error: `${r.error}; job removed, rerun to prove it again`,
            attempts: end.attempts,
          });
        } else {
          t.finish(i, {
            input: entry.source,
            bundle,
            status: 'proved',
            ...(r.prediction !== undefined ? { prediction: r.prediction } : {}),
            attempts: end.attempts,
          });
        }
      }
    },
  });
  for (const id of open)
    for (const i of index.get(id) ?? [])
      t.finish(i, {
        input: manifest.entries[i]!.source,
        bundle: bundlePathNamed(outDir, manifest.entries[i]!.name),
        status: 'pending',
      });
  const seconds = (performance.now() - t.t0) / 1000;
  const pending = t.items.filter((i) => i.status === 'pending').length;
  return {
    batchId: manifest.batchId,
    queue,
    total: manifest.entries.length,
    succeeded: t.counts.proved,
    skipped: t.counts.skipped,
    failed: t.counts.failed,
    pending,
    enqueued,
    items: t.items,
    seconds,
    proofsPerSecond: seconds > 0 ? t.counts.proved / seconds : 0,
  };
}

/** Enqueues one prove job per input and (by default) waits for, verifies and writes every bundle. */
export async function submitProofs(opts: SubmitProofsOptions): Promise<QueueSummary> {
  // The URL first: a wrong one is refused before any input is read.
  checkQueueUrl(opts.url);
  const build = openBuild(opts.buildDir);
  const inputs = listBatchInputs(opts.inputs);
  const outDir = opts.outDir ?? proofsDir(opts.buildDir);
  prepareOut(outDir);
  const t = tracker(inputs.length, opts.onProgress);
  const { entries, specs, skip } = await planJobs(inputs, build, outDir, opts.strictRange);
  const batchId = batchIdFor('prove', build.keyHash, entries);
  const manifest: BatchManifest = {
    batchId,
    kind: 'prove',
    keyHash: build.keyHash,
    buildDir: resolve(opts.buildDir),
    entries,
  };
  for (const [i, e] of entries.entries())
    if (e.error)
      t.finish(i, { input: e.source, bundle: bundlePathNamed(outDir, e.name), status: 'failed', error: e.error });
  for (const s of skip)
    t.finish(s.i, {
      input: entries[s.i]!.source,
      bundle: bundlePathNamed(outDir, entries[s.i]!.name),
      status: 'skipped',
      ...(s.prediction >= 0 ? { prediction: s.prediction } : {}),
    });
  const boss = await connectQueue({
    url: opts.url,
    maintenanceIntervalSeconds: opts.maintenanceIntervalSeconds,
    onError: (e) => opts.onNotice?.(`queue database: ${e.message.split('\n')[0]}`),
  });
  try {
    const enqueued = await enqueueJobs(boss, 'prove', build.keyHash, specs, opts.delivery);
    await saveBatch(boss, manifest);
    const c = t.counts;
    opts.onEnqueued?.({
      batchId,
      jobs: specs.length,
      created: enqueued.filter((e) => e.created).length,
      finished: c.proved + c.skipped + c.failed,
      total: inputs.length,
      location: queueLocation(opts.url),
    });
    t.report();
    return await collectInto(
      boss,
      build,
      manifest,
      outDir,
      t,
      opts.wait ?? true,
      opts,
      enqueued.filter((e) => e.created).length,
    );
  } finally {
    await disconnectQueue(boss);
  }
}
