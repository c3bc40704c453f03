/**
 * The determinism checker on real circuits: the shipped digits models in every visibility
 * combination and mnist-8 (every supported ONNX conformance case: conformance.test.ts); and, on the
 * digits MLP, that removing a constraint leaves a wire free (every constraint of the
 * public/public circuit, a sample of the hashed/hashed one).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BuiltCircuit } from '../../circuits/builder.js';
import { buildCircuit, Visibility } from '../../src/compile/build-circuit.js';
import { readCalibrationFile, readInputFile } from '../../src/onnx/input-file.js';
import { loadOnnx } from '../../src/onnx/load-onnx.js';
import { linearTerms } from '../../src/formats/linear-spec.js';
import { lowerGraph } from '../../src/quantize/lower-graph.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import { QuantizedModel } from '../../src/quantize/quantized-model.js';
import { quantizeInput } from '../../src/quantize/quantize-input.js';
import {
  assertEveryConstraintNeeded,
  assertFullyConstrained,
  assertMultiWireTamperFails,
  firstInternalWire,
  spliceWitness,
} from '../helpers/soundness-helpers.js';
import { MODELS, SHARED } from '../helpers/paths.js';

const COMBOS: Array<[Visibility, Visibility]> = [];
for (const iv of ['public', 'hashed'] as const)
  for (const ov of ['public', 'packed', 'hashed'] as const) COMBOS.push([iv, ov]);

function digitsModel(file: string): { q: QuantizedModel; samples: Float64Array[] } {
  const g = loadOnnx(join(MODELS, file));
  const samples = readCalibrationFile(join(MODELS, 'calibration.json'), g.input.shape);
  return { q: quantizeGraph(lowerGraph(g), samples), samples };
}

for (const file of ['digits-mlp.onnx', 'digits-cnn.onnx']) {
  test(`${file}: every wire determined in all six visibility combinations`, (t) => {
    const { q, samples } = digitsModel(file);
    for (const [iv, ov] of COMBOS) {
      const b = buildCircuit(q, quantizeInput(q, samples[0]!), { inputVisibility: iv, outputVisibility: ov });
      const r = assertFullyConstrained(b.circuit, `${file} input ${iv}, output ${ov}`);
      t.diagnostic(
        `input ${iv}, output ${ov}: ${r.nConstraints} constraints, ${r.nWires} wires determined in ${r.milliseconds.toFixed(0)} ms`,
      );
    }
  });
}

/**
 * Inputs that drive each output of the model's first linear layer to its extremes (every input
 * at lo or hi by the sign of its weight), so each requantize after it is clamped below and
 * above somewhere: the branches of is-zero that a removed constraint may only matter in.
 */
function directedInputs(q: QuantizedModel): number[][] {
  const op = q.ops[0];
  assert.ok(op && op.kind === 'linear', 'first op is linear');
  const t = linearTerms(op.spec);
  const { lo, hi } = q.input;
  const out: number[][] = [];
  for (let j = 0; j < t.nOut; j++) {
    for (const sign of [1, -1]) {
      const x = new Array<number>(t.nIn).fill(lo);
      for (let k = t.offsets[j]!; k < t.offsets[j + 1]!; k++)
        x[t.inputIndex[k]!] = sign * op.weight[t.weightIndex[k]!]! > 0 ? hi : lo;
      out.push(x);
    }
  }
  return out;
}

test('digits MLP: removing any one constraint leaves a wire free (all constraints public/public, every 7th hashed/hashed)', (t) => {
  const { q, samples } = digitsModel('digits-mlp.onnx');
  const inputs = [...samples.slice(0, 4).map((s) => quantizeInput(q, s)), ...directedInputs(q)];
  for (const [iv, ov, step] of [
    ['public', 'public', 1],
    ['hashed', 'hashed', 7],
  ] as const) {
    const circuits: BuiltCircuit[] = inputs.map(
      (x) => buildCircuit(q, x, { inputVisibility: iv, outputVisibility: ov }).circuit,
    );
    const n = circuits[0]!.constraints.length;
    const sample = Array.from({ length: Math.ceil(n / step) }, (_, i) => i * step);
    const freed = assertEveryConstraintNeeded(circuits, `digits MLP ${iv}/${ov}`, sample);
    freed.sort((a, b) => a - b);
    t.diagnostic(
      `${iv}/${ov}: ${sample.length} of ${n} constraints removed one at a time; wires freed: min ${freed[0]}, median ${freed[freed.length >> 1]}, max ${freed[freed.length - 1]}`,
    );
  }
});

test("digits MLP and CNN: the wires of another input's computation (all, or from a midpoint on) over the real input fail", () => {
  for (const file of ['digits-mlp.onnx', 'digits-cnn.onnx']) {
    const { q, samples } = digitsModel(file);
    for (const [iv, ov] of [
      ['public', 'public'],
      ['hashed', 'packed'],
    ] as const) {
      const [honest, donor] = [samples[0]!, samples[1]!].map(
        (x) => buildCircuit(q, quantizeInput(q, x), { inputVisibility: iv, outputVisibility: ov }).circuit,
      );
      const first = firstInternalWire(honest!);
      for (const from of [
        1,
        first + Math.floor((honest!.nWires - first) / 3),
        first + Math.floor((2 * (honest!.nWires - first)) / 3),
      ]) {
        assertMultiWireTamperFails(
          honest!,
          spliceWitness(honest!, donor!, { from }),
          `${file} ${iv}/${ov} from wire ${from}`,
        );
      }
    }
  }
});

test('mnist-8: every wire of the default compile (hashed input, public output) determined', (t) => {
  const models = join(SHARED, 'conformance', 'models');
  if (!existsSync(join(models, 'mnist-8.onnx'))) {
    t.skip('shared models not found');
    return;
  }
  const g = loadOnnx(join(models, 'mnist-8.onnx'));
  const x = readInputFile(join(models, 'mnist-8-samples', 'input_0.pb'), g.input.shape);
  const q = quantizeGraph(lowerGraph(g), [x]);
  const b = buildCircuit(q, quantizeInput(q, x), { inputVisibility: 'hashed', outputVisibility: 'public' });
  const r = assertFullyConstrained(b.circuit, 'mnist-8');
  t.diagnostic(`${r.nConstraints} constraints, ${r.nWires} wires determined in ${r.milliseconds.toFixed(0)} ms`);
});

// Every supported ONNX conformance case's circuit is checked in test/ops/conformance.test.ts, on
// the build the conformance run makes anyway (runCase's `determinism` option).
