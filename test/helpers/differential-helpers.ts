/**
 * The differential check the op-family tests share: for each test input the witness satisfies
 * every constraint, the circuit equals the integer reference (and, on the first input, every
 * wire is determined), and the reported output is compared with onnxruntime's.
 */
import assert from 'node:assert/strict';
import { findViolatedConstraint } from '../../circuits/builder.js';
import { buildCircuit } from '../../src/compile/build-circuit.js';
import { checkDeterminism, describeUndetermined } from '../../src/compile/determinism-check.js';
import {
  dequantizeOutput,
  QuantizedModel,
  reportedOutput,
  runIntegerModel,
} from '../../src/quantize/quantized-model.js';
import { quantizeInput } from '../../src/quantize/quantize-input.js';

/** Largest |circuit output − onnxruntime output| over `tests`, and the largest |onnxruntime output| (the tolerance's scale). */
export function compareCircuitWithRuntime(
  q: QuantizedModel,
  tests: readonly Float64Array[],
  floats: ReadonlyArray<ArrayLike<number>>,
): { worst: number; scale: number } {
  let worst = 0;
  let scale = 0;
  tests.forEach((x, k) => {
    const xq = quantizeInput(q, x);
    const ref = runIntegerModel(q, xq).get(q.output.name)!;
    const build = buildCircuit(q, xq);
    assert.equal(findViolatedConstraint(build.circuit.constraints, build.circuit.witness), -1, 'witness satisfies');
    assert.deepEqual(build.output, ref.map(BigInt), 'circuit == integer reference');
    if (k === 0) {
      const d = checkDeterminism(build.circuit);
      assert.ok(d.determined, describeUndetermined(d));
    }
    reportedOutput(q, dequantizeOutput(q, ref)).values.forEach((v, i) => {
      worst = Math.max(worst, Math.abs(v - floats[k]![i]!));
      scale = Math.max(scale, Math.abs(floats[k]![i]!));
    });
  });
  return { worst, scale };
}
