/**
 * Compilation is deterministic: quantize + compile of the same ONNX file in two separate
 * processes give byte-identical model.quant.json and circuit.r1cs and the same model id, and a
 * verifier's recompile from the ONNX file and the published settings.json alone (no
 * calibration data: the scales are replayed) reproduces that model id. This is what lets
 * `verify --model` answer "which model produced this output?" without trusting the key's publisher.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { recompileModel } from '../src/verify/model-binding.js';
import type { Visibility } from '../src/circuit/build-circuit.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-determinism-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function zkinfer(args: string[]): void {
  const r = spawnSync(process.execPath, [join(root, 'bin/zkinfer'), ...args], { cwd: root, encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, `${args.join(' ')}\n${r.stderr}`);
}

const cases: Array<{ model: string; input: Visibility; output: Visibility }> = [
  { model: 'digits-mlp.onnx', input: 'hashed', output: 'packed' },
  { model: 'digits-cnn.onnx', input: 'public', output: 'public' },
];

for (const c of cases) {
  test(`${c.model}: byte-identical r1cs and model id across processes, and from ONNX + settings alone`, () => {
    const dirs = ['a', 'b'].map((n) => join(tmp, `${c.model}-${n}`));
    for (const dir of dirs) {
      zkinfer(['quantize', join(root, 'models', c.model), '--out', dir, '--calibration', join(root, 'models/calibration.json')]);
      zkinfer(['compile', dir, '--input-visibility', c.input, '--output-visibility', c.output]);
    }
    const [a, b] = dirs as [string, string];
    for (const f of ['model.quant.json', 'circuit.r1cs']) assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${f} differs between runs`);
    const id = JSON.parse(readFileSync(join(a, 'circuit.json'), 'utf8')).modelId as string;
    assert.equal(JSON.parse(readFileSync(join(b, 'circuit.json'), 'utf8')).modelId, id);

    const rec = recompileModel({ modelPath: join(root, 'models', c.model), settingsPath: join(a, 'settings.json'), inputVisibility: c.input, outputVisibility: c.output });
    assert.equal(rec.modelId, id);
    assert.ok(Buffer.from(rec.r1cs).equals(readFileSync(join(a, 'circuit.r1cs'))));
    assert.equal(rec.onnxMatchesSettings, true);
    // Other visibilities are other circuits: the id names the circuit, not just the weights.
    const other = recompileModel({ modelPath: join(root, 'models', c.model), settingsPath: join(a, 'settings.json'), inputVisibility: c.input === 'public' ? 'hashed' : 'public', outputVisibility: c.output });
    assert.notEqual(other.modelId, id);
  });
}
