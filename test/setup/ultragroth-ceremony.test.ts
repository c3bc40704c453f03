/**
 * The phase-2 ceremony of an ultragroth key (two-round Groth16) on a tiny circuit and a locally
 * made 2^4 ptau: init (snarkjs `zkey new` converted), two contributions and a beacon verify
 * against the rebuilt initial key; every contribution moves both δ and δ₁; and the attacks on δ₁
 * — a contribution that leaves δ₁ where the init's maker knows it, a forged δ₁ proof of
 * knowledge, round-1 points scaled by another δ₁ than the header's, a header δ₁ off the chain's
 * end — are refused, naming the contribution, the part or the section.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { R1csBuilder, type BuiltCircuit } from '../../circuits/builder.js';
import { encodeR1cs } from '../../src/compile/r1cs-file.js';
import { createDevPtau, ptauPowerFor, type MemFile } from '../../tools/bench/bench-gas.js';
import { shutdown } from '../../src/runtime/curve.js';
import { snarkjsInternals } from '../../src/setup/snarkjs-internals.js';
import { decodeUltragrothMpc, encodeRound1Section, encodeUltragrothMpc } from '../../src/setup/zkey-file.js';
import { parseProvingKey } from '../../src/prove/groth16/proving-key.js';
import {
  fullCurve,
  HEADER,
  joinZkey,
  section,
  splitZkey,
  ultragrothInitKey,
  ultragrothLayout,
  ultragrothVerificationKey,
} from '../../src/setup/ceremony/ultragroth-key.js';
import { contributeUltragroth, hashPokPart, transcriptPrefix } from '../../src/setup/ceremony/ultragroth-contribute.js';
import { verifyUltragrothKey, type UltragrothVerdict } from '../../src/setup/ceremony/ultragroth-verify.js';

/** Two public inputs, three private inputs, a few products, one public output: 3 public signals. */
function tinyCircuit(): BuiltCircuit {
  const b = new R1csBuilder();
  const x = b.input(3n, 'public');
  const c = b.input(11n, 'public'); // stands for the challenge: the last public signal
  const w = b.input(7n, 'private');
  const v = b.input(2n, 'private');
  const u = b.input(5n, 'private');
  const p = b.mul(x, w);
  const q = b.mul(p, v);
  b.mul(c, u);
  b.exposeOutput(b.mul(q, u));
  return b.finalize();
}

const concat = (chunks: Uint8Array[]) => new Uint8Array(Buffer.concat(chunks));
let initKey: Uint8Array;
let keys: Uint8Array[]; // after alice, bob, the beacon
let nPublic: number;
let round2Start: number;
let ptau: MemFile;
let r1cs: MemFile;

before(async () => {
  const circuit = tinyCircuit();
  nPublic = circuit.nPubOut + circuit.nPubIn;
  // Round 1: the first two private wires; round 2 the rest (both non-empty).
  round2Start = nPublic + 3;
  ptau = await createDevPtau({ power: ptauPowerFor(circuit) });
  r1cs = { type: 'mem', data: new Uint8Array(encodeR1cs(circuit)) };
  const init = await ultragrothInitKey({ r1cs, ptau, round1: { round2Start, challengeWire: nPublic } });
  initKey = concat(init.zkey);
  const alice = concat((await contributeUltragroth(initKey, { kind: 'contribution', name: 'alice' })).zkey);
  const bob = concat((await contributeUltragroth(alice, { kind: 'contribution', name: 'bob', entropy: 'x' })).zkey);
  const beaconHash = createHash('sha256').update('public beacon').digest();
  const beacon = await contributeUltragroth(bob, { kind: 'beacon', name: 'final', beaconHash, iterationsExp: 10 });
  keys = [alice, bob, concat(beacon.zkey)];
});
after(() => shutdown());

/** Rewrites sections of a key. */
function edit(key: Uint8Array, change: (sections: Map<number, Uint8Array>) => void): Uint8Array {
  const z = splitZkey(key);
  const copy = new Map([...z.sections].map(([id, s]) => [id, new Uint8Array(s)]));
  change(copy);
  return concat(joinZkey({ ...z, sections: copy }));
}

function assertFails(v: UltragrothVerdict, pattern: RegExp, where?: { index?: number; part?: string }): void {
  assert.equal(v.ok, false, 'verification must fail');
  if (v.ok) return;
  assert.match(v.detail, pattern);
  if (where?.index !== undefined) assert.equal(v.index, where.index);
  if (where?.part !== undefined) assert.equal(v.part, where.part);
}

test('the initial key is snarkjs zkey new converted: protocol, δ₁ = 1, the round split, no contribution', async () => {
  const z = splitZkey(initKey);
  const k = ultragrothLayout(z);
  assert.deepEqual([k.round1.round2Start, k.round1.challengeWire, k.nRound1Points], [round2Start, nPublic, 2]);
  const curve = await fullCurve();
  assert.ok(curve.G1.eq(curve.G1.fromRprLEM(k.round1.delta1G1, 0), curve.G1.g));
  assert.ok(curve.G1.eq(curve.G1.fromRprLEM(section(z, 2), HEADER.delta1), curve.G1.g));
  assert.equal(decodeUltragrothMpc(section(z, 10)).contributions.length, 0);
  assert.equal(parseProvingKey(initKey).protocol, 'ultragroth');
});

test('init, two contributions and a beacon verify; every contribution moved both δ and δ₁', async () => {
  assert.deepEqual(await verifyUltragrothKey(keys[2]!, initKey), { ok: true });
  assert.deepEqual(await verifyUltragrothKey(keys[0]!, initKey), { ok: true });
  const curve = await fullCurve();
  let [delta, delta1] = [curve.G1.g, curve.G1.g];
  for (const key of keys) {
    const z = splitZkey(key);
    const d = curve.G1.fromRprLEM(section(z, 2), HEADER.delta1);
    const d1 = curve.G1.fromRprLEM(ultragrothLayout(z).round1.delta1G1, 0);
    assert.ok(!curve.G1.eq(d, delta) && !curve.G1.eq(d1, delta1) && !curve.G1.eq(d, d1));
    [delta, delta1] = [d, d1];
  }
  const pk = parseProvingKey(keys[2]!);
  assert.equal(pk.round1?.round2Start, round2Start);
  const vkey = await ultragrothVerificationKey(keys[2]!);
  assert.equal(vkey['protocol'], 'ultragroth');
  assert.deepEqual(vkey['challenge'], { index: nPublic - 1, hash: 'keccak256' });
});

test('the beacon is deterministic: the same seed on the same key gives the same contribution', async () => {
  const beaconHash = createHash('sha256').update('public beacon').digest();
  const again = await contributeUltragroth(keys[1]!, { kind: 'beacon', name: 'final', beaconHash, iterationsExp: 10 });
  assert.ok(Buffer.from(concat(again.zkey)).equals(Buffer.from(keys[2]!)));
});

test('a contribution that moves δ but leaves δ₁ (still known to whoever made the init) is refused, named', async () => {
  // Bob's honest δ part, then a δ₁ part with secret 1: a valid-looking proof of knowledge of 1.
  const curve = await fullCurve();
  const { hashToG2 } = await snarkjsInternals();
  const honest = splitZkey(keys[1]!);
  const mpc = decodeUltragrothMpc(section(honest, 10));
  const [aliceC, bobC] = mpc.contributions as [(typeof mpc.contributions)[0], (typeof mpc.contributions)[0]];
  const hasher = transcriptPrefix(curve, mpc.csHash, [aliceC]);
  hashPokPart(hasher, curve, bobC.delta);
  const g1S = curve.G1.toAffine(curve.G1.timesFr(curve.G1.g, curve.Fr.e(12345)));
  const u = new Uint8Array(64);
  curve.G1.toRprUncompressed(u, 0, g1S);
  const transcript = new Uint8Array(hasher.copy().update(u).update(u).digest());
  const lem = (g: 'G1' | 'G2', p: unknown) => {
    const out = new Uint8Array(g === 'G1' ? 64 : 128);
    curve[g].toRprLEM(out, 0, curve[g].toAffine(p));
    return out;
  };
  const lazyDelta1 = {
    after: aliceC.delta1.after,
    g1S: lem('G1', g1S),
    g1Sx: lem('G1', g1S),
    g2Spx: lem('G2', hashToG2(curve as never, transcript)),
    transcript,
  };
  const alice = splitZkey(keys[0]!);
  const forged = edit(keys[1]!, (s) => {
    s.set(10, encodeUltragrothMpc(mpc.csHash, [aliceC, { ...bobC, delta1: lazyDelta1 }]));
    // Round-1 points and δ₁ as alice left them: δ₁ did not move.
    const split = 2 * 64;
    s.get(8)!.set(section(alice, 8).subarray(0, split), 0);
    s.set(11, section(alice, 11));
  });
  assertFails(await verifyUltragrothKey(forged, initKey), /contribution 2 \("bob"\), δ₁ part: leaves it/, {
    index: 2,
    part: 'δ₁',
  });
});

test('a forged δ₁ proof of knowledge is refused, naming the contribution and δ₁', async () => {
  const curve = await fullCurve();
  const forged = edit(keys[2]!, (s) => {
    const mpc = decodeUltragrothMpc(s.get(10)!);
    const bob = mpc.contributions[1]!;
    const g2Spx = curve.G2.timesFr(curve.G2.fromRprLEM(bob.delta1.g2Spx, 0), curve.Fr.e(2));
    const out = new Uint8Array(128);
    curve.G2.toRprLEM(out, 0, curve.G2.toAffine(g2Spx));
    mpc.contributions[1] = { ...bob, delta1: { ...bob.delta1, g2Spx: out } };
    s.set(10, encodeUltragrothMpc(mpc.csHash, mpc.contributions));
  });
  assertFails(
    await verifyUltragrothKey(forged, initKey),
    /contribution 2 \("bob"\), δ₁ part: public key does not prove/,
    {
      index: 2,
      part: 'δ₁',
    },
  );
});

/** Multiplies the first `n` points of a G1 section by `k`. */
async function scalePoints(points: Uint8Array, n: number, k: bigint): Promise<void> {
  const curve = await fullCurve();
  const head = points.subarray(0, n * 64);
  head.set(new Uint8Array(await curve.G1.batchApplyKey(new Uint8Array(head), curve.Fr.e(k), curve.Fr.e(1))));
}

test('round-1 points scaled by another δ₁ than the header’s are refused, naming section 8', async () => {
  const s8 = new Uint8Array(section(splitZkey(keys[2]!), 8));
  await scalePoints(s8, 2, 2n);
  const key = edit(keys[2]!, (s) => s.set(8, s8));
  assertFails(await verifyUltragrothKey(key, initKey), /section 8 \(round-1 points\)/);
});

test('a header δ₁ that is not the end of the chain is refused even when the points agree with it', async () => {
  const curve = await fullCurve();
  const z = splitZkey(keys[2]!);
  const r = ultragrothLayout(z).round1;
  const two = curve.Fr.e(2);
  const d1 = new Uint8Array(64);
  const d1g2 = new Uint8Array(128);
  curve.G1.toRprLEM(d1, 0, curve.G1.toAffine(curve.G1.timesFr(curve.G1.fromRprLEM(r.delta1G1, 0), two)));
  curve.G2.toRprLEM(d1g2, 0, curve.G2.toAffine(curve.G2.timesFr(curve.G2.fromRprLEM(r.delta1G2, 0), two)));
  const s8 = new Uint8Array(section(z, 8));
  const head = s8.subarray(0, 2 * 64);
  head.set(new Uint8Array(await curve.G1.batchApplyKey(new Uint8Array(head), curve.Fr.inv(two), curve.Fr.e(1))));
  const key = edit(keys[2]!, (s) => {
    s.set(8, s8);
    s.set(11, encodeRound1Section({ ...r, delta1G1: d1, delta1G2: d1g2 }));
  });
  assertFails(await verifyUltragrothKey(key, initKey), /the key's δ₁ is not the δ₁ the 3 recorded contribution/);
});

test('a key for another round split or another circuit is refused', async () => {
  const other = concat(
    (await ultragrothInitKey({ r1cs, ptau, round1: { round2Start: round2Start + 1, challengeWire: nPublic } })).zkey,
  );
  assertFails(await verifyUltragrothKey(keys[2]!, other), /section 11: the round split/);
  await assert.rejects(
    ultragrothInitKey({ r1cs, ptau, round1: { round2Start, challengeWire: nPublic - 1 } }),
    /the challenge must be the last public signal/,
  );
});
