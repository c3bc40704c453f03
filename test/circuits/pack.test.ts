/**
 * Packed public outputs: in-circuit packing equals the off-circuit packing, the exposed
 * elements are bound (perturbing any non-input wire breaks a constraint), and verify rejects a
 * bundle whose claimed output disagrees with the packed signals.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findViolatedConstraint, R1csBuilder } from '../../circuits/builder.js';
import { FIELD_PRIME } from '../../circuits/field.js';
import { packedCount, packSignals, packValues, unpackValues } from '../../circuits/pack.js';
import { bitDecompose } from '../../circuits/range-check.js';
import { ROOT, CLI } from '../helpers/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-pack-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('packSignals equals packValues and every packed element is bound', () => {
  const bits = 21;
  const offset = 1n << 20n;
  const values = Array.from({ length: 25 }, (_, i) => BigInt(((i * 7919) % (1 << 21)) - (1 << 20)));
  const b = new R1csBuilder();
  const inputs = values.map((v) => b.input(v, 'private'));
  // A product per input makes the packed values depend on internal wires, as model outputs do.
  const squares = inputs.map((s) => b.mul(s, b.constant(1n)));
  for (const e of packSignals(b, squares, { bits, offset })) b.exposeOutput(e);
  const c = b.finalize();
  assert.equal(c.nPubOut, packedCount(values.length, bits));
  assert.deepEqual(c.witness.slice(1, 1 + c.nPubOut), packValues(values, { bits, offset }));
  assert.equal(findViolatedConstraint(c.constraints, c.witness), -1);
  const firstInput = 1 + c.nPubOut + c.nPubIn;
  for (let i = 1; i < c.nWires; i++) {
    if (i >= firstInput && i < firstInput + c.nPrvIn) continue;
    const w = c.witness.slice();
    w[i] = (w[i]! + 1n) % FIELD_PRIME;
    assert.notEqual(findViolatedConstraint(c.constraints, w), -1, `wire ${i} is not pinned`);
  }
  assert.throws(() => packValues([offset], { bits, offset }), /does not fit/);
});

test('verify rejects a packed-output bundle whose output was edited', () => {
  const run = spawnSync(
    process.execPath,
    [
      CLI,
      'run',
      'models/digits-mlp.onnx',
      '--input',
      'models/samples/digit-3.json',
      '--out',
      join(tmp, 'b'),
      '--output-visibility',
      'packed',
      '--json',
    ],
    { cwd: ROOT, encoding: 'utf8' },
  );
  assert.equal(run.status, 0, run.stderr);
  const bundlePath = JSON.parse(run.stdout)['bundle'] as string;
  const bundle = JSON.parse(readFileSync(bundlePath, 'utf8'));
  assert.equal(bundle.publicSignals.length, 2, 'ten logits pack into one signal, plus the input commitment');
  const edited = structuredClone(bundle);
  edited.output.integers[0] = String(BigInt(edited.output.integers[0]) + 1n);
  edited.output.values[0] = Number(edited.output.integers[0]) / 2 ** edited.output.frac;
  writeFileSync(join(tmp, 'edited.json'), JSON.stringify(edited));
  const v = spawnSync(
    process.execPath,
    [CLI, 'verify', join(tmp, 'edited.json'), '--vkey', join(tmp, 'b', 'vkey.json'), '--json'],
    { cwd: ROOT, encoding: 'utf8' },
  );
  assert.equal(v.status, 1);
  assert.equal(JSON.parse(v.stdout)['failed'], 'public-signals');
});

test('slot spill: a value one past its slot cannot be traded for a +1 in the next slot', () => {
  // The review's forgery: with 50-bit slots, [lo + 2^50, b] packs exactly like [lo, b + 1].
  const bits = 50;
  const offset = 16320n;
  const values = [-16320n, -16320n, -16320n];
  const b = new R1csBuilder();
  const inputs = values.map((v) => b.input(v, 'private'));
  for (const e of packSignals(b, inputs, { bits, offset })) b.exposeOutput(e);
  const c = b.finalize();
  assert.equal(findViolatedConstraint(c.constraints, c.witness), -1);
  const first = 1 + c.nPubOut + c.nPubIn;
  // Spill: value 0 grows by 2^50, value 1 shrinks by one; the packed element is unchanged.
  const w = c.witness.slice();
  w[first] = (w[first]! + (1n << 50n)) % FIELD_PRIME;
  w[first + 1] = (w[first + 1]! - 1n + FIELD_PRIME) % FIELD_PRIME;
  assert.ok(findViolatedConstraint(c.constraints, w) >= 0, 'spill accepted with the honest range-check bits');
  // Multi-wire: also recompute value 0's range-check bits as the adversary best can (its low 50 bits).
  const b2 = new R1csBuilder();
  const ins2 = [values[0]! + (1n << 50n), values[1]! - 1n, values[2]!].map((v) => b2.input(v, 'private'));
  assert.throws(() => packSignals(b2, ins2, { bits, offset }), /does not fit in 50 bits/);
  const b3 = new R1csBuilder({});
  const u = b3.input(0n, 'private');
  bitDecompose(b3, u, bits);
  const c3 = b3.finalize();
  const w3 = c3.witness.slice();
  w3[1 + c3.nPubOut + c3.nPubIn] = 1n << 50n;
  assert.ok(findViolatedConstraint(c3.constraints, w3) >= 0, 'a 51-bit value passed a 50-bit decomposition');
});

test('unpackValues refuses extra slots, wide elements and wrong counts', () => {
  const opts = { bits: 8, offset: 128n };
  const packed = packValues([-128n, 0n, 127n], opts);
  assert.deepEqual(unpackValues(packed, 3, opts), [-128n, 0n, 127n]);
  assert.throws(() => unpackValues([packed[0]! + (1n << 24n)], 3, opts), /holds more than 3 value/);
  assert.throws(() => unpackValues([...packed, 0n], 3, opts), /packed elements/);
  assert.throws(() => unpackValues([-1n], 3, opts), /holds more/);
});
