/**
 * Cost per evaluation of every table-proven function and of the comparison/selection ops,
 * measured from compiled circuits (a one-element model per op), for `npm run bench`.
 */
import { tableLookupCost, tableLookupTotalCost } from '../../circuits/table-lookup.js';
import { buildCircuit } from '../../src/compile/build-circuit.js';
import type { QOp, QuantizedModel } from '../../src/quantize/quantized-model.js';
import { quantizeTable } from '../../src/quantize/quantize-table.js';
import { evalUnary, UNARY_FUNCTIONS, UnaryFn } from '../../src/quantize/unary-functions.js';
import { divConstLayout } from '../../circuits/div-const.js';

/** One measured row. */
export interface OpCostRow {
  readonly op: string;
  /** Constraints per output element, including the input's decomposition. */
  readonly constraints: number;
  /** Constraints beyond the input's own bit decomposition (table functions only). */
  readonly beyondDecomposition?: number;
  readonly formula: string;
}

const INPUT_BITS = 8;
const FRAC = 5;

function model(ops: QOp[], extraInputs = 0): QuantizedModel {
  return {
    formatVersion: 1,
    input: { name: 'x', shape: [1, 1 + extraInputs], frac: FRAC, bits: INPUT_BITS, lo: -128, hi: 127 },
    output: { name: 'y', shape: [1, 1], frac: 0, lo: -(2 ** 40), hi: 2 ** 40 },
    ops,
  };
}

function constraints(m: QuantizedModel): number {
  const n = m.input.shape.reduce((a, b) => a * b, 1);
  return buildCircuit(m, new Array(n).fill(0), { witnessOnly: true }).circuit.nConstraints;
}

/** Constraints of the model minus those of the same circuit without ops (input checks, output binding). */
function measure(m: QuantizedModel): number {
  return constraints(m) - constraints({ ...m, ops: [], output: { ...m.output, name: m.input.name } });
}

/** Measures every table function on a signed 8-bit input (scale 2^−5) and the comparison ops. */
export function measureOpCosts(): OpCostRow[] {
  const rows: OpCostRow[] = [];
  const state = { frac: FRAC, kind: 'act' as const, lo: [-128], hi: [127] };
  for (const fn of UNARY_FUNCTIONS) {
    const param = fn === 'Pow' ? new Float64Array([2]) : fn === 'PRelu' ? new Float64Array([0.25]) : undefined;
    const floats = Array.from({ length: 256 }, (_, u) =>
      evalUnary(fn, (u - 128) * 2 ** -FRAC, {}, param?.[0] ?? 0),
    ).filter(Number.isFinite);
    const { op } = quantizeTable(
      fn,
      'x',
      'y',
      { fn, attrs: {}, ...(param ? { param } : {}) },
      state,
      { min: Math.min(...floats), max: Math.max(...floats) },
      8,
    );
    const c = measure(model([op]));
    rows.push({
      op: fn,
      constraints: c,
      beyondDecomposition: c - INPUT_BITS,
      formula: `n + ≤ ${tableLookupCost(INPUT_BITS)} (n = 8)`,
    });
  }
  const two = (op: 'max' | 'eq' | 'lt', output = 'y'): QOp => ({
    kind: 'binary',
    name: op,
    input: 'x',
    output,
    op,
    a: { tensor: 'x', scale: 1 },
    b: { constant: [17] },
    bits: [9],
  });
  rows.push({
    op: 'Max/Min (per pair)',
    constraints: measure(model([two('max')])),
    formula: 'w + 2, w = signed width of a − b',
  });
  rows.push({
    op: 'Less/LessOrEqual/Greater/GreaterOrEqual',
    constraints: measure(model([two('lt')])),
    formula: 'w + 1',
  });
  rows.push({ op: 'Equal', constraints: measure(model([two('eq')])), formula: '3' });
  const where: QOp = {
    kind: 'where',
    name: 'w',
    input: 'm',
    output: 'y',
    cond: { tensor: 'm', scale: 1 },
    x: { tensor: 'x', scale: 1 },
    y: { constant: [0] },
  };
  rows.push({
    op: 'Where (condition computed)',
    constraints: measure(model([two('lt', 'm'), where])) - measure(model([two('lt')])),
    formula: '1 (after the comparison)',
  });
  const layout = divConstLayout(-128n * 4n, 127n * 4n, 3n);
  rows.push({
    op: 'Div by 3 / Mean of 3',
    constraints: measure(
      model([
        {
          kind: 'divConst',
          name: 'd',
          input: 'x',
          output: 'y',
          shift: 2,
          divisor: [3],
          offset: [Number(layout.offset)],
          numeratorBits: [layout.numeratorBits],
        },
      ]),
    ),
    formula: 'n + w·(n − ⌊log2 d⌋), n = numerator bits, w = ⌈log2 d⌉ + 1',
  });
  return rows;
}

/** The rows as a markdown table. */
export function opCostTable(rows: readonly OpCostRow[]): string {
  const lines = [
    '| op | constraints per element (8-bit input) | beyond the input decomposition | formula |',
    '| --- | ---: | ---: | --- |',
  ];
  for (const r of rows) lines.push(`| ${r.op} | ${r.constraints} | ${r.beyondDecomposition ?? '–'} | ${r.formula} |`);
  return lines.join('\n');
}

/** One row of {@link measurePeriodicError}: a periodic function's error over an input range at one table width. */
export interface PeriodicErrorRow {
  readonly fn: UnaryFn;
  /** The input spans [−range, range). */
  readonly range: number;
  /** Bits of the table's index (zkinfer's tables take 8; wider rows show what a wider index would buy). */
  readonly bits: number;
  /** Input step 2^−frac of the signed index covering the range. */
  readonly step: number;
  /** Largest |table(quantized x) − f(x)| over a dense sweep of the range. */
  readonly maxAbsError: number;
  /** Constraints of one lookup at this width, the index's decomposition included. */
  readonly constraints: number;
}

/**
 * How the error of a periodic table grows with the input range: the input is saturated into a
 * signed `bits`-bit index at the finest scale that covers [−range, range) (as quantize-context.ts
 * does for a table input), the output is on the 8-bit signed grid of [−1, 1], and the error is
 * measured against f on 20,001 evenly spaced points. Pure arithmetic on the table semantics of
 * quantize-table.ts (no circuit): cheap.
 */
export function measurePeriodicError(
  fns: readonly UnaryFn[] = ['Sin', 'Cos'],
  ranges: readonly number[] = [Math.PI, 4 * Math.PI, 16 * Math.PI, 64 * Math.PI],
  widths: readonly number[] = [8, 10, 12],
): PeriodicErrorRow[] {
  const rows: PeriodicErrorRow[] = [];
  const outFrac = 6; // |f| ≤ 1 on a signed 8-bit output: round(f · 2^6) ∈ [−64, 64]
  for (const fn of fns)
    for (const range of ranges)
      for (const bits of widths) {
        const frac = bits - 1 - Math.ceil(Math.log2(range));
        const [lo, hi] = [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1];
        let maxAbsError = 0;
        for (let i = 0; i <= 20000; i++) {
          const x = -range + (2 * range * i) / 20000;
          const q = Math.min(hi, Math.max(lo, Math.round(x * 2 ** frac)));
          const t = Math.round(evalUnary(fn, q * 2 ** -frac) * 2 ** outFrac) * 2 ** -outFrac;
          maxAbsError = Math.max(maxAbsError, Math.abs(t - evalUnary(fn, x)));
        }
        rows.push({ fn, range, bits, step: 2 ** -frac, maxAbsError, constraints: tableLookupTotalCost(bits) });
      }
  return rows;
}

/** The rows as a markdown table. */
export function periodicErrorTable(rows: readonly PeriodicErrorRow[]): string {
  const lines = [
    '| op | input range | table bits | input step | max \\|error\\| | constraints per lookup |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows)
    lines.push(
      `| ${r.fn} | ±${(r.range / Math.PI).toFixed(0)}π | ${r.bits} | ${r.step.toPrecision(3)} | ${r.maxAbsError.toFixed(3)} | ${r.constraints} |`,
    );
  return lines.join('\n');
}
