/**
 * The two-round ("ultragroth") system end to end on a hand-made toy (test/helpers/ultragroth-toy.ts):
 * dev setup writes the key format of the contract, zkinfer's prover runs both rounds, the local
 * verifier accepts, and each attack on the rounds is rejected by the check it targets.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { encodeWtns } from '../../src/compile/r1cs-file.js';
import { proverCurve } from '../../src/prove/groth16/curve-api.js';
import { Groth16Prover } from '../../src/prove/groth16/groth16-prover.js';
import { parseProvingKey } from '../../src/prove/groth16/proving-key.js';
import { shutdown } from '../../src/runtime/curve.js';
import { devSetup } from '../../src/setup/dev/dev-setup.js';
import { decodeUltragrothMpc, encodeUltragrothMpc, ULTRAGROTH_PROTOCOL_ID } from '../../src/setup/zkey-file.js';
import { verifyProof } from '../../src/verify/groth16.js';
import { ultragrothChallenge, verifyUltragroth } from '../../src/verify/ultragroth.js';
import { TOY_ROUND1, toyCircuit, toyRounds, writeToyR1cs } from '../helpers/ultragroth-toy.js';

const { dir, r1csPath } = writeToyR1cs();
const values = { x: 7n, y: 11n, k: 3n };
let vkey: Record<string, unknown>;
let groth16Vkey: Record<string, unknown>;
let zkey: Uint8Array;
let prover: Groth16Prover;
let groth16Prover: Groth16Prover;

before(async () => {
  const ug = await devSetup({ r1csPath, zkeyPath: join(dir, 'ug.zkey'), threads: 1, round1: TOY_ROUND1 });
  vkey = ug.vkey as Record<string, unknown>;
  zkey = readFileSync(join(dir, 'ug.zkey'));
  const g = await devSetup({ r1csPath, zkeyPath: join(dir, 'g.zkey'), threads: 1 });
  groth16Vkey = g.vkey as Record<string, unknown>;
  const curve = await proverCurve(false);
  prover = Groth16Prover.create(curve, zkey);
  groth16Prover = Groth16Prover.create(curve, readFileSync(join(dir, 'g.zkey')));
});

after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await shutdown();
});

test('dev setup writes the ultragroth key and vkey of the contract; snarkjs refuses the key', async () => {
  const pk = parseProvingKey(zkey);
  assert.equal(pk.protocol, 'ultragroth');
  assert.equal(pk.round1?.round2Start, TOY_ROUND1.round2Start);
  assert.equal(pk.round1?.challengeWire, TOY_ROUND1.challengeWire);
  assert.equal(new DataView(zkey.buffer, zkey.byteOffset).getUint32(12 + 12, true), ULTRAGROTH_PROTOCOL_ID);
  assert.equal(vkey['protocol'], 'ultragroth');
  assert.deepEqual(vkey['challenge'], { index: 2, hash: 'keccak256' });
  assert.ok(Array.isArray(vkey['vk_delta1_2']));
  assert.notDeepEqual(vkey['vk_delta1_2'], vkey['vk_delta_2']);
  assert.equal(parseProvingKey(readFileSync(join(dir, 'g.zkey'))).protocol, 'groth16');
  const wtns = { type: 'mem', data: new Uint8Array(encodeWtns(toyRounds(values).complete(5n))) };
  await assert.rejects(snarkjs.groth16.prove({ type: 'mem', data: zkey }, wtns));
});

test('section 10 round-trips contributions that move δ and δ₁', () => {
  const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
  const part = (f: number) => ({
    after: bytes(64, f),
    g1S: bytes(64, f + 1),
    g1Sx: bytes(64, f + 2),
    g2Spx: bytes(128, f + 3),
    transcript: bytes(64, f + 4),
  });
  const c = { delta: part(1), delta1: part(10), type: 1, params: bytes(5, 9) };
  const enc = encodeUltragrothMpc(bytes(64, 7), [c, c]);
  assert.equal(enc.length, 64 + 4 + 2 * (2 * 384 + 8 + 5));
  assert.deepEqual(decodeUltragrothMpc(enc), { csHash: bytes(64, 7), contributions: [c, c] });
  assert.equal(encodeUltragrothMpc(bytes(64, 7), []).length, 68); // snarkjs's empty section
  assert.throws(() => decodeUltragrothMpc(enc.subarray(0, enc.length - 1)), /truncated/);
});

test('two rounds prove; the verifier accepts; the challenge is the hash of C₁ and the statement', async () => {
  const { round1, complete } = toyRounds(values);
  const seen: bigint[] = [];
  const p = await prover.prove(round1, { profile: true, completeRound2: (c: bigint) => (seen.push(c), complete(c)) });
  assert.equal(p.proof.protocol, 'ultragroth');
  assert.equal(seen.length, 1);
  assert.equal(p.publicSignals[2], String(seen[0]));
  assert.equal(ultragrothChallenge([p.proof.pi_c1[0], p.proof.pi_c1[1]], p.publicSignals), seen[0]);
  assert.ok(p.timings && p.timings.msmC1Ms >= 0 && p.timings.challengeMs > 0);
  assert.deepEqual(await verifyUltragroth(vkey, p.publicSignals, p.proof), { ok: true });
  assert.deepEqual(await verifyProof(vkey, p.publicSignals, p.proof), { ok: true });
  const q = await prover.prove(round1, { completeRound2: complete });
  assert.notDeepEqual(q.proof.pi_c1, p.proof.pi_c1); // fresh r₁: a fresh commitment and challenge
  assert.deepEqual(await verifyUltragroth(vkey, q.publicSignals, q.proof), { ok: true });
});

test('a challenge that hits a looked-up value redraws r₁; the systems refuse each other', async () => {
  const { round1, complete } = toyRounds(values);
  let calls = 0;
  const p = await prover.prove(round1, {
    completeRound2: (c) => {
      if (++calls === 1) throw new Error('the challenge hit a looked-up value');
      return complete(c);
    },
  });
  assert.equal(calls, 2);
  assert.equal((await verifyUltragroth(vkey, p.publicSignals, p.proof)).ok, true);
  await assert.rejects(
    prover.prove(round1, {
      completeRound2: () => {
        throw new Error('always');
      },
    }),
    /always/,
  );
  await assert.rejects(prover.prove(round1), /needs completeRound2/);
  const full = complete(5n);
  await assert.rejects(groth16Prover.prove(full, { completeRound2: complete }), /Groth16/);
  const g = await groth16Prover.prove(full);
  assert.deepEqual(await verifyProof(groth16Vkey, g.publicSignals, g.proof), { ok: true });
  assert.equal((await verifyProof(vkey, g.publicSignals, g.proof)).failed, 'proof-system');
  const mismatch = await verifyProof(groth16Vkey, p.publicSignals, p.proof);
  assert.equal(mismatch.failed, 'proof-system');
  assert.match(mismatch.detail!, /ultragroth.*groth16/);
  // completeRound2 may not change what C₁ already committed to.
  await assert.rejects(
    prover.prove(round1, { completeRound2: (c) => toyCircuit({ ...values, y: values.y + 1n }, c).witness }),
    /changed round-1 wire/,
  );
});
