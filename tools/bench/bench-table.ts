/**
 * Markdown rendering of benchmark results, in a form that pastes into README.md as is. Goals
 * are shown next to the numbers they judge, so a missed goal is visible in the table itself.
 */
import type { BenchResult } from './bench-dev-setup.js';
import type { BenchBatchResult } from './bench-batch.js';
import type { ModelResult } from './bench-model.js';
import type { AccuracyResult } from './bench-accuracy.js';

/** One goal and whether the measurement met it. */
export interface Goal {
  /** Where it applies, e.g. a model row name or `setup`. */
  readonly item: string;
  /** Human-readable, e.g. `prove ≤ 0.25 s warm`. */
  readonly goal: string;
  readonly actual: string;
  readonly met: boolean;
}

/** Records a goal: `actual` against `limit`, met when at most (or, `atMost` false, at least) it. */
export type RecordGoal = (
  item: string,
  text: string,
  actual: number,
  limit: number,
  atMost: boolean,
  show: (n: number) => string,
) => void;

/** One embedded-EVM gas measurement. */
export interface GasRow {
  readonly name: string;
  readonly publicSignals: number;
  readonly gas: number;
  readonly verifyMs: number;
  readonly valid: boolean;
  readonly deployedSize?: number;
}

const int = (n: number): string => n.toLocaleString('en-US');
const sec = (n: number | undefined): string => (n === undefined ? '–' : n < 10 ? n.toFixed(3) : n.toFixed(1));
const mib = (n: number): string => n.toFixed(0);

/** `✓ goal` / `✗ goal (actual)` for every goal of `item`, joined for one table cell. */
export function goalCell(goals: readonly Goal[], item: string): string {
  const mine = goals.filter((g) => g.item === item);
  return mine.length === 0 ? '' : mine.map((g) => (g.met ? `✓ ${g.goal}` : `✗ ${g.goal} (got ${g.actual})`)).join('; ');
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The per-model table. */
export function modelTable(rows: readonly ModelResult[], goals: readonly Goal[]): string {
  const header = [
    'Model',
    'Input',
    'Output',
    'Constraints',
    'Public signals',
    'Compile s (check)',
    'Setup s',
    'Prove s (cold)',
    'Prove s (warm)',
    'Verify s',
    'Peak RSS MB',
    'Goals',
  ];
  return table(
    header,
    rows.map((r) => {
      if (r.status !== 'ok') {
        const why = r.status === 'unsupported' ? 'unsupported' : `failed: ${(r.error ?? '').slice(0, 80)}`;
        return [
          r.name,
          r.inputVisibility,
          r.outputVisibility,
          why,
          '–',
          '–',
          '–',
          '–',
          '–',
          '–',
          mib(r.peakRssMiB),
          goalCell(goals, r.name),
        ];
      }
      return [
        r.name,
        r.inputVisibility,
        r.outputVisibility,
        int(r.constraints!),
        String(r.publicSignals),
        sec(r.compileSeconds) + (r.checkSeconds !== undefined ? ` (${sec(r.checkSeconds)})` : ''),
        sec(r.setupSeconds),
        sec(r.proveColdSeconds),
        sec(r.proveWarmSeconds),
        sec(r.verifySeconds) + (r.valid ? '' : ' INVALID'),
        mib(r.peakRssMiB),
        goalCell(goals, r.name),
      ];
    }),
  );
}

/** The setup table: one row per route and power. */
export function setupTable(rows: readonly BenchResult[], goals: readonly Goal[]): string {
  const header = ['Setup route', 'Domain', 'Constraints', 'Wall s', 'CPU s', 'Peak RSS MB', 'Goals'];
  return table(
    header,
    rows.map((r) => {
      const name = r.route === 'dev-setup' ? 'dev setup' : 'snarkjs ptau + zkey new';
      return [
        name,
        `2^${r.power}`,
        int(r.nConstraints),
        sec(r.seconds),
        sec(r.cpuSeconds),
        mib(r.peakRssMiB),
        goalCell(goals, `setup-${r.route}-${r.power}`),
      ];
    }),
  );
}

/** The batch table: sequential first, then each pool size. */
export function batchTable(r: BenchBatchResult, goals: readonly Goal[]): string {
  const header = ['Batch proving', 'Inputs', 'Seconds', 'Proofs/s', '× sequential', 'Goals'];
  return table(header, [
    [
      'sequential (1 process)',
      String(r.inputs),
      sec(r.sequential.seconds),
      r.sequential.proofsPerSecond.toFixed(2),
      '1.00',
      '',
    ],
    ...r.pool.map((p) => [
      `pool, ${p.workers} worker${p.workers === 1 ? '' : 's'}`,
      String(r.inputs),
      sec(p.seconds),
      p.proofsPerSecond.toFixed(2),
      p.speedup.toFixed(2),
      goalCell(goals, `batch-${p.workers}`),
    ]),
  ]);
}

/** The gas table. */
export function gasTable(rows: readonly GasRow[], goals: readonly Goal[]): string {
  const header = ['Verification (embedded EVM)', 'Public signals', 'Gas', 'Verify ms', 'Valid', 'Goals'];
  return table(
    header,
    rows.map((r) => [
      r.name,
      String(r.publicSignals),
      int(r.gas),
      r.verifyMs.toFixed(1),
      r.valid ? 'yes' : 'NO',
      goalCell(goals, `gas-${r.name}`),
    ]),
  );
}

/** The accuracy-proof table: one row per model, end to end on its test split. */
export function accuracyTable(rows: readonly AccuracyResult[], goals: readonly Goal[]): string {
  const header = [
    'Accuracy proof',
    'Samples',
    'Proven K',
    'Chunk',
    'Constraints / sample (× single hashed)',
    'Constraints / chunk',
    'Keys s',
    'Chunk prove s',
    'End to end s',
    'CPU s',
    'Claim verify s',
    'Peak RSS MB',
    'Goals',
  ];
  return table(
    header,
    rows.map((r) =>
      r.status !== 'ok'
        ? [
            r.name,
            '–',
            `failed: ${(r.error ?? '').slice(0, 80)}`,
            '–',
            '–',
            '–',
            '–',
            '–',
            '–',
            '–',
            '–',
            mib(r.peakRssMiB),
            goalCell(goals, `accuracy-${r.name}`),
          ]
        : [
            r.name,
            String(r.samples),
            `${r.correct} (${((100 * r.correct!) / r.samples!).toFixed(2)} %)`,
            `${r.chunkSize} × ${r.chunks} (2^${r.power})`,
            `${int(r.constraintsPerSample!)} (${(r.constraintsPerSample! / r.singleHashedConstraints!).toFixed(2)}× of ${int(r.singleHashedConstraints!)})`,
            int(r.constraintsPerChunk!),
            sec(r.keySeconds),
            sec(r.chunkProveSeconds),
            sec(r.endToEndSeconds),
            sec(r.cpuSeconds),
            sec(r.verifySeconds) + (r.valid ? '' : ' INVALID'),
            mib(r.peakRssMiB),
            goalCell(goals, `accuracy-${r.name}`),
          ],
    ),
  );
}
