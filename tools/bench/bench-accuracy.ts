/**
 * Child entry of the benchmark: an accuracy proof end to end (quantize, chunk circuit compile
 * and dev setup, every chunk proof on the worker pool, the claim) and its verification, on the
 * 360-sample digits test split. Prints one result line; run by run-bench.ts in a fresh process
 * so peak RSS (worker threads included) is this run's alone.
 *
 * Usage: node bench-accuracy.js '<AccuracyJob JSON>'
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chunkKeyDir } from '../../src/accuracy/chunk-compile.js';
import { proveAccuracy } from '../../src/accuracy/prove-accuracy.js';
import { artifactPath } from '../../src/formats/paths.js';
import { buildCircuit } from '../../src/compile/build-circuit.js';
import { readQuantizedModel } from '../../src/compile/compile-circuit.js';
import { shutdown } from '../../src/runtime/curve.js';
import { quantizeModel } from '../../src/quantize/quantize-model.js';
import { verifyClaim } from '../../src/accuracy/verify-claim.js';
import { peakRssMiB, reportResult } from './child-process.js';

/** What to measure. */
export interface AccuracyJob {
  readonly name: string;
  readonly modelPath: string;
  readonly calibrationPath: string;
  /** `{"inputs": [...], "labels": [...]}` (models/digits-test.json). */
  readonly testSplit: string;
  readonly workDir: string;
  readonly workers: number;
}

/** The measurement. */
export interface AccuracyResult {
  readonly name: string;
  readonly status: 'ok' | 'failed';
  readonly error?: string;
  readonly samples?: number;
  readonly correct?: number;
  readonly chunkSize?: number;
  readonly chunks?: number;
  readonly constraintsPerChunk?: number;
  readonly constraintsPerSample?: number;
  /** The single-inference circuit with hashed input and public output, for comparison. */
  readonly singleHashedConstraints?: number;
  readonly power?: number;
  readonly quantizeSeconds?: number;
  readonly keySeconds?: number;
  readonly proveSeconds?: number;
  /** Wall time per chunk proof on one worker (prove seconds × workers / chunks). */
  readonly chunkProveSeconds?: number;
  /** Quantize + keys + proofs + claim: what a user waits for. */
  readonly endToEndSeconds?: number;
  readonly verifySeconds?: number;
  /** CPU time of the whole run, worker threads included: less sensitive to machine load than wall time. */
  readonly cpuSeconds?: number;
  readonly valid?: boolean;
  readonly workers: number;
  readonly peakRssMiB: number;
}

async function benchAccuracy(job: AccuracyJob): Promise<AccuracyResult> {
  const base = { name: job.name, workers: job.workers };
  try {
    const split = JSON.parse(readFileSync(job.testSplit, 'utf8')) as { inputs: number[][]; labels: number[] };
    const dataset = join(job.workDir, `${job.name}.jsonl`);
    writeFileSync(
      dataset,
      split.inputs.map((x, i) => JSON.stringify({ input: x, label: split.labels[i] })).join('\n') + '\n',
    );
    const buildDir = join(job.workDir, job.name);
    const t0 = performance.now();
    await quantizeModel({ modelPath: job.modelPath, outDir: buildDir, calibrationPath: job.calibrationPath });
    const quantizeSeconds = (performance.now() - t0) / 1000;
    const s = await proveAccuracy({ buildDir, dataset, outDir: join(buildDir, 'accuracy-run'), workers: job.workers });
    const endToEndSeconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage();
    const tv = performance.now();
    const v = await verifyClaim({
      claimPath: s.claim,
      vkeyPath: artifactPath(chunkKeyDir(buildDir, s.chunkSize), 'vkey'),
      datasetCommitment: s.datasetCommitment,
    });
    const verifySeconds = (performance.now() - tv) / 1000;
    const { model } = readQuantizedModel(buildDir);
    const placeholder = new Array<number>(model.input.shape.reduce((a, b) => a * b, 1)).fill(model.input.lo);
    const single = buildCircuit(model, placeholder, {
      inputVisibility: 'hashed',
      outputVisibility: 'public',
      witnessOnly: true,
    }).circuit.nConstraints;
    return {
      ...base,
      status: 'ok',
      samples: s.samples,
      correct: s.correct,
      chunkSize: s.chunkSize,
      chunks: s.chunks,
      constraintsPerChunk: s.constraintsPerChunk,
      constraintsPerSample: s.constraintsPerSample,
      singleHashedConstraints: single,
      power: s.power,
      quantizeSeconds,
      keySeconds: s.seconds.keys,
      proveSeconds: s.seconds.prove,
      chunkProveSeconds: (s.seconds.prove * job.workers) / s.chunks,
      endToEndSeconds,
      verifySeconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      valid: v.valid,
      peakRssMiB: peakRssMiB(),
    };
  } catch (e) {
    return { ...base, status: 'failed', error: (e as Error).message.split('\n')[0]!, peakRssMiB: peakRssMiB() };
  }
}

const job = JSON.parse(process.argv[2] ?? '{}') as AccuracyJob;
reportResult(await benchAccuracy(job));
await shutdown();
