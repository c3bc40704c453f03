/**
 * The accuracy section of `npm run bench`: accuracy proofs of the digits MLP (and, unless
 * --quick, the digits CNN) on the 360-sample test split, each in a fresh child process, with
 * the goals judged next to the numbers.
 */
import { join } from 'node:path';
import type { AccuracyJob, AccuracyResult } from './bench-accuracy.js';
import { accuracyTable, type Goal } from './bench-table.js';
import { runChild } from './child-process.js';

/** What the section needs from run-bench. */
export interface AccuracySectionContext {
  readonly root: string;
  readonly work: string;
  readonly quick: boolean;
  readonly goals: Goal[];
  readonly log: (msg: string) => void;
  readonly print: (s: string) => void;
}

/** Runs the accuracy benchmarks, adds their goals and prints their table. */
export async function benchAccuracySection(ctx: AccuracySectionContext): Promise<AccuracyResult[]> {
  const job = (name: string, model: string): AccuracyJob => ({
    name,
    modelPath: join(ctx.root, 'models', model),
    calibrationPath: join(ctx.root, 'models', 'calibration.json'),
    testSplit: join(ctx.root, 'models', 'digits-test.json'),
    workDir: ctx.work,
    workers: 2,
  });
  const jobs = [job('digits-mlp', 'digits-mlp.onnx'), ...(ctx.quick ? [] : [job('digits-cnn', 'digits-cnn.onnx')])];
  const results: AccuracyResult[] = [];
  for (const j of jobs) {
    ctx.log(`accuracy proof: ${j.name} on the 360-sample test split`);
    const r = await runChild<AccuracyResult>('bench-accuracy.js', j);
    results.push(r);
    ctx.log(
      r.status === 'ok' ? `  ${r.correct}/${r.samples} in ${r.endToEndSeconds!.toFixed(1)} s` : `  failed: ${r.error}`,
    );
    if (r.status !== 'ok') continue;
    const limit = j.name === 'digits-mlp' ? 60 : 600;
    ctx.goals.push({
      item: `accuracy-${j.name}`,
      goal: `end to end ≤ ${limit} s`,
      actual: `${r.endToEndSeconds!.toFixed(1)} s`,
      met: r.endToEndSeconds! <= limit,
    });
    ctx.goals.push({
      item: `accuracy-${j.name}`,
      goal: 'peak ≤ 4 GB',
      actual: `${r.peakRssMiB.toFixed(0)} MB`,
      met: r.peakRssMiB <= 4096,
    });
    if (j.name === 'digits-mlp') {
      const ratio = r.constraintsPerSample! / r.singleHashedConstraints!;
      ctx.goals.push({
        item: `accuracy-${j.name}`,
        goal: 'per sample ≤ 1.25× single hashed',
        actual: `${ratio.toFixed(2)}×`,
        met: ratio <= 1.25,
      });
    }
  }
  if (results.length)
    ctx.print(
      `### Accuracy proofs (360-sample digits test split, dev setup, 2 workers; end to end = quantize + chunk keys + proofs + claim)\n\n${accuracyTable(results, ctx.goals)}\n`,
    );
  return results;
}
