/**
 * The chunk circuit holds every input exactly in [lo, hi], as the single-inference circuit does:
 * the input commitment's bit decomposition alone only bounds it to [lo, lo + 2^bits − 1], so an
 * integer input calibrated to 0..9 (4 bits) could otherwise be 10..15 inside a valid proof.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findViolatedConstraint } from '../../circuits/builder.js';
import { WitnessRangeError } from '../../circuits/range-check.js';
import { buildChunkCircuit } from '../../src/accuracy/chunk-circuit.js';
import { datasetEncoding, QuantizedChunk } from '../../src/accuracy/dataset-commitment.js';
import { quantizeModel } from '../../src/quantize/quantize-model.js';
import type { QuantizedModel } from '../../src/quantize/quantized-model.js';
import { modelBytes, prng, randArray } from '../../tools/onnx/write-onnx.js';
import { assertFullyConstrained } from '../helpers/soundness-helpers.js';

const T = mkdtempSync(join(tmpdir(), 'zkinfer-chunk-interval-'));
after(() => rmSync(T, { recursive: true, force: true }));
let model: QuantizedModel;

/** One INT64 input of 4 values (calibrated to 0..9), cast to float, one MatMul to 3 classes. */
before(async () => {
  const onnx = join(T, 'int-input.onnx');
  writeFileSync(
    onnx,
    modelBytes({
      input: { name: 'k', dims: [1, 4], elemType: 7 },
      output: { name: 'y', dims: [1, 3] },
      initializers: { w: { dims: [4, 3], data: randArray(prng(5), 12, -1, 1) } },
      nodes: [
        { op: 'Cast', inputs: ['k'], outputs: ['kf'], attrs: { to: { int: 1 } } },
        { op: 'MatMul', inputs: ['kf', 'w'], outputs: ['y'] },
      ],
    }),
  );
  const cal = join(T, 'calibration.json');
  writeFileSync(
    cal,
    JSON.stringify({
      inputs: [
        [0, 3, 9, 1],
        [5, 0, 2, 8],
      ],
    }),
  );
  await quantizeModel({ modelPath: onnx, outDir: join(T, 'q'), calibrationPath: cal });
  model = JSON.parse(readFileSync(join(T, 'q', 'model.quant.json'), 'utf8')) as QuantizedModel;
});

/** The model with its input range's upper end moved to `hi` (same ops, same commitment width). */
function withHi(hi: number): QuantizedModel {
  const parts = model.input.parts?.map((p) => ({ ...p, hi }));
  return { ...model, input: { ...model.input, hi, ...(parts ? { parts } : {}) } };
}

const chunk = (v: number): QuantizedChunk => ({
  inputs: [
    [3, v, 0, 9],
    [1, 2, 3, 4],
  ],
  codes: [1, 2],
  samples: 2,
});

test('an input just above hi (inside the commitment width) has no witness in the chunk circuit', () => {
  assert.deepEqual([model.input.lo, model.input.hi], [0, 9]);
  const enc = datasetEncoding(model);
  assert.equal(enc.inputCommitment.bits, 4, '0..9 takes 4 bits, which also hold 10..15');

  const honest = buildChunkCircuit(model, chunk(9), 5n);
  assertFullyConstrained(honest.circuit, 'chunk circuit');
  assert.throws(() => buildChunkCircuit(model, chunk(10), 5n), WitnessRangeError);

  // The check is in the constraints, not only in the witness generator: the same circuit with hi
  // moved to 10 has the same wires and an honest witness for 10, which this circuit rejects, at a
  // constraint that differs only by the constant hi.
  const forged = buildChunkCircuit(withHi(10), chunk(10), 5n, { encoding: enc });
  assert.equal(forged.circuit.nWires, honest.circuit.nWires);
  assert.equal(forged.circuit.nConstraints, honest.circuit.nConstraints);
  assert.equal(findViolatedConstraint(forged.circuit.constraints, forged.circuit.witness), -1);
  const bad = findViolatedConstraint(honest.circuit.constraints, forged.circuit.witness);
  assert.notEqual(bad, -1, 'the chunk circuit accepted an input of 10 for the range 0..9');
  assert.notDeepEqual(honest.circuit.constraints[bad], forged.circuit.constraints[bad]);

  // The cost: one 4-bit decomposition of hi − x per input; none when the range is exactly 2^4 wide.
  const exact = buildChunkCircuit(withHi(15), chunk(9), 5n, { encoding: enc });
  assert.equal(honest.circuit.nConstraints - exact.circuit.nConstraints, 2 * 4 * 4);
});
