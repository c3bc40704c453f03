/**
 * A real ultragroth proof on chain: a tiny circuit with LogUp range checks (circuits/lookup.ts),
 * an ultragroth dev setup (src/setup/dev), zkinfer's two-round prover, then the Solidity verifier
 * on the embedded EVM (mainnet rules and paris) next to the local verifier. Where
 * ultragroth-chain.test.ts checks the contract on trapdoor-made vectors, this checks that the
 * prover, the key and the contract agree on the challenge and the equation.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { R1csBuilder, type BuiltCircuit } from '../../circuits/builder.js';
import { completeLookupWitness } from '../../circuits/lookup.js';
import { encodeR1cs } from '../../src/compile/r1cs-file.js';
import { devSetup } from '../../src/setup/dev/dev-setup.js';
import { Groth16Prover, type UltragrothProofResult } from '../../src/prove/groth16/groth16-prover.js';
import { proverCurve } from '../../src/prove/groth16/curve-api.js';
import { verifyUltragroth } from '../../src/verify/ultragroth.js';
import { verifyOnEmbeddedEvm } from '../../src/chain/embedded-evm.js';
import { shutdown } from '../../src/runtime/curve.js';
import {
  compileVerifier,
  renderVerifierSource,
  verifierContractName,
  type CompiledVerifier,
} from '../../src/chain/verifier-contract.js';
import type { Groth16VerificationKey } from '../../src/formats/vkey.js';

const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-ultragroth-prover-'));
let vkey: Groth16VerificationKey;
let compiled: CompiledVerifier;
let proved: UltragrothProofResult;

/** x·w exposed, both inputs range-checked by lookups (4-bit limbs): public x, private w. */
function circuit(): BuiltCircuit {
  const b = new R1csBuilder({ lookup: { limbBits: 4 } });
  const x = b.input(201n, 'public');
  const w = b.input(77n, 'private');
  b.lookupRange(x, 8);
  b.lookupRange(w, 8);
  b.exposeOutput(b.mul(x, w));
  return b.finalize();
}

before(async () => {
  const c = circuit();
  assert.ok(c.lookup, 'the builder made a lookup circuit');
  const r1csPath = join(tmp, 'c.r1cs');
  const zkeyPath = join(tmp, 'c.zkey');
  writeFileSync(r1csPath, encodeR1cs(c));
  const setup = await devSetup({
    r1csPath,
    zkeyPath,
    threads: 1,
    round1: { round2Start: c.lookup.round2Start, challengeWire: c.lookup.challengeWire },
  });
  vkey = setup.vkey as unknown as Groth16VerificationKey;
  const prover = Groth16Prover.create(await proverCurve(true), readFileSync(zkeyPath));
  proved = await prover.prove(c.witness, { completeRound2: (ch) => completeLookupWitness(c, ch) });
  compiled = await compileVerifier(renderVerifierSource(vkey), verifierContractName(vkey));
});

after(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await shutdown();
});

test("the prover's ultragroth proof verifies locally and on the embedded EVM (osaka and paris)", async (t) => {
  const { proof, publicSignals } = proved;
  assert.equal(vkey.protocol, 'ultragroth');
  assert.equal(proof.protocol, 'ultragroth');
  assert.deepEqual(await verifyUltragroth(vkey, publicSignals, proof), { ok: true });
  const osaka = await verifyOnEmbeddedEvm({ ...compiled, proof, publicSignals });
  assert.equal(osaka.valid, true);
  const paris = await verifyOnEmbeddedEvm({ ...compiled, proof, publicSignals, hardfork: 'paris' });
  assert.equal(paris.valid, true);
  t.diagnostic(`${publicSignals.length} public signals: verify ${osaka.gasUsed} gas`);
});

test('both verifiers refuse the proof with its challenge or its C1 changed', async () => {
  const { proof, publicSignals } = proved;
  const last = publicSignals.length - 1;
  const edited = publicSignals.map((s, i) => (i === last ? String(BigInt(s) + 1n) : s));
  assert.deepEqual(await verifyUltragroth(vkey, edited, proof), { ok: false, failed: 'challenge' });
  assert.equal((await verifyOnEmbeddedEvm({ ...compiled, proof, publicSignals: edited })).valid, false);
  // C₁ replaced by A (a valid G1 point): the challenge no longer matches.
  const swapped = { ...proof, pi_c1: proof.pi_a };
  assert.deepEqual(await verifyUltragroth(vkey, publicSignals, swapped), { ok: false, failed: 'challenge' });
  assert.equal((await verifyOnEmbeddedEvm({ ...compiled, proof: swapped, publicSignals })).valid, false);
});
