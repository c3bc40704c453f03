/**
 * Substituting the verification key: an attacker runs their own setup of the model owner's
 * circuit (so they can prove anything) and offers their key in place of the owner's — as the
 * --vkey file next to a pinned hash, as a reordered or annotated copy, through an unusual
 * spelling of the pinned hash or a __proto__ field, or to the on-chain check of an unpinned
 * bundle. Each must be refused; honest variants (JSON key order, hash spelling) must still verify.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson } from '../../src/core/hash.js';
import { shutdown } from '../../src/runtime/curve.js';
import { verifyBundle } from '../../src/verify/verify-bundle.js';
import type { ProofBundle } from '../../src/formats/bundle.js';
import { twoSetups } from '../helpers/two-setups.js';

const T = mkdtempSync(join(tmpdir(), 'zkinfer-vkey-substitution-'));
const EMPTY_STORE = join(T, 'empty-store');

let victim = '';
let attacker = '';
let honest: ProofBundle;
let forged: ProofBundle;

before(async () => {
  ({ victim, attacker, honest, forged } = await twoSetups(T));
});

after(async () => {
  await shutdown();
  rmSync(T, { recursive: true, force: true });
});

/** The same JSON value with every object's keys in reverse order. */
function reorderKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reorderKeys);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .reverse()
        .map((k) => [k, reorderKeys((v as Record<string, unknown>)[k])]),
    );
  return v;
}

test('--vkey with --vkey-hash: the file must hash to the pinned hash (an attacker-supplied vkey.json is not trusted)', async () => {
  // The verifier pins the model owner's published hash, and also passes the vkey.json that came
  // with the bundle; the attacker's key must not win over the hash.
  const r = await verifyBundle({
    bundle: forged,
    vkeyPath: join(attacker, 'vkey.json'),
    vkeyHash: honest.vkeyHash,
    keyStoreDir: EMPTY_STORE,
  });
  assert.equal(r.valid, false, "the attacker's vkey file overrode the pinned hash");
  assert.equal(r.failed, 'pin');
  assert.equal(r.modelId, undefined);
  const ok = await verifyBundle({
    bundle: honest,
    vkeyPath: join(victim, 'vkey.json'),
    vkeyHash: honest.vkeyHash,
    keyStoreDir: EMPTY_STORE,
  });
  assert.equal(ok.valid, true, JSON.stringify(ok.checks.find((c) => !c.ok)));
  assert.equal(ok.pinned, true);
});

test('JSON key order means nothing: a reordered --vkey file and a reordered bundle still verify; a changed one does not', async () => {
  const vkeyPath = join(T, 'reordered-vkey.json');
  const vkey = JSON.parse(JSON.stringify(honest.vkey));
  writeFileSync(vkeyPath, JSON.stringify(reorderKeys(vkey)));
  assert.equal(canonicalJson(JSON.parse(JSON.stringify(reorderKeys(vkey)))), canonicalJson(vkey));
  const byFile = await verifyBundle({ bundle: honest, vkeyPath, keyStoreDir: EMPTY_STORE });
  assert.equal(byFile.valid, true, JSON.stringify(byFile.checks.find((c) => !c.ok)));
  const reordered = reorderKeys(structuredClone(honest));
  const r = await verifyBundle({ bundle: reordered, vkeyPath: join(victim, 'vkey.json'), keyStoreDir: EMPTY_STORE });
  assert.equal(r.valid, true, JSON.stringify(r.checks.find((c) => !c.ok)));
  // Reordering must not open a gap for real edits: the embedded key with extra metadata is refused.
  const extra = structuredClone(honest) as any;
  extra.vkey.zkinfer.note = 'audited';
  assert.equal(
    (await verifyBundle({ bundle: extra, vkeyPath: join(victim, 'vkey.json'), keyStoreDir: EMPTY_STORE })).failed,
    'vkey',
  );
  const pinnedExtra = join(T, 'extra-vkey.json');
  writeFileSync(pinnedExtra, JSON.stringify({ ...vkey, zkinfer: { ...vkey.zkinfer, note: 'audited' } }));
  assert.equal(
    (await verifyBundle({ bundle: honest, vkeyPath: pinnedExtra, keyStoreDir: EMPTY_STORE })).failed,
    'vkey',
  );
});

test('a --vkey-hash in upper case or with 0x pins the same key; a __proto__ field is an unknown field', async () => {
  for (const h of [honest.vkeyHash.toUpperCase(), `0x${honest.vkeyHash}`]) {
    const r = await verifyBundle({ bundle: honest, vkeyHash: h, keyStoreDir: EMPTY_STORE });
    assert.equal(r.valid, true, `${h}: ${JSON.stringify(r.checks.find((c) => !c.ok))}`);
    assert.equal(r.pinned, true);
  }
  const proto = JSON.parse(JSON.stringify(honest).replace(/^\{/, '{"__proto__":{"prediction":7},'));
  const r = await verifyBundle({ bundle: proto, vkeyHash: honest.vkeyHash, keyStoreDir: EMPTY_STORE });
  assert.equal(r.failed, 'format', JSON.stringify(r.checks));
});

test("verify --chain on an unpinned bundle does not compile a verifier for the prover's key", async () => {
  const r = await verifyBundle({ bundle: forged, chain: { kind: 'embedded' }, keyStoreDir: EMPTY_STORE });
  assert.equal(r.failed, 'pin');
  assert.equal(r.chain, undefined, 'a verifier was compiled and run for an unpinned key');
  assert.match(r.checks.find((c) => c.check === 'chain')?.detail ?? '', /not run/);
});
