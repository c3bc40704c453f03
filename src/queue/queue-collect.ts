/**
 * Collecting a queued batch later (`zkinfer queue collect` / `zkinfer queue status`): from the
 * batch id, on any machine that has the build directory, write the verified bundles of the
 * finished jobs, or count where the jobs stand. Split out of queue-prove.ts, whose build,
 * tracking and collecting helpers it shares.
 */
import { UserError } from '../core/errors.js';
import { bundlePathNamed } from '../formats/paths.js';
import { existingBundlePrediction } from '../verify/existing-bundle.js';
import { connectQueue, disconnectQueue, jobStates, loadBatch, queueName } from './job-queue.js';
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
    return await collectInto(boss, build, manifest, opts.outDir, t, opts.wait ?? false, opts, 0);
  } finally {
    await disconnectQueue(boss);
  }
}

/** Where the jobs of a batch stand. */
export interface BatchStatus {
  readonly batchId: string;
  readonly queue: string;
  readonly total: number;
  /**
   * Jobs per pg-boss state, plus `not-enqueued` (unreadable inputs) and `not-in-queue` (its
   * bundle was already valid when submitted, or retention deleted the job).
   */
  readonly states: Record<string, number>;
  /** Inputs that failed, one line each. */
  readonly failures: Array<{ input: string; error: string }>;
}

/** Counts the states of a batch's jobs and lists its failures. */
export async function batchStatus(opts: { url: string; batchId: string }): Promise<BatchStatus> {
  const boss = await connectQueue({ url: opts.url });
  try {
    const manifest = await loadBatch(boss, opts.batchId);
    const queue = queueName(manifest.kind, manifest.keyHash);
    const ids = manifest.entries.flatMap((e) => (e.jobId ? [e.jobId] : []));
    const states = await jobStates(boss, queue, ids);
    const counts: Record<string, number> = {};
    const failures: BatchStatus['failures'] = [];
    const add = (k: string): void => void (counts[k] = (counts[k] ?? 0) + 1);
    const ended: string[] = [];
    for (const e of manifest.entries) {
      if (e.error) {
        add('not-enqueued');
        failures.push({ input: e.source, error: e.error });
        continue;
      }
      const s = states.get(e.jobId!);
      add(s?.state ?? 'not-in-queue');
      if (s && (s.state === 'completed' || s.state === 'failed')) ended.push(e.jobId!);
    }
    // Completed jobs may carry a final error (bad input); failed ones carry the last attempt's error.
    await waitForJobs<ProveJobPayload, ProveJobResult>(boss, queue, ended, {
      wait: false,
      onEnded: async (end) => {
        if (end.ok) return;
        const e = manifest.entries.find((x) => x.jobId === end.jobId)!;
        failures.push({
          input: e.source,
          error: end.error.startsWith(e.source) ? end.error : `${e.source}: ${end.error}`,
        });
      },
    });
    return { batchId: manifest.batchId, queue, total: manifest.entries.length, states: counts, failures };
  } finally {
    await disconnectQueue(boss);
  }
}
