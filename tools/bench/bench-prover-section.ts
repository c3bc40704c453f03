/**
 * The `prover` section of `npm run bench`: zkinfer's own Groth16 prover against snarkjs's on the
 * same key and witness (tools/bench/bench-prover.ts, each model in a child process), with the
 * issue-20 goal (≥ 1.3× faster on mnist-8, warm).
 */
import type { RecordGoal } from './bench-table.js';
import { join } from 'node:path';
import { runChild } from './child-process.js';
import type { ModelJob } from './bench-model.js';
import { proverTables, type ProverJob, type ProverResult } from './bench-prover.js';

/** What the section needs from the bench runner. */
export interface ProverSectionContext {
  readonly root: string;
  readonly digits: { readonly modelPath: string; readonly inputPath: string };
  readonly jobs: readonly ModelJob[];
  readonly log: (msg: string) => void;
  readonly goal: RecordGoal;
  readonly print: (s: string) => void;
}

/** Runs the section; returns its rows for bench.json. */
export async function runProverSection(ctx: ProverSectionContext): Promise<ProverResult[]> {
  const { root: ROOT, digits, jobs, log, goal, print } = ctx;
  const prover: ProverResult[] = [];

  // zkinfer's own Groth16 prover against snarkjs on the same key (tools/bench/bench-prover.ts).
  const proverJobs: ProverJob[] = [
    { name: 'digits-mlp', ...digits, runs: 3 },
    { name: 'digits-cnn', modelPath: join(ROOT, 'models/digits-cnn.onnx'), inputPath: digits.inputPath, runs: 3 },
    { ...jobs.find((j) => j.name === 'mnist-8')!, runs: 2 },
  ].map(({ name, modelPath, inputPath, runs }) => ({ name, modelPath, inputPath, runs }));
  for (const j of proverJobs) {
    log(`prover: ${j.name} (own vs snarkjs, ${j.runs} warm proofs each)`);
    const r = await runChild<ProverResult>('bench-prover.js', j);
    prover.push(r);
    log(
      r.status === 'ok'
        ? `  snarkjs ${r.snarkjs!.warmSeconds.toFixed(2)} s, own ${r.own!.warmSeconds.toFixed(2)} s warm`
        : `  failed: ${r.error}`,
    );
  }
  const m = prover.find((r) => r.name === 'mnist-8' && r.status === 'ok');
  if (m)
    goal(
      'prover-mnist-8',
      'own prover ≥ 1.3× faster than snarkjs (warm)',
      m.snarkjs!.warmSeconds / m.own!.warmSeconds,
      1.3,
      false,
      (n) => `${n.toFixed(2)}×`,
    );
  print(
    `### Own Groth16 prover vs snarkjs (same key and witness, warm, main-thread curve)\n\n${proverTables(prover)}\n`,
  );
  return prover;
}
