/**
 * Proving on many machines, measured on one: an embedded Postgres on localhost, real
 * `zkinfer worker` processes and real proofs.
 *
 * - throughput of 2 worker processes against 1 on a batch (digits CNN, 32 inputs), workers
 *   started and warmed up before the clock starts;
 * - the queue's own cost per job: no-op jobs through one worker (fetch, thread hand-off, result);
 * - the broker ceiling: no-op jobs fetched and completed by 64 concurrent connections;
 * - per-job proving cost of each model on a worker, and from it how many worker machines one
 *   Postgres can feed (ceiling ÷ jobs per second of one machine);
 * - nothing lost: a long run with a worker killed (kill -9) every ~10 s.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { artifactPath, BUNDLE_SUFFIX, openingPathFor } from '../../src/formats/paths.js';
import { readQuantizedModel } from '../../src/compile/compile-circuit.js';
import {
  connectQueue,
  disconnectQueue,
  enqueueJobs,
  ensureQueue,
  jobStates,
  queueName,
} from '../../src/queue/job-queue.js';
import { startQueueWorker } from '../../src/queue/queue-worker.js';
import { submitProofs, QueueSummary } from '../../src/queue/queue-prove.js';
import { waitForJobs } from '../../src/queue/wait-jobs.js';
import { verifyBundle } from '../../src/verify/verify-bundle.js';

const CLI = fileURLToPath(new URL('../../../bin/zkinfer', import.meta.url));

/** A `zkinfer worker` child process. */
interface WorkerProc {
  readonly proc: ChildProcess;
  readonly ready: Promise<void>;
  /** Seconds of each proof this worker reported. */
  readonly seconds: number[];
}

function spawnWorker(buildDir: string, url: string): WorkerProc {
  const proc = spawn(
    process.execPath,
    [CLI, 'worker', buildDir, '--queue', url, '--concurrency', '1', '--poll-seconds', '0.1'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const seconds: number[] = [];
  let buf = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) {
      const m = /^done .* in ([\d.]+) s/.exec(l);
      if (m) seconds.push(Number(m[1]));
    }
  });
  const ready = new Promise<void>((resolve, reject) => {
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => d.includes('worker for key') && resolve());
    proc.once('exit', (code) => reject(new Error(`worker exited with code ${code} before it was ready`)));
  });
  ready.catch(() => undefined);
  return { proc, ready, seconds };
}

/**
 * CPU seconds a process has used so far, all its threads (Linux /proc; fields 14 and 15 of
 * /proc/PID/stat, in clock ticks of 1/100 s): unlike wall time, not inflated by other load.
 */
function cpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

async function kill(w: WorkerProc, signal: NodeJS.Signals): Promise<void> {
  if (w.proc.exitCode !== null || w.proc.signalCode !== null) return;
  const exited = new Promise((r) => w.proc.once('exit', r));
  w.proc.kill(signal);
  await exited;
}

/** Deterministic inputs over the model's input range; `seed` keeps runs apart (distinct jobs). */
export function writeInputFiles(dir: string, buildDir: string, n: number, seed: number): string {
  const { model } = readQuantizedModel(buildDir);
  const size = model.input.shape.reduce((a, b) => a * b, 1);
  const lo = model.input.lo / 2 ** model.input.frac;
  const hi = model.input.hi / 2 ** model.input.frac;
  let s = seed >>> 0 || 1;
  const next = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++)
    writeFileSync(
      join(dir, `x${String(i).padStart(4, '0')}.json`),
      JSON.stringify(Array.from({ length: size }, () => Number((lo + (hi - lo) * next()).toFixed(4)))),
    );
  return dir;
}

/** Throughput of `workers` processes on `n` inputs, after each worker proved one warm-up input. */
export async function measureThroughput(opts: {
  url: string;
  buildDir: string;
  work: string;
  workers: number;
  inputs: number;
  seed: number;
}): Promise<{
  workers: number;
  seconds: number;
  jobsPerSecond: number;
  proofSeconds: number[];
  cpuSecondsPerJob: number;
}> {
  const ws = Array.from({ length: opts.workers }, () => spawnWorker(opts.buildDir, opts.url));
  try {
    await Promise.all(ws.map((w) => w.ready));
    // Warm-up until every worker has proved once: thread start and key loading are not what a long batch waits for.
    for (let round = 0; ws.some((w) => w.seconds.length === 0); round++) {
      if (round === 10) throw new Error('a worker proved nothing in 10 warm-up rounds');
      const warm = writeInputFiles(
        join(opts.work, `warm-${opts.seed}-${round}`),
        opts.buildDir,
        opts.workers,
        opts.seed + 1000 * (round + 1),
      );
      await submitProofs({
        buildDir: opts.buildDir,
        inputs: warm,
        url: opts.url,
        outDir: join(opts.work, `warm-out-${opts.seed}-${round}`),
        pollMs: 50,
      });
      // The worker prints its line right after storing the result; give the pipe a moment.
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const w of ws) w.seconds.length = 0;
    const inputs = writeInputFiles(join(opts.work, `tp-${opts.seed}`), opts.buildDir, opts.inputs, opts.seed);
    const cpu0 = ws.map((w) => cpuSeconds(w.proc.pid));
    const t0 = performance.now();
    const s = await submitProofs({
      buildDir: opts.buildDir,
      inputs,
      url: opts.url,
      outDir: join(opts.work, `tp-out-${opts.seed}`),
      pollMs: 50,
    });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = ws.reduce((sum, w, i) => sum + cpuSeconds(w.proc.pid) - cpu0[i]!, 0);
    if (s.succeeded !== opts.inputs) throw new Error(`throughput run: ${s.succeeded} of ${opts.inputs} proved`);
    return {
      workers: opts.workers,
      seconds,
      jobsPerSecond: opts.inputs / seconds,
      proofSeconds: ws.flatMap((w) => w.seconds),
      cpuSecondsPerJob: cpu / opts.inputs,
    };
  } finally {
    await Promise.all(ws.map((w) => kill(w, 'SIGTERM')));
  }
}

/** Queue cost per job: `n` no-op jobs through one worker (one thread), enqueue to last result. */
export async function measureOverhead(opts: {
  url: string;
  buildDir: string;
  jobs: number;
}): Promise<{ jobs: number; seconds: number; msPerJob: number }> {
  const worker = await startQueueWorker({
    buildDir: opts.buildDir,
    url: opts.url,
    concurrency: 1,
    pollingIntervalSeconds: 0.05,
    kinds: ['noop'],
  });
  const boss = await connectQueue({ url: opts.url });
  try {
    const key = worker.keyHash;
    // Warm the thread up with one job first.
    const [w] = await enqueueJobs(boss, 'noop', key, [{ jobKey: `warm-${Date.now()}`, payload: {} }]);
    await waitForJobs(boss, queueName('noop', key), [w!.jobId], {
      wait: true,
      pollMs: 20,
      onEnded: async () => undefined,
    });
    const stamp = Date.now();
    const specs = Array.from({ length: opts.jobs }, (_, i) => ({ jobKey: `overhead-${stamp}-${i}`, payload: { i } }));
    const t0 = performance.now();
    const jobs = await enqueueJobs(boss, 'noop', key, specs);
    await waitForJobs(
      boss,
      queueName('noop', key),
      jobs.map((j) => j.jobId),
      { wait: true, pollMs: 20, onEnded: async () => undefined },
    );
    const seconds = (performance.now() - t0) / 1000;
    return { jobs: opts.jobs, seconds, msPerJob: (1000 * seconds) / opts.jobs };
  } finally {
    await disconnectQueue(boss);
    await worker.stop();
  }
}

/** Broker ceiling: `connections` concurrent fetch → complete loops over `jobs` no-op jobs (pg-boss alone). */
export async function measureCeiling(opts: {
  url: string;
  keyHash: string;
  connections: number;
  jobs: number;
}): Promise<{ connections: number; jobs: number; seconds: number; jobsPerSecond: number }> {
  const boss = await connectQueue({ url: opts.url, poolSize: opts.connections + 2 });
  try {
    const name = await ensureQueue(boss, 'noop', opts.keyHash);
    const stamp = Date.now();
    await enqueueJobs(
      boss,
      'noop',
      opts.keyHash,
      Array.from({ length: opts.jobs }, (_, i) => ({ jobKey: `ceiling-${stamp}-${i}`, payload: { i } })),
    );
    let done = 0;
    const t0 = performance.now();
    const loop = async (): Promise<void> => {
      for (;;) {
        const [job] = await boss.fetch(name, { batchSize: 1 });
        if (!job) return;
        await boss.complete(name, job.id, { ok: true, result: {} });
        done++;
      }
    };
    await Promise.all(Array.from({ length: opts.connections }, loop));
    const seconds = (performance.now() - t0) / 1000;
    return { connections: opts.connections, jobs: done, seconds, jobsPerSecond: done / seconds };
  } finally {
    await disconnectQueue(boss);
  }
}

/** Per-job proving cost of a model on one worker process (one thread, warm). */
export async function measureJobCost(opts: {
  url: string;
  buildDir: string;
  work: string;
  jobs: number;
  seed: number;
}): Promise<{ seconds: number[]; median: number }> {
  const r = await measureThroughput({ ...opts, workers: 1, inputs: opts.jobs });
  const sorted = [...r.proofSeconds].sort((a, b) => a - b);
  return { seconds: r.proofSeconds, median: sorted[Math.floor(sorted.length / 2)] ?? NaN };
}

/** What the kill run found. */
export interface KillRunResult {
  readonly jobs: number;
  readonly seconds: number;
  readonly kills: number;
  /** Jobs that needed more than one attempt. */
  readonly retried: number;
  readonly bundles: number;
  readonly verified: number;
  readonly failed: number;
}

/**
 * `jobs` inputs through 2 worker processes while one of them is killed with SIGKILL every
 * `killEverySeconds` and replaced; then every bundle is verified against its input.
 */
export async function killRun(opts: {
  url: string;
  buildDir: string;
  work: string;
  jobs: number;
  killEverySeconds: number;
  expireInSeconds: number;
  seed: number;
}): Promise<KillRunResult> {
  const inputs = writeInputFiles(join(opts.work, `kill-${opts.seed}`), opts.buildDir, opts.jobs, opts.seed);
  const out = join(opts.work, `kill-out-${opts.seed}`);
  const ws = [spawnWorker(opts.buildDir, opts.url), spawnWorker(opts.buildDir, opts.url)];
  let kills = 0;
  let running = true;
  const killer = (async () => {
    for (let turn = 0; running; turn++) {
      await new Promise((r) => setTimeout(r, opts.killEverySeconds * 1000));
      if (!running) break;
      const i = turn % ws.length;
      await kill(ws[i]!, 'SIGKILL');
      kills++;
      ws[i] = spawnWorker(opts.buildDir, opts.url);
    }
  })();
  const t0 = performance.now();
  let summary: QueueSummary;
  try {
    // This client runs pg-boss maintenance every second, so dead workers' jobs expire promptly.
    summary = await submitProofs({
      buildDir: opts.buildDir,
      inputs,
      url: opts.url,
      outDir: out,
      pollMs: 100,
      maintenanceIntervalSeconds: 1,
      delivery: { expireInSeconds: opts.expireInSeconds, retryDelaySeconds: 0, retryLimit: 5 },
    });
  } finally {
    running = false;
    await killer;
    await Promise.all(ws.map((w) => kill(w, 'SIGTERM')));
  }
  const seconds = (performance.now() - t0) / 1000;
  const boss = await connectQueue({ url: opts.url });
  let retried: number;
  try {
    const ids = await boss
      .getDb()
      .executeSql('SELECT manifest FROM zkinfer.queue_batch WHERE id = $1', [summary.batchId]);
    const jobIds = (ids.rows[0].manifest.entries as Array<{ jobId: string }>).map((e) => e.jobId);
    const states = await jobStates(boss, summary.queue, jobIds);
    retried = [...states.values()].filter((s) => s.attempts > 1).length;
  } finally {
    await disconnectQueue(boss);
  }
  let verified = 0;
  const bundles = readdirSync(out).filter((n) => n.endsWith(BUNDLE_SUFFIX));
  for (const b of bundles) {
    const opening = openingPathFor(join(out, b));
    const r = await verifyBundle({
      bundlePath: join(out, b),
      vkeyPath: artifactPath(opts.buildDir, 'vkey'),
      inputPath: join(inputs, b.replace('.proof.json', '.json')),
      ...(existsSync(opening) ? { openingPath: opening } : {}),
    });
    if (r.valid) verified++;
  }
  return { jobs: opts.jobs, seconds, kills, retried, bundles: bundles.length, verified, failed: summary.failed };
}

/** Cores of a worker machine like this one, for the machines table. */
export const MACHINE_CORES = availableParallelism();
