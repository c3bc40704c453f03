/**
 * zkinfer's own Groth16 prover (src/prove/groth16/) against snarkjs on the same key: its proofs
 * of the digits MLP (dev setup) verify with snarkjs.groth16.verify and the exported Solidity
 * verifier on the embedded EVM, they are randomized, a tampered witness yields a rejected proof,
 * and the public signals are snarkjs's.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { verifyOnChain } from '../../src/chain/verify-on-chain.js';
import { buildCircuit } from '../../src/compile/build-circuit.js';
import { encodeWtns } from '../../src/compile/r1cs-file.js';
import { readInputFile } from '../../src/onnx/input-file.js';
import { runPipeline } from '../../src/pipeline.js';
import { checkBuildConsistency, type CheckedBuildDir } from '../../src/prove/build-consistency.js';
import { proverCurve } from '../../src/prove/groth16/curve-api.js';
import { Groth16Prover } from '../../src/prove/groth16/groth16-prover.js';
import { parseProvingKey, ProvingKeyError } from '../../src/prove/groth16/proving-key.js';
import { quantizeInput } from '../../src/quantize/quantize-input.js';
import { shutdown } from '../../src/runtime/curve.js';
import { MODELS } from '../helpers/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-own-prover-'));
const sample = join(MODELS, 'samples/digit-3.json');
let build: CheckedBuildDir;
let witness: bigint[];
let prover: Groth16Prover;
let pipelineBundle: Awaited<ReturnType<typeof runPipeline>>['bundle'];

before(async () => {
  // runPipeline proves with the default prover, zkinfer's own: its bundle is checked on chain below.
  const run = await runPipeline({
    modelPath: join(MODELS, 'digits-mlp.onnx'),
    inputPath: sample,
    outDir: join(tmp, 'b'),
    inputVisibility: 'public',
  });
  pipelineBundle = run.bundle;
  build = checkBuildConsistency(run.buildDir);
  const input = readInputFile(sample, build.settings.quantization.input);
  witness = buildCircuit(build.model, quantizeInput(build.model, input), {
    witnessOnly: true,
    inputVisibility: build.circuit.layout.input.visibility,
    outputVisibility: build.circuit.layout.output.visibility,
  }).circuit.witness;
  prover = Groth16Prover.create(await proverCurve(false), build.zkey);
});

after(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await shutdown();
});

test('two proofs of one witness differ, both verify with snarkjs, public signals are snarkjs’s', async () => {
  // One overlapped (the default) and one profiled (steps one after another) proof.
  const [p, q] = [await prover.prove(witness), await prover.prove(witness, { profile: true })];
  assert.equal(p.timings, undefined);
  assert.ok(q.timings && q.timings.msmHMs > 0 && q.timings.fftMs > 0);
  assert.equal(await snarkjs.groth16.verify(build.vkey, p.publicSignals, p.proof), true);
  assert.equal(await snarkjs.groth16.verify(build.vkey, q.publicSignals, q.proof), true);
  // Fresh r, s per proof: every proof element changes.
  assert.notDeepEqual(p.proof.pi_a, q.proof.pi_a);
  assert.notDeepEqual(p.proof.pi_b, q.proof.pi_b);
  assert.notDeepEqual(p.proof.pi_c, q.proof.pi_c);
  const reference = await snarkjs.groth16.prove(
    { type: 'mem', data: build.zkey },
    { type: 'mem', data: new Uint8Array(encodeWtns(witness)) },
  );
  assert.deepEqual(p.publicSignals, reference.publicSignals);
  assert.deepEqual(Object.keys(p.proof), Object.keys(reference.proof));
  assert.equal(p.publicSignals.length, build.circuit.nPublic);
});

test('a tampered witness gives a proof snarkjs rejects', async () => {
  // A private wire in the middle (not a public signal): the constraints no longer hold.
  const bad = [...witness];
  const k = Math.floor(bad.length / 2);
  bad[k] = bad[k]! + 1n;
  const p = await prover.prove(bad);
  assert.deepEqual(p.publicSignals, witness.slice(1, build.circuit.nPublic + 1).map(String));
  assert.equal(await snarkjs.groth16.verify(build.vkey, p.publicSignals, p.proof), false);
  // And a valid proof does not carry over to other public signals.
  const good = await prover.prove(witness);
  const other = [...good.publicSignals];
  other[0] = String(BigInt(other[0]!) + 1n);
  assert.equal(await snarkjs.groth16.verify(build.vkey, other, good.proof), false);
});

test('a bundle proven by the default prover verifies with the exported Solidity verifier', async () => {
  const v = await verifyOnChain(pipelineBundle, build.vkey as Record<string, unknown>, { kind: 'embedded' });
  assert.equal(v.valid, true);
  assert.equal(await snarkjs.groth16.verify(build.vkey, pipelineBundle.publicSignals, pipelineBundle.proof), true);
});

test('the prover refuses a key that is not a Groth16 zkey, and a witness of the wrong length', async () => {
  const z = new Uint8Array(build.zkey);
  z[0] = 0x78; // "xkey"
  assert.throws(
    () => parseProvingKey(z),
    (e: unknown) => e instanceof ProvingKeyError && /not a zkey/.test(String(e)),
  );
  const truncated = build.zkey.subarray(0, build.zkey.length - 10);
  assert.throws(() => parseProvingKey(truncated), ProvingKeyError);
  await assert.rejects(prover.prove(witness.slice(1)), /witness of \d+ wires for a key of \d+ wires/);
});
