/**
 * Collecting a queued batch later (`zkinfer queue collect` / `zkinfer queue status`): from the
 * batch id, on any machine that has the build directory, write the verified bundles of the
 * finished jobs, or count where the jobs stand. Split out of queue-prove.ts, whose build,
 * tracking and collecting helpers it shares.
 */
import { UserError } from '../core/errors.js';
import { bundlePathNamed } from '../formats/paths.js';
import { existingBundlePrediction } from '../verify/existing-bundle.js';
import { connectQueue, disconnectQueue, JobState, jobStates, queueName } from './job-queue.js';
import { loadBatch } from './batch-manifest.js';
import { ProveJobPayload, ProveJobResult } from './prove-job.js';
import { collectInto, openBuild, prepareOut, QueueClientOptions, QueueSummary, tracker } from './queue-prove.js';
import { waitForJobs } from './wait-jobs.js';

/** Options of {@link collectBatch}. */
export interface CollectOptions extends QueueClientOptions {
  readonly batchId: string;
  readonly outDir: string;
  /** The build directory whose vkey.json results are verified with (default: the submitter's, from the batch). */
  readonly buildDir?: string;
  /** Wait for jobs still open (default false: collect what is done). */
  readonly wait?: boolean;
}

/** Writes the verified bundles of a batch's finished jobs (skipping valid bundles already there). */
export async function collectBatch(opts: CollectOptions): Promise<QueueSummary> {
  const boss = await connectQueue({
    url: opts.url,
    maintenanceIntervalSeconds: opts.maintenanceIntervalSeconds,
    onError: (e) => opts.onNotice?.(`queue database: ${e.message.split('\n')[0]}`),
  });
  try {
    const manifest = await loadBatch(boss, opts.batchId);
    // Only prove batches hold bundles; an accuracy batch's chunk proofs are collected by its submitter.
    if (manifest.kind !== 'prove')
      throw new UserError(
        `batch ${opts.batchId} holds ${manifest.kind} jobs, not proofs of inputs: rerun the \`zkinfer accuracy … --queue\` command that submitted it to collect them`,
      );
    const build = openBuild(opts.buildDir ?? manifest.buildDir);
    if (build.keyHash !== manifest.keyHash)
      throw new UserError(
        `${build.vkeyPath}: key hash ${build.keyHash.slice(0, 16)}… differs from batch ${opts.batchId}'s ${manifest.keyHash.slice(0, 16)}…; pass --build with the build directory the batch was submitted for`,
      );
    prepareOut(opts.outDir);
    const t = tracker(manifest.entries.length, opts.onProgress);
    for (const [i, e] of manifest.entries.entries()) {
      const bundle = bundlePathNamed(opts.outDir, e.name);
      if (e.error) t.finish(i, { input: e.source, bundle, status: 'failed', error: e.error });
      else {
        const have = await existingBundlePrediction(bundle, build.vkeyPath);
        if (have !== undefined)
          t.finish(i, { input: e.source, bundle, status: 'skipped', ...(have >= 0 ? { prediction: have } : {}) });
      }
    }
    t.report();
    return await collectInto(boss, build, manifest, opts.outDir, t, opts.wait ?? false, opts, 0);
  } finally {
    await disconnectQueue(boss);
  }
}

/**
 * Where one input of a batch stands, in zkinfer's words rather than pg-boss's:
 * `pending` (waiting for a worker; pg-boss `created`), `retrying` (an attempt failed, waiting to be
 * tried again; `retry`), `active` (a worker is proving it), `done` (proven, ready to collect;
 * `completed` with a result), `failed` (out of retries, a final error such as a bad input, or an
 * input that could not even be enqueued), `cancelled`, and `not-in-queue` (no job: its bundle was
 * already valid when submitted, or the job was removed by retention or after a refused result).
 */
export type BatchJobState = 'pending' | 'retrying' | 'active' | 'done' | 'failed' | 'cancelled' | 'not-in-queue';

/** The zkinfer name of a pg-boss job state (a `completed` job whose output is an error is `failed`). */
export function batchJobState(state: JobState['state'], completedOk = true): BatchJobState {
  switch (state) {
    case 'created':
      return 'pending';
    case 'retry':
      return 'retrying';
    case 'completed':
      return completedOk ? 'done' : 'failed';
    case 'active':
    case 'failed':
    case 'cancelled':
      return state;
  }
}

/** Where the jobs of a batch stand. */
export interface BatchStatus {
  readonly batchId: string;
  readonly queue: string;
  readonly total: number;
  /** Inputs per {@link BatchJobState} (only states that occur). */
  readonly states: Partial<Record<BatchJobState, number>>;
  /** Inputs that failed, one line each. */
  readonly failures: Array<{ input: string; error: string }>;
}

/** Counts the states of a batch's jobs and lists its failures. */
export async function batchStatus(opts: {
  url: string;
  batchId: string;
  /** Called when the database is unreachable for a moment (connecting is retried). */
  onNotice?: (msg: string) => void;
}): Promise<BatchStatus> {
  const boss = await connectQueue({
    url: opts.url,
    onError: (e) => opts.onNotice?.(`queue database: ${e.message.split('\n')[0]}`),
  });
  try {
    const manifest = await loadBatch(boss, opts.batchId);
    const queue = queueName(manifest.kind, manifest.keyHash);
    const ids = manifest.entries.flatMap((e) => (e.jobId ? [e.jobId] : []));
    const states = await jobStates(boss, queue, ids);
    const failures: BatchStatus['failures'] = [];
    const finalErrors = new Set<string>();
    const ended = ids.filter((id) => ['completed', 'failed'].includes(states.get(id)?.state ?? ''));
    // Completed jobs may carry a final error (bad input); failed ones carry the last attempt's error.
    await waitForJobs<ProveJobPayload, ProveJobResult>(boss, queue, ended, {
      wait: false,
      onEnded: async (end) => {
        if (end.ok) return;
        finalErrors.add(end.jobId);
        for (const e of manifest.entries.filter((x) => x.jobId === end.jobId))
          failures.push({
            input: e.source,
            error: end.error.startsWith(e.source) ? end.error : `${e.source}: ${end.error}`,
          });
      },
    });
    const counts: Partial<Record<BatchJobState, number>> = {};
    const notEnqueued: BatchStatus['failures'] = [];
    for (const e of manifest.entries) {
      const s = e.jobId === undefined ? undefined : states.get(e.jobId);
      const state: BatchJobState = e.error
        ? 'failed'
        : s
          ? batchJobState(s.state, !finalErrors.has(e.jobId!))
          : 'not-in-queue';
      counts[state] = (counts[state] ?? 0) + 1;
      if (e.error) notEnqueued.push({ input: e.source, error: e.error });
    }
    return {
      batchId: manifest.batchId,
      queue,
      total: manifest.entries.length,
      states: counts,
      failures: [...notEnqueued, ...failures],
    };
  } finally {
    await disconnectQueue(boss);
  }
}
