/**
 * Benchmark of a phase-2 ceremony on the synthetic circuit that fills a 2^power domain (the
 * one the setup benchmark uses): making a local powers of tau (phase 1, which real
 * deployments download instead), hashing it, `ceremony init`, two contributions, the beacon and
 * `ceremony verify`, next to the dev setup of the same circuit. Each power runs in a fresh
 * process (peak RSS is per process).
 *
 * Usage: node dist/tools/bench/bench-ceremony.js [12 16 ... 16c 16@FILE]   (default 12; `16c`:
 * contributions only, on a dev-setup key; `16@FILE`: the whole ceremony on a prepared 2^16 ptau
 * made beforehand, e.g. with `snarkjs powersoftau prepare phase2`, so phase 1 is not timed; prints a
 * markdown table and writes bench-results/ceremony-ARGS.json)
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as snarkjs from 'snarkjs';
import { encodeR1cs } from '../../src/compile/r1cs-file.js';
import { ceremonyBeacon, ceremonyContribute } from '../../src/setup/ceremony/ceremony.js';
import { verifyCeremony } from '../../src/setup/ceremony/ceremony-verify.js';
import { identifyPtau } from '../../src/setup/ptau/ptau-file.js';
import { devSetup } from '../../src/setup/dev/dev-setup.js';
import { shutdown } from '../../src/runtime/curve.js';
import { benchCircuit, benchDevSetup } from './bench-dev-setup.js';
import { peakRssMiB, reportResult, runChild } from './child-process.js';

/** Seconds per step of one ceremony at one power. */
export interface CeremonyBench {
  readonly power: number;
  readonly nConstraints: number;
  readonly ptauMiB: number;
  readonly zkeyMiB: number;
  readonly steps: Record<string, number>;
  readonly devSetupSeconds: number;
  readonly peakRssMiB: number;
}

async function timed<T>(steps: Record<string, number>, name: string, f: () => Promise<T>): Promise<T> {
  const t = performance.now();
  const r = await f();
  steps[name] = (performance.now() - t) / 1000;
  return r;
}

/** Runs the ceremony steps at one power in this process (on `preparedPtau` when given: then phase 1 is not run). */
export async function benchCeremony(power: number, preparedPtau?: string): Promise<CeremonyBench> {
  const dir = mkdtempSync(join(tmpdir(), 'zkinfer-bench-ceremony-'));
  const curve = await snarkjs.curves.getCurveFromName('bn128');
  try {
    const steps: Record<string, number> = {};
    const c = benchCircuit(power);
    const r1cs = join(dir, 'bench.r1cs');
    writeFileSync(r1cs, encodeR1cs(c));
    const [p0, p1, made] = ['pot0', 'pot1', 'pot_final'].map((n) => join(dir, `${n}.ptau`)) as [string, string, string];
    const ptau = preparedPtau ?? made;
    if (!preparedPtau) {
      await timed(steps, 'phase 1 (local ptau)', async () => {
        await snarkjs.powersOfTau.newAccumulator(curve, power, p0);
        await snarkjs.powersOfTau.contribute(p0, p1, 'bench', randomBytes(32).toString('hex'));
        await snarkjs.powersOfTau.preparePhase2(p1, made);
      });
    }
    await timed(steps, 'hash ptau', () => identifyPtau(ptau));
    const keys = ['0000-init', '0001-a', '0002-b', '0003-beacon'].map((n) => join(dir, `${n}.zkey`)) as [
      string,
      string,
      string,
      string,
    ];
    await timed(steps, 'init (zkey new)', () => snarkjs.zKey.newZKey(r1cs, ptau, keys[0]));
    await timed(steps, 'contribute', () => ceremonyContribute({ inPath: keys[0], outPath: keys[1], name: 'a' }));
    await timed(steps, 'contribute (2nd)', () => ceremonyContribute({ inPath: keys[1], outPath: keys[2], name: 'b' }));
    await timed(steps, 'beacon', () =>
      ceremonyBeacon({ inPath: keys[2], outPath: keys[3], name: 'beacon', beaconHex: 'ab'.repeat(32) }),
    );
    const report = await timed(steps, 'verify', () =>
      verifyCeremony({ target: keys[3], ptauPath: ptau, r1csPath: r1cs }),
    );
    if (!report.ok) throw new Error(`ceremony verify failed: ${report.failure}`);
    const mib = (p: string) => statSync(p).size / 2 ** 20;
    return {
      power,
      nConstraints: c.nConstraints,
      ptauMiB: mib(ptau),
      zkeyMiB: mib(keys[3]),
      steps,
      devSetupSeconds: 0,
      peakRssMiB: peakRssMiB(),
    };
  } finally {
    await curve.terminate();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Contribution alone at a power whose ptau takes too long to make here: on a dev-setup zkey of
 * the same circuit (same sections, 0 contributions), which costs a contribution exactly what a
 * ceremony key does (δ scaled, the L and H sections rewritten). Init and verify need the ptau.
 */
export async function benchContributeOnly(power: number): Promise<CeremonyBench> {
  const dir = mkdtempSync(join(tmpdir(), 'zkinfer-bench-contribute-'));
  try {
    const c = benchCircuit(power);
    const r1cs = join(dir, 'bench.r1cs');
    writeFileSync(r1cs, encodeR1cs(c));
    const steps: Record<string, number> = {};
    const base = join(dir, 'dev.zkey');
    const dev = await devSetup({ r1csPath: r1cs, zkeyPath: base });
    await timed(steps, 'contribute', () =>
      ceremonyContribute({ inPath: base, outPath: join(dir, 'a.zkey'), name: 'a' }),
    );
    await timed(steps, 'contribute (2nd)', () =>
      ceremonyContribute({ inPath: join(dir, 'a.zkey'), outPath: join(dir, 'b.zkey'), name: 'b' }),
    );
    await timed(steps, 'beacon', () =>
      ceremonyBeacon({
        inPath: join(dir, 'b.zkey'),
        outPath: join(dir, 'c.zkey'),
        name: 'beacon',
        beaconHex: 'ab'.repeat(32),
      }),
    );
    return {
      power,
      nConstraints: c.nConstraints,
      ptauMiB: NaN,
      zkeyMiB: statSync(join(dir, 'c.zkey')).size / 2 ** 20,
      steps,
      devSetupSeconds: dev.seconds,
      peakRssMiB: peakRssMiB(),
    };
  } finally {
    // The contributions built snarkjs's threaded curve; its workers would keep the process alive.
    await shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
}

const STEP_ORDER = [
  'phase 1 (local ptau)',
  'hash ptau',
  'init (zkey new)',
  'contribute',
  'contribute (2nd)',
  'beacon',
  'verify',
];

/** The markdown table of results. */
export function ceremonyTable(rows: readonly CeremonyBench[]): string {
  const head = [
    'Domain',
    'Constraints',
    'ptau MiB',
    'zkey MiB',
    ...STEP_ORDER.map((s) => `${s} s`),
    'dev setup s',
    'Peak RSS MB',
  ];
  const fmt = (n: number | null) =>
    n === null || Number.isNaN(n) ? '—' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
  const lines = rows.map((r) => [
    `2^${r.power}`,
    r.nConstraints.toLocaleString('en-US'),
    fmt(r.ptauMiB),
    fmt(r.zkeyMiB),
    ...STEP_ORDER.map((s) => fmt(r.steps[s] ?? NaN)),
    fmt(r.devSetupSeconds),
    fmt(r.peakRssMiB),
  ]);
  return [head, head.map(() => '---'), ...lines].map((l) => `| ${l.join(' | ')} |`).join('\n');
}

const isChild = process.argv[2]?.startsWith('{');
if (isChild) {
  const { power, route, ptau } = JSON.parse(process.argv[2]!) as {
    power: number;
    route: 'ceremony' | 'dev' | 'contribute';
    ptau?: string;
  };
  reportResult(
    route === 'dev'
      ? await benchDevSetup({ power })
      : route === 'contribute'
        ? await benchContributeOnly(power)
        : await benchCeremony(power, ptau),
  );
} else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // `16c` measures contributions only (on a dev-setup key) at 2^16, where making a ptau takes too long.
  const args = process.argv.slice(2);
  const powers: Array<{ power: number; ptau?: string }> = args
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0)
    .map((power) => ({ power }));
  for (const a of args) {
    const m = /^(\d+)@(.+)$/.exec(a);
    if (m) powers.push({ power: Number(m[1]), ptau: resolve(m[2]!) });
  }
  const contributeOnly = args.filter((a) => /^\d+c$/.test(a)).map((a) => Number(a.slice(0, -1)));
  const rows: CeremonyBench[] = [];
  const load = loadavg()[0]!;
  for (const { power, ptau } of powers.length || contributeOnly.length ? powers : [{ power: 12 }]) {
    const cer = await runChild<CeremonyBench>('bench-ceremony.js', {
      power,
      route: 'ceremony',
      ...(ptau ? { ptau } : {}),
    });
    const dev = await runChild<{ seconds: number }>('bench-ceremony.js', { power, route: 'dev' });
    rows.push({ ...cer, devSetupSeconds: dev.seconds });
    process.stderr.write(`2^${power} done\n`);
  }
  for (const power of contributeOnly) {
    rows.push(await runChild<CeremonyBench>('bench-ceremony.js', { power, route: 'contribute' }));
    process.stderr.write(`2^${power} (contributions only) done\n`);
  }
  const table = ceremonyTable(rows);
  process.stdout.write(
    `${table}\n\n1-min load average at start ${load.toFixed(1)}, at end ${loadavg()[0]!.toFixed(1)}\n`,
  );
  mkdirSync('bench-results', { recursive: true });
  writeFileSync(
    join('bench-results', `ceremony-${args.map((a) => a.replace(/@.*/, 'p')).join('-') || '12'}.json`),
    JSON.stringify({ createdAt: new Date().toISOString(), loadAverageAtStart: load, rows, markdown: table }, null, 2) +
      '\n',
  );
}
