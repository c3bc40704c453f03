/**
 * Compilation is deterministic: quantize + compile of the same ONNX file in two separate
 * processes give byte-identical model.quant.json and circuit.r1cs and the same model id, and a
 * verifier's recompile from the ONNX file and the published settings.json alone (no
 * calibration data: the scales are replayed) reproduces that model id. This is what lets
 * `verify --model` answer "which model produced this output?" without trusting the key's publisher.
 * Every shipped model and mnist-8 replays (table functions, several and integer inputs
 * included, since settings.json records every calibration-dependent decision); one changed
 * weight or one changed recorded decision fails the `model-id` check.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelIdCheck, recompileModel } from '../../src/verify/model-binding.js';
import { circuitKeyMeta, type ZkinferVkey } from '../../src/formats/vkey.js';
import type { CircuitInfo } from '../../src/formats/circuit.js';
import type { PublicLayout, Visibility } from '../../src/compile/build-circuit.js';
import { UserError } from '../../src/core/errors.js';
import { modelBytes, prng, randArray } from '../../tools/onnx/write-onnx.js';
import { quantizeModel } from '../../src/quantize/quantize-model.js';
import { tweakOneDecision, tweakOneWeight } from '../helpers/model-binding-helpers.js';
import { ROOT, MODELS, CLI, SHARED } from '../helpers/paths.js';

type CircuitQuantization = { weightBits: number; activationBits: number };

const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-determinism-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function zkinfer(args: string[]): string {
  const r = run(args);
  assert.equal(r.code, 0, `${args.join(' ')}\n${r.stderr}`);
  return r.stdout;
}

const cases: Array<{ model: string; input: Visibility; output: Visibility }> = [
  { model: 'digits-mlp.onnx', input: 'hashed', output: 'packed' },
  { model: 'digits-cnn.onnx', input: 'public', output: 'public' },
];

for (const c of cases) {
  test(`${c.model}: byte-identical r1cs and model id across processes, and from ONNX + settings alone`, () => {
    const dirs = ['a', 'b'].map((n) => join(tmp, `${c.model}-${n}`));
    for (const dir of dirs) {
      zkinfer(['quantize', join(MODELS, c.model), '--out', dir, '--calibration', join(MODELS, 'calibration.json')]);
      zkinfer(['compile', dir, '--input-visibility', c.input, '--output-visibility', c.output]);
    }
    const [a, b] = dirs as [string, string];
    for (const f of ['model.quant.json', 'circuit.r1cs'])
      assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${f} differs between runs`);
    const id = JSON.parse(readFileSync(join(a, 'circuit.json'), 'utf8')).modelId as string;
    assert.equal(JSON.parse(readFileSync(join(b, 'circuit.json'), 'utf8')).modelId, id);

    const rec = recompileModel({
      modelPath: join(MODELS, c.model),
      settingsPath: join(a, 'settings.json'),
      inputVisibility: c.input,
      outputVisibility: c.output,
    });
    assert.equal(rec.modelId, id);
    assert.ok(Buffer.from(rec.r1cs).equals(readFileSync(join(a, 'circuit.r1cs'))));
    assert.equal(rec.onnxMatchesSettings, true);
    // Other visibilities are other circuits: the id names the circuit, not just the weights.
    const other = recompileModel({
      modelPath: join(MODELS, c.model),
      settingsPath: join(a, 'settings.json'),
      inputVisibility: c.input === 'public' ? 'hashed' : 'public',
      outputVisibility: c.output,
    });
    assert.notEqual(other.modelId, id);
  });
}

const mnist = join(SHARED, 'conformance', 'models');
const digitsCalibration = ['--calibration', join(MODELS, 'calibration.json')];
const replayCases: Array<{ name: string; onnx: string; calibration: string[] }> = [
  ...['digits-mlp', 'digits-cnn', 'digits-sigmoid', 'digits-branches', 'digits-two-inputs'].map((n) => ({
    name: n,
    onnx: join(MODELS, `${n}.onnx`),
    calibration: digitsCalibration,
  })),
  {
    name: 'mnist-8',
    onnx: join(mnist, 'mnist-8.onnx'),
    calibration: [
      '--input',
      join(mnist, 'mnist-8-samples/input_0.pb'),
      '--input',
      join(mnist, 'mnist-8-samples/input_1.pb'),
    ],
  },
];

for (const c of replayCases) {
  test(`${c.name}: recompiled from ONNX + settings.json alone; a changed weight or recorded decision fails model-id`, async () => {
    const dir = join(tmp, `replay-${c.name}`);
    zkinfer(['quantize', c.onnx, '--out', dir, ...c.calibration]);
    zkinfer(['compile', dir]);
    const info = JSON.parse(readFileSync(join(dir, 'circuit.json'), 'utf8')) as {
      modelId: string;
      layout: PublicLayout;
    };
    const settingsPath = join(dir, 'settings.json');
    const decisions = JSON.parse(readFileSync(settingsPath, 'utf8')).quantization.decisions as Record<string, unknown>;
    assert.ok(Object.keys(decisions).length >= 2, 'the input scale and at least one layer are recorded');
    const rec = recompileModel({
      modelPath: c.onnx,
      settingsPath,
      inputVisibility: info.layout.input.visibility,
      outputVisibility: info.layout.output.visibility,
    });
    assert.equal(rec.modelId, info.modelId);
    assert.ok(Buffer.from(rec.r1cs).equals(readFileSync(join(dir, 'circuit.r1cs'))), 'r1cs byte-identical');
    // What `verify --model` runs, with the bundle's and the key's model id as compile wrote it.
    // The metadata setup would write for this circuit (what the recompile is compared with).
    const quantization = JSON.parse(readFileSync(settingsPath, 'utf8')).quantization as CircuitQuantization;
    const meta = circuitKeyMeta(info as unknown as CircuitInfo, quantization);
    const vkey = { zkinfer: { ...meta, setup: 'dev' } } as unknown as ZkinferVkey;
    const bind = (modelPath: string, settings = settingsPath) => ({
      check: modelIdCheck({
        recompiled: {
          modelPath,
          ...recompileModel({
            modelPath,
            settingsPath: settings,
            inputVisibility: info.layout.input.visibility,
            outputVisibility: info.layout.output.visibility,
          }),
        },
        claimedModelId: info.modelId,
        artifact: 'bundle',
        vkey,
      }),
    });
    assert.equal(bind(c.onnx).check.ok, true);
    assert.match(bind(c.onnx).check.detail, /label only; the key was not rebuilt/);
    const tweaked = join(dir, 'tweaked.onnx');
    tweakOneWeight(c.onnx, tweaked);
    const t = bind(tweaked);
    assert.equal(t.check.check, 'model-id');
    assert.equal(t.check.ok, false);
    assert.match(t.check.detail, /is not the ONNX file settings\.json was made from/);
    const edited = join(dir, 'edited-settings.json');
    const which = tweakOneDecision(settingsPath, edited);
    const e = bind(c.onnx, edited);
    assert.equal(e.check.ok, false, `changing ${which} must change the model`);
    assert.equal(e.check.check, 'model-id');
  });
}

test('verify --model through the CLI on proven bundles of a table model and a two-input model', () => {
  const sample = JSON.parse(readFileSync(join(MODELS, 'samples/digit-3.json'), 'utf8')) as { input: number[] };
  const halves = join(tmp, 'digit-3-halves.json');
  writeFileSync(halves, JSON.stringify({ input_data: [sample.input.slice(0, 32), sample.input.slice(32)] }));
  for (const [name, input] of [
    ['digits-sigmoid', join(MODELS, 'samples/digit-3.json')],
    ['digits-two-inputs', halves],
  ] as const) {
    const out = join(tmp, `cli-${name}`);
    const onnx = join(MODELS, `${name}.onnx`);
    const r = JSON.parse(zkinfer(['run', onnx, '--input', input, ...digitsCalibration, '--out', out, '--json'])) as {
      bundle: string;
      valid: boolean;
    };
    assert.equal(r.valid, true);
    const verify = (model: string, settings: string) =>
      run(['verify', r.bundle, '--vkey', join(out, 'vkey.json'), '--model', model, '--settings', settings, '--json']);
    const ok = verify(onnx, join(out, 'settings.json'));
    assert.equal(ok.code, 0, `${name}: ${ok.stdout}${ok.stderr}`);
    assert.equal(JSON.parse(ok.stdout).checks.find((k: { check: string }) => k.check === 'model-id').ok, true);
    tweakOneWeight(onnx, join(out, 'tweaked.onnx'));
    const bad = verify(join(out, 'tweaked.onnx'), join(out, 'settings.json'));
    assert.equal(bad.code, 1, `${name}: ${bad.stdout}`);
    assert.equal(JSON.parse(bad.stdout).failed, 'model-id');
    tweakOneDecision(join(out, 'settings.json'), join(out, 'edited.json'));
    const edited = verify(onnx, join(out, 'edited.json'));
    assert.equal(edited.code, 1, `${name}: ${edited.stdout}`);
    assert.equal(JSON.parse(edited.stdout).failed, 'model-id');
  }
});

test('settings.json from before recorded decisions: replayed when the shifts suffice, else refused with one line', () => {
  for (const [name, replayable] of [
    ['digits-mlp', true],
    ['digits-sigmoid', false],
  ] as const) {
    const dir = join(tmp, `replay-${name}`);
    assert.ok(existsSync(join(dir, 'settings.json')), 'built by the replay test above');
    const s = JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8'));
    delete s.quantization.decisions;
    delete s.quantization.inputBits;
    delete s.quantization.layerBits;
    const old = join(dir, 'old-settings.json');
    writeFileSync(old, JSON.stringify(s));
    const info = JSON.parse(readFileSync(join(dir, 'circuit.json'), 'utf8')) as {
      modelId: string;
      layout: PublicLayout;
    };
    const recompile = () =>
      recompileModel({
        modelPath: join(MODELS, `${name}.onnx`),
        settingsPath: old,
        inputVisibility: info.layout.input.visibility,
        outputVisibility: info.layout.output.visibility,
      });
    if (replayable) assert.equal(recompile().modelId, info.modelId);
    else
      assert.throws(
        recompile,
        (e: unknown) =>
          e instanceof UserError &&
          /old-settings\.json: no recorded decision "relu" for ".*::input" .*re-run zkinfer quantize/.test(e.message) &&
          !e.message.includes('\n'),
      );
  }
});

test('an INT64 graph input (with a table after it): its calibrated range is recorded and replayed, a changed range is another model', async () => {
  const onnx = join(tmp, 'int-input.onnx');
  writeFileSync(
    onnx,
    modelBytes({
      input: { name: 'a', dims: [1, 4] },
      moreInputs: [{ name: 'k', dims: [1, 4], elemType: 7 }],
      output: { name: 'y', dims: [1, 3] },
      initializers: { w: { dims: [8, 3], data: randArray(prng(3), 24, -1, 1) } },
      nodes: [
        { op: 'Cast', inputs: ['k'], outputs: ['kf'], attrs: { to: { int: 1 } } },
        { op: 'Concat', inputs: ['a', 'kf'], outputs: ['c'], attrs: { axis: { int: 1 } } },
        { op: 'MatMul', inputs: ['c', 'w'], outputs: ['m'] },
        { op: 'Sigmoid', inputs: ['m'], outputs: ['y'] },
      ],
    }),
  );
  const cal = join(tmp, 'int-input-calibration.json');
  writeFileSync(
    cal,
    JSON.stringify({
      inputs: [
        [0.5, -0.25, 0.75, 0.1, 3, -2, 0, 7],
        [-0.5, 0.3, 0.2, -0.9, -5, 1, 2, 6],
      ],
    }),
  );
  const dir = join(tmp, 'int-input');
  const { settings } = await quantizeModel({ modelPath: onnx, outDir: dir, calibrationPath: cal });
  assert.deepEqual(settings.quantization.decisions?.['::input:k'], { lo: -5, hi: 7 });
  zkinfer(['compile', dir]);
  const info = JSON.parse(readFileSync(join(dir, 'circuit.json'), 'utf8')) as { modelId: string; layout: PublicLayout };
  const recompile = (settingsPath: string) =>
    recompileModel({
      modelPath: onnx,
      settingsPath,
      inputVisibility: info.layout.input.visibility,
      outputVisibility: info.layout.output.visibility,
    });
  assert.equal(recompile(join(dir, 'settings.json')).modelId, info.modelId);
  const s = JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8'));
  s.quantization.decisions['::input:k'].hi = 8;
  writeFileSync(join(dir, 'wider.json'), JSON.stringify(s));
  assert.notEqual(recompile(join(dir, 'wider.json')).modelId, info.modelId);
  s.quantization.decisions['::input:k'].hi = -6;
  writeFileSync(join(dir, 'empty.json'), JSON.stringify(s));
  assert.throws(() => recompile(join(dir, 'empty.json')), /decision "hi" for "::input:k" must be in -5\.\./);
  s.quantization.decisions['::input:k'].hi = true;
  writeFileSync(join(dir, 'mistyped.json'), JSON.stringify(s));
  assert.throws(
    () => recompile(join(dir, 'mistyped.json')),
    (e: unknown) =>
      e instanceof UserError &&
      /mistyped\.json: decision "hi" for "::input:k" must be an integer, got true/.test(e.message),
  );
});
