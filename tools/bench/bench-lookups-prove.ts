/**
 * Child entry of the lookups bench (tools/bench/bench-lookups.ts): proves one built directory
 * (either proof system; `createProver` reads which from the build) the way the models bench does
 * — one Prover, a cold proof, then warm proofs with the key kept in memory (median) — verifies
 * the bundle, and profiles one more proof with zkinfer's own prover for the cost split
 * (tools/bench/bench-lookups-profile.ts). A fresh process per build, so its peak RSS is this
 * build's proving alone (compile and setup ran in their own `zkinfer` processes).
 *
 * Usage: node bench-lookups-prove.js '<LookupsProveJob JSON>'
 */
import { artifactPath } from '../../src/formats/paths.js';
import { readSettings } from '../../src/formats/build-dir.js';
import { readInputFile } from '../../src/onnx/input-file.js';
import { createProver, writeBundle } from '../../src/prove/prover.js';
import { shutdown } from '../../src/runtime/curve.js';
import { verifyBundle } from '../../src/verify/verify-bundle.js';
import { peakRssMiB, reportResult } from './child-process.js';
import { profileProof } from './bench-lookups-profile.js';
import type { CostSplit } from './bench-lookups-args.js';

/** What to prove. */
export interface LookupsProveJob {
  readonly buildDir: string;
  readonly inputPath: string;
  /** Where the last warm proof's bundle is written (the parent measures its gas). */
  readonly bundlePath: string;
  /** Warm proofs after the cold one. */
  readonly runs: number;
}

/** The measurement, or the first line of the error. */
export interface LookupsProveResult {
  readonly proveColdSeconds?: number;
  readonly proveWarmSeconds?: number;
  readonly verifySeconds?: number;
  readonly valid?: boolean;
  readonly split?: CostSplit;
  /** The profiled proof failed (the timed ones still count). */
  readonly splitError?: string;
  readonly peakRssMiB: number;
  readonly error?: string;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

async function proveBuild(job: LookupsProveJob): Promise<LookupsProveResult> {
  try {
    const input = readInputFile(job.inputPath, readSettings(job.buildDir).quantization.input);
    const prover = createProver({ buildDir: job.buildDir });
    // The first proof pays for the curve, onnxruntime's session and parsing the key; the next
    // ones are what each further input of a `prove --inputs` run or a worker costs.
    let t0 = performance.now();
    let last = await prover.prove(input, { source: job.inputPath });
    const proveColdSeconds = (performance.now() - t0) / 1000;
    const warm: number[] = [];
    for (let i = 0; i < job.runs; i++) {
      t0 = performance.now();
      last = await prover.prove(input, { source: job.inputPath });
      warm.push((performance.now() - t0) / 1000);
    }
    writeBundle(job.bundlePath, last);
    t0 = performance.now();
    const report = await verifyBundle({
      bundle: last.bundle,
      bundlePath: job.bundlePath,
      vkeyPath: artifactPath(job.buildDir, 'vkey'),
    });
    const verifySeconds = (performance.now() - t0) / 1000;
    // Read before profiling: the profile parses the key a second time, which `prove` never does.
    const peak = peakRssMiB();
    let split: CostSplit | undefined;
    let splitError: string | undefined;
    try {
      split = await profileProof({ buildDir: job.buildDir, input });
    } catch (e) {
      splitError = (e as Error).message.split('\n')[0]!;
    }
    return {
      proveColdSeconds,
      proveWarmSeconds: median(warm),
      verifySeconds,
      valid: report.valid,
      ...(split ? { split } : {}),
      ...(splitError ? { splitError } : {}),
      peakRssMiB: peak,
    };
  } catch (e) {
    return { error: (e as Error).message.split('\n')[0]!, peakRssMiB: peakRssMiB() };
  }
}

reportResult(await proveBuild(JSON.parse(process.argv[2] ?? '{}') as LookupsProveJob));
await shutdown();
