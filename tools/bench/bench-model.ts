/**
 * Child entry of the benchmark: runs one model through the pipeline stages (quantize, compile,
 * dev setup, prove twice with one Prover, verify) and prints one result line. Run by
 * run-bench.ts in a fresh process per model so peak RSS is this model's alone.
 *
 * Usage: node bench-model.js '<ModelJob JSON>'
 */
import { artifactPath, bundlePathFor, proofsDir } from '../../src/formats/paths.js';
import type { Visibility } from '../../src/compile/build-circuit.js';
import { compileCircuit } from '../../src/compile/compile-circuit.js';
import { readInputFile } from '../../src/onnx/input-file.js';
import { createProver, writeBundle } from '../../src/prove/prover.js';
import { shutdown } from '../../src/runtime/curve.js';
import { quantizeModel } from '../../src/quantize/quantize-model.js';
import { setupKeys } from '../../src/setup/setup-keys.js';
import { verifyBundle } from '../../src/verify/verify-bundle.js';
import { peakRssMiB, reportResult } from './child-process.js';

/** What to measure. */
export interface ModelJob {
  readonly name: string;
  readonly modelPath: string;
  readonly inputPath: string;
  readonly calibrationPath?: string;
  readonly buildDir: string;
  readonly inputVisibility: Visibility;
  readonly outputVisibility: Visibility;
}

/** The measurement; `status` other than `ok` leaves the numbers out. */
export interface ModelResult {
  readonly name: string;
  readonly status: 'ok' | 'unsupported' | 'failed';
  readonly error?: string;
  readonly inputVisibility: Visibility;
  readonly outputVisibility: Visibility;
  readonly constraints?: number;
  readonly publicSignals?: number;
  readonly power?: number;
  readonly quantizeSeconds?: number;
  readonly compileSeconds?: number;
  /** Part of compileSeconds spent in the determinism check (absent when it did not run). */
  readonly checkSeconds?: number;
  readonly setupSeconds?: number;
  readonly proveColdSeconds?: number;
  readonly proveWarmSeconds?: number;
  readonly verifySeconds?: number;
  readonly valid?: boolean;
  readonly prediction?: number;
  readonly peakRssMiB: number;
  readonly buildDir: string;
  readonly bundlePath?: string;
}

async function timed<T>(f: () => T | Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await f();
  return [r, (performance.now() - t0) / 1000];
}

/** Measures one model; errors become a `failed` (or `unsupported`) result rather than a throw. */
export async function benchModel(job: ModelJob): Promise<ModelResult> {
  const base = {
    name: job.name,
    inputVisibility: job.inputVisibility,
    outputVisibility: job.outputVisibility,
    buildDir: job.buildDir,
  };
  try {
    const [{ settings }, quantizeSeconds] = await timed(() =>
      quantizeModel({
        modelPath: job.modelPath,
        outDir: job.buildDir,
        inputPaths: [job.inputPath],
        calibrationPath: job.calibrationPath,
      }),
    );
    const [circuit, compileSeconds] = await timed(() =>
      compileCircuit({
        buildDir: job.buildDir,
        inputVisibility: job.inputVisibility,
        outputVisibility: job.outputVisibility,
      }),
    );
    const [, setupSeconds] = await timed(() => setupKeys({ buildDir: job.buildDir, force: true }));
    const input = readInputFile(job.inputPath, settings.quantization.input);
    const prover = createProver({ buildDir: job.buildDir });
    // The first proof pays for building snarkjs's curve and onnxruntime's session; the second
    // is what each further input of a `prove --inputs` run costs.
    const [, proveColdSeconds] = await timed(() => prover.prove(input, { source: job.inputPath }));
    const [bundle, proveWarmSeconds] = await timed(() => prover.prove(input, { source: job.inputPath }));
    const bundlePath = bundlePathFor(proofsDir(job.buildDir), job.inputPath);
    writeBundle(bundlePath, bundle);
    const [report, verifySeconds] = await timed(() =>
      verifyBundle({ bundle: bundle.bundle, bundlePath, vkeyPath: artifactPath(job.buildDir, 'vkey') }),
    );
    return {
      ...base,
      status: 'ok',
      constraints: circuit.nConstraints,
      publicSignals: circuit.nPublic,
      power: circuit.power,
      quantizeSeconds,
      compileSeconds,
      checkSeconds: circuit.check.ran ? circuit.check.milliseconds / 1000 : undefined,
      setupSeconds,
      proveColdSeconds,
      proveWarmSeconds,
      verifySeconds,
      valid: report.valid,
      prediction: bundle.bundle.prediction,
      peakRssMiB: peakRssMiB(),
      bundlePath,
    };
  } catch (e) {
    const error = (e as Error).message.split('\n')[0]!;
    return {
      ...base,
      status: /unsupported ONNX ops/i.test(error) ? 'unsupported' : 'failed',
      error,
      peakRssMiB: peakRssMiB(),
    };
  }
}

const job = JSON.parse(process.argv[2] ?? '{}') as ModelJob;
reportResult(await benchModel(job));
await shutdown();
