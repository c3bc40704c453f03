/**
 * The sequence-model section of `npm run bench` (issue 11): the one-block transformer and the
 * LSTM of models/ through the whole pipeline (quantize, compile, dev setup, prove, verify), each
 * in a fresh child process so its peak RSS is its own, with the goals judged next to
 * the numbers. Selected by `--only sequence` (or a row name) or by running the whole bench.
 */
import { join } from 'node:path';
import type { ModelJob, ModelResult } from './bench-model.js';
import { type Goal, modelTable } from './bench-table.js';
import { runChild } from './child-process.js';

/** What the section needs from run-bench. */
export interface SequenceSectionContext {
  readonly root: string;
  readonly work: string;
  readonly goals: Goal[];
  readonly log: (msg: string) => void;
  readonly print: (s: string) => void;
  /** Results are appended here, so they land in bench.json's `models`. */
  readonly models: ModelResult[];
}

/** The prove-time and memory goals of issue 11, per model. */
const GOALS: Record<string, { proveSeconds: number; peakMiB?: number }> = {
  'digits-transformer': { proveSeconds: 30, peakMiB: 4096 },
  'digits-lstm': { proveSeconds: 30 },
};

/** Runs both models, records their goals and prints their table. */
export async function benchSequenceModels(ctx: SequenceSectionContext): Promise<ModelResult[]> {
  const results: ModelResult[] = [];
  for (const name of Object.keys(GOALS)) {
    const job: ModelJob = {
      name,
      modelPath: join(ctx.root, 'models', `${name}.onnx`),
      inputPath: join(ctx.root, 'models', 'samples', 'digit-3.json'),
      calibrationPath: join(ctx.root, 'models', 'calibration.json'),
      buildDir: join(ctx.work, name),
      inputVisibility: 'public',
      outputVisibility: 'public',
    };
    ctx.log(`sequence model ${name}`);
    const r = await runChild<ModelResult>('bench-model.js', job);
    results.push(r);
    ctx.models.push(r);
    ctx.log(
      r.status === 'ok'
        ? `  ${r.constraints} constraints, cold prove ${r.proveColdSeconds!.toFixed(1)} s, peak ${r.peakRssMiB.toFixed(0)} MB`
        : `  ${r.status}: ${r.error}`,
    );
    if (r.status !== 'ok') continue;
    const g = GOALS[name]!;
    // One `zkinfer prove` pays the cold proof, so that is the one judged.
    ctx.goals.push({
      item: name,
      goal: `prove ≤ ${g.proveSeconds} s (cold)`,
      actual: `${r.proveColdSeconds!.toFixed(1)} s`,
      met: r.proveColdSeconds! <= g.proveSeconds,
    });
    if (g.peakMiB !== undefined)
      ctx.goals.push({
        item: name,
        goal: 'peak ≤ 4 GB',
        actual: `${r.peakRssMiB.toFixed(0)} MB`,
        met: r.peakRssMiB <= g.peakMiB,
      });
  }
  ctx.print(
    `### Sequence models (public input and output, dev setup, digit-3 sample)\n\n${modelTable(results, ctx.goals)}\n`,
  );
  return results;
}
