/**
 * Child entry of `npm run bench -- --only prover`: zkinfer's own Groth16 prover against
 * snarkjs's groth16.prove on the same key and witness, warm (key in memory, curve built), in
 * one process with the main thread's multi-threaded curve as `zkinfer prove` uses it. Proofs
 * alternate between the two provers so a change of machine load hits both alike; every proof
 * is verified. The build (quantize, compile, dev setup) is cached under the OS temp dir by the
 * model's hash and zkinfer's version, since mnist-8's takes minutes.
 *
 * Usage: node bench-prover.js '<ProverJob JSON>'
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { buildCircuit } from '../../src/compile/build-circuit.js';
import { compileCircuit } from '../../src/compile/compile-circuit.js';
import { encodeWtns } from '../../src/compile/r1cs-file.js';
import { VERSIONS } from '../../src/core/versions.js';
import { readInputFile } from '../../src/onnx/input-file.js';
import { checkBuildConsistency, type CheckedBuildDir } from '../../src/prove/build-consistency.js';
import { proverCurve } from '../../src/prove/groth16/curve-api.js';
import { Groth16Prover, type ProveTimings } from '../../src/prove/groth16/groth16-prover.js';
import { quantizeInput } from '../../src/quantize/quantize-input.js';
import { quantizeModel } from '../../src/quantize/quantize-model.js';
import { shutdown } from '../../src/runtime/curve.js';
import { setupKeys } from '../../src/setup/setup-keys.js';
import { peakRssMiB, reportResult } from './child-process.js';

/** What to measure. */
export interface ProverJob {
  readonly name: string;
  readonly modelPath: string;
  readonly inputPath: string;
  readonly calibrationPath?: string;
  /** Warm proofs per prover (after one cold proof each). */
  readonly runs: number;
}

/** One prover's warm numbers (medians over the runs). */
export interface ProverSide {
  readonly coldSeconds: number;
  readonly warmSeconds: number;
  /** CPU seconds of the whole process (all curve threads) per warm proof. */
  readonly warmCpuSeconds: number;
}

/** The measurement of one model. */
export interface ProverResult {
  readonly name: string;
  readonly status: 'ok' | 'failed';
  readonly error?: string;
  readonly constraints?: number;
  readonly wires?: number;
  readonly power?: number;
  /** The build came from the cache. */
  readonly cached?: boolean;
  readonly witnessSeconds?: number;
  /** Parsing the zkey into a Groth16Prover (once per key). */
  readonly parseSeconds?: number;
  readonly snarkjs?: ProverSide;
  readonly own?: ProverSide;
  /** Cost split of the own prover's profiled proof (steps one after another), milliseconds. */
  readonly split?: ProveTimings;
  readonly peakRssMiB: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

/** The cached build directory of a job, built when missing or stale. */
async function cachedBuild(job: ProverJob): Promise<{ dir: string; cached: boolean; build: CheckedBuildDir }> {
  const h = createHash('sha256').update(readFileSync(job.modelPath)).update(readFileSync(job.inputPath));
  h.update(VERSIONS.zkinfer);
  const dir = join(tmpdir(), 'zkinfer-bench-prover-cache', `${job.name}-${h.digest('hex').slice(0, 16)}`);
  if (existsSync(dir)) {
    try {
      return { dir, cached: true, build: checkBuildConsistency(dir) };
    } catch {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  await quantizeModel({
    modelPath: job.modelPath,
    outDir: dir,
    inputPaths: [job.inputPath],
    calibrationPath: job.calibrationPath,
  });
  await compileCircuit({ buildDir: dir, inputVisibility: 'public', outputVisibility: 'public' });
  await setupKeys({ buildDir: dir, force: true });
  return { dir, cached: false, build: checkBuildConsistency(dir) };
}

async function timed<T>(f: () => Promise<T>): Promise<{ r: T; seconds: number; cpuSeconds: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await f();
  const c = process.cpuUsage(c0);
  return { r, seconds: (performance.now() - t0) / 1000, cpuSeconds: (c.user + c.system) / 1e6 };
}

/** Measures one model; errors become a `failed` result. */
export async function benchProver(job: ProverJob): Promise<ProverResult> {
  try {
    const { build, cached } = await cachedBuild(job);
    const input = readInputFile(job.inputPath, build.settings.quantization.input);
    const w = await timed(async () =>
      buildCircuit(build.model, quantizeInput(build.model, input), {
        witnessOnly: true,
        inputVisibility: build.circuit.layout.input.visibility,
        outputVisibility: build.circuit.layout.output.visibility,
      }),
    );
    const witness = w.r.circuit.witness;
    const curve = await proverCurve(false);
    const parse = await timed(async () => Groth16Prover.create(curve, build.zkey));
    const own = parse.r;
    const zkey = { type: 'mem', data: build.zkey };
    const ownOnce = () => timed(() => own.prove(witness));
    // snarkjs's input is the .wtns bytes: encoding them is part of its cost, as in `zkinfer prove` before.
    const snarkjsOnce = () =>
      timed(
        () =>
          snarkjs.groth16.prove(zkey, { type: 'mem', data: new Uint8Array(encodeWtns(witness)) }) as Promise<{
            proof: unknown;
            publicSignals: string[];
          }>,
      );
    const check = async (p: { proof: unknown; publicSignals: string[] }, who: string) => {
      if (!(await snarkjs.groth16.verify(build.vkey, p.publicSignals, p.proof)))
        throw new Error(`${who}'s proof does not verify`);
    };
    const runs: { own: Awaited<ReturnType<typeof ownOnce>>[]; snarkjs: Awaited<ReturnType<typeof snarkjsOnce>>[] } = {
      own: [],
      snarkjs: [],
    };
    for (let i = 0; i <= job.runs; i++) {
      const o = await ownOnce();
      await check(o.r, 'own prover');
      const s = await snarkjsOnce();
      await check(s.r, 'snarkjs');
      if (JSON.stringify(o.r.publicSignals) !== JSON.stringify(s.r.publicSignals))
        throw new Error('public signals differ');
      runs.own.push(o);
      runs.snarkjs.push(s);
    }
    const side = (xs: { seconds: number; cpuSeconds: number }[]): ProverSide => ({
      coldSeconds: xs[0]!.seconds,
      warmSeconds: median(xs.slice(1).map((x) => x.seconds)),
      warmCpuSeconds: median(xs.slice(1).map((x) => x.cpuSeconds)),
    });
    // The split comes from one more proof run step by step (the timed runs overlap the steps).
    const profiled = await own.prove(witness, { profile: true });
    await check(profiled, 'own prover (profiled)');
    return {
      name: job.name,
      status: 'ok',
      constraints: build.circuit.nConstraints,
      wires: witness.length,
      power: build.circuit.power,
      cached,
      witnessSeconds: w.seconds,
      parseSeconds: parse.seconds,
      snarkjs: side(runs.snarkjs),
      own: side(runs.own),
      split: profiled.timings,
      peakRssMiB: peakRssMiB(),
    };
  } catch (e) {
    return { name: job.name, status: 'failed', error: (e as Error).message.split('\n')[0]!, peakRssMiB: peakRssMiB() };
  }
}

/** Markdown: the comparison and the own prover's cost split. */
export function proverTables(rows: readonly ProverResult[]): string {
  const s = (x: number) => x.toFixed(2);
  const ms = (x: number) => (x / 1000).toFixed(2);
  const ok = rows.filter((r) => r.status === 'ok');
  const head =
    '| Model | Constraints | Wires | Domain | Witness (s) | snarkjs warm (s) | own warm (s) | Speedup | CPU s snarkjs / own | CPU speedup |\n| --- | ' +
    '--- | --- | --- | --- | --- | --- | --- | --- | --- |';
  const lines = ok.map(
    (r) =>
      `| ${r.name} | ${r.constraints!.toLocaleString('en-US')} | ${r.wires!.toLocaleString('en-US')} | 2^${r.power} | ${s(r.witnessSeconds!)} | ` +
      `${s(r.snarkjs!.warmSeconds)} | ${s(r.own!.warmSeconds)} | ${(r.snarkjs!.warmSeconds / r.own!.warmSeconds).toFixed(2)}× | ` +
      `${s(r.snarkjs!.warmCpuSeconds)} / ${s(r.own!.warmCpuSeconds)} | ${(r.snarkjs!.warmCpuSeconds / r.own!.warmCpuSeconds).toFixed(2)}× |`,
  );
  const failed = rows.filter((r) => r.status !== 'ok').map((r) => `| ${r.name} | failed: ${r.error} |`);
  const splitHead =
    '| Model | prepare | QAP A,B,C | FFT/h | MSM A | MSM B1 | MSM B2 (G2) | MSM C | MSM H | blind + JSON |\n| --- | --- | --- | --- | --- | --- | --- ' +
    '| --- | --- | --- |';
  const split = ok.map((r) => {
    const t = r.split!;
    return (
      `| ${r.name} | ${ms(t.prepareMs)} | ${ms(t.qapMs)} | ${ms(t.fftMs)} | ${ms(t.msmAMs)} | ${ms(t.msmB1Ms)} | ${ms(t.msmB2Ms)} | ` +
      `${ms(t.msmCMs)} | ${ms(t.msmHMs)} | ${ms(t.finishMs)} |`
    );
  });
  return [
    head,
    ...lines,
    ...failed,
    '',
    'Own prover, cost split of one profiled warm proof (steps run one after another; the timed proofs overlap the witness MSMs with the h ' +
      'computation), seconds:',
    '',
    splitHead,
    ...split,
  ].join('\n');
}

if (process.argv[1]?.endsWith('bench-prover.js')) {
  const job = JSON.parse(process.argv[2] ?? '{}') as ProverJob;
  reportResult(await benchProver(job));
  await shutdown();
}
