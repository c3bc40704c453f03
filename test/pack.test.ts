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
import { fileURLToPath } from 'node:url';
import { findViolatedConstraint, R1csBuilder } from '../circuits/builder.js';
import { FIELD_PRIME } from '../circuits/field.js';
import { packedCount, packSignals, packValues } from '../circuits/pack.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
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
  const run = spawnSync(process.execPath, ['bin/zkinfer', 'run', 'models/digits-mlp.onnx', '--input', 'models/samples/digit-3.json', '--out', join(tmp, 'b'), '--output-visibility', 'packed', '--json'], { cwd: root, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const bundlePath = JSON.parse(run.stdout)['bundle'] as string;
  const bundle = JSON.parse(readFileSync(bundlePath, 'utf8'));
  assert.equal(bundle.publicSignals.length, 2, 'ten logits pack into one signal, plus the input commitment');
  const edited = structuredClone(bundle);
  edited.output.integers[0] = String(BigInt(edited.output.integers[0]) + 1n);
  edited.output.values[0] = Number(edited.output.integers[0]) / 2 ** edited.output.frac;
  writeFileSync(join(tmp, 'edited.json'), JSON.stringify(edited));
  const v = spawnSync(process.execPath, ['bin/zkinfer', 'verify', join(tmp, 'edited.json'), '--json'], { cwd: root, encoding: 'utf8' });
  assert.equal(v.status, 1);
  assert.equal(JSON.parse(v.stdout)['failed'], 'public-signals');
});
