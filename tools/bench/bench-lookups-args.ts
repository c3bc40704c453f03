/**
 * Types, argument parsing and the cost-split grouping of the lookups bench (`npm run bench --
 * --only lookups`, tools/bench/bench-lookups.ts, issue 20): every model built with the standard
 * Groth16 system and with ultragroth (two-round Groth16 with LogUp lookups) in the same run, at
 * every limb width of a `--limb-bits` sweep. Pure, so test/tools/bench-lookups.test.ts runs it
 * without proving anything.
 */
import { MAX_LIMB_BITS, MIN_LIMB_BITS } from '../../circuits/lookup.js';
/** The two proof systems of `compile --proof-system`. */
export type ProofSystem = 'groth16' | 'ultragroth';

/** One build of a model: the proof system and, for ultragroth, the limb width (undefined = compile's default). */
export interface LookupsVariant {
  readonly proofSystem: ProofSystem;
  readonly limbBits?: number;
}

/** What `--only lookups` was asked to do (see {@link parseLookupsArgs}). */
export interface LookupsArgs {
  /** Ultragroth limb widths to build, in order; the first is the one the goals judge. [undefined] = compile's default. */
  readonly limbBits: readonly (number | undefined)[];
  /** `--lookups-models a,b`: only these model rows (all when absent). */
  readonly models?: readonly string[];
  /** `--lookups-accuracy`: also the digits-CNN 360-sample accuracy proof with both systems (minutes). */
  readonly accuracy: boolean;
  /** Warm proofs per build (`--lookups-runs N`, default 2; the median is reported). */
  readonly runs: number;
}

/** Where one proof's time went, seconds (from the prover's profile, steps one after another). */
export interface CostSplit {
  /** The model pass (round-1 witness) plus, for ultragroth, the round-2 completion. */
  readonly witness: number;
  /** QAP evaluation of A, B, C on the domain. */
  readonly qap: number;
  /** The iFFTs/FFTs and the pointwise A·B − C. */
  readonly fft: number;
  /** The A, B₁, B₂, C and H multi-exponentiations. */
  readonly msm: number;
  /** Ultragroth only: the round-1 commitment C₁ (its MSM), the keccak challenge and the round-2 completion in the prover. */
  readonly round1: number;
  /** Witness preparation, blinding, affine conversion, JSON. */
  readonly other: number;
  /** The prover's own timings, milliseconds, as reported (every key kept for bench.json). */
  readonly raw: Readonly<Record<string, number>>;
}

/** One model built with one variant. */
export interface LookupsRow {
  readonly model: string;
  readonly variant: LookupsVariant;
  readonly status: 'ok' | 'failed';
  readonly error?: string;
  readonly constraints?: number;
  readonly power?: number;
  readonly publicSignals?: number;
  /** Ultragroth: the limb width circuit.json records (the default's actual value). */
  readonly limbBits?: number;
  readonly nLookups?: number;
  readonly tables?: readonly { readonly name: string; readonly size: number; readonly lookups: number }[];
  readonly compileSeconds?: number;
  readonly setupSeconds?: number;
  readonly proveColdSeconds?: number;
  /** Median of the warm proofs (one prover, key kept in memory). */
  readonly proveWarmSeconds?: number;
  readonly verifySeconds?: number;
  readonly valid?: boolean;
  /** Peak RSS of the proving process (witness, proofs, verify), MiB. */
  readonly peakRssMiB?: number;
  readonly split?: CostSplit;
  /** Embedded-EVM gas of one verifyProof transaction (the digits MLP row only). */
  readonly gas?: number;
}

/** The table function's cost per evaluation (sigmoid, signed 8-bit input), from compiled circuits. */
export interface TableFunctionRow {
  readonly variant: LookupsVariant;
  readonly op: string;
  /** Marginal constraints of one more evaluation (slope between two element counts). */
  readonly perEvaluation: number;
  /** What the table costs once, whatever the number of evaluations (table entries, balance). */
  readonly fixed: number;
  readonly error?: string;
}

/** The digits-CNN accuracy proof of the 360-sample split, end to end. */
export interface LookupsAccuracyRow {
  readonly variant: LookupsVariant;
  readonly status: 'ok' | 'failed';
  readonly error?: string;
  readonly samples?: number;
  readonly correct?: number;
  readonly seconds?: number;
  readonly peakRssMiB?: number;
  readonly valid?: boolean;
}

/** Own prover against snarkjs, standard Groth16 mnist-8 (tools/bench/bench-prover.ts). */
export interface LookupsProverRow {
  readonly status: 'ok' | 'failed';
  readonly error?: string;
  readonly snarkjsWarmSeconds?: number;
  readonly ownWarmSeconds?: number;
}

/** Everything the section measured (bench.json's `lookups`). */
export interface LookupsResult {
  readonly args: LookupsArgs;
  readonly rows: LookupsRow[];
  readonly tableFunctions: TableFunctionRow[];
  readonly accuracy: LookupsAccuracyRow[];
  readonly prover?: LookupsProverRow;
}

/** The model rows of the section, in order. */
export const LOOKUPS_MODELS = [
  'mnist-8',
  'digits-transformer',
  'digits-lstm',
  'digits-cnn',
  'digits-mlp-hashed-packed',
  'digits-sigmoid',
] as const;

const flagValue = (argv: readonly string[], flag: string): string | undefined => {
  const at = argv.indexOf(flag);
  if (at < 0) return undefined;
  const v = argv[at + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
  return v;
};

/**
 * The section's flags: `--limb-bits 8,10,12` (the sweep; the first is judged by the goals),
 * `--lookups-models a,b`, `--lookups-accuracy`, `--lookups-runs N`.
 * @throws Error naming the flag and the bad value.
 */
export function parseLookupsArgs(argv: readonly string[]): LookupsArgs {
  const limb = flagValue(argv, '--limb-bits');
  const limbBits = limb === undefined ? [undefined] : limb.split(',').map((s) => s.trim());
  for (const k of limbBits)
    if (k !== undefined && !(/^\d+$/.test(k) && Number(k) >= MIN_LIMB_BITS && Number(k) <= MAX_LIMB_BITS))
      throw new Error(
        `--limb-bits: ${JSON.stringify(k)} is not a limb width (an integer ${MIN_LIMB_BITS}..${MAX_LIMB_BITS}; e.g. --limb-bits 8,10,12)`,
      );
  const picked = flagValue(argv, '--lookups-models')?.split(',').filter(Boolean);
  for (const m of picked ?? [])
    if (!(LOOKUPS_MODELS as readonly string[]).includes(m))
      throw new Error(`--lookups-models: unknown model ${JSON.stringify(m)} (one of ${LOOKUPS_MODELS.join(', ')})`);
  const runsText = flagValue(argv, '--lookups-runs') ?? '2';
  if (!/^[1-9]\d*$/.test(runsText))
    throw new Error(`--lookups-runs: ${JSON.stringify(runsText)} is not a positive integer`);
  const widths = limbBits.map((k) => (k === undefined ? undefined : Number(k)));
  if (new Set(widths).size !== widths.length) throw new Error(`--limb-bits: ${limb} names a width twice`);
  return {
    limbBits: widths,
    ...(picked ? { models: picked } : {}),
    accuracy: argv.includes('--lookups-accuracy'),
    runs: Number(runsText),
  };
}

/** The variants of one model: standard first, then ultragroth at every limb width of the sweep. */
export function lookupsVariants(args: LookupsArgs): LookupsVariant[] {
  return [
    { proofSystem: 'groth16' },
    ...args.limbBits.map((k): LookupsVariant =>
      k === undefined ? { proofSystem: 'ultragroth' } : { proofSystem: 'ultragroth', limbBits: k },
    ),
  ];
}

/** `groth16`, `ultragroth` or `ultragroth K=10`. */
export function variantLabel(v: LookupsVariant): string {
  return v.proofSystem === 'groth16'
    ? 'groth16'
    : v.limbBits === undefined
      ? 'ultragroth'
      : `ultragroth K=${v.limbBits}`;
}

export const sameVariant = (a: LookupsVariant, b: LookupsVariant) =>
  a.proofSystem === b.proofSystem && a.limbBits === b.limbBits;

/**
 * Groups the prover's profile timings (ms) into the split's columns; unknown keys go by name
 * (an ultragroth prover's round-1 steps name C₁, the commitment, the challenge or the round).
 */
export function costSplit(timingsMs: Readonly<Record<string, number>>, witnessSeconds: number): CostSplit {
  let qap = 0;
  let fft = 0;
  let msm = 0;
  let round1 = 0;
  let other = 0;
  for (const [key, ms] of Object.entries(timingsMs)) {
    if (typeof ms !== 'number') continue;
    if (/c1|round1|round2|commit|challenge|hash|keccak/i.test(key)) round1 += ms;
    else if (/^qap/i.test(key)) qap += ms;
    else if (/^fft/i.test(key)) fft += ms;
    else if (/^msm/i.test(key)) msm += ms;
    else other += ms;
  }
  const s = (ms: number) => ms / 1000;
  return {
    witness: witnessSeconds,
    qap: s(qap),
    fft: s(fft),
    msm: s(msm),
    round1: s(round1),
    other: s(other),
    raw: { ...timingsMs },
  };
}

/** `compile` flags of a variant (the plumbing's `--proof-system` and `--limb-bits`). */
export function compileFlags(v: LookupsVariant): string[] {
  return ['--proof-system', v.proofSystem, ...(v.limbBits === undefined ? [] : ['--limb-bits', String(v.limbBits)])];
}
