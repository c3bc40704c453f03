/**
 * The verifier-side recompile of the accuracy chunk circuit (src/accuracy/recompile-chunk.ts):
 * from the ONNX file and the owner's settings.json alone it gives exactly the model id and r1cs
 * of the owner's BUILD/accuracy/chunk-C/circuit.json; one weight changed gives another model id.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileChunkCircuit } from '../../src/accuracy/chunk-compile.js';
import { recompileChunkCircuit } from '../../src/accuracy/recompile-chunk.js';
import { tweakOneWeight } from '../helpers/model-binding-helpers.js';
import { MODELS } from '../helpers/paths.js';
import { zkinferOk } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-recompile-chunk-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('recompiling the digits MLP chunk circuit from ONNX + settings.json gives the owner’s model id; a changed weight does not', () => {
  const build = join(tmp, 'build');
  const onnx = join(MODELS, 'digits-mlp.onnx');
  zkinferOk(['quantize', onnx, '--out', build, '--calibration', join(MODELS, 'calibration.json')]);
  const owner = compileChunkCircuit({ buildDir: build, chunkSize: 3 });
  // The verifier holds only what the owner publishes: the ONNX file and settings.json.
  const settings = join(tmp, 'published-settings.json');
  cpSync(join(build, 'settings.json'), settings);

  const rec = recompileChunkCircuit({ modelPath: onnx, settingsPath: settings, chunkSize: 3 });
  assert.equal(rec.modelId, owner.circuit.modelId);
  assert.equal(rec.r1csSha256, owner.circuit.r1csSha256);
  assert.equal(rec.quantizedSha256, owner.circuit.quantizedSha256);
  assert.deepEqual(rec.encoding, owner.circuit.accuracy!.encoding);
  assert.ok(Buffer.from(rec.r1cs).equals(readFileSync(join(owner.dir, 'circuit.r1cs'))));
  assert.equal(rec.onnxMatchesSettings, true);
  assert.equal(JSON.parse(readFileSync(join(owner.dir, 'circuit.json'), 'utf8')).modelId, rec.modelId);

  const otherSize = recompileChunkCircuit({ modelPath: onnx, settingsPath: settings, chunkSize: 4 });
  assert.notEqual(otherSize.modelId, rec.modelId, 'the chunk size is part of the circuit');
  assert.equal(otherSize.quantizedSha256, rec.quantizedSha256);

  const tweaked = join(tmp, 'tweaked.onnx');
  tweakOneWeight(onnx, tweaked);
  const bad = recompileChunkCircuit({ modelPath: tweaked, settingsPath: settings, chunkSize: 3 });
  assert.notEqual(bad.modelId, rec.modelId);
  assert.notEqual(bad.quantizedSha256, rec.quantizedSha256);
  assert.equal(bad.onnxMatchesSettings, false);
});
