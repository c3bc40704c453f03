/**
 * Cost of the ops on two activations and of softmax rows (issue 11), measured from compiled
 * circuits for `npm run bench`: constraints per scalar product and per activation MatMul,
 * per softmax / LogSoftmax row of length n, and per division, with the alternative a division
 * could use instead (a reciprocal table of the denominator, saturated to ≤ 12 bits, and one
 * product) measured the same way.
 */
import { widthOf } from '../../circuits/divide.js';
import { R1csBuilder } from '../../circuits/builder.js';
import { modelSignals } from '../../src/compile/build-circuit.js';
import type { FloatGraph, FloatOp } from '../../src/quantize/float-ir.js';
import { matMulTerms, softmaxRows } from '../../src/quantize/ops/products.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import { quantizeDivide, quantizeSoftmax } from '../../src/quantize/quantize-products.js';
import type { QOp, QuantizedModel } from '../../src/quantize/quantized-model.js';

/** One measured row. */
export interface ProductCostRow {
  readonly op: string;
  readonly shape: string;
  /** Constraints of the op in the compiled circuit. */
  readonly constraints: number;
  /** Per output element (per row for softmax). */
  readonly per: number;
  readonly unit: string;
  readonly formula: string;
}

/** Constraints the ops of `m` emit on input `xq` (the circuit's body, without input checks and output binding). */
function measure(m: QuantizedModel, xq: number[]): number {
  const b = new R1csBuilder({ witnessOnly: true });
  const x = xq.map((v) => b.input(BigInt(v), 'private'));
  const before = b.nConstraints;
  modelSignals(b, m, x);
  return b.nConstraints - before;
}

function model(nIn: number, ops: QOp[], lo = -128, hi = 127): QuantizedModel {
  const last = ops[ops.length - 1]!;
  return {
    formatVersion: 1,
    input: { name: 'x', shape: [1, nIn], frac: 4, bits: 8, lo, hi },
    output: { name: last.output, shape: [1, 1], frac: 0, lo: -(2 ** 40), hi: 2 ** 40 },
    ops,
  };
}

const iota = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

/** A d×d by d×n MatMul of two activations followed by a Relu, quantized and compiled. */
function matMul(d: number, n: number): ProductCostRow {
  const nIn = d * d + d * n;
  const ops: FloatOp[] = [
    { kind: 'permute', name: 'A', input: 'x', output: 'A', perm: iota(d * d) },
    { kind: 'permute', name: 'B', input: 'x', output: 'B', perm: iota(d * n, d * d) },
    { kind: 'product', name: 'AB', input: 'A', other: 'B', output: 'P', ...matMulTerms(d, d, n, [0], [0]) },
    { kind: 'relu', name: 'relu', input: 'P', output: 'y' },
  ];
  const g: FloatGraph = {
    input: { name: 'x', shape: [1, nIn] },
    inputs: [{ name: 'x', shape: [1, nIn], elemType: 'FLOAT' }],
    output: { name: 'y', shape: [d, n] },
    ops,
    shapes: new Map(),
  };
  let seed = 11;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const q = quantizeGraph(
    g,
    Array.from({ length: 8 }, () => Float64Array.from({ length: nIn }, rnd)),
  );
  const xq = new Array(nIn).fill(1);
  const total = measure(q, xq);
  const products = measure(
    { ...q, ops: q.ops.filter((o) => o.kind !== 'requantize' || o.output !== 'y'), output: { ...q.output, name: 'P' } },
    xq,
  );
  return {
    op: 'MatMul of two activations + Relu',
    shape: `${d}×${d} · ${d}×${n}`,
    constraints: total,
    per: (total - products) / (d * n),
    unit: 'requantize per output',
    formula: `${products} product constraints = d·d·n = ${d * d * n}, then one requantize per output`,
  };
}

function softmax(n: number, log: boolean): ProductCostRow {
  const rows = softmaxRows([1, n], 1);
  const s = { frac: 4, kind: 'act' as const, lo: new Array(n).fill(-128), hi: new Array(n).fill(127) };
  const { op } = quantizeSoftmax({ kind: 'softmax', name: 's', input: 'x', output: 'y', log, ...rows }, 'x', s, 8);
  const c = measure(model(n, [op]), new Array(n).fill(0));
  const formula = log
    ? `max (n − 1)(w + 2) + n exp lookups (8 + 38) + sum decomposition (${op.sumBits}) + log table`
    : `max (n − 1)(w + 2) + n exp lookups (8 + 38) + n divisions (${op.outFrac + 1} + 2·${op.sumBits + 1} + 2)`;
  return {
    op: log ? 'LogSoftmax' : 'Softmax',
    shape: `row of ${n} (8-bit input)`,
    constraints: c,
    per: c / n,
    unit: 'per element',
    formula,
  };
}

/** A division of an 8-bit signed numerator by a denominator in [lo, hi], as the quantizer lays it out. */
function division(lo: number, hi: number): ProductCostRow {
  const a = { frac: 4, kind: 'act' as const, lo: [-128], hi: [127] };
  const b = { frac: 4, kind: 'act' as const, lo: [lo], hi: [hi] };
  const { op } = quantizeDivide(
    { kind: 'divide', name: 'd', input: 'a', other: 'b', output: 'y', aIndex: [0], bIndex: [0] },
    'a',
    'b',
    a,
    b,
  );
  const split: QOp[] = [
    { kind: 'permute', name: 'a', input: 'x', output: 'a', perm: [0] },
    { kind: 'permute', name: 'b', input: 'x', output: 'b', perm: [1] },
  ];
  const c = measure(model(2, [...split, op], Math.min(-128, lo), Math.max(127, hi)), [5, Math.max(lo, 1)]);
  // The alternative: 1/b by table over b's range saturated to ≤ 12 bits, then one product.
  const bits = Math.min(12, widthOf(BigInt(hi - lo)));
  const table: QOp = {
    kind: 'table',
    name: 'r',
    input: 'b',
    output: 'r',
    fn: 'Reciprocal',
    domainLo: lo,
    bits,
    tables: [iota(2 ** bits).map((u) => Math.round(2 ** 12 / Math.max(1, lo + u)))],
    tableOf: [0],
  };
  const prod: QOp = {
    kind: 'product',
    name: 'p',
    input: 'a',
    other: 'r',
    output: 'y',
    offsets: [0, 1],
    aIndex: [0],
    bIndex: [0],
  };
  const alt = measure(model(2, [...split, table, prod], Math.min(-128, lo), Math.max(127, hi)), [5, Math.max(lo, 1)]);
  const sign = op.sign === 0 ? 'sign proven per element, ' : '';
  return {
    op: 'Div of two activations',
    shape: `8-bit / [${lo}, ${hi}]`,
    constraints: c,
    per: alt,
    unit: 'reciprocal table + product',
    formula: `${sign}${op.clamp[0] ? 'clamp 0 → 1 (is-zero, 3), ' : ''}q ${op.qBits[0]} + 2·r ${op.rBits[0]} + 2`,
  };
}

/** Every measured row. */
export function measureProductCosts(): ProductCostRow[] {
  return [
    matMul(4, 4),
    matMul(8, 8),
    matMul(16, 8),
    ...[4, 8, 16].flatMap((n) => [softmax(n, false), softmax(n, true)]),
    division(1, 255),
    division(0, 255),
    division(-128, 127),
    division(1, 4095),
  ];
}

/** The rows as markdown tables. */
export function productCostTable(rows: readonly ProductCostRow[]): string {
  const lines = ['| op | shape / operand ranges | constraints | per … | how |', '| --- | --- | ---: | ---: | --- |'];
  for (const r of rows) {
    const per = r.op.startsWith('Div')
      ? `table route: ${r.per}`
      : `${Number.isInteger(r.per) ? r.per : r.per.toFixed(1)} ${r.unit}`;
    lines.push(`| ${r.op} | ${r.shape} | ${r.constraints} | ${per} | ${r.formula} |`);
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`)
  process.stdout.write(productCostTable(measureProductCosts()) + '\n');
