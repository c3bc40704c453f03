/**
 * The queue bench (`node dist/tools/bench/run-queue-bench.js`, or `npm run bench -- --queue`):
 * starts an embedded Postgres, builds the shipped models with the dev setup and runs
 * tools/bench/bench-queue.ts. Prints markdown tables and writes bench-results/queue-bench.json
 * (through `npm run bench -- --queue`, the tables also go into docs/benchmarks.md). Flags: --quick (fewer jobs), --with-mnist (adds mnist-8 from
 * ../shared to the machines table; slow).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runPipeline } from '../../src/pipeline.js';
import { shutdown } from '../../src/runtime/curve.js';
import { startDevPostgres } from '../../src/queue/dev-postgres.js';
import { buildKeyHash } from '../../src/queue/worker-keys.js';
import {
  killRun,
  KillRunResult,
  MACHINE_CORES,
  measureCeiling,
  measureJobCost,
  measureOverhead,
  measureThroughput,
} from './bench-queue.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Options of {@link runQueueBench}. */
export interface QueueBenchOptions {
  readonly quick?: boolean;
  readonly withMnist?: boolean;
  readonly log?: (msg: string) => void;
}

/** Everything the queue bench measured, plus its markdown. */
export interface QueueBenchResult {
  readonly throughput: Array<{
    workers: number;
    seconds: number;
    jobsPerSecond: number;
    cpuSecondsPerJob: number;
    medianProofSeconds: number;
  }>;
  readonly ratio: number;
  readonly overhead: { jobs: number; seconds: number; msPerJob: number };
  readonly ceiling: { connections: number; jobs: number; seconds: number; jobsPerSecond: number };
  readonly models: Array<{ model: string; proofSeconds: number; jobsPerSecondPerMachine: number; machines: number }>;
  readonly killRun: KillRunResult;
  readonly goals: Array<{ goal: string; actual: string; met: boolean }>;
  readonly markdown: string;
}

const mark = (met: boolean, goal: string): string => `${met ? '✓' : '✗'} ${goal}`;

/** Runs the whole queue bench on a fresh embedded Postgres. */
export async function runQueueBench(opts: QueueBenchOptions = {}): Promise<QueueBenchResult> {
  const log = opts.log ?? ((m: string) => void process.stderr.write(`[queue bench] ${m}\n`));
  const work = mkdtempSync(join(tmpdir(), 'zkinfer-queue-bench-'));
  const pg = await startDevPostgres();
  try {
    const builds: Record<string, string> = {};
    const models: Array<[string, string, string]> = [
      ['digits-mlp', join(ROOT, 'models/digits-mlp.onnx'), join(ROOT, 'models/samples/digit-3.json')],
      ['digits-cnn', join(ROOT, 'models/digits-cnn.onnx'), join(ROOT, 'models/samples/digit-3.json')],
    ];
    const mnist = join(ROOT, '../shared/conformance/models/mnist-8.onnx');
    if (opts.withMnist && existsSync(mnist))
      models.push(['mnist-8', mnist, join(ROOT, '../shared/conformance/models/mnist-8-samples/input_0.pb')]);
    for (const [name, model, input] of models) {
      log(`building ${name} (public input, dev setup)`);
      builds[name] = join(work, name);
      await runPipeline({ modelPath: model, inputPath: input, outDir: builds[name]!, inputVisibility: 'public' });
    }
    await shutdown();

    const n = opts.quick ? 12 : 32;
    log(`throughput: digits-cnn, ${n} inputs, 1 then 2 worker processes`);
    const one = await measureThroughput({
      url: pg.url,
      buildDir: builds['digits-cnn']!,
      work,
      workers: 1,
      inputs: n,
      seed: 101,
    });
    const two = await measureThroughput({
      url: pg.url,
      buildDir: builds['digits-cnn']!,
      work,
      workers: 2,
      inputs: n,
      seed: 202,
    });
    const ratio = two.jobsPerSecond / one.jobsPerSecond;
    log(
      `  1 worker ${one.jobsPerSecond.toFixed(2)}/s, 2 workers ${two.jobsPerSecond.toFixed(2)}/s (${ratio.toFixed(2)}×)`,
    );

    log('queue overhead: no-op jobs through one worker');
    const overhead = await measureOverhead({
      url: pg.url,
      buildDir: builds['digits-mlp']!,
      jobs: opts.quick ? 100 : 300,
    });
    log(`  ${overhead.msPerJob.toFixed(2)} ms per job`);
    log('broker ceiling: 64 connections');
    const ceiling = await measureCeiling({
      url: pg.url,
      keyHash: buildKeyHash(builds['digits-mlp']!),
      connections: 64,
      jobs: opts.quick ? 1000 : 3000,
    });
    log(`  ${ceiling.jobsPerSecond.toFixed(0)} jobs/s`);

    const perModel: QueueBenchResult['models'] = [];
    for (const [name] of models) {
      const cost =
        name === 'digits-cnn'
          ? { median: median(one.proofSeconds) }
          : await measureJobCost({
              url: pg.url,
              buildDir: builds[name]!,
              work,
              jobs: name === 'mnist-8' ? 3 : 8,
              seed: 303,
            });
      const perMachine = MACHINE_CORES / cost.median;
      perModel.push({
        model: name,
        proofSeconds: cost.median,
        jobsPerSecondPerMachine: perMachine,
        machines: Math.floor(ceiling.jobsPerSecond / perMachine),
      });
      log(`  ${name}: ${cost.median.toFixed(3)} s per job`);
    }

    const jobs = opts.quick ? 60 : 200;
    log(`kill run: ${jobs} digits-mlp jobs, 2 workers, one killed every ~10 s`);
    const kr = await killRun({
      url: pg.url,
      buildDir: builds['digits-mlp']!,
      work,
      jobs,
      killEverySeconds: 10,
      expireInSeconds: 5,
      seed: 404,
    });
    log(`  ${kr.verified}/${kr.jobs} verified, ${kr.kills} kills, ${kr.retried} retried`);

    const goals = [
      { goal: '2 workers ≥ 1.6× one', actual: `${ratio.toFixed(2)}×`, met: ratio >= 1.6 },
      {
        goal: 'queue overhead ≤ 10 ms per job',
        actual: `${overhead.msPerJob.toFixed(2)} ms`,
        met: overhead.msPerJob <= 10,
      },
      {
        goal: 'every input exactly one verified bundle',
        actual: `${kr.verified}/${kr.jobs}`,
        met: kr.verified === kr.jobs && kr.bundles === kr.jobs && kr.failed === 0,
      },
    ];
    const md = [
      `### Queue: worker processes on one machine (digits CNN, public input, ${n} inputs)\n`,
      '| Workers (processes × 1 thread) | Inputs | Seconds | Proofs/s | × 1 worker | Worker s per proof (median, wall) | Worker CPU s per proof | Goals |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      `| 1 | ${n} | ${one.seconds.toFixed(1)} | ${one.jobsPerSecond.toFixed(2)} | 1.00 | ${median(one.proofSeconds).toFixed(2)} | ${one.cpuSecondsPerJob.toFixed(2)} |  |`,
      `| 2 | ${n} | ${two.seconds.toFixed(1)} | ${two.jobsPerSecond.toFixed(2)} | ${ratio.toFixed(2)} | ${median(two.proofSeconds).toFixed(2)} | ${two.cpuSecondsPerJob.toFixed(2)} | ${mark(goals[0]!.met, goals[0]!.goal)} |`,
      '',
      '### Queue overhead and broker ceiling (no-op jobs, Postgres on localhost)\n',
      '| Measure | Jobs | Seconds | Result | Goals |',
      '| --- | --- | --- | --- | --- |',
      `| queue cost per job, 1 worker (fetch, thread, store result) | ${overhead.jobs} | ${overhead.seconds.toFixed(2)} | ${overhead.msPerJob.toFixed(2)} ms/job | ${mark(goals[1]!.met, goals[1]!.goal)} |`,
      `| broker ceiling, ${ceiling.connections} concurrent connections (fetch + complete) | ${ceiling.jobs} | ${ceiling.seconds.toFixed(2)} | ${ceiling.jobsPerSecond.toFixed(0)} jobs/s |  |`,
      '',
      `### Worker machines one Postgres can feed (ceiling ÷ jobs/s of one ${MACHINE_CORES}-core worker machine)\n`,
      '| Model | Proof s per job (worker, warm) | Jobs/s per machine | Broker ceiling jobs/s | Machines |',
      '| --- | --- | --- | --- | --- |',
      ...perModel.map(
        (m) =>
          `| ${m.model} | ${m.proofSeconds.toFixed(3)} | ${m.jobsPerSecondPerMachine.toFixed(2)} | ${ceiling.jobsPerSecond.toFixed(0)} | ${m.machines.toLocaleString('en-US')} |`,
      ),
      '',
      '### Nothing lost: a worker killed (kill -9) every ~10 s (digits MLP)\n',
      '| Jobs | Worker processes | Kills | Jobs retried | Bundles | Verified with their input | Failed | Seconds | Goals |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      `| ${kr.jobs} | 2 | ${kr.kills} | ${kr.retried} | ${kr.bundles} | ${kr.verified} | ${kr.failed} | ${kr.seconds.toFixed(0)} | ${mark(goals[2]!.met, goals[2]!.goal)} |`,
      '',
    ].join('\n');
    return {
      throughput: [one, two].map((r) => ({
        workers: r.workers,
        seconds: r.seconds,
        jobsPerSecond: r.jobsPerSecond,
        cpuSecondsPerJob: r.cpuSecondsPerJob,
        medianProofSeconds: median(r.proofSeconds),
      })),
      ratio,
      overhead,
      ceiling,
      models: perModel,
      killRun: kr,
      goals,
      markdown: md,
    };
  } finally {
    await pg.destroy();
    rmSync(work, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const t0 = performance.now();
  const load0 = loadavg()[0]!;
  const r = await runQueueBench({ quick: argv.includes('--quick'), withMnist: argv.includes('--with-mnist') });
  const tail = `Queue bench ${((performance.now() - t0) / 1000).toFixed(0)} s; 1-min load average ${load0.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end.`;
  process.stdout.write(`${r.markdown}\n${tail}\n`);
  const dir = join(ROOT, 'bench-results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'queue-bench.json'),
    JSON.stringify({ createdAt: new Date().toISOString(), ...r, summary: tail }, null, 2) + '\n',
  );
  await shutdown();
}
