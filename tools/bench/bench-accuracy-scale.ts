/**
 * The accuracy-scale section of `npm run bench -- --only accuracy-scale` (opt-in: about 35 min at
 * the defaults). Every step is the real CLI (bin/zkinfer) in a child process, on the digits MLP
 * (quantize with models/calibration.json, compile, dev setup) and the augmented digits set
 * (tools/datasets/augment-digits.ts):
 *
 * - local route at N (default 10,000; `--accuracy-samples N`) and at the kill-run size (default
 *   2,000; `--accuracy-kill-samples N`): `dataset commit`, `accuracy --opening --json`,
 *   `verify CLAIM --vkey --dataset-commitment` and `verify --dataset --opening`, each with its
 *   wall time and peak RSS (tools/bench/rss-report.ts), the claim's size;
 * - queue route (tools/bench/bench-accuracy-queue.ts), skipped with a line when `zkinfer accuracy`
 *   has no `--queue`.
 *
 * Flags: --accuracy-samples, --accuracy-kill-samples, --accuracy-queue-samples (default 500),
 * --accuracy-kill-every (seconds, default 60). Small values (e.g. 200, 100, 60, 20) check that the
 * section works in minutes; the goals are judged on whatever N ran, and the table says which.
 */
import { mkdirSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename, join } from 'node:path';
import { writeAugmentedDigits } from '../datasets/augment-digits.js';
import { benchAccuracyQueue, type QueueScaleResult } from './bench-accuracy-queue.js';
import type { Goal } from './bench-table.js';
import { json, runCli } from './cli-run.js';

/** What the section needs from run-bench. */
export interface AccuracyScaleContext {
  readonly root: string;
  readonly work: string;
  readonly argv: readonly string[];
  readonly goals: Goal[];
  readonly log: (msg: string) => void;
  readonly print: (s: string) => void;
}

/** One local-route run at N samples. */
export interface LocalScaleRun {
  readonly samples: number;
  readonly dataset: string;
  readonly opening: string;
  readonly claim: string;
  readonly datasetCommitment: string;
  readonly chunkSize: number;
  readonly chunks: number;
  readonly power: number;
  readonly constraintsPerChunk: number;
  readonly correct: number;
  readonly keySeconds: number;
  readonly commit: { seconds: number; peakRssMiB: number };
  readonly accuracy: { seconds: number; peakRssMiB: number };
  readonly verify: { seconds: number; peakRssMiB: number };
  readonly verifyOpening: { seconds: number; peakRssMiB: number };
  readonly claimBytes: number;
}

/** Everything the section measured. */
export interface AccuracyScaleResult {
  readonly loadBefore: number[];
  readonly loadAfter: number[];
  readonly local: LocalScaleRun[];
  readonly queue: QueueScaleResult;
}

const flag = (argv: readonly string[], name: string, fallback: number): number => {
  const at = argv.indexOf(name);
  const v = at >= 0 ? Number(argv[at + 1]) : fallback;
  if (!Number.isSafeInteger(v) || v < 1) throw new Error(`${name}: expected a positive integer`);
  return v;
};

interface AccuracyJson {
  claim: string;
  correct: number;
  datasetCommitment: string;
  chunkSize: number;
  chunks: number;
  power: number;
  constraintsPerChunk: number;
  seconds: { keys: number };
}

/** Builds the digits MLP with the CLI (quantize, compile, dev setup); returns the build dir. */
async function buildDigits(ctx: AccuracyScaleContext): Promise<string> {
  const build = join(ctx.work, 'scale-digits-mlp');
  const model = join(ctx.root, 'models', 'digits-mlp.onnx');
  await runCli(['quantize', model, '--calibration', join(ctx.root, 'models', 'calibration.json'), '--out', build]);
  await runCli(['compile', build]);
  await runCli(['setup', build]);
  return build;
}

/** `dataset commit`, `accuracy`, both `verify` pins, on N samples. */
async function localRun(ctx: AccuracyScaleContext, build: string, samples: number): Promise<LocalScaleRun> {
  const dir = join(ctx.work, `scale-local-${samples}`);
  mkdirSync(dir, { recursive: true });
  const dataset = join(dir, `digits-${samples}.jsonl`);
  writeAugmentedDigits({ samples, out: dataset });
  const commit = await runCli(['dataset', 'commit', dataset, '--build', build, '--out', dir, '--json']);
  const opening = join(dir, `${basename(dataset, '.jsonl')}.opening.json`);
  ctx.log(`  dataset commit ${commit.seconds.toFixed(1)} s; accuracy on ${samples} samples…`);
  const acc = await runCli([
    'accuracy',
    build,
    '--dataset',
    dataset,
    '--opening',
    opening,
    '--out',
    join(dir, 'acc'),
    '--json',
  ]);
  const a = json<AccuracyJson>(acc);
  ctx.log(`  ${a.correct}/${samples} in ${acc.seconds.toFixed(1)} s (${a.chunks} chunks of ${a.chunkSize})`);
  const vkey = join(build, 'accuracy', `chunk-${a.chunkSize}`, 'vkey.json');
  const verify = await runCli(['verify', a.claim, '--vkey', vkey, '--dataset-commitment', a.datasetCommitment]);
  const verifyOpening = await runCli(['verify', a.claim, '--vkey', vkey, '--dataset', dataset, '--opening', opening]);
  const pick = (r: { seconds: number; peakRssMiB: number }) => ({ seconds: r.seconds, peakRssMiB: r.peakRssMiB });
  return {
    samples,
    dataset,
    opening,
    claim: a.claim,
    datasetCommitment: a.datasetCommitment,
    chunkSize: a.chunkSize,
    chunks: a.chunks,
    power: a.power,
    constraintsPerChunk: a.constraintsPerChunk,
    correct: a.correct,
    keySeconds: a.seconds.keys,
    commit: pick(commit),
    accuracy: pick(acc),
    verify: pick(verify),
    verifyOpening: pick(verifyOpening),
    claimBytes: statSync(a.claim).size,
  };
}

const int = (n: number): string => n.toLocaleString('en-US');
const s1 = (n: number): string => (n < 10 ? n.toFixed(2) : n.toFixed(1));
const mb = (n: number): string => (Number.isFinite(n) ? n.toFixed(0) : '–');
const mark = (g: Goal | undefined): string => (!g ? '' : g.met ? `✓ ${g.goal}` : `✗ ${g.goal} (got ${g.actual})`);
const add = (ctx: AccuracyScaleContext, goal: Goal): Goal => (ctx.goals.push(goal), goal);

function localTables(ctx: AccuracyScaleContext, runs: readonly LocalScaleRun[]): string {
  const big = runs.at(-1)!;
  const at = `at N = ${int(big.samples)}`;
  const goals = [
    add(ctx, {
      item: 'accuracy-scale',
      goal: `end to end ≤ 20 min ${at}`,
      actual: `${s1(big.accuracy.seconds)} s`,
      met: big.accuracy.seconds <= 1200,
    }),
    add(ctx, {
      item: 'accuracy-scale',
      goal: `peak ≤ 2 GB ${at}`,
      actual: `${mb(big.accuracy.peakRssMiB)} MB`,
      met: big.accuracy.peakRssMiB <= 2048,
    }),
    add(ctx, {
      item: 'accuracy-scale',
      goal: `verify ≤ 15 s ${at}`,
      actual: `${s1(big.verify.seconds)} s`,
      met: big.verify.seconds <= 15,
    }),
    add(ctx, {
      item: 'accuracy-scale',
      goal: `claim ≤ 1 MB ${at}`,
      actual: `${int(big.claimBytes)} B`,
      met: big.claimBytes <= 1_000_000,
    }),
  ];
  const row = (r: LocalScaleRun): string =>
    `| ${int(r.samples)} | ${int(r.correct)} (${((100 * r.correct) / r.samples).toFixed(2)} %) | ${r.chunkSize} × ${r.chunks} (2^${r.power}) | ${int(r.constraintsPerChunk)} | ${s1(r.keySeconds)} | ${s1(r.accuracy.seconds)} | ${mb(r.accuracy.peakRssMiB)} | ${int(r.claimBytes)} | ${s1(r.verify.seconds)} | ${s1(r.verifyOpening.seconds)} | ${s1(r.commit.seconds)} | ${r === big ? goals.map(mark).join('; ') : ''} |`;
  return [
    '#### Local route: `zkinfer accuracy BUILD --dataset F --opening O --out DIR --json`, one process, worker threads on every core\n',
    'End to end = the `accuracy` command (chunk keys, when new, included: Keys s); verify = `verify CLAIM --vkey BUILD/accuracy/chunk-C/vkey.json --dataset-commitment D`; verify + data = `verify CLAIM --vkey … --dataset F --opening O` (every chunk commitment recomputed from the data).\n',
    '| Samples N | Proven K | Chunk × chunks | Constraints / chunk | Keys s | End to end s | Peak RSS MB | Claim bytes | Verify s | Verify + data s | Dataset commit s | Goals |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...runs.map(row),
    '',
    '#### Peak RSS (MB) against N: every command one process, worker threads included (`process.resourceUsage().maxRSS` at exit)\n',
    '| Samples N | dataset commit | accuracy | verify (D pinned) | verify (--dataset --opening) |',
    '| --- | --- | --- | --- | --- |',
    ...runs.map(
      (r) =>
        `| ${int(r.samples)} | ${mb(r.commit.peakRssMiB)} | ${mb(r.accuracy.peakRssMiB)} | ${mb(r.verify.peakRssMiB)} | ${mb(r.verifyOpening.peakRssMiB)} |`,
    ),
    '',
  ].join('\n');
}

/** Runs the section, adds its goals and prints its tables. */
export async function benchAccuracyScale(ctx: AccuracyScaleContext): Promise<AccuracyScaleResult> {
  const big = flag(ctx.argv, '--accuracy-samples', 10_000);
  const killSamples = flag(ctx.argv, '--accuracy-kill-samples', 2_000);
  const queueSamples = flag(ctx.argv, '--accuracy-queue-samples', 500);
  const killEvery = flag(ctx.argv, '--accuracy-kill-every', 60);
  const loadBefore = loadavg();
  ctx.log('accuracy-scale: building the digits MLP (quantize, compile, dev setup)');
  const build = await buildDigits(ctx);
  const sizes = [...new Set([killSamples, big])].sort((a, b) => a - b);
  const local: LocalScaleRun[] = [];
  for (const n of sizes) {
    ctx.log(`accuracy-scale: local route, ${n} samples`);
    local.push(await localRun(ctx, build, n));
  }
  const reference = local.find((r) => r.samples === killSamples)!;
  const queue = await benchAccuracyQueue({ ...ctx, build, queueSamples, killEvery, reference });
  const loadAfter = loadavg();
  const load = (l: number[]) => l.map((x) => x.toFixed(1)).join(' / ');
  ctx.print(
    [
      `### Accuracy at scale (\`npm run bench -- --only accuracy-scale\`; digits MLP, augmented digits set, dev setup, every step the CLI in its own process)\n`,
      `Load average (1 / 5 / 15 min): ${load(loadBefore)} before, ${load(loadAfter)} after.\n`,
      localTables(ctx, local),
      queue.markdown,
    ].join('\n'),
  );
  return { loadBefore, loadAfter, local, queue };
}
