/**
 * What the prover leaves on disk, attacked: a rerun of a batch under --strict-range must not
 * accept an existing bundle of an input that was clamped, and an opening file (which reveals the
 * hidden input and its blinding) must not be readable by other users.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shutdown } from '../../src/runtime/curve.js';
import { proveBatchResuming } from '../../src/pipeline.js';
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
  // The resume check runs in batch proving's main thread (the workers only prove), so the whole batch is run.
  const inputs = join(T, 'batch-in');
  mkdirSync(inputs, { recursive: true });
  writeFileSync(join(inputs, 'clamped.json'), JSON.stringify(input));
  const run = async (strictRange: boolean) =>
    (
      await proveBatchResuming({
        buildDir: victim,
        inputs,
        outDir: join(T, 'batch'),
        workers: 1,
        fidelity: false,
        strictRange,
      })
    ).items[0]!;
  const first = await run(false);
  assert.equal(first.status, 'proved', first.error);
  assert.ok((first.clamped ?? 0) > 0);
  assert.equal((await run(false)).status, 'skipped');
  const strict = await run(true);
  assert.equal(strict.status, 'failed', 'a clamped input was reported as proven under --strict-range');
  assert.match(strict.error ?? '', /clamp|range/);
});

test('an opening file is written readable by its owner only (it reveals the hidden input and its blinding)', () => {
  const path = join(T, 'private', 'x.opening.json');
  const old = process.umask(0o022);
  try {
    writeOpening(path, {
      format: 'zkinfer-opening',
      formatVersion: 1,
      vkeyHash: honest.vkeyHash,
      input: { integers: ['1'], blinding: '5' },
    });
  } finally {
    process.umask(old);
  }
  assert.equal(statSync(path).mode & 0o077, 0, `opening mode ${(statSync(path).mode & 0o777).toString(8)}`);
});
