/**
 * A circuit past the heap fails with one line and exit 2 (src/compile/memory-guard.ts), never a
 * V8 abort: the CLI runs with a 64 MB old space on a model whose circuit needs about 1.5× that
 * (an Elu table lookup on 2,500 values), and writes nothing.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelBytes } from '../helpers/onnx-fixtures.js';
import { zkinferOk } from '../helpers/cli.js';
import { CLI, ROOT } from '../helpers/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-memory-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('compile of a circuit past the heap limit exits 2 with an estimate and leaves no artifact', () => {
  const n = 2500;
  const model = join(tmp, 'elu.onnx');
  writeFileSync(
    model,
    modelBytes({
      input: { name: 'x', dims: [1, n] },
      output: { name: 'y', dims: [1, n] },
      nodes: [{ op: 'Elu', inputs: ['x'], outputs: ['y'] }],
    }),
  );
  const calibration = join(tmp, 'cal.json');
  writeFileSync(calibration, JSON.stringify({ inputs: [Array.from({ length: n }, (_, i) => 3 * Math.sin(i))] }));
  const build = join(tmp, 'b');
  zkinferOk(['quantize', model, '--out', build, '--calibration', calibration, '--quiet']);
  const r = spawnSync(process.execPath, ['--max-old-space-size=64', CLI, 'compile', build], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 300_000,
  });
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(
    lines[0]!,
    /^zkinfer: circuit too large: needs ~\d+ MB for [\d,]+ constraints; this process may use 64 MB \(raise it with NODE_OPTIONS=--max-old-space-size/,
  );
  assert.ok(!existsSync(join(build, 'circuit.r1cs')) && !existsSync(join(build, 'circuit.json')));
  // The same build compiles where the heap suffices: the refusal was about size, not the model.
  zkinferOk(['compile', build, '--quiet']);
  assert.ok(existsSync(join(build, 'circuit.r1cs')));
});
