/**
 * The `hashed-weights` section of `npm run bench` (opt-in: `--only hashed-weights`): runs
 * tools/bench/bench-hashed-weights.ts, writes each measured row into docs/benchmarks.md at once
 * (an interrupted run of the big models keeps the rest) and records the issue-21 goals.
 */
import type { RecordGoal } from './bench-table.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { updateBenchDoc } from './bench-doc.js';
import type { HashedWeightsResult } from './bench-hashed-weights.js';

/** What the section needs from the bench runner. */
export interface HashedWeightsSectionContext {
  readonly root: string;
  readonly work: string;
  readonly argv: readonly string[];
  readonly log: (msg: string) => void;
  readonly goal: RecordGoal;
  readonly print: (s: string) => void;
}

/** Runs the section; returns its result for bench.json. */
export async function runHashedWeightsSection(ctx: HashedWeightsSectionContext): Promise<HashedWeightsResult> {
  const { root: ROOT, work, argv, log, goal, print } = ctx;

  const { benchHashedWeights } = await import('./bench-hashed-weights.js');
  const { commitmentPerValue, hashedWeightsMarkdown } = await import('./bench-hashed-weights-table.js');
  // --hashed-models digits-mlp,... limits the models (for developing the bench on the small ones).
  const pick = argv.indexOf('--hashed-models');
  const models = pick >= 0 ? (argv[pick + 1] ?? '').split(',').filter(Boolean) : undefined;
  const docFile = join(ROOT, 'docs', 'benchmarks.md');
  // Each measured row goes into the doc at once: an interrupted run of the big models keeps the rest.
  const onProgress = (partial: Parameters<typeof hashedWeightsMarkdown>[0]): void =>
    writeFileSync(
      docFile,
      updateBenchDoc(readFileSync(docFile, 'utf8'), [
        { key: 'hashed-weights', markdown: hashedWeightsMarkdown(partial) },
      ]),
    );
  const hw = await benchHashedWeights({ root: ROOT, work, log, models, onProgress });
  const hashedRow = (model: string) => hw.rows.find((r) => r.model === model && r.weights === 'hashed');
  const secs = (v: number) => `${v.toFixed(3)} s`;
  const mlp = hashedRow('digits-mlp');
  if (mlp) {
    goal('hashed-weights-digits-mlp', 'constraints ≤ 8,000', mlp.constraints, 8000, true, (v) =>
      v.toLocaleString('en-US'),
    );
    goal('hashed-weights-digits-mlp', 'warm prove ≤ 0.6 s', mlp.seconds.proveWarm!, 0.6, true, secs);
    goal(
      'hashed-weights-commitment',
      'commitment ≤ 1.5 per 8-bit weight beyond its range check',
      commitmentPerValue(mlp)!,
      1.5,
      true,
      (v) => v.toFixed(3),
    );
  }
  const cnn = hashedRow('digits-cnn');
  if (cnn) goal('hashed-weights-digits-cnn', 'warm prove ≤ 10 s', cnn.seconds.proveWarm!, 10, true, secs);
  const mnist = hashedRow('mnist-8');
  if (mnist) {
    // "Proves and verifies": the `zkinfer prove` command (one input, from process start) plus `zkinfer verify`.
    const t = mnist.seconds.proveCli + mnist.seconds.verify;
    goal('hashed-weights-mnist-8', 'prove + verify ≤ 120 s', t, 120, true, (v) => `${v.toFixed(1)} s`);
    goal(
      'hashed-weights-mnist-8',
      'prove peak ≤ 6 GB',
      mnist.proveRssMiB,
      6 * 1024,
      true,
      (v) => `${(v / 1024).toFixed(2)} GiB`,
    );
    goal('hashed-weights-mnist-8', 'verifies', mnist.valid ? 1 : 0, 1, false, (v) => (v ? 'valid' : 'invalid'));
  }
  const acc = hw.accuracy.find((a) => a.weights === 'hashed');
  if (acc)
    goal('hashed-weights-accuracy', 'claim end to end ≤ 120 s', acc.seconds, 120, true, (v) => `${v.toFixed(1)} s`);
  print(hashedWeightsMarkdown(hw));
  return hw;
}
