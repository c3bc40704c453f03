/**
 * Cost of the composite layers of issue 11 (LayerNormalization, LSTM / GRU / RNN steps, the
 * ONNX Attention op), measured from compiled circuits of one-node models at 8-bit activations,
 * for `npm run bench`. Each cost is the model's constraints minus those of the same circuit
 * without ops (input range checks, output binding); a recurrent step is the difference between
 * unrolling T+1 and T steps, so it is the steady-state step with a computed hidden state.
 */
import { buildCircuit } from '../../src/compile/build-circuit.js';
import { parseOnnx } from '../../src/onnx/load-onnx.js';
import { modelBytes, ModelSpec, prng, randArray } from '../onnx/write-onnx.js';
import { lowerGraph } from '../../src/quantize/lower-graph.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import { QuantizedModel } from '../../src/quantize/quantized-model.js';
import { quantizeInput } from '../../src/quantize/quantize-input.js';

/** One measured row. */
export interface CompositeCostRow {
  readonly layer: string;
  readonly constraints: number;
  /** What the count covers, in words. */
  readonly note: string;
}

const size = (d: number[]) => d.reduce((a, b) => a * b, 1);

function circuitSize(q: QuantizedModel, x: Float64Array): number {
  return buildCircuit(q, quantizeInput(q, x), { witnessOnly: true }).circuit.nConstraints;
}

/** Constraints of the compiled model beyond its input checks and output binding. */
function measure(spec: ModelSpec, seed: number): number {
  const rnd = prng(seed);
  const fg = lowerGraph(parseOnnx(modelBytes(spec), 'bench.onnx'));
  const calib = [0, 1, 2, 3].map(() => Float64Array.from(randArray(rnd, size(fg.input.shape), -1, 1)));
  const q = quantizeGraph(fg, calib, { activationBits: 8 });
  const bare: QuantizedModel = { ...q, ops: [], output: { ...q.output, name: q.input.name, shape: q.input.shape } };
  return circuitSize(q, calib[0]!) - circuitSize(bare, calib[0]!);
}

function init(rnd: () => number, dims: number[], lo = -0.5, hi = 0.5): { dims: number[]; data: number[] } {
  return { dims, data: randArray(rnd, size(dims), lo, hi) };
}

function layerNorm(d: number): ModelSpec {
  const rnd = prng(d);
  return {
    input: { name: 'x', dims: [1, d] },
    output: { name: 'y', dims: [1, d] },
    nodes: [
      { op: 'LayerNormalization', name: 'ln', inputs: ['x', 'g', 'b'], outputs: ['y'], attrs: { axis: { int: -1 } } },
    ],
    initializers: { g: init(rnd, [d], 0.5, 1.5), b: init(rnd, [d]) },
    opset: 17,
  };
}

function recurrent(op: 'LSTM' | 'GRU' | 'RNN', steps: number, input: number, hidden: number): ModelSpec {
  const rnd = prng(7);
  const gates = { LSTM: 4, GRU: 3, RNN: 1 }[op];
  return {
    input: { name: 'x', dims: [steps, 1, input] },
    output: { name: 'yh', dims: [1, 1, hidden] },
    nodes: [
      {
        op,
        name: op.toLowerCase(),
        inputs: ['x', 'W', 'R', 'B'],
        outputs: ['', 'yh'],
        attrs: { hidden_size: { int: hidden } },
      },
    ],
    initializers: {
      W: init(rnd, [1, gates * hidden, input]),
      R: init(rnd, [1, gates * hidden, hidden]),
      B: init(rnd, [1, 2 * gates * hidden]),
    },
    opset: 14,
  };
}

function attention(seq: number, head: number): ModelSpec {
  return {
    input: { name: 'q', dims: [1, 1, seq, head] },
    moreInputs: [
      { name: 'k', dims: [1, 1, seq, head] },
      { name: 'v', dims: [1, 1, seq, head] },
    ],
    output: { name: 'y', dims: [1, 1, seq, head] },
    nodes: [{ op: 'Attention', name: 'att', inputs: ['q', 'k', 'v'], outputs: ['y'] }],
    opset: 23,
  };
}

/** Measures LayerNorm of width 8/16/32, one LSTM/GRU/RNN step (input 8, hidden 16) and one attention head. */
export function measureCompositeCosts(): CompositeCostRow[] {
  const rows: CompositeCostRow[] = [];
  for (const d of [8, 16, 32])
    rows.push({
      layer: `LayerNormalization, width ${d}`,
      constraints: measure(layerNorm(d), d),
      note: `${2 * d + 2} products, 1 Rsqrt lookup, requantizes of the statistics and the ${d} outputs`,
    });
  for (const op of ['LSTM', 'GRU', 'RNN'] as const) {
    const [one, two, three] = [1, 2, 3].map((t) => measure(recurrent(op, t, 8, 16), 3));
    rows.push({
      layer: `${op} step (input 8, hidden 16)`,
      constraints: three! - two!,
      note: `step t ≥ 2; the first step (zero initial state) costs ${one}`,
    });
  }
  rows.push({
    layer: 'Attention op, 1 head, 8 queries × 8 keys, head size 8 (computed Q, K, V)',
    constraints: measure(attention(8, 8), 1),
    note: '2·8·8·8 products, 8 softmax rows of 8, requantizes',
  });
  return rows;
}

/** The rows as a markdown table. */
export function compositeCostTable(rows: readonly CompositeCostRow[]): string {
  const lines = ['| layer | constraints | what it covers |', '| --- | ---: | --- |'];
  for (const r of rows) lines.push(`| ${r.layer} | ${r.constraints} | ${r.note} |`);
  return lines.join('\n');
}

/** Measures and prints the section; returns the rows for bench.json. */
export function compositeSection(print: (s: string) => void): CompositeCostRow[] {
  const rows = measureCompositeCosts();
  print(
    `### Cost of normalization, recurrent and attention layers (8-bit activations)\n\n${compositeCostTable(rows)}\n`,
  );
  return rows;
}
