/**
 * Benchmarks of the development setup against snarkjs's standard powers-of-tau route, on a
 * synthetic circuit that exactly fills a 2^power QAP domain.
 *
 * Peak RSS is the process-wide high-water mark (`maxRSS` covers worker threads too), so run
 * each benchmark in a fresh process for a meaningful number.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { R1csBuilder, type BuiltCircuit, type Signal } from '../../circuits/builder.js';
import { fieldMod } from '../../circuits/field.js';
import { encodeR1cs } from '../../src/compile/r1cs-file.js';
import { devSetup } from '../../src/setup/dev/dev-setup.js';

/** Public inputs of the synthetic circuit; it also has one public output. */
const BENCH_PUBLIC_INPUTS = 3;

/** Parameters shared by both benchmarks. */
export interface BenchOptions {
  /** log2 of the QAP domain the synthetic circuit fills. */
  readonly power: number;
  /** Worker threads for {@link devSetup}; defaults to the available parallelism. */
  readonly threads?: number;
}

/** Timing of one setup run. */
export interface BenchResult {
  readonly route: 'dev-setup' | 'ptau';
  readonly power: number;
  readonly nConstraints: number;
  /** Wall-clock seconds of the setup alone (circuit construction excluded). */
  readonly seconds: number;
  /**
   * CPU seconds of the setup, all threads of this process (user + system). On a shared machine
   * this is the steadier number; wall time ≈ cpuSeconds / cores when the cores are free.
   */
  readonly cpuSeconds: number;
  /** Per-step seconds of the setup. */
  readonly steps: Record<string, number>;
  /** Process peak resident set size in MiB (includes building the circuit). */
  readonly peakRssMiB: number;
}

/**
 * A chain x ← (x + p_{k mod 3})·x over three public inputs and one private seed, ending in a
 * public output, sized so constraints + public signals fill 2^power − 1 rows (snarkjs needs one
 * spare row, so this is the largest circuit of that domain). Wire values are reduced mod p as
 * they go, otherwise the chain's integers would grow exponentially.
 */
export function benchCircuit(power: number): BuiltCircuit {
  const nPublic = BENCH_PUBLIC_INPUTS + 1;
  const chain = 2 ** power - nPublic - 2;
  if (chain < 1) throw new Error(`power ${power} too small for the benchmark circuit`);
  const b = new R1csBuilder();
  const inputs: Signal[] = [];
  for (let i = 0; i < BENCH_PUBLIC_INPUTS; i++) inputs.push(b.input(BigInt(i + 2), 'public'));
  let x = b.input(3n, 'private');
  for (let k = 0; k < chain; k++) {
    const sum = b.add(x, inputs[k % BENCH_PUBLIC_INPUTS]!);
    const next = b.wire(fieldMod(sum.value * x.value));
    b.assertMul(sum, x, next);
    x = next;
  }
  b.exposeOutput(x);
  return b.finalize();
}

function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e6;
}

async function withCircuit<T>(
  power: number,
  run: (dir: string, r1csPath: string, c: BuiltCircuit) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'zkinfer-bench-'));
  try {
    const c = benchCircuit(power);
    const r1csPath = join(dir, 'bench.r1cs');
    await writeFile(r1csPath, encodeR1cs(c));
    return await run(dir, r1csPath, c);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Times {@link devSetup} on the synthetic 2^power circuit. */
export async function benchDevSetup(opts: BenchOptions): Promise<BenchResult> {
  return withCircuit(opts.power, async (dir, r1csPath, c) => {
    const steps: Record<string, number> = {};
    const cpu = process.cpuUsage();
    const res = await devSetup({
      r1csPath,
      zkeyPath: join(dir, 'bench.zkey'),
      vkeyPath: join(dir, 'bench.vkey.json'),
      threads: opts.threads,
      onProgress: (msg) => {
        const m = /^(.*) \((\d+\.\d+)s\)$/.exec(msg);
        if (m) steps[m[1]!.split(/[,:]/)[0]!] = Number(m[2]);
      },
    });
    const cpuSeconds = cpuSecondsSince(cpu);
    return {
      route: 'dev-setup',
      power: opts.power,
      nConstraints: c.nConstraints,
      seconds: res.seconds,
      cpuSeconds,
      steps,
      peakRssMiB: peakRssMiB(),
    };
  });
}

/**
 * Times snarkjs's standard route on the same circuit: a fresh powers-of-tau accumulator of the
 * circuit's power, one contribution, phase-2 preparation and `zkey new`. (A real deployment
 * would add phase-2 contributions on top; `zkey new` alone leaves δ = 1.)
 */
export async function benchPtauRoute(opts: BenchOptions): Promise<BenchResult> {
  return withCircuit(opts.power, async (dir, r1csPath, c) => {
    const curve = await snarkjs.curves.getCurveFromName('bn128');
    try {
      const steps: Record<string, number> = {};
      const cpu = process.cpuUsage();
      const started = performance.now();
      const step = async (name: string, f: () => Promise<unknown>) => {
        const t = performance.now();
        await f();
        steps[name] = (performance.now() - t) / 1000;
      };
      const p0 = join(dir, 'pot_0.ptau');
      const p1 = join(dir, 'pot_1.ptau');
      const pf = join(dir, 'pot_final.ptau');
      await step('newAccumulator', () => snarkjs.powersOfTau.newAccumulator(curve, opts.power, p0));
      await step('contribute', () => snarkjs.powersOfTau.contribute(p0, p1, 'bench', randomBytes(32).toString('hex')));
      await step('preparePhase2', () => snarkjs.powersOfTau.preparePhase2(p1, pf));
      await step('newZKey', () => snarkjs.zKey.newZKey(r1csPath, pf, join(dir, 'bench.zkey')));
      const seconds = (performance.now() - started) / 1000;
      const cpuSeconds = cpuSecondsSince(cpu);
      return {
        route: 'ptau',
        power: opts.power,
        nConstraints: c.nConstraints,
        seconds,
        cpuSeconds,
        steps,
        peakRssMiB: peakRssMiB(),
      };
    } finally {
      await curve.terminate();
    }
  });
}
