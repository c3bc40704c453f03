/**
 * `quantize --target-agreement`: the search keeps only settings that reach the target, the
 * chosen one is the cheapest of those it tried, the build directory holds exactly that
 * setting, and the CLI prints the table of tried settings.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCircuit } from '../../src/compile/build-circuit.js';
import { circuitConstraints } from '../../src/compile/search-settings.js';
import { quantizeModel } from '../../src/quantize/quantize-model.js';
import type { QuantizedModel } from '../../src/quantize/quantized-model.js';
import { ROOT, MODELS, CLI } from '../helpers/paths.js';

const M = (f: string) => join(MODELS, f);
const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-search-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('target agreement: cheapest tried setting that meets it, written to the build directory', async () => {
  const out = join(tmp, 'api');
  const r = await quantizeModel({
    modelPath: M('digits-sigmoid.onnx'),
    outDir: out,
    calibrationPath: M('calibration.json'),
    targetAgreement: 0.98,
    circuitCost: circuitConstraints,
  });
  const s = r.search!;
  assert.ok(s.tried.length >= 3);
  const meeting = s.tried.filter((t) => t.agreement >= 0.98);
  assert.ok(meeting.includes(s.best));
  for (const t of meeting)
    assert.ok(
      s.best.constraints <= t.constraints,
      `a tried setting with ${t.constraints} constraints beats the chosen ${s.best.constraints}`,
    );
  // Every uniform width below the chosen base missed the target.
  for (const t of s.tried.filter(
    (u) => Object.keys(u.layerBits).length === 0 && u.activationBits < s.best.activationBits,
  ))
    assert.ok(t.agreement < 0.98);
  assert.equal(r.settings.fidelity.top1Agreement, s.best.agreement);
  assert.deepEqual(r.settings.quantization.layerBits, s.best.layerBits);
  const q = JSON.parse(readFileSync(join(out, 'model.quant.json'), 'utf8')) as QuantizedModel;
  assert.equal(q.input.bits, s.best.inputBits);
  assert.equal(buildCircuit(q, new Array(64).fill(0), { witnessOnly: true }).circuit.nConstraints, s.best.constraints);
  // A target nothing reaches is a user error naming the best agreement seen.
  await assert.rejects(
    quantizeModel({
      modelPath: M('digits-sigmoid.onnx'),
      outDir: join(tmp, 'never'),
      calibrationPath: M('calibration.json'),
      targetAgreement: 1.5,
      circuitCost: circuitConstraints,
    }),
    /--target-agreement must be in \[0, 1\]/,
  );
});

test('quantize --target-agreement prints the table of tried settings; a bad value exits 2', () => {
  const run = (args: string[]) =>
    spawnSync(
      process.execPath,
      [CLI, 'quantize', M('digits-sigmoid.onnx'), '--calibration', M('calibration.json'), ...args],
      { cwd: ROOT, encoding: 'utf8', timeout: 120_000 },
    );
  // A percentage is written with % (a bare 98 is refused: test/audit/thresholds.test.ts).
  const ok = run(['--out', join(tmp, 'cli'), '--target-agreement', '98%']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(
    ok.stdout,
    /\| # \| input bits \| activation bits \| narrower layers \| top-1 agreement \| constraints \| chosen \|/,
  );
  assert.match(ok.stdout, /\*\*best\*\*/);
  const bad = run(['--out', join(tmp, 'bad'), '--target-agreement', 'most']);
  assert.equal(bad.status, 2);
  assert.match(
    bad.stderr,
    /--target-agreement: "most" is not a number; write a fraction in \[0, 1\] or a percentage with %/,
  );
});
