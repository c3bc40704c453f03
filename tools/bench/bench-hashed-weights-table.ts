/**
 * Markdown of the hashed-weights bench (tools/bench/bench-hashed-weights.ts): fixed and hashed
 * weights of each model side by side, where the hashed constraints go, gas and accuracy claims.
 */
import type { HashedAccuracyRow, HashedGasRow, HashedWeightsResult, HashedWeightsRow } from './bench-hashed-weights.js';

const n = (v: number): string => v.toLocaleString('en-US');
const s = (v: number): string => (v < 1 ? v.toFixed(3) : v.toFixed(1));

/** Commitment constraints (the Poseidon chain) per committed value, beyond its range check. */
export function commitmentPerValue(row: HashedWeightsRow): number | undefined {
  return row.split && row.values ? row.split.commitment / row.values : undefined;
}

function mainTable(rows: readonly HashedWeightsRow[]): string {
  const head =
    '| Model | Weights | Constraints | Domain | compile s | dev setup s | warm prove s | `prove` s | prove peak RSS MB | verify s | Valid |\n' +
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n';
  return (
    head +
    rows
      .map((r) => {
        const t = r.seconds;
        const cells = [t.compile, t.setup]
          .map(s)
          .concat(t.proveWarm === undefined ? '—' : s(t.proveWarm), s(t.proveCli));
        return (
          `| ${r.model} | ${r.weights} | ${n(r.constraints)} | 2^${r.power} | ${cells.join(' | ')} | ${r.proveRssMiB.toFixed(0)} | ${s(t.verify)} ` +
          `| ${r.valid ? '✓' : '✗'} |`
        );
      })
      .join('\n') +
    '\n'
  );
}

function splitTable(rows: readonly HashedWeightsRow[]): string {
  const head =
    '| Model | Committed values | Fixed-weights constraints | + products (w × x) | + weight range checks | + commitment (Poseidon) | + wider ' +
    'worst-case ranges | = hashed | Commitment per value beyond its range check |\n' +
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n';
  const body = rows
    .filter((r) => r.split)
    .map((r) => {
      const fixed = rows.find((f) => f.model === r.model && f.weights === 'fixed')!;
      const p = r.split!;
      return (
        `| ${r.model} | ${n(r.values!)} | ${n(fixed.constraints)} | ${n(p.products)} | ${n(p.rangeChecks)} | ${n(p.commitment)} | ` +
        `${n(p.widerRanges)} | ${n(r.constraints)} | ${commitmentPerValue(r)!.toFixed(3)} |`
      );
    });
  return head + body.join('\n') + '\n';
}

function gasTable(rows: readonly HashedGasRow[]): string {
  const head = '| Weights | Public signals | Gas |\n| --- | ---: | ---: |\n';
  return head + rows.map((r) => `| ${r.weights} | ${r.publicSignals} | ${n(r.gas)} |`).join('\n') + '\n';
}

function accuracyTable(rows: readonly HashedAccuracyRow[]): string {
  const head =
    '| Weights | Samples | Correct | Chunk | Constraints per sample | `accuracy` end to end s | peak RSS MB | `verify` s |\n' +
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n';
  return (
    head +
    rows
      .map(
        (r) =>
          `| ${r.weights} | ${r.samples} | ${r.correct} (${((100 * r.correct) / r.samples).toFixed(2)} %) | ${r.chunkSize} | ` +
          `${n(r.constraintsPerSample)} | ${r.seconds.toFixed(1)} | ${r.peakRssMiB.toFixed(0)} | ${s(r.verifySeconds)} |`,
      )
      .join('\n') +
    '\n'
  );
}

/** The section's markdown (headings included). */
export function hashedWeightsMarkdown(r: HashedWeightsResult): string {
  const parts = [
    `### Hashed weights vs fixed weights (same run, real CLI; hashed input, public output; dev setup)\n\n${mainTable(r.rows)}`,
    `### Hashed weights: constraints added over fixed weights (from circuit.json opCosts and weightCommitmentCost)\n\n${splitTable(r.rows)}`,
  ];
  if (r.gas.length)
    parts.push(
      `### Hashed weights: on-chain verification (digits MLP, hashed input + packed output, embedded EVM)\n\n${gasTable(r.gas)}`,
    );
  parts.push(
    r.accuracy.length
      ? `### Hashed weights: accuracy claim (digits MLP, 360-sample test split, 2 workers)\n\n${accuracyTable(r.accuracy)}`
      : '### Hashed weights: accuracy claim\n\nNot measured in this run.\n',
  );
  return parts.join('\n');
}
