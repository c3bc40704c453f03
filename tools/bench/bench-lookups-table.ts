/**
 * Markdown of the lookups bench (tools/bench/bench-lookups.ts): the goals table, every model ×
 * proof system × limb width, the own prover's cost split and the table function's cost.
 */
import { type LookupsResult, type LookupsRow, variantLabel } from './bench-lookups-args.js';
import { type GoalLine, lookupsGoals } from './bench-lookups-goals.js';

const int = (n: number): string => n.toLocaleString('en-US');
const dash = '–';
/** A failure's reason for a table cell: short, and its `|` (stderr lines are joined by them) escaped. */
const reason = (e: string | undefined): string => (e ?? '').slice(0, 160).replace(/\|/g, '\\|');

/** The variant's label, with the limb width circuit.json records when the run used compile's default. */
const systemLabel = (r: LookupsRow): string =>
  variantLabel(r.variant) +
  (r.variant.proofSystem === 'ultragroth' && r.variant.limbBits === undefined && r.limbBits
    ? ` (K=${r.limbBits})`
    : '');

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The goals table: what | standard | ultragroth | goal | met?. */
export function goalsTable(lines: readonly GoalLine[]): string {
  return table(
    ['What', 'Standard (groth16)', 'Ultragroth (lookups)', 'Goal', 'Met?'],
    lines.map((l) => [
      l.what,
      l.standard,
      l.ultragroth,
      l.goal,
      l.met === undefined ? 'not measured' : l.met ? '✓' : '✗',
    ]),
  );
}

/** Every model × variant: sizes, lookups, times, memory. */
export function rowsTable(rows: readonly LookupsRow[]): string {
  const header = [
    'Model',
    'System',
    'Constraints',
    'Domain',
    'Lookups',
    'Tables (size: lookups)',
    'Compile s',
    'Setup s',
    'Warm prove s',
    'Verify s',
    'Peak RSS MB',
    'Gas',
  ];
  const t = (x?: number) => (x === undefined ? dash : x < 10 ? x.toFixed(3) : x.toFixed(1));
  return table(
    header,
    rows.map((r) => {
      const system = systemLabel(r);
      if (r.status !== 'ok')
        return [r.model, system, `failed: ${reason(r.error)}`, ...new Array<string>(header.length - 3).fill(dash)];
      const tables = r.tables?.length
        ? r.tables.map((x) => `${x.name} ${int(x.size)}: ${int(x.lookups)}`).join('; ')
        : dash;
      return [
        r.model,
        system,
        int(r.constraints!),
        `2^${r.power}`,
        r.nLookups === undefined ? dash : int(r.nLookups),
        tables,
        t(r.compileSeconds),
        t(r.setupSeconds),
        t(r.proveWarmSeconds),
        t(r.verifySeconds) + (r.valid === false ? ' INVALID' : ''),
        r.peakRssMiB === undefined ? dash : r.peakRssMiB.toFixed(0),
        r.gas === undefined ? dash : int(r.gas),
      ];
    }),
  );
}

/** The own prover's cost split of every measured row, seconds. */
export function splitTable(rows: readonly LookupsRow[]): string {
  const f = (x: number) => x.toFixed(2);
  return table(
    ['Model', 'System', 'Witness', 'QAP A,B,C', 'FFT/h', 'MSMs A,B,C,H', 'Round 1 (C₁ + hash + round 2)', 'Other'],
    rows
      .filter((r) => r.split)
      .map((r) => {
        const s = r.split!;
        return [
          r.model,
          systemLabel(r),
          f(s.witness),
          f(s.qap),
          f(s.fft),
          f(s.msm),
          r.variant.proofSystem === 'groth16' ? dash : f(s.round1),
          f(s.other),
        ];
      }),
  );
}

/** The section's markdown (headings included). */
export function lookupsMarkdown(r: LookupsResult): string {
  const parts = [`### Lookups: issue-20 goals, both proof systems in one run\n\n${goalsTable(lookupsGoals(r))}\n`];
  if (r.rows.length)
    parts.push(
      `### Lookups: every model and proof system (warm prove = median of ${r.args.runs}, one prover, key in memory)\n\n${rowsTable(r.rows)}\n`,
    );
  if (r.rows.some((x) => x.split))
    parts.push(
      `### Lookups: own prover's cost split of one profiled warm proof (steps one after another), seconds\n\n${splitTable(r.rows)}\n`,
    );
  if (r.tableFunctions.length)
    parts.push(
      `### Lookups: table function per evaluation (signed 8-bit input)\n\n${table(
        ['Op', 'System', 'Constraints per evaluation', 'Once per table'],
        r.tableFunctions.map((t) => [
          t.op,
          variantLabel(t.variant),
          t.error ? `failed: ${reason(t.error)}` : String(t.perEvaluation),
          t.error ? dash : int(t.fixed),
        ]),
      )}\n`,
    );
  return parts.join('\n');
}
