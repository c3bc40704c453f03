/**
 * The issue-20 goals of the lookups bench (what | standard | ultragroth | goal | met?), judged on
 * the first ultragroth variant of the run (the first `--limb-bits` width, or compile's default).
 */
import { type LookupsResult, type LookupsRow, type LookupsVariant, sameVariant } from './bench-lookups-args.js';

/** One line of the goals table; `met` undefined when the ultragroth (or only) side was not measured. */
export interface GoalLine {
  readonly item: string;
  readonly what: string;
  readonly standard: string;
  readonly ultragroth: string;
  readonly goal: string;
  /** The judged number (for RecordGoal) and the limit. */
  readonly actual?: number;
  readonly limit: number;
  readonly atMost: boolean;
  readonly show: (n: number) => string;
  readonly met?: boolean;
}

const int = (n: number): string => n.toLocaleString('en-US');
const sec = (n: number): string => (n < 10 ? `${n.toFixed(2)} s` : `${n.toFixed(1)} s`);
const gb = (mib: number): string => `${(mib / 1024).toFixed(2)} GiB`;
const ratio = (n: number): string => `${n.toFixed(2)}×`;
const dash = '–';

/** The issue-20 goals, judged on the first ultragroth variant (the first `--limb-bits` width). */
export function lookupsGoals(r: LookupsResult): GoalLine[] {
  const ug: LookupsVariant =
    r.args.limbBits[0] === undefined
      ? { proofSystem: 'ultragroth' }
      : { proofSystem: 'ultragroth', limbBits: r.args.limbBits[0] };
  const std: LookupsVariant = { proofSystem: 'groth16' };
  const row = (model: string, v: LookupsVariant) =>
    r.rows.find((x) => x.model === model && sameVariant(x.variant, v) && x.status === 'ok');
  const lines: GoalLine[] = [];
  const modelGoal = (
    item: string,
    what: string,
    model: string,
    pick: (x: LookupsRow) => number | undefined,
    limit: number,
    goal: string,
    show: (n: number) => string,
  ) => {
    const a = row(model, std);
    const b = row(model, ug);
    const sa = a && pick(a);
    const sb = b && pick(b);
    if (!r.rows.some((x) => x.model === model)) return;
    lines.push({
      item,
      what,
      standard: sa === undefined ? dash : show(sa),
      ultragroth: sb === undefined ? dash : show(sb),
      goal,
      actual: sb,
      limit,
      atMost: true,
      show,
      met: sb === undefined ? undefined : sb <= limit,
    });
  };
  modelGoal('lookups-mnist-8', 'mnist-8 constraints', 'mnist-8', (x) => x.constraints, 63_000, '≤ 63,000', int);
  modelGoal('lookups-mnist-8', 'mnist-8 warm prove', 'mnist-8', (x) => x.proveWarmSeconds, 3, '≤ 3 s', sec);
  modelGoal(
    'lookups-mnist-8',
    'mnist-8 peak memory (proving process)',
    'mnist-8',
    (x) => x.peakRssMiB,
    1024,
    '≤ 1 GiB',
    gb,
  );
  modelGoal(
    'lookups-digits-transformer',
    'digits-transformer warm prove',
    'digits-transformer',
    (x) => x.proveWarmSeconds,
    1,
    '≤ 1.0 s',
    sec,
  );
  modelGoal(
    'lookups-digits-lstm',
    'digits-lstm warm prove',
    'digits-lstm',
    (x) => x.proveWarmSeconds,
    1,
    '≤ 1.0 s',
    sec,
  );
  const tf = (v: LookupsVariant) => r.tableFunctions.find((t) => sameVariant(t.variant, v) && t.error === undefined);
  if (r.tableFunctions.length) {
    const a = tf(std);
    const b = tf(ug);
    lines.push({
      item: 'lookups-table-function',
      what: 'table function (sigmoid, 8-bit input) constraints per evaluation',
      standard: a ? String(a.perEvaluation) : dash,
      ultragroth: b ? `${b.perEvaluation} (+${int(b.fixed)} once per table)` : dash,
      goal: '≤ 4',
      actual: b?.perEvaluation,
      limit: 4,
      atMost: true,
      show: String,
      met: b === undefined ? undefined : b.perEvaluation <= 4,
    });
  }
  if (r.accuracy.length) {
    const acc = (v: LookupsVariant) => r.accuracy.find((x) => sameVariant(x.variant, v) && x.status === 'ok');
    const a = acc(std);
    const b = acc(ug);
    lines.push({
      item: 'lookups-accuracy-digits-cnn',
      what: 'digits-CNN accuracy proof, 360 samples, end to end',
      standard: a ? sec(a.seconds!) : dash,
      ultragroth: b ? sec(b.seconds!) : dash,
      goal: '≤ 80 s',
      actual: b?.seconds,
      limit: 80,
      atMost: true,
      show: sec,
      met: b === undefined ? undefined : b.seconds! <= 80,
    });
  }
  modelGoal(
    'lookups-gas',
    'hashed-input, packed-output digits MLP gas on chain',
    'digits-mlp-hashed-packed',
    (x) => x.gas,
    260_000,
    '≤ 260,000',
    int,
  );
  if (r.prover) {
    const p = r.prover;
    const speedup = p.status === 'ok' ? p.snarkjsWarmSeconds! / p.ownWarmSeconds! : undefined;
    lines.push({
      item: 'lookups-prover-mnist-8',
      what: 'own prover vs snarkjs, standard Groth16 mnist-8, warm',
      standard:
        speedup === undefined
          ? `failed: ${p.error ?? ''}`
          : `${ratio(speedup)} (${sec(p.snarkjsWarmSeconds!)} → ${sec(p.ownWarmSeconds!)})`,
      ultragroth: 'n/a (snarkjs has no ultragroth)',
      goal: '≥ 1.3× faster',
      actual: speedup,
      limit: 1.3,
      atMost: false,
      show: ratio,
      met: speedup === undefined ? undefined : speedup >= 1.3,
    });
  }
  return lines;
}
