/**
 * `zkinfer compile --check / --no-check` through bin/zkinfer, and the error an under-constrained
 * circuit raises (UnderconstrainedCircuitError, exit 3 in the CLI; nothing written).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { R1csBuilder } from '../../circuits/builder.js';
import { isZero } from '../../circuits/is-zero.js';
import { requireDetermined } from '../../src/compile/determinism-check.js';
import { UnderconstrainedCircuitError } from '../../src/core/errors.js';
import { ROOT, CLI } from '../helpers/paths.js';

const T = mkdtempSync(join(tmpdir(), 'zkinfer-check-'));
after(() => rmSync(T, { recursive: true, force: true }));

function zkinfer(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('compile runs the determinism check by default, prints its time, and --no-check skips it', () => {
  const dir = join(T, 'digits');
  const q = zkinfer('quantize', 'models/digits-mlp.onnx', '--out', dir, '--calibration', 'models/calibration.json');
  assert.equal(q.code, 0, q.stderr);
  const c = zkinfer('compile', dir, '--output-visibility', 'packed');
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stdout, /^determinism check: all \d+ wires determined by the inputs \(\d+\.\d\d s\)$/m);
  const skipped = zkinfer('compile', dir, '--no-check');
  assert.equal(skipped.code, 0, skipped.stderr);
  assert.match(skipped.stdout, /^determinism check: skipped$/m);
  const j = zkinfer('compile', dir, '--check', '--json');
  assert.equal(j.code, 0, j.stderr);
  const info = JSON.parse(j.stdout) as {
    nWires: number;
    check: { ran: boolean; determinedWires: number; milliseconds: number };
  };
  assert.equal(info.check.ran, true);
  assert.equal(info.check.determinedWires, info.nWires);
  assert.ok(existsSync(join(dir, 'circuit.r1cs')));
});

test('requireDetermined throws UnderconstrainedCircuitError naming the free wire', () => {
  const b = new R1csBuilder();
  const x = b.input(0n, 'private');
  isZero(b, x);
  const full = b.finalize();
  assert.equal(requireDetermined(full).determined, true);
  const broken = { ...full, constraints: full.constraints.slice(0, 2), nConstraints: 2 };
  assert.throws(
    () => requireDetermined(broken),
    (e: unknown) => {
      assert.ok(e instanceof UnderconstrainedCircuitError);
      assert.match(
        e.message,
        /^compiled circuit is under-constrained \(a zkinfer bug; nothing written\): 1 of 4 wires are not determined by the inputs; first: internal wire 3 \(appears in constraint 0\)$/,
      );
      return true;
    },
  );
});
