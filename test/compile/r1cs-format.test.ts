/**
 * The iden3 binary formats: our encoders round-trip through our decoders, and snarkjs (the
 * consumer that matters) reads the files, reports the right sizes and checks witnesses.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { BuiltCircuit, findViolatedConstraint, R1csBuilder } from '../../circuits/builder.js';
import { FIELD_PRIME } from '../../circuits/field.js';
import { requantize, requantizeAccBits } from '../../circuits/requantize.js';
import { decodeR1cs, decodeWtns, encodeR1cs, encodeWtns } from '../../src/compile/r1cs-file.js';
import { buildCircuit } from '../../src/compile/build-circuit.js';
import { lowerGraph } from '../../src/quantize/lower-graph.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import { quantizeInput } from '../../src/quantize/quantize-input.js';
import { loadOnnx } from '../../src/onnx/load-onnx.js';
import { readCalibrationFile, readInputFile } from '../../src/onnx/input-file.js';
import { MODELS } from '../helpers/paths.js';

const M = (p: string) => join(MODELS, p);

const dir = await mkdtemp(join(tmpdir(), 'zkinfer-r1cs-format-'));

after(async () => {
  await rm(dir, { recursive: true, force: true });
  await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate();
});

/** snarkjs's wtns check calls logger.warn on failure without checking for a logger. */
const quiet = { info() {}, warn() {}, debug() {}, error() {} };

/** Every wire role, negative coefficients, a requantization with overflow bits. */
function smallCircuit(): BuiltCircuit {
  const b = new R1csBuilder();
  const x = b.input(9n, 'public');
  const y = b.input(-4n, 'public');
  const z = b.input(3n, 'private');
  const acc = b.linear(
    [
      [b.mul(x, y), 5n],
      [b.mul(z, z), -7n],
    ],
    11n,
  );
  const base = { shift: 1, outBits: 4, lowerOffset: 8n };
  const r = requantize(b, acc, { ...base, accBits: requantizeAccBits(-5000n, 5000n, base) });
  b.exposeOutput(r);
  b.exposeOutput(b.mul(x, z));
  return b.finalize();
}

/** The shipped digits MLP compiled on a real sample. */
function digitsCircuit(): BuiltCircuit {
  const g = loadOnnx(M('digits-mlp.onnx'));
  const model = quantizeGraph(lowerGraph(g), readCalibrationFile(M('calibration.json'), g.input.shape));
  const x = readInputFile(M('samples/digit-5.json'), g.input.shape);
  return buildCircuit(model, quantizeInput(model, x)).circuit;
}

function sameLc(a: ReadonlyMap<number, bigint>, b: ReadonlyMap<number, bigint>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

for (const [name, make] of [
  ['small circuit', smallCircuit],
  ['digits MLP', digitsCircuit],
] as const) {
  test(`${name}: encodeR1cs/decodeR1cs and encodeWtns/decodeWtns round-trip`, () => {
    const c = make();
    assert.equal(findViolatedConstraint(c.constraints, c.witness), -1);
    const r = decodeR1cs(encodeR1cs(c));
    assert.equal(r.nWires, c.nWires);
    assert.equal(r.nPubOut, c.nPubOut);
    assert.equal(r.nPubIn, c.nPubIn);
    assert.equal(r.nPrvIn, c.nPrvIn);
    assert.equal(r.constraints.length, c.constraints.length);
    c.constraints.forEach((k, i) => {
      const d = r.constraints[i]!;
      assert.ok(sameLc(k.a, d.a) && sameLc(k.b, d.b) && sameLc(k.c, d.c), `constraint ${i}`);
    });
    assert.equal(findViolatedConstraint(r.constraints, c.witness), -1, 'decoded constraints still satisfied');
    assert.deepEqual(decodeWtns(encodeWtns(c.witness)), c.witness);
    // Field elements up to p − 1 survive the 32-byte encoding.
    const extreme = [1n, 0n, FIELD_PRIME - 1n, (1n << 253n) + 12345n, 1n << 64n, (1n << 64n) - 1n];
    assert.deepEqual(decodeWtns(encodeWtns(extreme)), extreme);
  });

  test(`${name}: snarkjs reads the r1cs, accepts the witness and rejects a perturbed one`, async () => {
    const c = make();
    const tag = name.replace(/\W+/g, '-');
    const r1csPath = join(dir, `${tag}.r1cs`);
    const wtnsPath = join(dir, `${tag}.wtns`);
    const badPath = join(dir, `${tag}-bad.wtns`);
    await writeFile(r1csPath, encodeR1cs(c));
    await writeFile(wtnsPath, encodeWtns(c.witness));
    const info = await snarkjs.r1cs.info(r1csPath);
    assert.equal(info.nVars, c.nWires);
    assert.equal(info.nConstraints, c.nConstraints);
    assert.equal(info.nOutputs, c.nPubOut);
    assert.equal(info.nPubInputs, c.nPubIn);
    assert.equal(info.nPrvInputs, c.nPrvIn);
    assert.equal(BigInt(info.prime.toString()), FIELD_PRIME);
    assert.equal(await snarkjs.wtns.check(r1csPath, wtnsPath, quiet), true);
    // The last wire is internal (a helper the prover chooses); changing it must be caught.
    const bad = c.witness.slice();
    bad[bad.length - 1] = (bad[bad.length - 1]! + 1n) % FIELD_PRIME;
    assert.notEqual(findViolatedConstraint(c.constraints, bad), -1);
    await writeFile(badPath, encodeWtns(bad));
    assert.equal(await snarkjs.wtns.check(r1csPath, badPath, quiet), false);
    // So must a changed output.
    const badOut = c.witness.slice();
    badOut[1] = (badOut[1]! + 1n) % FIELD_PRIME;
    await writeFile(badPath, encodeWtns(badOut));
    assert.equal(await snarkjs.wtns.check(r1csPath, badPath, quiet), false);
    // snarkjs's own witness reader gives back our values.
    const exported = await snarkjs.wtns.exportJson(wtnsPath);
    assert.deepEqual(
      exported.map((v: bigint) => BigInt(v)),
      c.witness,
    );
  });
}

test('decoders refuse other files and truncated files', () => {
  const c = smallCircuit();
  const r1cs = encodeR1cs(c);
  const wtns = encodeWtns(c.witness);
  assert.throws(() => decodeR1cs(wtns), /not a r1cs file/);
  assert.throws(() => decodeWtns(r1cs), /not a wtns file/);
  assert.throws(() => decodeR1cs(r1cs.subarray(0, r1cs.length - 5)), /truncated/);
  assert.throws(() => decodeWtns(wtns.subarray(0, wtns.length - 1)), /truncated/);
});

test('the r1cs of a circuit does not depend on the input values (compile vs prove)', () => {
  const g = loadOnnx(M('digits-mlp.onnx'));
  const model = quantizeGraph(lowerGraph(g), readCalibrationFile(M('calibration.json'), g.input.shape));
  const n = g.input.shape.reduce((a, b) => a * b, 1);
  const placeholder = encodeR1cs(buildCircuit(model, new Array(n).fill(model.input.lo)).circuit);
  const real = buildCircuit(
    model,
    quantizeInput(model, readInputFile(M('samples/digit-0.json'), g.input.shape)),
  ).circuit;
  assert.ok(encodeR1cs(real).equals(placeholder));
  // And the witness-only witness of the real input satisfies the placeholder-compiled constraints.
  const wo = buildCircuit(model, quantizeInput(model, readInputFile(M('samples/digit-0.json'), g.input.shape)), {
    witnessOnly: true,
  }).circuit;
  assert.deepEqual(wo.witness, real.witness);
  assert.equal(findViolatedConstraint(decodeR1cs(placeholder).constraints, wo.witness), -1);
});
