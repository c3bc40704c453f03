/**
 * `npm run bench`: measures the pipeline on real and synthetic models, the dev setup against
 * snarkjs's powers-of-tau route, batch-proving throughput and on-chain verification gas.
 * Prints markdown tables, writes them into docs/benchmarks.md (between each section's marker
 * comments, tools/bench/bench-doc.ts) and everything to bench-results/bench.json.
 * It is a benchmark, not a test: a missed goal is reported, never a failure exit.
 *
 * Flags: --quick (skip the slow snarkjs ptau route, fewer batch inputs), --ptau-14 (also time
 * the ptau route at 2^14), --queue or --only queue (the Postgres queue bench,
 * tools/bench/bench-queue.ts), --only <name,...> (sections: models, setup, batch, gas, or a model
 * row name such as random-mlp-public; ops: constraints per table function and comparison; accuracy: the
 * accuracy proofs, the CNN one unless --quick; trees: the shipped tree ensembles, stage by stage; prover: zkinfer's own
 * Groth16 prover against snarkjs's on digits-mlp, digits-cnn and mnist-8, builds cached in the temp dir; hashed-weights,
 * opt-in: fixed vs hashed weights of the digits MLP, digits CNN and mnist-8, tools/bench/bench-hashed-weights.ts,
 * --hashed-models to pick some; lookups, opt-in: both proof systems side by side against issue 20's goals,
 * tools/bench/bench-lookups.ts, flags --limb-bits, --lookups-models, --lookups-accuracy, --lookups-runs). Opt-in only (about 35 min): --only accuracy-scale,
 * accuracy proofs of 10,000 and 2,000 samples and the queue route (tools/bench/bench-accuracy-scale.ts,
 * flags --accuracy-samples, --accuracy-kill-samples, --accuracy-queue-samples, --accuracy-kill-every).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProofBundle } from '../../src/formats/bundle.js';
import { measureRangeWrapperGas, measureVerifierGas } from './bench-gas.js';
import { verifyOnChain } from '../../src/chain/verify-on-chain.js';
import { shutdown } from '../../src/runtime/curve.js';
import type { BenchResult } from './bench-dev-setup.js';
import { benchBatch, type BenchBatchResult } from './bench-batch.js';
import type { ModelJob, ModelResult } from './bench-model.js';
import {
  batchTable,
  gasTable,
  type GasRow,
  type Goal,
  modelTable,
  type RecordGoal,
  setupTable,
} from './bench-table.js';
import { runChild } from './child-process.js';
import type { SetupJob } from './bench-setup.js';
import { writeRandomMlp } from './random-mlp.js';
import { measureOpCosts, measurePeriodicError, opCostTable, periodicErrorTable } from './bench-table-functions.js';
import { measureProductCosts, productCostTable } from './bench-products.js';
import { benchAccuracySection } from './bench-accuracy-section.js';
import { type BenchSection, updateBenchDoc } from './bench-doc.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const started = performance.now();

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const ptau14 = argv.includes('--ptau-14');
const onlyAt = argv.indexOf('--only');
const only = onlyAt >= 0 ? new Set((argv[onlyAt + 1] ?? '').split(',').filter(Boolean)) : undefined;
const selected = (...names: string[]): boolean => !only || names.some((n) => only.has(n));

const log = (msg: string): void =>
  void process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0)}s] ${msg}\n`);
const goals: Goal[] = [];
const goal: RecordGoal = (item, text, actual, limit, atMost, show) =>
  void goals.push({ item, goal: text, actual: show(actual), met: atMost ? actual <= limit : actual >= limit });

const work = mkdtempSync(join(tmpdir(), 'zkinfer-bench-'));
const random = writeRandomMlp(work, { seed: 784 });
const digits = {
  modelPath: join(ROOT, 'models/digits-mlp.onnx'),
  inputPath: join(ROOT, 'models/samples/digit-3.json'),
};
const job = (
  name: string,
  files: { modelPath: string; inputPath: string; calibrationPath?: string },
  inputVisibility: ModelJob['inputVisibility'],
  outputVisibility: ModelJob['outputVisibility'] = 'public',
): ModelJob => ({ name, ...files, buildDir: join(work, name), inputVisibility, outputVisibility });
const jobs: ModelJob[] = [
  job('digits-mlp', digits, 'public'),
  job('digits-mlp-hashed', digits, 'hashed'),
  job('digits-mlp-hashed-io', digits, 'hashed', 'hashed'),
  job('digits-mlp-hashed-packed', digits, 'hashed', 'packed'),
  job('random-mlp-public', random, 'public'),
  job('random-mlp-hashed', random, 'hashed'),
  job('digits-cnn', { modelPath: join(ROOT, 'models/digits-cnn.onnx'), inputPath: digits.inputPath }, 'public'),
  job(
    'mnist-8',
    {
      modelPath: join(ROOT, '../shared/conformance/models/mnist-8.onnx'),
      inputPath: join(ROOT, '../shared/conformance/models/mnist-8-samples/input_0.pb'),
    },
    'public',
  ),
];
// Batch and gas measure bundles and build dirs of the digits MLP, so they pull those rows in.
const needed = new Set<string>();
if (selected('batch')) needed.add('digits-mlp');
if (selected('gas'))
  ['digits-mlp', 'digits-mlp-hashed', 'digits-mlp-hashed-io', 'digits-mlp-hashed-packed'].forEach((n) => needed.add(n));

const machine = {
  cpus: cpus().length,
  availableParallelism: availableParallelism(),
  cpuModel: cpus()[0]?.model ?? 'unknown',
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
  memoryGiB: totalmem() / 2 ** 30,
  loadAverageAtStart: loadavg()[0]!,
};
const out: string[] = [];
// What each section printed, for docs/benchmarks.md: print() files its text under the current one.
const sections = new Map<BenchSection, string[]>();
let section: BenchSection = 'machine';
const begin = (key: BenchSection): void => void (section = key);
const print = (s: string): void => {
  out.push(s);
  process.stdout.write(s + '\n');
  sections.set(section, [...(sections.get(section) ?? []), s]);
};
print(
  `Machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB.toFixed(1)} GiB RAM, Node ${machine.node} (${machine.platform}); 1-min load average at start ${machine.loadAverageAtStart.toFixed(1)}${quick ? '; --quick' : ''}\n`,
);

begin('models');
const models: ModelResult[] = [];
for (const j of jobs) {
  if (!selected('models', j.name) && !needed.has(j.name)) continue;
  log(`model ${j.name} (${j.inputVisibility} input, ${j.outputVisibility} output)`);
  const r = await runChild<ModelResult>('bench-model.js', j);
  models.push(r);
  log(
    r.status === 'ok'
      ? `  ${r.constraints} constraints, warm prove ${r.proveWarmSeconds!.toFixed(3)} s`
      : `  ${r.status}: ${r.error}`,
  );
}
const row = (name: string): ModelResult | undefined => models.find((m) => m.name === name && m.status === 'ok');
const rp = row('random-mlp-public');
if (rp) {
  goal('random-mlp-public', 'constraints ≤ 1,600', rp.constraints!, 1600, true, (n) => n.toLocaleString('en-US'));
  goal('random-mlp-public', 'prove ≤ 0.25 s warm', rp.proveWarmSeconds!, 0.25, true, (n) => `${n.toFixed(3)} s`);
  goal('random-mlp-public', 'compile ≤ 2 s', rp.compileSeconds!, 2, true, (n) => `${n.toFixed(3)} s`);
}
const rh = row('random-mlp-hashed');
if (rh)
  goal('random-mlp-hashed', 'constraints ≤ 10,000', rh.constraints!, 10000, true, (n) => n.toLocaleString('en-US'));
if (models.length)
  print(
    `### Models (dev setup; prove = Groth16 proof incl. witness and onnxruntime fidelity check)\n\n${modelTable(models, goals)}\n`,
  );

const setup: BenchResult[] = [];
let speedup: Record<string, number> | undefined;
if (selected('setup')) {
  begin('setup');
  const setupJobs: SetupJob[] = [{ route: 'dev-setup', power: 12 }];
  if (!quick) setupJobs.push({ route: 'ptau', power: 12 });
  if (ptau14) setupJobs.push({ route: 'dev-setup', power: 14 }, { route: 'ptau', power: 14 });
  setupJobs.push({ route: 'dev-setup', power: 16 });
  for (const s of setupJobs) {
    log(`setup ${s.route} 2^${s.power}`);
    const r = await runChild<BenchResult>('bench-setup.js', s);
    setup.push(r);
    log(`  ${r.seconds.toFixed(2)} s`);
  }
  speedup = {};
  for (const p of setup.filter((r) => r.route === 'ptau')) {
    const dev = setup.find((r) => r.route === 'dev-setup' && r.power === p.power)!;
    speedup[`2^${p.power}`] = p.seconds / dev.seconds;
    goal(
      `setup-ptau-${p.power}`,
      'dev setup ≥ 25× faster',
      p.seconds / dev.seconds,
      25,
      false,
      (n) => `${n.toFixed(1)}×`,
    );
  }
  const d16 = setup.find((r) => r.route === 'dev-setup' && r.power === 16);
  if (d16) goal('setup-dev-setup-16', 'dev setup ≤ 20 s at 2^16', d16.seconds, 20, true, (n) => `${n.toFixed(1)} s`);
  const factors = Object.entries(speedup)
    .map(([p, f]) => `${f.toFixed(1)}× at ${p}`)
    .join(', ');
  print(
    `### Trusted setup (synthetic circuit filling the domain)\n\n${setupTable(setup, goals)}\n${factors ? `\nDev setup speedup over the ptau route: ${factors}.\n` : ''}`,
  );
}

let batch: BenchBatchResult | undefined;
const mlpDir = row('digits-mlp')?.buildDir;
if (selected('batch') && mlpDir) {
  begin('batch');
  const inputs = quick ? 8 : 32;
  log(`batch: ${inputs} inputs, sequential vs pool 1/2/4`);
  batch = await benchBatch({ buildDir: mlpDir, inputs, workers: [1, 2, 4] });
  const best = batch.pool.reduce((a, b) => (b.speedup > a.speedup ? b : a));
  goal(`batch-${best.workers}`, 'best pool ≥ 1.0× sequential', best.speedup, 1, false, (n) => `${n.toFixed(2)}×`);
  print(`### Batch proving (digits MLP, public input)\n\n${batchTable(batch, goals)}\n`);
}

const gas: GasRow[] = [];
let rangeCheck: { inCircuitConstraintsPerInput: number; wrapperGasPerInput: number; inputs: number } | undefined;
if (selected('gas')) {
  begin('gas');
  for (const [name, label] of [
    ['digits-mlp', 'digits MLP, public input'],
    ['digits-mlp-hashed', 'digits MLP, hashed input'],
    ['digits-mlp-hashed-io', 'digits MLP, hashed input + output'],
    ['digits-mlp-hashed-packed', 'digits MLP, hashed input, packed output'],
  ] as const) {
    const m = row(name);
    if (!m) continue;
    log(`gas: ${label}`);
    const bundle = JSON.parse(readFileSync(m.bundlePath!, 'utf8')) as ProofBundle;
    const vkey = bundle.vkey as Record<string, unknown>;
    // The first call compiles the verifier and deploys it; the second is a plain verification.
    await verifyOnChain(bundle, vkey, { kind: 'embedded' });
    const t0 = performance.now();
    const v = await verifyOnChain(bundle, vkey, { kind: 'embedded' });
    gas.push({
      name: label,
      publicSignals: bundle.publicSignals.length,
      gas: Number(v.gas),
      verifyMs: performance.now() - t0,
      valid: v.valid,
      deployedSize: v.deployedSize,
    });
  }
  // Hashed input with the output in the fewest public signals (packed) is the configuration the goal is about.
  const hashed = gas.find((g) => g.name === 'digits MLP, hashed input, packed output');
  if (hashed) goal(`gas-${hashed.name}`, '≤ 230k gas', hashed.gas, 230_000, true, (n) => n.toLocaleString('en-US'));
  for (const nPublic of [1, 2, 10]) {
    log(`gas: synthetic circuit, ${nPublic} public signals`);
    const g = await measureVerifierGas({ nPublic });
    gas.push({
      name: `synthetic, ${nPublic} public`,
      publicSignals: nPublic,
      gas: Number(g.verifyGas),
      verifyMs: g.verifyMs,
      valid: true,
      deployedSize: g.deployedSize,
    });
  }
  print(`### On-chain verification (verifyProof transaction incl. 21k base + calldata)\n\n${gasTable(gas, goals)}\n`);
  // The two ways to make a contract's verdict on public inputs equal zkinfer's: range checks in
  // the circuit (what zkinfer does) or in a wrapper contract. Both costs measured here.
  const pub = row('digits-mlp');
  if (pub) {
    log('gas: public-input range check in a wrapper contract');
    const bits = 8;
    const w = await measureRangeWrapperGas({ nPublic: 64, bits });
    rangeCheck = { inCircuitConstraintsPerInput: bits, wrapperGasPerInput: w.perInput, inputs: 64 };
    print(
      `### Public-input range check (digits MLP, 64 inputs of ${bits} bits)\n\n| Where | Constraints | Gas per verification |\n| --- | --- | --- |\n| in the circuit (chosen) | +${64 * bits} (${bits} per input) | +0 |\n| wrapper contract | +0 | +${w.total.toLocaleString('en-US')} (${w.perInput.toFixed(0)} per input) |\n`,
    );
  }
}

const opCosts = selected('ops') ? measureOpCosts() : [];
for (const r of opCosts)
  if (r.beyondDecomposition !== undefined)
    goal(`table-${r.op}`, '≤ 64 beyond the decomposition', r.beyondDecomposition, 64, true, String);
begin('ops');
if (opCosts.length) {
  print(`### Cost per evaluation of table functions and comparisons\n\n${opCostTable(opCosts)}\n`);
  print(`### Periodic tables over wide input ranges\n\n${periodicErrorTable(measurePeriodicError())}\n`);
}
begin('products');
if (selected('ops', 'products'))
  print(
    `### Products, division and softmax (constraints from compiled circuits)\n\n${productCostTable(measureProductCosts())}\n`,
  );
begin('composite');
const composite = selected('composite') ? (await import('./bench-composite.js')).compositeSection(print) : [];
begin('accuracy');
const accuracy = selected('accuracy') ? await benchAccuracySection({ root: ROOT, work, quick, goals, log, print }) : [];
begin('accuracy-scale');
// Opt-in like the queue bench: half an hour of proofs, so never part of a plain `npm run bench`.
const accuracyScale = only?.has('accuracy-scale')
  ? await (await import('./bench-accuracy-scale.js')).benchAccuracyScale({ root: ROOT, work, argv, goals, log, print })
  : undefined;
begin('builder-memory');
if (selected('builder-memory')) {
  const { benchBuilderMemory, builderMemoryTable } = await import('./bench-builder-memory.js');
  const rows = await benchBuilderMemory({ root: ROOT, work, log });
  print(`### Circuit builder memory (retained heap per constraint)\n\n${builderMemoryTable(rows)}\n`);
  for (const r of rows)
    goal(
      `builder-memory-${r.model}`,
      'Map/packed ≥ 3×',
      r.mapBytesPerConstraint / r.packedBytesPerConstraint,
      3,
      false,
      (n) => `${n.toFixed(1)}×`,
    );
}
begin('sequence');
if (selected('sequence', 'digits-transformer', 'digits-lstm'))
  await (
    await import('./bench-sequence-models.js')
  ).benchSequenceModels({ root: ROOT, work, goals, log, print, models });
begin('trees');
if (selected('trees')) {
  const { benchTrees, treesTable } = await import('./bench-trees.js');
  const rows = await benchTrees(work, log);
  const rf100 = rows.find((r) => r.model === 'trees-rf100')!;
  goal('trees-rf100', 'prove ≤ 60 s', rf100.seconds.prove, 60, true, (n) => `${n.toFixed(1)} s`);
  print(`### Tree ensembles (breast cancer, 30 features, 16-bit input)\n\n${treesTable(rows)}`);
}
begin('hashed-weights');
let hashedWeights: import('./bench-hashed-weights.js').HashedWeightsResult | undefined;
if (only?.has('hashed-weights')) {
  const { runHashedWeightsSection } = await import('./bench-hashed-weights-section.js');
  hashedWeights = await runHashedWeightsSection({ root: ROOT, work, argv, log, goal, print });
}
begin('lookups');
let lookups: import('./bench-lookups-args.js').LookupsResult | undefined;
if (only?.has('lookups'))
  lookups = await (await import('./bench-lookups.js')).runLookupsSection({ root: ROOT, work, argv, log, goal, print });
begin('prover');
let prover: import('./bench-prover.js').ProverResult[] = [];
if (selected('prover')) {
  const { runProverSection } = await import('./bench-prover-section.js');
  prover = await runProverSection({ root: ROOT, digits, jobs, log, goal, print });
}

// Opt-in (--queue): minutes of real workers, a real Postgres and a kill -9 run; also standalone as run-queue-bench.js.
let queue: { markdown: string } | undefined;
if (argv.includes('--queue') || only?.has('queue')) {
  begin('queue');
  const { runQueueBench } = await import('./run-queue-bench.js');
  const q = await runQueueBench({ quick, log: (m) => log(`queue: ${m}`) });
  queue = q;
  for (const g of q.goals) goals.push({ item: 'queue', ...g });
  print(q.markdown);
}

begin('summary');
const missed = goals.filter((g) => !g.met);
const totalSeconds = (performance.now() - started) / 1000;
print(
  missed.length
    ? `Goals missed: ${missed.map((g) => `${g.item}: ${g.goal} (got ${g.actual})`).join('; ')}.`
    : `All ${goals.length} goals met.`,
);
// Other work on the machine inflates every wall time; the load average says how much to trust them.
print(`\nTotal bench time ${totalSeconds.toFixed(0)} s; 1-min load average at end ${loadavg()[0]!.toFixed(1)}.`);

const resultsDir = join(ROOT, 'bench-results');
mkdirSync(resultsDir, { recursive: true });
const jsonPath = join(resultsDir, 'bench.json');
const json = {
  createdAt: new Date().toISOString(),
  machine,
  flags: { quick, ptau14, only: only ? [...only] : null },
  totalSeconds,
  loadAverageAtEnd: loadavg()[0],
  models,
  setup,
  setupSpeedup: speedup,
  batch,
  gas,
  rangeCheck,
  opCosts,
  composite,
  accuracy,
  accuracyScale,
  hashedWeights,
  lookups,
  prover,
  queue,
  goals,
  markdown: out.join('\n'),
};
writeFileSync(jsonPath, JSON.stringify(json, null, 2) + '\n');
log(`wrote ${jsonPath}`);
const docPath = join(ROOT, 'docs', 'benchmarks.md');
const doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Measured numbers\n';
// The models table is rewritten only by a run of every model: rows pulled in for batch or gas,
// or a single row picked with --only, would otherwise replace the full table.
const written = [...sections].filter(([key]) => key !== 'models' || selected('models'));
writeFileSync(
  docPath,
  updateBenchDoc(
    doc,
    written.map(([key, lines]) => ({ key, markdown: lines.join('\n') })),
  ),
);
log(`updated ${docPath} (${written.map(([key]) => key).join(', ')})`);
rmSync(work, { recursive: true, force: true });
await shutdown();
