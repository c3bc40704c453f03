/**
 * What the prover leaves on disk, attacked: a rerun of a batch under --strict-range must not
 * accept an existing bundle of an input that was clamped, and an opening file (which reveals the
 * hidden input and its blinding) must not be readable by other users.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shutdown } from '../../src/prove/prover.js';
import { proveItem } from '../../src/prove/batch-worker.js';
import type { ProofBundle } from '../../src/formats/bundle.js';
import { writeOpening } from '../../src/formats/opening.js';
import { victimSetup, x3 } from '../helpers/two-setups.js';

const T = mkdtempSync(join(tmpdir(), 'zkinfer-prover-outputs-'));

let victim = '';
let honest: ProofBundle;

before(async () => {
  ({ victim, honest } = await victimSetup(T));
});

after(async () => {
  await shutdown();
  rmSync(T, { recursive: true, force: true });
});

test('batch rerun with --strict-range does not skip an existing bundle of a clamped input', async () => {
  const input = Array.from(x3, (v, i) => (i === 0 ? 1e6 : v));
  const task = { buildDir: victim, item: { name: 'clamped', source: 'clamped.json', text: JSON.stringify(input) }, bundlePath: join(T, 'batch', 'clamped.proof.json'), fidelity: false };
  const first = await proveItem(task);
  assert.equal(first.status, 'proved', first.error);
  assert.ok((first.clamped ?? 0) > 0);
  assert.equal((await proveItem(task)).status, 'skipped');
  const strict = await proveItem({ ...task, strictRange: true });
  assert.equal(strict.status, 'failed', 'a clamped input was reported as proven under --strict-range');
  assert.match(strict.error ?? '', /clamp|range/);
});

test('an opening file is written readable by its owner only (it reveals the hidden input and its blinding)', () => {
  const path = join(T, 'private', 'x.opening.json');
  const old = process.umask(0o022);
  try {
    writeOpening(path, { format: 'zkinfer-opening', formatVersion: 1, vkeyHash: honest.vkeyHash, input: { integers: ['1'], blinding: '5' } });
  } finally {
    process.umask(old);
  }
  assert.equal(statSync(path).mode & 0o077, 0, `opening mode ${(statSync(path).mode & 0o777).toString(8)}`);
});
