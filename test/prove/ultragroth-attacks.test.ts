/**
 * Attacks on the two rounds of an ultragroth proof, each performed for real on the toy circuit
 * (test/helpers/ultragroth-toy.ts) and each rejected by the check it targets — except the last,
 * which shows why keys whose δ₁ is known are not trusted: with it a false statement verifies.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { FIELD_PRIME } from '../../circuits/field.js';
import { proverCurve } from '../../src/prove/groth16/curve-api.js';
import { Groth16Prover, randomScalar } from '../../src/prove/groth16/groth16-prover.js';
import { shutdown } from '../../src/runtime/curve.js';
import { devSetup } from '../../src/setup/dev/dev-setup.js';
import { verifyUltragroth } from '../../src/verify/ultragroth.js';
import { forgeUltragroth } from '../helpers/forge-ultragroth.js';
import { TOY_ROUND1, toyCircuit, toyRounds, writeToyR1cs } from '../helpers/ultragroth-toy.js';

const { dir, r1csPath } = writeToyR1cs();
const values = { x: 7n, y: 11n, k: 3n };
// The test holds the key's trapdoor, so the last test can forge with it.
const waste = {
  tau: randomScalar(),
  alpha: randomScalar(),
  beta: randomScalar(),
  gamma: randomScalar(),
  delta: randomScalar(),
  delta1: randomScalar(),
};
let vkey: Record<string, unknown>;
let prover: Groth16Prover;

before(async () => {
  const zkeyPath = join(dir, 'ug.zkey');
  const r = await devSetup({ r1csPath, zkeyPath, threads: 1, round1: TOY_ROUND1, knownToxicWaste: waste });
  vkey = r.vkey as Record<string, unknown>;
  prover = Groth16Prover.create(await proverCurve(false), readFileSync(zkeyPath));
});

after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await shutdown();
});

const verify = (p: { publicSignals: string[]; proof: unknown }) => verifyUltragroth(vkey, p.publicSignals, p.proof);

test('a commitment opened to other values fails the pairing', async () => {
  const { round1 } = toyRounds(values);
  const commitment = await prover.commitRound1(round1);
  // After seeing c, change the private round-1 wires (x + 1, y − 1 keep the output x + y and
  // every public signal): round 2 proven with the same C₁ and c.
  const other = toyCircuit({ ...values, x: values.x + 1n, y: values.y - 1n }, commitment.challenge).witness;
  const p = await prover.proveRound2(other, commitment);
  assert.deepEqual(p.publicSignals, toyRounds(values).complete(commitment.challenge).slice(1, 4).map(String));
  assert.deepEqual(await verify(p), { ok: false, failed: 'pairing' });
  // The honest opening of the same commitment verifies: the rejection is the opening's.
  const honest = await prover.proveRound2(toyRounds(values).complete(commitment.challenge), commitment);
  assert.deepEqual(await verify(honest), { ok: true });
});

test('another proof’s C₁ swapped in fails the challenge', async () => {
  const { round1, complete } = toyRounds(values);
  const [p, q] = [
    await prover.prove(round1, { completeRound2: complete }),
    await prover.prove(round1, { completeRound2: complete }),
  ];
  const swapped = { ...p, proof: { ...p.proof, pi_c1: q.proof.pi_c1 } };
  assert.deepEqual(await verify(swapped), { ok: false, failed: 'challenge' });
  // With q's challenge as well (q's C₁ and c, p's A, B, C): the pairing fails.
  const both = { proof: { ...p.proof, pi_c1: q.proof.pi_c1 }, publicSignals: q.publicSignals };
  assert.deepEqual(await verify(both), { ok: false, failed: 'pairing' });
});

test('a challenge reused from another proof fails the challenge', async () => {
  const { round1, complete } = toyRounds(values);
  const first = await prover.prove(round1, { completeRound2: complete });
  const reused = BigInt(first.publicSignals[2]!);
  // Proof 2: its own fresh C₁, but round 2 completed with proof 1's challenge.
  const own = await prover.commitRound1(round1);
  const p = await prover.proveRound2(complete(reused), { ...own, challenge: reused });
  assert.equal(p.publicSignals[2], String(reused));
  assert.deepEqual(await verify(p), { ok: false, failed: 'challenge' });
});

test('a challenge chosen before the commitment fails the challenge', async () => {
  const { round1, complete } = toyRounds(values);
  const early = randomScalar(); // the prover picks c first …
  const full = complete(early);
  const commitment = await prover.commitRound1(round1); // … and commits afterwards
  const p = await prover.proveRound2(full, { ...commitment, challenge: early });
  assert.notEqual(commitment.challenge, early);
  assert.deepEqual(await verify(p), { ok: false, failed: 'challenge' });
});

test('an edited public signal fails the challenge (the last one and any other)', async () => {
  const { round1, complete } = toyRounds(values);
  const p = await prover.prove(round1, { completeRound2: complete });
  const edit = (j: number) => {
    const s = [...p.publicSignals];
    s[j] = String((BigInt(s[j]!) + 1n) % FIELD_PRIME);
    return { ...p, publicSignals: s };
  };
  assert.deepEqual(await verify(edit(2)), { ok: false, failed: 'challenge' });
  assert.deepEqual(await verify(edit(0)), { ok: false, failed: 'challenge' });
  assert.deepEqual(await verify(edit(1)), { ok: false, failed: 'challenge' });
  assert.deepEqual(await verify(p), { ok: true });
});

test('with δ₁ (and γ) known the prover forges a false statement that verifies', async () => {
  const { round1, complete } = toyRounds(values);
  // True: x + y = 18 with k = 3. Claimed: the output is 1000 and k is 5.
  const claimed = [1000n, 5n];
  const forge = (delta1: bigint) =>
    forgeUltragroth({
      prover,
      vkey: vkey as { IC: unknown[] },
      honestRound1: round1,
      completeRound2: complete,
      claimed,
      delta1,
      gamma: waste.gamma,
    });
  const forged = await forge(waste.delta1);
  assert.deepEqual(forged.publicSignals.slice(0, 2), ['1000', '5']);
  assert.deepEqual(await verify(forged), { ok: true }); // ACCEPTED: only ceremony keys are trusted
  // The same construction with a wrong δ₁ is rejected: the trapdoor is what makes it work.
  assert.deepEqual(await verify(await forge(waste.delta1 + 1n)), { ok: false, failed: 'pairing' });
});
