/**
 * Review attacks on issue 20 (two-round Groth16 with LogUp). The finding performed here: the round
 * split of an ultragroth key (section 11's round2Start: which private wires the key divides by δ₁
 * and so binds in C₁) is a free parameter of the initial key. A ceremony coordinator who starts
 * the ceremony from a key split at nPublic + 1 (every private wire — the model's wires and the
 * LogUp multiplicities — divided by δ instead of δ₁) gets honest contributions on top of it, and
 * then any prover with the key picks the multiplicities AFTER the challenge: a value outside the
 * lookup table balances and the proof verifies. `ceremony verify` must therefore check the split
 * against the build's (circuit.json), never take it from the key under test.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { R1csBuilder, type BuiltCircuit } from '../../circuits/builder.js';
import { FIELD_PRIME, fieldInv } from '../../circuits/field.js';
import { encodeR1cs } from '../../src/compile/r1cs-file.js';
import { createDevPtau, ptauPowerFor } from '../../tools/bench/bench-gas.js';
import { shutdown } from '../../src/runtime/curve.js';
import { ultragrothInitKey, ultragrothVerificationKey } from '../../src/setup/ceremony/ultragroth-key.js';
import { contributeUltragroth } from '../../src/setup/ceremony/ultragroth-contribute.js';
import { verifyCeremony } from '../../src/setup/ceremony/ceremony-verify.js';
import { proverCurve } from '../../src/prove/groth16/curve-api.js';
import { Groth16Prover } from '../../src/prove/groth16/groth16-prover.js';
import { verifyUltragroth } from '../../src/verify/ultragroth.js';
import { checkDeterminism } from '../../src/compile/determinism-check.js';

const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-i20-review-'));
const r1csPath = join(tmp, 'circuit.r1cs');
const ptauPath = join(tmp, 'local.ptau');
const zkeyPath = join(tmp, 'final.zkey');
const LIMB = 4;

/** out = x (the only output), x range-checked in [0, 2^4) by one limb lookup. */
function rangeCircuit(x: bigint): BuiltCircuit {
  const b = new R1csBuilder({ lookup: { limbBits: LIMB } });
  const xs = b.input(x, 'private');
  b.lookupRange(xs, LIMB);
  b.exposeOutput(xs);
  return b.finalize();
}

let circuit: BuiltCircuit;
let nPublic: number;

before(async () => {
  circuit = rangeCircuit(5n);
  nPublic = circuit.nPubOut + circuit.nPubIn;
  writeFileSync(r1csPath, encodeR1cs(circuit));
  writeFileSync(ptauPath, (await createDevPtau({ power: ptauPowerFor(circuit) })).data!);
  // The coordinator's initial key: a split that puts every private wire in round 2.
  const bad = { round2Start: nPublic + 1, challengeWire: nPublic };
  const init = await ultragrothInitKey({ r1cs: r1csPath, ptau: ptauPath, round1: bad });
  // An honest contributor on top of it: δ and δ₁ both move, the chains are valid.
  const alice = await contributeUltragroth(Buffer.concat(init.zkey), { kind: 'contribution', name: 'alice' });
  writeFileSync(zkeyPath, Buffer.concat(alice.zkey));
});

after(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await shutdown();
});

test('the sanity of the setting: the build splits the rounds after the multiplicities', () => {
  assert.ok(circuit.lookup);
  assert.equal(circuit.lookup.challengeWire, nPublic);
  assert.ok(circuit.lookup.round2Start > nPublic + 1 + 2 ** LIMB, 'x and the 16 multiplicities are round 1');
});

test('a key split at nPublic+1 lets a prover balance a value outside the table (what the check must stop)', async () => {
  const prover = Groth16Prover.create(await proverCurve(false), readKey());
  const log = circuit.lookupLog!.tables[0]!;
  const xWire = nPublic + 1;
  const claimed = 20n; // outside [0, 16)
  const round1 = [...circuit.witness];
  round1[1] = claimed; // the output
  round1[xWire] = claimed;
  const complete = (c: bigint): bigint[] => {
    const w = [...round1];
    w[circuit.lookup!.challengeWire] = c;
    const inv = fieldInv((((c - claimed) % FIELD_PRIME) + FIELD_PRIME) % FIELD_PRIME);
    // Multiplicities chosen after c: only entry 0 is "hit", by m₀ = c/(c − 20), so Σ m/(c−t) = 1/(c − 20).
    for (let j = 0; j < log.entries.length; j++) {
      w[log.multiplicityStart + j] = 0n;
      w[log.inverseStart + 1 + j] = 0n;
    }
    w[log.multiplicityStart] = (c * inv) % FIELD_PRIME;
    w[log.inverseStart] = inv;
    w[log.inverseStart + 1] = inv; // tinv₀ = m₀ / (c − 0)
    return w;
  };
  const p = await prover.prove(round1, { completeRound2: complete });
  // Every constraint of the r1cs holds for the forged witness.
  const full = complete(BigInt(p.publicSignals[nPublic - 1]!));
  const ev = (lc: ReadonlyMap<number, bigint> | Iterable<[number, bigint]>) => {
    let s = 0n;
    for (const [wi, k] of lc as Iterable<[number, bigint]>) s += k * full[wi]!;
    return ((s % FIELD_PRIME) + FIELD_PRIME) % FIELD_PRIME;
  };
  for (const k of circuit.constraints as Array<{ a: any; b: any; c: any }>) {
    const [a, b, c] = [k.a, k.b, k.c].map((lc) => ev(typeof lc.entries === 'function' ? lc.entries() : lc));
    assert.equal((a! * b!) % FIELD_PRIME, c);
  }
  const vkey = await ultragrothVerificationKey(readKey());
  assert.equal(p.publicSignals[0], '20');
  assert.deepEqual(await verifyUltragroth(vkey, p.publicSignals, p.proof), { ok: true }); // the forgery verifies
});

test('ceremony verify refuses a key whose round split is not the build’s', async () => {
  // With the build's split given (as `ceremony finalize` does): refused.
  const split = { round2Start: circuit.lookup!.round2Start, challengeWire: circuit.lookup!.challengeWire };
  const given = await verifyCeremony({ target: zkeyPath, ptauPath, r1csPath, round1: split });
  assert.equal(given.ok, false);
  // Without it (as `zkinfer ceremony verify final.zkey --r1cs circuit.r1cs` calls it, and as the
  // CLI calls it even on a build directory): the key's own split must not be trusted either.
  let report;
  try {
    report = await verifyCeremony({ target: zkeyPath, ptauPath, r1csPath });
  } catch (e) {
    assert.match((e as Error).message, /round split|circuit\.json/);
    return;
  }
  assert.equal(report.ok, false, 'ceremony verify accepted a key split at nPublic+1 (multiplicities over δ)');
});

function readKey(): Uint8Array {
  return new Uint8Array(readFileSync(zkeyPath));
}

test('determinism: limbs whose weights overlap are not called determined', () => {
  // x = l0 + 8·l1 with both limbs looked up in [0, 16): 13 = 13 + 8·0 = 5 + 8·1, two witnesses.
  const b = new R1csBuilder({ lookup: { limbBits: LIMB } });
  const x = b.input(13n, 'public');
  const l0 = b.wire(5n);
  const l1 = b.wire(1n);
  b.lookupRange(l0, LIMB);
  b.lookupRange(l1, LIMB);
  b.assertMul(
    b.constant(1n),
    b.linear([
      [l0, 1n],
      [l1, 8n],
    ]),
    x,
  );
  b.exposeOutput(b.mul(l1, l1));
  const r = checkDeterminism(b.finalize());
  assert.equal(r.determined, false, 'overlapping limbs were called determined');
});

test('determinism: disjoint limbs of a forced sum are determined (the rule the previous test must not widen)', () => {
  const b = new R1csBuilder({ lookup: { limbBits: LIMB } });
  const x = b.input(21n, 'public');
  const l0 = b.wire(5n);
  const l1 = b.wire(1n);
  b.lookupRange(l0, LIMB);
  b.lookupRange(l1, LIMB);
  b.assertMul(
    b.constant(1n),
    b.linear([
      [l0, 1n],
      [l1, 16n],
    ]),
    x,
  );
  b.exposeOutput(b.mul(l1, l1));
  const r = checkDeterminism(b.finalize());
  assert.equal(r.determined, true, JSON.stringify(r.undetermined.slice(0, 3)));
});
