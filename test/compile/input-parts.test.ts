/**
 * A model with several graph inputs range-checks each one against its own range: the flat
 * input's [lo, hi] (all the public check and the input commitment enforce) spans every part,
 * so an integer input could otherwise leave its calibrated range while the bundle claims it.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { intervalCheckCost } from '../../circuits/range-check.js';
import { buildCircuit, narrowerPartIntervals, Visibility } from '../../src/compile/build-circuit.js';
import { modelBytes, prng, randArray } from '../../tools/onnx/write-onnx.js';
import { quantizeModel } from '../../src/quantize/quantize-model.js';
import type { QuantizedModel } from '../../src/quantize/quantized-model.js';
import { assertFullyConstrained } from '../helpers/soundness-helpers.js';

const T = mkdtempSync(join(tmpdir(), 'zkinfer-parts-'));
after(() => rmSync(T, { recursive: true, force: true }));

async function twoInputModel(): Promise<QuantizedModel> {
  const onnx = join(T, 'int-input.onnx');
  writeFileSync(
    onnx,
    modelBytes({
      input: { name: 'a', dims: [1, 4] },
      moreInputs: [{ name: 'k', dims: [1, 4], elemType: 7 }],
      output: { name: 'y', dims: [1, 3] },
      initializers: {
        w: { dims: [4, 3], data: randArray(prng(5), 12, -1, 1) },
        v: { dims: [4, 3], data: randArray(prng(6), 12, -1, 1) },
      },
      nodes: [
        { op: 'Cast', inputs: ['k'], outputs: ['kf'], attrs: { to: { int: 1 } } },
        { op: 'MatMul', inputs: ['a', 'w'], outputs: ['ya'] },
        { op: 'MatMul', inputs: ['kf', 'v'], outputs: ['yk'] },
        { op: 'Add', inputs: ['ya', 'yk'], outputs: ['y'] },
      ],
    }),
  );
  const cal = join(T, 'calibration.json');
  writeFileSync(
    cal,
    JSON.stringify({
      inputs: [
        [0.5, -0.25, 0.75, 0.1, 3, -2, 0, 7],
        [-0.5, 0.3, 0.2, -0.9, -5, 1, 2, 6],
      ],
    }),
  );
  await quantizeModel({ modelPath: onnx, outDir: join(T, 'q'), calibrationPath: cal });
  return JSON.parse(readFileSync(join(T, 'q', 'model.quant.json'), 'utf8')) as QuantizedModel;
}

test('an integer input just outside its own calibrated range (inside the flat range) has no witness, public or hashed', async () => {
  const model = await twoInputModel();
  const k = model.input.parts!.find((p) => p.name === 'k')!;
  assert.deepEqual([k.lo, k.hi], [-5, 7]);
  assert.ok(
    model.input.lo < -50 && model.input.hi > 50,
    `the flat range [${model.input.lo}, ${model.input.hi}] is wider than k's`,
  );
  assert.deepEqual(
    narrowerPartIntervals(model).map((iv) => (iv ? iv.map(Number) : null)),
    [null, null, null, null, [-5, 7], [-5, 7], [-5, 7], [-5, 7]],
  );
  const honest = [10, -20, 30, 0, 3, -5, 7, 0];
  const outside = [10, -20, 30, 0, 3, 8, 7, 0];
  for (const inputVisibility of ['public', 'hashed'] as Visibility[]) {
    const ok = buildCircuit(model, honest, { inputVisibility });
    assertFullyConstrained(ok.circuit, `${inputVisibility} input`);
    assert.throws(
      () => buildCircuit(model, outside, { inputVisibility }),
      /does not fit/,
      `${inputVisibility}: k = 8 accepted`,
    );
    // The check is in the constraints, not only in the witness generator: widening k's range
    // to the flat one removes exactly four interval checks (public: swaps them for flat ones).
    const wide: QuantizedModel = {
      ...model,
      input: {
        ...model.input,
        parts: model.input.parts!.map((p) => ({ ...p, lo: model.input.lo, hi: model.input.hi })),
      },
    };
    const loose = buildCircuit(wide, honest, { inputVisibility });
    const flat = intervalCheckCost(BigInt(model.input.lo), BigInt(model.input.hi));
    const own = intervalCheckCost(-5n, 7n);
    assert.equal(
      ok.circuit.nConstraints - loose.circuit.nConstraints,
      4 * (inputVisibility === 'public' ? own - flat : own),
      inputVisibility,
    );
    assert.doesNotThrow(
      () => buildCircuit(wide, outside, { inputVisibility }),
      'without the per-input check the out-of-range input had a witness',
    );
  }
});
