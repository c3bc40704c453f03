/**
 * The lookups bench (`npm run bench -- --only lookups`, issue 20): mnist-8, the digits
 * transformer, LSTM and CNN, the hashed-input packed-output digits MLP and the sigmoid/tanh digits
 * MLP, each built with `compile --proof-system groth16` and `--proof-system ultragroth` (at every
 * `--limb-bits` width of the sweep) in the same run — quantize, compile and dev setup through the
 * real CLI, then a fresh process that proves warm, verifies and profiles one proof
 * (tools/bench/bench-lookups-prove.ts) — plus the digits MLP's on-chain gas (embedded EVM), the
 * sigmoid's constraints per evaluation, the opt-in digits-CNN accuracy proof of 360 samples
 * (`--lookups-accuracy`) and zkinfer's own prover against snarkjs on standard-Groth16 mnist-8
 * (tools/bench/bench-prover.ts). Tables: tools/bench/bench-lookups-table.ts.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyOnChain } from '../../src/chain/verify-on-chain.js';
import type { ProofBundle } from '../../src/formats/bundle.js';
import { artifactPath } from '../../src/formats/paths.js';
import { runChild } from './child-process.js';
import { json, runCli } from './cli-run.js';
import type { LookupsProveJob, LookupsProveResult } from './bench-lookups-prove.js';
import type { ProverResult } from './bench-prover.js';
import {
  compileFlags,
  type LookupsAccuracyRow,
  type LookupsArgs,
  type LookupsResult,
  type LookupsRow,
  lookupsVariants,
  type LookupsVariant,
  parseLookupsArgs,
  variantLabel,
} from './bench-lookups-args.js';
import { lookupsGoals } from './bench-lookups-goals.js';
import { lookupsMarkdown } from './bench-lookups-table.js';
import type { RecordGoal } from './bench-table.js';

/** What the section needs from the bench runner. */
export interface LookupsSectionContext {
  readonly root: string;
  readonly work: string;
  readonly argv: readonly string[];
  readonly log: (msg: string) => void;
  readonly goal: RecordGoal;
  readonly print: (s: string) => void;
}

interface ModelSpec {
  readonly name: string;
  readonly model: string;
  readonly input: string;
  readonly calibration?: string;
  readonly inputVisibility: 'public' | 'hashed';
  readonly outputVisibility: 'public' | 'packed';
}

/** The models of the section (LOOKUPS_MODELS), as the models and sequence benches build them. */
function modelSpecs(root: string): ModelSpec[] {
  const m = (f: string) => join(root, 'models', f);
  const zoo = join(root, '../shared/conformance/models');
  const digits = { input: m('samples/digit-3.json'), calibration: m('calibration.json') };
  const pub = { inputVisibility: 'public', outputVisibility: 'public' } as const;
  return [
    // Public input and output, as the 189,047 constraints were counted.
    { name: 'mnist-8', model: join(zoo, 'mnist-8.onnx'), input: join(zoo, 'mnist-8-samples', 'input_0.pb'), ...pub },
    { name: 'digits-transformer', model: m('digits-transformer.onnx'), ...digits, ...pub },
    { name: 'digits-lstm', model: m('digits-lstm.onnx'), ...digits, ...pub },
    { name: 'digits-cnn', model: m('digits-cnn.onnx'), ...digits, ...pub },
    {
      name: 'digits-mlp-hashed-packed',
      model: m('digits-mlp.onnx'),
      ...digits,
      inputVisibility: 'hashed',
      outputVisibility: 'packed',
    },
    // Gemm → Sigmoid → Gemm → Tanh → Gemm: table functions on 8-bit inputs in a whole model.
    { name: 'digits-sigmoid', model: m('digits-sigmoid.onnx'), ...digits, ...pub },
  ];
}

/** What circuit.json says about lookups (absent for groth16 builds). */
interface CircuitLookup {
  readonly nConstraints: number;
  readonly nPublic: number;
  readonly power: number;
  readonly lookup?: {
    limbBits: number;
    nLookups: number;
    tables: { name: string; size: number; lookups: number }[];
  };
}

/** Gas of one verifyProof transaction on the embedded EVM (the first call deploys the verifier). */
async function gasOf(bundlePath: string): Promise<number> {
  const bundle = JSON.parse(readFileSync(bundlePath, 'utf8')) as ProofBundle;
  const vkey = bundle.vkey as Record<string, unknown>;
  await verifyOnChain(bundle, vkey, { kind: 'embedded' });
  const v = await verifyOnChain(bundle, vkey, { kind: 'embedded' });
  if (!v.valid) throw new Error(`${bundlePath} does not verify on the embedded EVM`);
  return Number(v.gas);
}

/** Quantize (once per model), then compile, set up, prove and verify one variant. */
async function measureVariant(
  spec: ModelSpec,
  base: string,
  v: LookupsVariant,
  runs: number,
  dir: string,
): Promise<LookupsRow> {
  try {
    cpSync(base, dir, { recursive: true });
    const compile = await runCli([
      'compile',
      dir,
      '--input-visibility',
      spec.inputVisibility,
      '--output-visibility',
      spec.outputVisibility,
      ...compileFlags(v),
      '--json',
    ]);
    // circuit.json as written (compile's --json output renames some fields).
    const info = JSON.parse(readFileSync(artifactPath(dir, 'circuit'), 'utf8')) as CircuitLookup;
    const setup = await runCli(['setup', dir]);
    const job: LookupsProveJob = {
      buildDir: dir,
      inputPath: spec.input,
      bundlePath: join(dir, 'bench.proof.json'),
      runs,
    };
    const p = await runChild<LookupsProveResult>('bench-lookups-prove.js', job);
    if (p.error !== undefined) throw new Error(`prove: ${p.error}`);
    const gas = spec.name === 'digits-mlp-hashed-packed' ? await gasOf(job.bundlePath) : undefined;
    return {
      model: spec.name,
      variant: v,
      status: 'ok',
      constraints: info.nConstraints,
      power: info.power,
      publicSignals: info.nPublic,
      ...(info.lookup
        ? { limbBits: info.lookup.limbBits, nLookups: info.lookup.nLookups, tables: info.lookup.tables }
        : {}),
      compileSeconds: compile.seconds,
      setupSeconds: setup.seconds,
      proveColdSeconds: p.proveColdSeconds,
      proveWarmSeconds: p.proveWarmSeconds,
      verifySeconds: p.verifySeconds,
      valid: p.valid,
      peakRssMiB: p.peakRssMiB,
      ...(p.split ? { split: p.split } : {}),
      ...(gas === undefined ? {} : { gas }),
    };
  } catch (e) {
    // The build path says nothing the row does not; the table cell keeps the reason instead.
    const error = (e as Error).message.split('\n')[0]!.split(dir).join('BUILD');
    return { model: spec.name, variant: v, status: 'failed', error };
  }
}

/** `zkinfer accuracy` of the digits CNN on the 360-sample split, end to end, and `verify` of its claim. */
async function accuracyOf(root: string, dir: string, v: LookupsVariant): Promise<LookupsAccuracyRow> {
  try {
    const split = JSON.parse(readFileSync(join(root, 'models', 'digits-test.json'), 'utf8')) as {
      inputs: number[][];
      labels: number[];
    };
    const dataset = join(dir, 'digits-test-360.jsonl');
    writeFileSync(
      dataset,
      split.inputs.map((x, i) => JSON.stringify({ input: x, label: split.labels[i] })).join('\n') + '\n',
    );
    const acc = await runCli([
      'accuracy',
      dir,
      '--dataset',
      dataset,
      '--out',
      join(dir, 'acc'),
      '--workers',
      '2',
      '--json',
    ]);
    const s = json<{ claim: string; samples: number; correct: number; datasetCommitment: string; keyDir: string }>(acc);
    // The claim must be of the system asked for: a build option the accuracy route ignored would be a silent groth16 row.
    const claim = JSON.parse(readFileSync(s.claim, 'utf8')) as { chunks: { proof: { protocol?: string } }[] };
    const protocol = claim.chunks[0]?.proof.protocol ?? 'groth16';
    if (protocol !== v.proofSystem) throw new Error(`the claim's chunk proofs are ${protocol}, not ${v.proofSystem}`);
    const verify = await runCli([
      'verify',
      s.claim,
      '--vkey',
      join(s.keyDir, 'vkey.json'),
      '--dataset-commitment',
      s.datasetCommitment,
    ]);
    return {
      variant: v,
      status: 'ok',
      samples: s.samples,
      correct: s.correct,
      seconds: acc.seconds,
      peakRssMiB: acc.peakRssMiB,
      valid: verify.code === 0,
    };
  } catch (e) {
    return { variant: v, status: 'failed', error: (e as Error).message.split('\n')[0]! };
  }
}

/** Own prover vs snarkjs on standard-Groth16 mnist-8 (bench-prover's child, its cached build). */
async function proverComparison(spec: ModelSpec): Promise<LookupsResult['prover']> {
  const r = await runChild<ProverResult>('bench-prover.js', {
    name: 'mnist-8',
    modelPath: spec.model,
    inputPath: spec.input,
    runs: 2,
  });
  return r.status === 'ok'
    ? { status: 'ok', snarkjsWarmSeconds: r.snarkjs!.warmSeconds, ownWarmSeconds: r.own!.warmSeconds }
    : { status: 'failed', error: r.error };
}

/** Runs the section; returns its result for bench.json. */
export async function runLookupsSection(ctx: LookupsSectionContext): Promise<LookupsResult> {
  const args: LookupsArgs = parseLookupsArgs(ctx.argv);
  const variants = lookupsVariants(args);
  const result: { -readonly [K in keyof LookupsResult]: LookupsResult[K] } = {
    args,
    rows: [],
    tableFunctions: [],
    accuracy: [],
  };
  const dir = join(ctx.work, 'lookups');
  mkdirSync(dir, { recursive: true });
  const specs = modelSpecs(ctx.root).filter((s) => !args.models || args.models.includes(s.name));
  for (const spec of specs) {
    const base = join(dir, `${spec.name}-quantized`);
    ctx.log(`lookups: ${spec.name}: quantize`);
    try {
      await runCli([
        'quantize',
        spec.model,
        '--out',
        base,
        '--input',
        spec.input,
        ...(spec.calibration ? ['--calibration', spec.calibration] : []),
      ]);
    } catch (e) {
      for (const v of variants)
        result.rows.push({
          model: spec.name,
          variant: v,
          status: 'failed',
          error: (e as Error).message.split('\n')[0]!,
        });
      continue;
    }
    for (const v of variants) {
      ctx.log(`lookups: ${spec.name}, ${variantLabel(v)}`);
      const row = await measureVariant(
        spec,
        base,
        v,
        args.runs,
        join(dir, `${spec.name}-${variantLabel(v).replace(/[ =]/g, '')}`),
      );
      result.rows.push(row);
      ctx.log(
        row.status === 'ok'
          ? `  ${row.constraints} constraints, warm prove ${row.proveWarmSeconds!.toFixed(2)} s, peak ${row.peakRssMiB!.toFixed(0)} MB`
          : `  failed: ${row.error}`,
      );
    }
    if (spec.name === 'digits-cnn' && args.accuracy)
      for (const v of variants.slice(0, 2)) {
        ctx.log(`lookups: digits-CNN accuracy proof, 360 samples, ${variantLabel(v)}`);
        const built = join(dir, `${spec.name}-${variantLabel(v).replace(/[ =]/g, '')}`);
        const accDir = join(dir, `${spec.name}-accuracy-${v.proofSystem}`);
        if (existsSync(built)) cpSync(built, accDir, { recursive: true });
        result.accuracy.push(await accuracyOf(ctx.root, accDir, v));
      }
    if (spec.name === 'mnist-8') {
      ctx.log('lookups: own prover vs snarkjs, standard Groth16 mnist-8');
      result.prover = await proverComparison(spec);
    }
  }
  if (!args.models || args.models.includes('digits-sigmoid')) {
    ctx.log('lookups: sigmoid constraints per evaluation');
    const { measureTableFunction } = await import('./bench-lookups-ops.js');
    result.tableFunctions.push(...measureTableFunction(variants));
  }
  for (const g of lookupsGoals(result))
    if (g.actual !== undefined) ctx.goal(g.item, `${g.what} ${g.goal}`, g.actual, g.limit, g.atMost, g.show);
  ctx.print(lookupsMarkdown(result));
  return result;
}
