/**
 * The hashed-weights bench (`npm run bench -- --only hashed-weights`, issue 21): the digits MLP,
 * the digits CNN and the ONNX Model Zoo's mnist-8, each built twice in the same run — fixed
 * weights (constants in the circuit) and hashed weights (private witnesses committed by W) — every
 * step through the real CLI (quantize, compile, dev setup, weights commit, prove, verify), plus
 * the warm prove measured like the models bench (tools/bench/bench-warm-prove.ts), on-chain gas
 * of the MLP with hashed input and packed output, and the MLP's accuracy claim on 360 samples.
 * Where the hashed constraints go is computed from circuit.json's opCosts and
 * circuits/weight-commitment.ts's cost function, never typed in.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { weightCommitmentCost } from '../../circuits/weight-commitment.js';
import { verifyOnChain } from '../../src/chain/verify-on-chain.js';
import { weightSegments } from '../../src/compile/weight-signals.js';
import type { ProofBundle } from '../../src/formats/bundle.js';
import type { QuantizedModel } from '../../src/formats/quantized-schema.js';
import { runChild } from './child-process.js';
import { type CliResult, json, runCli } from './cli-run.js';
import type { WarmProveJob, WarmProveResult } from './bench-warm-prove.js';

export type WeightsMode = 'fixed' | 'hashed';

/** One model built with one weights mode. */
export interface HashedWeightsRow {
  readonly model: string;
  readonly weights: WeightsMode;
  readonly constraints: number;
  readonly power: number;
  readonly publicSignals: number;
  /** Hashed only: the number of committed weights and biases. */
  readonly values?: number;
  /** Hashed only: the constraints added over fixed weights, by cause. */
  readonly split?: {
    /** Linear layers' weight × activation products (their opCosts minus the fixed build's). */
    readonly products: number;
    /** One constraint per bit of every committed value. */
    readonly rangeChecks: number;
    /** The Poseidon chain over the packed values. */
    readonly commitment: number;
    /** The rest: later ops paying for the worst-case ranges of the weight widths. */
    readonly widerRanges: number;
  };
  readonly seconds: {
    readonly quantize: number;
    readonly compile: number;
    readonly setup: number;
    /** Absent for mnist-8: its goal is the `prove` command, and two more proofs would double the run. */
    readonly proveWarm?: number;
    /** The `zkinfer prove` command, one input, from process start. */
    readonly proveCli: number;
    readonly verify: number;
  };
  /** Peak RSS of the `zkinfer prove` process, MiB. */
  readonly proveRssMiB: number;
  readonly valid: boolean;
}

/** On-chain verification of one bundle. */
export interface HashedGasRow {
  readonly weights: WeightsMode;
  readonly publicSignals: number;
  readonly gas: number;
}

/** One accuracy claim of the digits MLP. */
export interface HashedAccuracyRow {
  readonly weights: WeightsMode;
  readonly samples: number;
  readonly correct: number;
  readonly chunkSize: number;
  readonly constraintsPerSample: number;
  /** `zkinfer accuracy` from start to claim.json (dataset commitment, chunk keys, proofs). */
  readonly seconds: number;
  readonly verifySeconds: number;
  readonly peakRssMiB: number;
}

export interface HashedWeightsResult {
  readonly rows: HashedWeightsRow[];
  readonly gas: HashedGasRow[];
  readonly accuracy: HashedAccuracyRow[];
}

interface ModelSpec {
  readonly name: string;
  readonly model: string;
  readonly input: string;
  readonly calibration?: string;
  /** Measure the warm prove (two more proofs in a child process). */
  readonly warm: boolean;
}

interface Built {
  readonly dir: string;
  readonly info: {
    constraints: number;
    power: number;
    nPublic: number;
    opCosts?: { kind: string; constraints: number }[];
  };
  readonly commitment?: string;
  readonly quantize: CliResult;
  readonly compile: CliResult;
  readonly setup: CliResult;
}

/** quantize, compile, dev setup and (hashed) weights commit, each a CLI run. */
async function build(spec: ModelSpec, dir: string, weights: WeightsMode, compileArgs: string[] = []): Promise<Built> {
  const quantize = await runCli([
    'quantize',
    spec.model,
    '--out',
    dir,
    '--input',
    spec.input,
    ...(spec.calibration ? ['--calibration', spec.calibration] : []),
    '--weights',
    weights,
  ]);
  const compile = await runCli(['compile', dir, '--json', ...compileArgs]);
  const setup = await runCli(['setup', dir]);
  const commitment =
    weights === 'hashed'
      ? json<{ commitment: string }>(await runCli(['weights', 'commit', dir, '--json'])).commitment
      : undefined;
  return { dir, info: json<Built['info']>(compile), commitment, quantize, compile, setup };
}

const pin = (b: Built): string[] => (b.commitment ? ['--weights-commitment', b.commitment] : []);

const linearCost = (b: Built): number =>
  (b.info.opCosts ?? []).filter((c) => c.kind === 'linear').reduce((a, c) => a + c.constraints, 0);

/** Where a hashed build's extra constraints go, beside the fixed build of the same model. */
function split(fixed: Built, hashed: Built): { values: number; split: NonNullable<HashedWeightsRow['split']> } {
  const model = JSON.parse(readFileSync(join(hashed.dir, 'model.quant.json'), 'utf8')) as QuantizedModel;
  const segments = weightSegments(model);
  const cost = weightCommitmentCost(segments.map((s) => ({ bits: s.bits, count: s.values.length })));
  const products = linearCost(hashed) - linearCost(fixed);
  const extra = hashed.info.constraints - fixed.info.constraints;
  return {
    values: segments.reduce((a, s) => a + s.values.length, 0),
    split: {
      products,
      rangeChecks: cost.rangeChecks,
      commitment: cost.hash,
      widerRanges: extra - products - cost.total,
    },
  };
}

/** Warm prove (child process), `zkinfer prove` and `zkinfer verify` of one build. */
async function measure(spec: ModelSpec, b: Built, weights: WeightsMode): Promise<Omit<HashedWeightsRow, 'split'>> {
  const warm = spec.warm
    ? await runChild<WarmProveResult>('bench-warm-prove.js', {
        buildDir: b.dir,
        inputPath: spec.input,
      } satisfies WarmProveJob)
    : undefined;
  if (warm?.error !== undefined) throw new Error(`warm prove of ${spec.name} (${weights}): ${warm.error}`);
  const bundle = join(b.dir, 'bench.proof.json');
  const prove = await runCli(['prove', b.dir, '--input', spec.input, '--out', bundle]);
  const verify = await runCli(['verify', bundle, '--vkey', join(b.dir, 'vkey.json'), ...pin(b)]);
  return {
    model: spec.name,
    weights,
    constraints: b.info.constraints,
    power: b.info.power,
    publicSignals: b.info.nPublic,
    seconds: {
      quantize: b.quantize.seconds,
      compile: b.compile.seconds,
      setup: b.setup.seconds,
      proveWarm: warm?.warmSeconds,
      proveCli: prove.seconds,
      verify: verify.seconds,
    },
    proveRssMiB: prove.peakRssMiB,
    valid: verify.code === 0,
  };
}

/** Gas of one verification on the embedded EVM (the first call deploys the verifier). */
async function gasOf(spec: ModelSpec, b: Built, weights: WeightsMode): Promise<HashedGasRow> {
  const path = join(b.dir, 'gas.proof.json');
  await runCli(['prove', b.dir, '--input', spec.input, '--out', path]);
  const bundle = JSON.parse(readFileSync(path, 'utf8')) as ProofBundle;
  const vkey = bundle.vkey as Record<string, unknown>;
  await verifyOnChain(bundle, vkey, { kind: 'embedded' });
  const v = await verifyOnChain(bundle, vkey, { kind: 'embedded' });
  if (!v.valid) throw new Error(`gas: the ${weights}-weights bundle does not verify on chain`);
  return { weights, publicSignals: bundle.publicSignals.length, gas: Number(v.gas) };
}

/** `zkinfer accuracy` on the 360-sample split and `zkinfer verify CLAIM` with every pin. */
async function accuracyOf(root: string, b: Built, weights: WeightsMode): Promise<HashedAccuracyRow> {
  // The 360-sample test split (models/digits-test.json) as the JSON Lines `accuracy` reads;
  // models/digits-test.jsonl is only its first sample of each digit.
  const split = JSON.parse(readFileSync(join(root, 'models', 'digits-test.json'), 'utf8')) as {
    inputs: number[][];
    labels: number[];
  };
  const dataset = join(b.dir, 'digits-test-360.jsonl');
  writeFileSync(
    dataset,
    split.inputs.map((x, i) => JSON.stringify({ input: x, label: split.labels[i] })).join('\n') + '\n',
  );
  const out = join(b.dir, 'acc');
  const acc = await runCli(['accuracy', b.dir, '--dataset', dataset, '--out', out, '--workers', '2', '--json']);
  const s = json<{
    claim: string;
    samples: number;
    correct: number;
    chunkSize: number;
    constraintsPerSample: number;
    datasetCommitment: string;
    keyDir: string;
  }>(acc);
  const verify = await runCli([
    'verify',
    s.claim,
    '--vkey',
    join(s.keyDir, 'vkey.json'),
    '--dataset-commitment',
    s.datasetCommitment,
    ...pin(b),
  ]);
  return {
    weights,
    samples: s.samples,
    correct: s.correct,
    chunkSize: s.chunkSize,
    constraintsPerSample: s.constraintsPerSample,
    seconds: acc.seconds,
    verifySeconds: verify.seconds,
    peakRssMiB: acc.peakRssMiB,
  };
}

/** Runs the bench; `models` limits it to some of digits-mlp, digits-cnn, mnist-8 (all by default). */
export async function benchHashedWeights(ctx: {
  readonly root: string;
  readonly work: string;
  readonly log: (m: string) => void;
  readonly models?: readonly string[];
  /** Called after every measured row with everything so far (run-bench writes the doc block). */
  readonly onProgress?: (partial: HashedWeightsResult) => void;
}): Promise<HashedWeightsResult> {
  const m = (f: string) => join(ctx.root, 'models', f);
  const zoo = join(ctx.root, '../shared/conformance/models');
  const digits = { input: m('samples/digit-3.json'), calibration: m('calibration.json') };
  const specs: ModelSpec[] = [
    { name: 'digits-mlp', model: m('digits-mlp.onnx'), ...digits, warm: true },
    { name: 'digits-cnn', model: m('digits-cnn.onnx'), ...digits, warm: true },
    // As test/e2e/mnist-8.test.ts runs it: the sample itself is the calibration.
    {
      name: 'mnist-8',
      model: join(zoo, 'mnist-8.onnx'),
      input: join(zoo, 'mnist-8-samples', 'input_0.pb'),
      warm: false,
    },
  ].filter((s) => !ctx.models || ctx.models.includes(s.name));
  const dir = join(ctx.work, 'hashed-weights');
  mkdirSync(dir, { recursive: true });
  const rows: HashedWeightsRow[] = [];
  const gas: HashedGasRow[] = [];
  const accuracy: HashedAccuracyRow[] = [];
  for (const spec of specs) {
    const builds: Partial<Record<WeightsMode, Built>> = {};
    for (const weights of ['fixed', 'hashed'] as const) {
      ctx.log(`hashed-weights: ${spec.name}, ${weights} weights`);
      const b = (builds[weights] = await build(spec, join(dir, `${spec.name}-${weights}`), weights));
      const row = await measure(spec, b, weights);
      rows.push(weights === 'hashed' ? { ...row, ...split(builds.fixed!, b) } : row);
      ctx.log(`  ${row.constraints} constraints, \`prove\` ${row.seconds.proveCli.toFixed(1)} s`);
      ctx.onProgress?.({ rows, gas, accuracy });
    }
    if (spec.name !== 'digits-mlp') continue;
    for (const weights of ['fixed', 'hashed'] as const) {
      ctx.log(`hashed-weights: gas, digits MLP hashed input + packed output, ${weights} weights`);
      const b = await build(spec, join(dir, `gas-${weights}`), weights, ['--output-visibility', 'packed']);
      gas.push(await gasOf(spec, b, weights));
      ctx.onProgress?.({ rows, gas, accuracy });
    }
    for (const weights of ['fixed', 'hashed'] as const) {
      ctx.log(`hashed-weights: accuracy claim, digits MLP, 360 samples, ${weights} weights`);
      accuracy.push(await accuracyOf(ctx.root, builds[weights]!, weights));
      ctx.onProgress?.({ rows, gas, accuracy });
    }
  }
  return { rows, gas, accuracy };
}
