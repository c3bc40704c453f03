/**
 * The proof-system fields without proving anything: the flags' rules (an unknown system, a limb
 * width out of range and `--limb-bits` with groth16 are usage errors naming the flag), the proof
 * schema (pi_c1 exactly in ultragroth proofs), the key schema (δ₁ and the challenge exactly in
 * ultragroth keys, the challenge the last signal) and the `proof-system` rule (naming both sides).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveProofSystem, keyProofSystem } from '../../src/compile/proof-system.js';
import { DEFAULT_LIMB_BITS } from '../../circuits/lookup.js';
import { UserError } from '../../src/core/errors.js';
import { proofSchema } from '../../src/formats/bundle.js';
import { circuitMetaDifferences, vkeySchema } from '../../src/formats/vkey.js';
import { proofSystemMismatch } from '../../src/verify/proof-check.js';

const G1 = ['1', '2', '1'];
const G2 = [
  ['1', '2'],
  ['3', '4'],
  ['1', '0'],
];

test('the proof-system flags: defaults, and every flag that does not apply is a usage error naming it', () => {
  assert.deepEqual(resolveProofSystem({}), { proofSystem: 'groth16' });
  assert.deepEqual(resolveProofSystem({ proofSystem: 'ultragroth' }), {
    proofSystem: 'ultragroth',
    lookup: { limbBits: DEFAULT_LIMB_BITS },
  });
  assert.deepEqual(resolveProofSystem({ proofSystem: 'ultragroth', limbBits: 6 }).lookup, { limbBits: 6 });
  const refused = (choice: Parameters<typeof resolveProofSystem>[0], re: RegExp) =>
    assert.throws(
      () => resolveProofSystem(choice),
      (e: unknown) => e instanceof UserError && re.test(e.message),
    );
  refused({ limbBits: 8 }, /--limb-bits applies to --proof-system ultragroth only/);
  refused({ proofSystem: 'groth16', limbBits: 8 }, /--limb-bits/);
  refused({ proofSystem: 'ultragroth', limbBits: 1 }, /--limb-bits must be an integer from/);
  refused({ proofSystem: 'ultragroth', limbBits: 40 }, /--limb-bits must be an integer from/);
  refused({ proofSystem: 'plonk' as never }, /--proof-system must be one of groth16, ultragroth/);
  // A key's metadata replays its choice; a groth16 key's stray limbBits is not passed on.
  assert.deepEqual(keyProofSystem({ proofSystem: 'ultragroth', limbBits: 4 }), {
    proofSystem: 'ultragroth',
    limbBits: 4,
  });
  assert.deepEqual(keyProofSystem({ limbBits: 4 }), {});
});

test('pi_c1 is required in ultragroth proofs and refused in groth16 ones', () => {
  const base = { pi_a: G1, pi_b: G2, pi_c: G1, curve: 'bn128' };
  assert.ok(proofSchema.safeParse({ ...base, protocol: 'groth16' }).success);
  assert.ok(proofSchema.safeParse({ ...base, pi_c1: G1, protocol: 'ultragroth' }).success);
  assert.equal(proofSchema.safeParse({ ...base, protocol: 'ultragroth' }).success, false);
  assert.equal(proofSchema.safeParse({ ...base, pi_c1: G1, protocol: 'groth16' }).success, false);
  assert.equal(proofSchema.safeParse({ ...base, protocol: 'plonk' }).success, false);
});

test('a key has delta1 and the challenge exactly when it is ultragroth, the challenge being the last signal', () => {
  const key = {
    curve: 'bn128',
    nPublic: 2,
    vk_alpha_1: G1,
    vk_beta_2: G2,
    vk_gamma_2: G2,
    vk_delta_2: G2,
    IC: [G1, G1, G1],
  };
  const ug = { ...key, protocol: 'ultragroth', vk_delta1_2: G2, challenge: { index: 1, hash: 'keccak256' } };
  assert.ok(vkeySchema.safeParse({ ...key, protocol: 'groth16' }).success);
  assert.ok(vkeySchema.safeParse(ug).success);
  assert.equal(vkeySchema.safeParse({ ...ug, challenge: { index: 0, hash: 'keccak256' } }).success, false);
  assert.equal(vkeySchema.safeParse({ ...ug, vk_delta1_2: undefined }).success, false);
  assert.equal(vkeySchema.safeParse({ ...key, protocol: 'groth16', vk_delta1_2: G2 }).success, false);
});

test('proof-system: a proof of the other system, a relabelled bundle or a mislabelled key is named', () => {
  const ugKey = { protocol: 'ultragroth', zkinfer: { proofSystem: 'ultragroth' } };
  const g16Key = { protocol: 'groth16', zkinfer: {} };
  assert.equal(proofSystemMismatch(ugKey, { bundle: 'ultragroth', proof: 'ultragroth' }), undefined);
  assert.equal(proofSystemMismatch(g16Key, { bundle: 'groth16', proof: 'groth16' }), undefined);
  assert.match(
    proofSystemMismatch(ugKey, { bundle: 'groth16', proof: 'groth16' })!,
    /the proof's protocol is groth16, the key's is ultragroth/,
  );
  assert.match(proofSystemMismatch(g16Key, { bundle: 'ultragroth', proof: 'ultragroth' })!, /ultragroth.*groth16/);
  assert.match(
    proofSystemMismatch(ugKey, { bundle: 'groth16', proof: 'ultragroth' })!,
    /bundle says protocol groth16 but its proof says ultragroth/,
  );
  assert.match(
    proofSystemMismatch({ protocol: 'ultragroth', zkinfer: {} }, { proof: 'ultragroth' })!,
    /mislabelled key/,
  );
  // A key's recorded system is part of what --model compares (absent = groth16).
  const meta = { modelId: 'x' } as never;
  assert.deepEqual(circuitMetaDifferences(meta, { modelId: 'x', proofSystem: 'groth16' } as never), []);
  assert.deepEqual(circuitMetaDifferences(meta, { modelId: 'x', proofSystem: 'ultragroth', limbBits: 4 } as never), [
    'proofSystem',
    'limbBits',
  ]);
});
