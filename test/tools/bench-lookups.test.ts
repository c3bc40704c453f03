/**
 * The lookups bench (`npm run bench -- --only lookups`, tools/bench/bench-lookups*.ts): its flags
 * parse into the variants it builds (and bad ones are refused by name), the prover's profile
 * groups into the split's columns, the goals are judged on the first ultragroth variant, and the
 * markdown shows both systems side by side. No proving and no timing asserts: the results are
 * made-up numbers, the point is the judging and the rendering.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compileFlags,
  costSplit,
  type LookupsResult,
  type LookupsRow,
  lookupsVariants,
  parseLookupsArgs,
  variantLabel,
} from '../../tools/bench/bench-lookups-args.js';
import { lookupsGoals } from '../../tools/bench/bench-lookups-goals.js';
import { lookupsMarkdown } from '../../tools/bench/bench-lookups-table.js';

test('flags: defaults, a limb-width sweep, models, accuracy and runs', () => {
  const d = parseLookupsArgs(['--only', 'lookups']);
  assert.deepEqual(d, { limbBits: [undefined], accuracy: false, runs: 2 });
  assert.deepEqual(lookupsVariants(d), [{ proofSystem: 'groth16' }, { proofSystem: 'ultragroth' }]);
  assert.deepEqual(compileFlags({ proofSystem: 'ultragroth' }), ['--proof-system', 'ultragroth']);

  const s = parseLookupsArgs([
    '--only',
    'lookups',
    '--limb-bits',
    '8,10,12',
    '--lookups-models',
    'mnist-8,digits-sigmoid',
    '--lookups-accuracy',
    '--lookups-runs',
    '3',
  ]);
  assert.deepEqual(s, { limbBits: [8, 10, 12], models: ['mnist-8', 'digits-sigmoid'], accuracy: true, runs: 3 });
  const v = lookupsVariants(s);
  assert.deepEqual(v.map(variantLabel), ['groth16', 'ultragroth K=8', 'ultragroth K=10', 'ultragroth K=12']);
  assert.deepEqual(compileFlags(v[2]!), ['--proof-system', 'ultragroth', '--limb-bits', '10']);
  assert.deepEqual(compileFlags(v[0]!), ['--proof-system', 'groth16']);
});

test('flags: bad values are refused naming the flag', () => {
  assert.throws(() => parseLookupsArgs(['--limb-bits', '8,x']), /--limb-bits: "x" is not a limb width/);
  assert.throws(() => parseLookupsArgs(['--limb-bits', '1']), /--limb-bits: "1"/);
  assert.throws(() => parseLookupsArgs(['--limb-bits', '10,10']), /names a width twice/);
  assert.throws(() => parseLookupsArgs(['--limb-bits']), /--limb-bits needs a value/);
  assert.throws(() => parseLookupsArgs(['--lookups-models', 'mnist-9']), /unknown model "mnist-9"/);
  assert.throws(() => parseLookupsArgs(['--lookups-runs', '0']), /--lookups-runs: "0"/);
});

test('the profile groups into witness, QAP, FFT, MSMs, round 1 and the rest', () => {
  const s = costSplit(
    {
      prepareMs: 10,
      qapMs: 100,
      fftMs: 1000,
      msmAMs: 200,
      msmB1Ms: 100,
      msmB2Ms: 300,
      msmCMs: 50,
      msmHMs: 2000,
      msmC1Ms: 400,
      challengeMs: 5,
      finishMs: 20,
    },
    1.5,
  );
  assert.deepEqual(
    { witness: s.witness, qap: s.qap, fft: s.fft, msm: s.msm, round1: s.round1, other: s.other },
    { witness: 1.5, qap: 0.1, fft: 1, msm: 2.65, round1: 0.405, other: 0.03 },
  );
  assert.equal(s.raw.msmC1Ms, 400, 'the raw timings are kept for bench.json');
});

const row = (model: string, proofSystem: 'groth16' | 'ultragroth', r: Partial<LookupsRow>): LookupsRow => ({
  model,
  variant: proofSystem === 'groth16' ? { proofSystem } : { proofSystem, limbBits: 10 },
  status: 'ok',
  power: 15,
  publicSignals: 2,
  ...r,
});

function result(): LookupsResult {
  return {
    args: parseLookupsArgs(['--limb-bits', '10,12', '--lookups-accuracy']),
    rows: [
      row('mnist-8', 'groth16', { constraints: 189_047, proveWarmSeconds: 8.85, peakRssMiB: 1119 }),
      row('mnist-8', 'ultragroth', {
        constraints: 61_000,
        proveWarmSeconds: 3.4,
        peakRssMiB: 800,
        limbBits: 10,
        nLookups: 40_000,
        tables: [{ name: 'range10', size: 1024, lookups: 40_000 }],
        split: costSplit({ fftMs: 900, msmHMs: 1500, msmC1Ms: 300 }, 0.5),
      }),
      // A limb width of the sweep that is not the judged one: a better number here must not meet the goal.
      {
        ...row('mnist-8', 'ultragroth', { constraints: 50_000, proveWarmSeconds: 1, peakRssMiB: 700 }),
        variant: { proofSystem: 'ultragroth', limbBits: 12 },
      },
      row('digits-lstm', 'groth16', { constraints: 43_155, proveWarmSeconds: 2.07, peakRssMiB: 500 }),
      {
        model: 'digits-lstm',
        variant: { proofSystem: 'ultragroth', limbBits: 10 },
        status: 'failed',
        error: 'zkinfer compile BUILD exited 3: boom | at x',
      },
      row('digits-mlp-hashed-packed', 'groth16', { constraints: 1762, gas: 221_677 }),
      row('digits-mlp-hashed-packed', 'ultragroth', { constraints: 900, gas: 259_000 }),
    ],
    tableFunctions: [
      { variant: { proofSystem: 'groth16' }, op: 'Sigmoid', perEvaluation: 46, fixed: 0 },
      { variant: { proofSystem: 'ultragroth', limbBits: 10 }, op: 'Sigmoid', perEvaluation: 3, fixed: 257 },
    ],
    accuracy: [{ variant: { proofSystem: 'groth16' }, status: 'ok', samples: 360, correct: 351, seconds: 216.5 }],
    prover: { status: 'ok', snarkjsWarmSeconds: 56.32, ownWarmSeconds: 37.44 },
  };
}

test('goals: judged on the first limb width, unmeasured ones said so', () => {
  const goals = lookupsGoals(result());
  const met = Object.fromEntries(goals.map((g) => [g.what, g.met]));
  assert.deepEqual(met, {
    'mnist-8 constraints': true,
    'mnist-8 warm prove': false,
    'mnist-8 peak memory (proving process)': true,
    'digits-lstm warm prove': undefined,
    'table function (sigmoid, 8-bit input) constraints per evaluation': true,
    'digits-CNN accuracy proof, 360 samples, end to end': undefined,
    'hashed-input, packed-output digits MLP gas on chain': true,
    'own prover vs snarkjs, standard Groth16 mnist-8, warm': true,
  });
  const prove = goals.find((g) => g.what === 'mnist-8 warm prove')!;
  assert.equal(prove.standard, '8.85 s');
  assert.equal(prove.ultragroth, '3.40 s');
  assert.equal(prove.actual, 3.4);
  assert.equal(goals.find((g) => g.what === 'digits-lstm warm prove')!.ultragroth, '–');
});

test('markdown: goals table, both systems per model, the sweep, the split and the table function', () => {
  const md = lookupsMarkdown(result());
  assert.match(md, /\| What \| Standard \(groth16\) \| Ultragroth \(lookups\) \| Goal \| Met\? \|/);
  assert.match(md, /\| mnist-8 constraints \| 189,047 \| 61,000 \| ≤ 63,000 \| ✓ \|/);
  assert.match(md, /\| mnist-8 warm prove \| 8\.85 s \| 3\.40 s \| ≤ 3 s \| ✗ \|/);
  assert.match(
    md,
    /\| digits-CNN accuracy proof, 360 samples, end to end \| 216\.5 s \| – \| ≤ 80 s \| not measured \|/,
  );
  assert.match(md, /\| mnist-8 \| ultragroth K=12 \| 50,000 \|/);
  assert.ok(
    md.includes('| digits-lstm | ultragroth K=10 | failed: zkinfer compile BUILD exited 3: boom \\| at x |'),
    'a | in a reason is escaped',
  );
  assert.match(md, /range10 1,024: 40,000/);
  assert.match(md, /\| mnist-8 \| ultragroth K=10 \| 0\.50 \| 0\.00 \| 0\.90 \| 1\.50 \| 0\.30 \| 0\.00 \|/);
  assert.match(md, /\| Sigmoid \| ultragroth K=10 \| 3 \| 257 \|/);
  assert.match(md, /\| hashed-input, packed-output digits MLP gas on chain \| 221,677 \| 259,000 \| ≤ 260,000 \| ✓ \|/);
});
