/**
 * Child entry of the hashed-weights bench: the warm prove of an already built directory (keys
 * made, weight opening written for hashed weights), measured the way bench-model.ts measures it
 * — one Prover, two proofs of the same input, the second timed — and reported as one result
 * line. A fresh process per build, so its peak RSS is this build's alone.
 *
 * Usage: node bench-warm-prove.js '{"buildDir": "...", "inputPath": "..."}'
 */
import { readSettings } from '../../src/formats/build-dir.js';
import { readInputFile } from '../../src/onnx/input-file.js';
import { createProver } from '../../src/prove/prover.js';
import { shutdown } from '../../src/runtime/curve.js';
import { peakRssMiB, reportResult } from './child-process.js';

/** What to prove. */
export interface WarmProveJob {
  readonly buildDir: string;
  readonly inputPath: string;
}

/** The measurement, or the first line of the error. */
export interface WarmProveResult {
  readonly coldSeconds?: number;
  readonly warmSeconds?: number;
  readonly peakRssMiB: number;
  readonly error?: string;
}

async function warmProve(job: WarmProveJob): Promise<WarmProveResult> {
  try {
    const input = readInputFile(job.inputPath, readSettings(job.buildDir).quantization.input);
    const prover = createProver({ buildDir: job.buildDir });
    // The first proof pays for snarkjs's curve, onnxruntime's session and reading the weight
    // opening; the second is what each further input of a `prove --inputs` run costs.
    let t0 = performance.now();
    await prover.prove(input, { source: job.inputPath });
    const coldSeconds = (performance.now() - t0) / 1000;
    t0 = performance.now();
    await prover.prove(input, { source: job.inputPath });
    return { coldSeconds, warmSeconds: (performance.now() - t0) / 1000, peakRssMiB: peakRssMiB() };
  } catch (e) {
    return { error: (e as Error).message.split('\n')[0]!, peakRssMiB: peakRssMiB() };
  }
}

reportResult(await warmProve(JSON.parse(process.argv[2] ?? '{}') as WarmProveJob));
await shutdown();
