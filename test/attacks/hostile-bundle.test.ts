/**
 * A hostile proof bundle, embedded key, --vkey file or trusted-key store, made to crash, hang or
 * overflow the verifier rather than to pass it: a layout that disagrees with the key, key
 * metadata with a zero-size output or a bad droppedFinal, non-decimal field elements, an
 * overflowing input scale, JSON nested 100,000 deep. Each must be a failed check or a one-line
 * error, never an exception or a hang — while what the quantizer really writes is still admitted.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson } from '../../src/core/hash.js';
import { shutdown } from '../../src/runtime/curve.js';
import { verifyBundle } from '../../src/verify/verify-bundle.js';
import { assertVerificationKey } from '../../src/formats/vkey.js';
import type { ProofBundle } from '../../src/formats/bundle.js';
import { UserError } from '../../src/core/errors.js';
import { SAMPLE, twoSetups } from '../helpers/two-setups.js';

const T = mkdtempSync(join(tmpdir(), 'zkinfer-hostile-bundle-'));
const EMPTY_STORE = join(T, 'empty-store');

let victim = '';
let honest: ProofBundle;
let forged: ProofBundle;

before(async () => {
  ({ victim, honest, forged } = await twoSetups(T));
});

after(async () => {
  await shutdown();
  rmSync(T, { recursive: true, force: true });
});

/** An attacker-made key with an empty output, given its own (consistent) bundle. */
function emptyOutputBundle(edit: (meta: any) => void): ProofBundle {
  const b = structuredClone(forged) as any;
  const meta = b.vkey.zkinfer;
  meta.layout = {
    output: { visibility: 'public', offset: 0, count: 0 },
    input: { visibility: 'public', offset: 0, count: 0 },
    nPublic: 0,
  };
  meta.output.shape = [0];
  edit(meta);
  b.vkey.nPublic = 0;
  b.vkey.IC = b.vkey.IC.slice(0, 1);
  b.layout = meta.layout;
  b.publicSignals = [];
  b.output.shape = meta.output.shape.slice(0, 16);
  b.output.integers = [];
  b.output.values = [];
  delete b.output.softmax;
  delete b.output.note;
  delete b.prediction;
  b.vkeyHash = canonicalHash(b.vkey);
  return b;
}

function canonicalHash(v: unknown): string {
  return createHash('sha256').update(canonicalJson(v)).digest('hex');
}

test('a bundle layout that disagrees with the pinned key is a failed check, never a crash', async () => {
  const vkeyPath = join(victim, 'vkey.json');
  for (const edit of [
    (b: any) => (b.layout.input.count += 1),
    (b: any) => (b.layout.input.offset = 10_000),
    (b: any) => (b.layout.output.count = 1_000_000),
  ]) {
    const b = structuredClone(honest) as any;
    edit(b);
    const r = await verifyBundle({ bundle: b, vkeyPath, inputPath: SAMPLE, keyStoreDir: EMPTY_STORE });
    assert.equal(r.valid, false);
    assert.equal(r.failed, 'bundle-fields', JSON.stringify(r.checks));
  }
});

test("hostile metadata in a bundle's own key (zero-size output, droppedFinal) is refused up front, without hanging", async () => {
  // outer = 1e9 · 1e9 iterations of the softmax loop over an empty output: a hang, reached even
  // by a plain `verify bundle.json` whose pin check fails, since the later checks still run.
  const hang = emptyOutputBundle((meta) => {
    meta.output.shape = [1e9, 1e9, 0];
    meta.droppedFinal = { op: 'Softmax', axis: 2, coerce2d: false };
  });
  const zero = emptyOutputBundle(() => {});
  const badDrop = emptyOutputBundle((meta) => {
    meta.output.shape = [1, 10];
    meta.droppedFinal = 'softmax';
  });
  for (const [name, b] of [
    ['hang', hang],
    ['zero', zero],
    ['droppedFinal', badDrop],
  ] as const) {
    for (const allowUnpinned of [false, true]) {
      const r = await verifyBundle({ bundle: b, allowUnpinned, keyStoreDir: EMPTY_STORE });
      assert.equal(r.valid, false, name);
      assert.equal(r.failed, 'format', `${name}: ${JSON.stringify(r.checks)}`);
    }
  }
});

test('a non-decimal string where a field element belongs is a format error, not an exception', async () => {
  const vkeyPath = join(victim, 'vkey.json');
  const edits: Array<(b: any) => void> = [
    (b) => (b.publicSignals[0] = '1.5'),
    (b) => (b.publicSignals[3] = 'x'),
    (b) => (b.proof.pi_a[0] = '1e3'),
    (b) => (b.proof.pi_b[1][0] = ''),
    (b) => (b.vkey.IC[0][0] = '1); selfdestruct(payable(msg.sender)); (1'),
  ];
  for (const edit of edits) {
    const b = structuredClone(honest) as any;
    edit(b);
    const r = await verifyBundle({ bundle: b, vkeyPath, keyStoreDir: EMPTY_STORE });
    assert.equal(r.failed, 'format', JSON.stringify(r.checks));
  }
  const opening = join(T, 'bad.opening.json');
  writeFileSync(
    opening,
    JSON.stringify({
      format: 'zkinfer-opening',
      formatVersion: 1,
      vkeyHash: honest.vkeyHash,
      input: { integers: ['1'], blinding: '0.5' },
    }),
  );
  await assert.rejects(
    verifyBundle({ bundle: honest, vkeyPath, openingPath: opening, keyStoreDir: EMPTY_STORE }),
    (e: Error) => e instanceof UserError && /blinding/.test(e.message),
  );
});

test('an unpinned key whose input scale overflows is refused up front (no NaN reaching BigInt with --input)', async () => {
  const b = structuredClone(forged) as any;
  b.vkey.zkinfer.input.frac = 5000;
  b.vkeyHash = canonicalHash(b.vkey);
  b.input.frac = 5000;
  for (const allowUnpinned of [false, true]) {
    const r = await verifyBundle({ bundle: b, allowUnpinned, inputPath: SAMPLE, keyStoreDir: EMPTY_STORE });
    assert.equal(r.failed, 'format', JSON.stringify(r.checks));
  }
});

test('key metadata checks still admit what the quantizer writes (a final Softmax, opset < 13 too)', () => {
  for (const droppedFinal of [
    { op: 'Softmax', axis: 1, coerce2d: false },
    { op: 'LogSoftmax', axis: 0, coerce2d: true },
  ]) {
    const vkey = structuredClone(honest.vkey) as any;
    vkey.zkinfer.droppedFinal = droppedFinal;
    assert.doesNotThrow(() => assertVerificationKey(vkey, 'vkey'));
    vkey.zkinfer.droppedFinal = { ...droppedFinal, axis: 2 };
    assert.throws(() => assertVerificationKey(vkey, 'vkey'), /droppedFinal/);
  }
});

test('a key nested 100,000 deep (in a bundle, a --vkey file or the store) is a format error, not a stack overflow', async () => {
  const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000));
  const b = structuredClone(forged) as any;
  b.vkey.zkinfer.extra = deep;
  for (const allowUnpinned of [false, true]) {
    const r = await verifyBundle({ bundle: b, allowUnpinned, keyStoreDir: EMPTY_STORE });
    assert.equal(r.failed, 'format', JSON.stringify(r.checks).slice(0, 300));
  }
  const vkeyPath = join(T, 'deep-vkey.json');
  writeFileSync(
    vkeyPath,
    JSON.stringify(honest.vkey).replace(
      '"zkinfer":{',
      `"zkinfer":{"extra":${'['.repeat(100_000)}${']'.repeat(100_000)},`,
    ),
  );
  await assert.rejects(
    verifyBundle({ bundle: honest, vkeyPath, keyStoreDir: EMPTY_STORE }),
    (e: Error) => e instanceof UserError && /nested/.test(e.message),
  );
});

test('a trusted-key store entry nested 100,000 deep is a one-line error, not a stack overflow', async () => {
  const dir = join(T, 'deep-store');
  const deep = '['.repeat(100_000) + ']'.repeat(100_000);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'trusted-keys.json'),
    `{"format":"zkinfer-trusted-keys","formatVersion":1,"keys":[{"name":"x","vkeyHash":"${'0'.repeat(64)}","addedAt":"now","vkey":{"a":${deep}}}]}`,
  );
  await assert.rejects(
    verifyBundle({ bundle: honest, keyStoreDir: dir }),
    (e: Error) =>
      e instanceof UserError && /trusted-keys\.json: trusted-key store nested deeper than 64 levels$/.test(e.message),
  );
});
