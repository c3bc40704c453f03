/**
 * End-to-end tests through bin/zkinfer: the happy paths (run, the stage commands, verify),
 * tampered and mismatched bundles (exit 1 naming the failed check), and user errors (exit 2,
 * one line on stderr, no stack trace, no partial artifacts).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIELD_PRIME, fieldMod, toSigned } from '../../circuits/field.js';
import { modelBytes, tensorBytes } from '../helpers/onnx-fixtures.js';
import { ROOT, MODELS, CLI } from '../helpers/paths.js';

const MODEL = 'models/digits-mlp.onnx';
const CAL = 'models/calibration.json';
const T = await mkdtemp(join(tmpdir(), 'zkinfer-cli-'));
// Child processes inherit this: a trusted-key store of the test's own, empty at first.
process.env['ZKINFER_CONFIG_DIR'] = join(T, 'config');

after(async () => {
  await rm(T, { recursive: true, force: true });
});

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly args: string[];
}

/** Runs bin/zkinfer from the repository root; never rejects. */
function cli(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr, args }));
  });
}

const show = (r: Run) => `zkinfer ${r.args.join(' ')} → ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

function json(r: Run): Record<string, any> {
  try {
    return JSON.parse(r.stdout);
  } catch {
    assert.fail(`stdout is not JSON: ${show(r)}`);
  }
}

/** Every file under `dir`, recursively. */
function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** A user error: exit 2, exactly one non-empty stderr line, no stack frames. */
function assertUserError(r: Run, mentions: string | RegExp): void {
  assert.equal(r.code, 2, show(r));
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `one stderr line expected: ${show(r)}`);
  assert.doesNotMatch(r.stderr, /^\s*at /m, 'no stack trace');
  if (typeof mentions === 'string')
    assert.ok(lines[0]!.includes(mentions), `stderr should mention ${mentions}: ${show(r)}`);
  else assert.match(lines[0]!, mentions);
}

const label = (sample: string) => (JSON.parse(readFileSync(join(ROOT, sample), 'utf8')) as { label: number }).label;

// The expensive pipelines start at once and run concurrently; the tests await what they need.
const RUN_DIR = join(T, 'run');
const runP = cli('run', MODEL, '--input', 'models/samples/digit-3.json', '--out', RUN_DIR, '--json');
const STAGE_DIR = join(T, 'stages');
const stagesP = (async () => {
  const steps: Run[] = [];
  for (const args of [
    ['quantize', MODEL, '--out', STAGE_DIR, '--calibration', CAL],
    ['compile', STAGE_DIR],
    ['setup', STAGE_DIR],
    ['prove', STAGE_DIR, '--input', 'models/samples/digit-7.json'],
    ['inspect', STAGE_DIR, '--json'],
  ]) {
    const r = await cli(...args);
    steps.push(r);
    if (r.code !== 0) break;
  }
  return steps;
})();
// A run with public inputs, from an ONNX TensorProto .pb file.
const PB_SAMPLE = JSON.parse(readFileSync(join(MODELS, 'samples/digit-1.json'), 'utf8')) as {
  input: number[];
  label: number;
};
const PB_FILE = join(T, 'digit-1.pb');
writeFileSync(PB_FILE, tensorBytes('input', [1, 64], PB_SAMPLE.input));
const PB_DIR = join(T, 'pb');
const pbP = cli('run', MODEL, '--input', PB_FILE, '--out', PB_DIR, '--input-visibility', 'public', '--json');
// A second model for the wrong-key checks: the same network quantized with 6-bit weights.
const OTHER_DIR = join(T, 'other');
const otherP = (async () => {
  for (const args of [
    ['quantize', MODEL, '--out', OTHER_DIR, '--calibration', CAL, '--weight-bits', '6'],
    ['compile', OTHER_DIR],
    ['setup', OTHER_DIR],
  ]) {
    const r = await cli(...args);
    if (r.code !== 0) return r;
  }
  return null;
})();

test('run: proves the shipped model on a sample and verifies it', async () => {
  const r = await runP;
  assert.equal(r.code, 0, show(r));
  const j = json(r);
  assert.equal(j['prediction'], label('models/samples/digit-3.json'));
  assert.ok(
    Array.isArray(j['output']) &&
      j['output'].length === 10 &&
      j['output'].every((v: unknown) => typeof v === 'number' && Number.isFinite(v)),
  );
  assert.ok(Number.isInteger(j['constraints']) && j['constraints'] > 0);
  assert.ok(typeof j['bundle'] === 'string' && existsSync(j['bundle']), 'bundle exists');
  assert.equal(j['valid'], true);
  // The prediction is the argmax of the output the bundle carries.
  const out = j['output'] as number[];
  assert.equal(out.indexOf(Math.max(...out)), j['prediction']);
  assert.deepEqual(
    walk(RUN_DIR).filter((f) => /\.tmp-/.test(f)),
    [],
  );
});

test('stage commands: quantize, compile, setup, prove, inspect, verify --vkey', async () => {
  const steps = await stagesP;
  for (const s of steps) assert.equal(s.code, 0, show(s));
  assert.equal(steps.length, 5);
  const proved = steps[3]!;
  assert.match(proved.stdout, new RegExp(`prediction ${label('models/samples/digit-7.json')}\\b`), show(proved));
  const info = json(steps[4]!);
  assert.ok(Number.isInteger(info['constraints']) && info['constraints'] > 0);
  assert.match(info['modelId'], /^[0-9a-f]{64}$/);
  const circuit = JSON.parse(readFileSync(join(STAGE_DIR, 'circuit.json'), 'utf8'));
  assert.equal(info['modelId'], circuit.modelId);
  const bundle = join(STAGE_DIR, 'proofs', 'digit-7.proof.json');
  assert.ok(existsSync(bundle));
  const v = await cli('verify', bundle, '--vkey', join(STAGE_DIR, 'vkey.json'), '--json');
  assert.equal(v.code, 0, show(v));
  const rep = json(v);
  assert.equal(rep['valid'], true);
  assert.equal(rep['prediction'], 7);
  assert.equal(rep['keySource'], 'file');
  assert.equal(rep['pinned'], true);
  assert.deepEqual(
    walk(STAGE_DIR).filter((f) => /\.tmp-/.test(f)),
    [],
  );
});

interface TamperCase {
  readonly name: string;
  readonly path: string;
  /** The key to verify against: a path, null for none (unpinned), undefined for the bundle's own build. */
  readonly vkey?: string | null;
  readonly failed: string;
  readonly alsoFailing?: string[];
}

/** Bundles edited one way each: `original` from the default run (hashed input), `pbBundle` from the .pb run (public inputs). */
async function tamperCases(original: any, pbBundle: any, stageBundle: any, bundlePath: string): Promise<TamperCase[]> {
  const variant = async (name: string, edit: (b: any) => void): Promise<string> => {
    const b = structuredClone(original);
    edit(b);
    const p = join(T, `${name}.proof.json`);
    await writeFile(p, JSON.stringify(b));
    return p;
  };
  const nOut = original.layout.output.count as number;
  assert.equal(original.layout.output.visibility, 'public');
  // The default run commits to its input: one hash signal after the outputs.
  assert.equal(original.layout.input.visibility, 'hashed');
  const hashOff = original.layout.input.offset as number;
  const pbVariant = async (name: string, edit: (b: any) => void): Promise<string> => {
    const b = structuredClone(pbBundle);
    edit(b);
    const p = join(T, `pb-${name}.proof.json`);
    await writeFile(p, JSON.stringify(b));
    return p;
  };
  const inOff = pbBundle.layout.input.offset as number;
  // An input position whose value can move by one and stay in range.
  const inIdx = pbBundle.publicSignals
    .slice(inOff)
    .findIndex((s: string) => toSigned(BigInt(s)) < BigInt(pbBundle.input.hi));
  assert.ok(inIdx >= 0);
  return [
    {
      name: 'pi_a[0] from another proof',
      failed: 'proof',
      path: await variant('pia-other', (b) => (b.proof.pi_a[0] = stageBundle.proof.pi_a[0])),
    },
    {
      name: 'pi_a[0] + 1',
      failed: 'proof',
      path: await variant('pia-plus', (b) => (b.proof.pi_a[0] = (BigInt(b.proof.pi_a[0]) + 1n).toString())),
    },
    {
      name: 'output signal changed',
      failed: 'public-signals',
      path: await variant(
        'out-sig',
        (b) => (b.publicSignals[0] = fieldMod(toSigned(BigInt(b.publicSignals[0])) + 1n).toString()),
      ),
    },
    {
      name: 'output signal and decoded output changed consistently',
      failed: 'proof',
      path: await variant('out-consistent', (b) => {
        const ints = b.publicSignals.slice(0, nOut).map((s: string) => toSigned(BigInt(s)));
        // Raise the runner-up above the winner: the claimed prediction changes.
        const order = ints
          .map((v: bigint, i: number) => [v, i] as const)
          .sort((x: readonly [bigint, number], y: readonly [bigint, number]) =>
            x[0] < y[0] ? 1 : x[0] > y[0] ? -1 : 0,
          );
        const [top, second] = [order[0]!, order[1]!];
        ints[second[1]] = top[0] + 1n;
        b.publicSignals[second[1]] = fieldMod(ints[second[1]]).toString();
        b.output.integers = ints.map(String);
        b.output.values = ints.map((v: bigint) => Number(v) / 2 ** b.output.frac);
        b.prediction = second[1];
      }),
    },
    {
      name: 'input commitment signal changed',
      failed: 'bundle-fields',
      alsoFailing: ['proof'],
      path: await variant(
        'in-hash',
        (b) => (b.publicSignals[hashOff] = fieldMod(BigInt(b.publicSignals[hashOff]) + 1n).toString()),
      ),
    },
    {
      name: 'public input signal changed within range',
      failed: 'proof',
      path: await pbVariant(
        'in-sig',
        (b) =>
          (b.publicSignals[inOff + inIdx] = fieldMod(toSigned(BigInt(b.publicSignals[inOff + inIdx])) + 1n).toString()),
      ),
    },
    {
      name: 'public input signal p − 1 (i.e. −1, out of range)',
      failed: 'public-signals',
      path: await pbVariant('in-neg', (b) => (b.publicSignals[inOff] = (FIELD_PRIME - 1n).toString())),
    },
    {
      name: 'public input signal ≥ p (not canonical)',
      failed: 'format',
      path: await pbVariant(
        'in-big',
        (b) => (b.publicSignals[inOff] = (FIELD_PRIME + BigInt(b.publicSignals[inOff])).toString()),
      ),
    },
    {
      name: 'key of another model (--vkey)',
      failed: 'vkey',
      alsoFailing: ['model-id'],
      path: bundlePath,
      vkey: join(OTHER_DIR, 'vkey.json'),
    },
    {
      name: 'key of another model embedded with its hash (unpinned)',
      failed: 'pin',
      vkey: null,
      path: await variant('foreign-vkey', (b) => {
        b.vkey = JSON.parse(readFileSync(join(OTHER_DIR, 'vkey.json'), 'utf8'));
        b.vkeyHash = JSON.parse(readFileSync(join(OTHER_DIR, 'setup.json'), 'utf8')).vkeyHash;
      }),
    },
    {
      name: 'same model, keys from another setup (--vkey)',
      failed: 'vkey',
      path: bundlePath,
      vkey: join(STAGE_DIR, 'vkey.json'),
    },
  ];
}

/** The verdicts expected of `verify`: the first three runs valid, each tamper case failing its check, then unpinned and loud. */
function checkVerdicts(cases: TamperCase[], results: Run[]): void {
  for (const ok of results.slice(0, 3)) {
    assert.equal(ok.code, 0, show(ok));
    assert.equal(json(ok)['valid'], true);
  }
  assert.equal(json(results[0]!)['pinned'], false);
  assert.equal(json(results[0]!)['modelId'], undefined, 'an unpinned verification reported a model id');
  const unpinned = results[cases.length + 3]!;
  assert.equal(unpinned.code, 1, show(unpinned));
  assert.equal(json(unpinned)['failed'], 'pin');
  const loud = results[cases.length + 4]!;
  assert.equal(loud.code, 0, show(loud));
  assert.match(loud.stdout, /UNPINNED KEY/);
  assert.match(loud.stdout, /WARN pin/);
  cases.forEach((c, i) => {
    const res = results[i + 3]!;
    assert.equal(res.code, c.failed === 'format' ? 2 : 1, `${c.name}: ${show(res)}`);
    const rep = json(res);
    assert.equal(rep['ok'], false, c.name);
    assert.equal(rep['error']['code'], res.code, c.name);
    // Exit 2 (a malformed file) is the error object alone, as for any exit 2 (docs/json-output.md).
    if (c.failed === 'format') return assert.equal(rep['checks'], undefined, c.name);
    assert.equal(rep['valid'], false, c.name);
    assert.equal(rep['failed'], c.failed, `${c.name}: ${res.stdout}`);
    assert.match(rep['error']['message'], new RegExp(`^invalid: ${c.failed} check failed`), c.name);
    for (const also of c.alsoFailing ?? []) {
      assert.ok(
        rep['checks'].some((k: { check: string; ok: boolean }) => k.check === also && !k.ok),
        `${c.name}: ${also} also fails`,
      );
    }
  });
}

test('verify: valid bundle passes; tampered bundles and foreign keys fail naming the check', async () => {
  const r = await runP;
  assert.equal(r.code, 0, show(r));
  const bundlePath = json(r)['bundle'] as string;
  const original = JSON.parse(readFileSync(bundlePath, 'utf8'));
  const other = await otherP;
  assert.equal(other, null, other ? show(other) : '');
  const stageSteps = await stagesP;
  assert.ok(stageSteps.every((s) => s.code === 0));
  const stageBundle = JSON.parse(readFileSync(join(STAGE_DIR, 'proofs', 'digit-7.proof.json'), 'utf8'));
  // The .pb run has public inputs, one signal per pixel.
  const pb = await pbP;
  assert.equal(pb.code, 0, show(pb));
  const pbPath = json(pb)['bundle'] as string;
  const pbBundle = JSON.parse(readFileSync(pbPath, 'utf8'));
  const cases = await tamperCases(original, pbBundle, stageBundle, bundlePath);
  const results = await Promise.all([
    cli('verify', bundlePath, '--allow-unpinned', '--json'),
    cli('verify', bundlePath, '--vkey', join(RUN_DIR, 'vkey.json'), '--json'),
    cli('verify', pbPath, '--vkey', join(PB_DIR, 'vkey.json'), '--json'),
    ...cases.map((c) => {
      const own =
        c.path.startsWith(join(T, 'pb-')) || c.path === pbPath ? join(PB_DIR, 'vkey.json') : join(RUN_DIR, 'vkey.json');
      const vkey = c.vkey === null ? [] : ['--vkey', c.vkey ?? own];
      return cli('verify', c.path, ...vkey, '--json');
    }),
    cli('verify', bundlePath, '--json'),
    cli('verify', bundlePath, '--allow-unpinned'),
  ]);
  checkVerdicts(cases, results);
});

test('verify: malformed bundles exit 2 with one stderr line', async () => {
  const r = await runP;
  const text = readFileSync(json(r)['bundle'], 'utf8');
  const truncated = join(T, 'truncated.proof.json');
  await writeFile(truncated, text.slice(0, Math.floor(text.length / 2)));
  const noProof = join(T, 'noproof.proof.json');
  const b = JSON.parse(text);
  delete b.proof;
  await writeFile(noProof, JSON.stringify(b));
  const [t1, t2, t3] = await Promise.all([
    cli('verify', truncated),
    cli('verify', noProof),
    cli('verify', join(T, 'absent.proof.json')),
  ]);
  assertUserError(t1, truncated);
  assertUserError(t2, /field "proof"/);
  assertUserError(t3, 'absent.proof.json');
});

test('run: user errors exit 2 with one line naming the file or node, and leave no artifacts', async () => {
  const cut = join(T, 'cut.onnx');
  const full = readFileSync(join(ROOT, MODEL));
  await writeFile(cut, full.subarray(0, Math.floor(full.length / 2)));
  const unsupported = join(T, 'unsupported.onnx');
  await writeFile(
    unsupported,
    modelBytes({
      input: { name: 'x', dims: [1, 64] },
      output: { name: 'y', dims: [1, 64] },
      nodes: [
        { op: 'Relu', inputs: ['x'], outputs: ['a'], name: 'ok0' },
        { op: 'NonZero', inputs: ['a'], outputs: ['s'], name: 'the_nonzero_node' },
        { op: 'Relu', inputs: ['a'], outputs: ['y'], name: 'ok2' },
      ],
    }),
  );
  const sample = JSON.parse(readFileSync(join(MODELS, 'samples/digit-3.json'), 'utf8')) as { input: number[] };
  const short = join(T, 'short.json');
  await writeFile(short, JSON.stringify({ input: sample.input.slice(1) }));
  const nan = join(T, 'nan.json');
  await writeFile(nan, `{"input": [NaN, ${sample.input.slice(1).join(', ')}]}`);
  const missing = join(T, 'no-such-input.json');
  const cases: Array<[string, string[], string | RegExp]> = [
    ['truncated ONNX', [cut, '--input', 'models/samples/digit-3.json'], cut],
    ['unsupported op', [unsupported, '--input', 'models/samples/digit-3.json'], 'NonZero ×1 (node "the_nonzero_node")'],
    ['wrong-shape input', [MODEL, '--input', short], short],
    ['NaN input', [MODEL, '--input', nan], nan],
    ['missing input', [MODEL, '--input', missing], missing],
  ];
  const outs = cases.map((_, i) => join(T, `fail-${i}`));
  const results = await Promise.all(cases.map(([, args], i) => cli('run', ...args, '--out', outs[i]!)));
  results.forEach((r, i) => {
    const [name, , mentions] = cases[i]!;
    assertUserError(r, mentions);
    assert.equal(r.stdout, '', `${name}: nothing on stdout`);
    const files = walk(outs[i]!);
    assert.deepEqual(
      files.filter((f) => /\.tmp-/.test(f)),
      [],
      `${name}: no temp files`,
    );
    assert.deepEqual(
      files.filter((f) => f.endsWith('.proof.json')),
      [],
      `${name}: no bundle`,
    );
  });
});

test('run: an ONNX TensorProto .pb input, public input visibility', async () => {
  const r = await pbP;
  assert.equal(r.code, 0, show(r));
  const j = json(r);
  assert.equal(j['prediction'], PB_SAMPLE.label);
  assert.equal(j['valid'], true);
  const bundle = JSON.parse(readFileSync(j['bundle'], 'utf8'));
  assert.equal(bundle.layout.input.visibility, 'public');
  assert.equal(bundle.layout.input.count, 64);
  // The public inputs are the quantized pixels of the .pb file (round half away from zero, clamp).
  const frac = bundle.input.frac as number;
  const ins = bundle.publicSignals
    .slice(bundle.layout.input.offset, bundle.layout.input.offset + 64)
    .map((s: string) => Number(toSigned(BigInt(s))));
  assert.deepEqual(
    ins,
    PB_SAMPLE.input.map((v) =>
      Math.max(bundle.input.lo, Math.min(bundle.input.hi, Math.round(Math.fround(v) * 2 ** frac))),
    ),
  );
});

test('--help on every command exits 0 and shows an example', async () => {
  const commands = ['run', 'demo', 'verify', 'quantize', 'compile', 'setup', 'prove', 'inspect'];
  const results = await Promise.all(commands.map((c) => cli(c, '--help')));
  results.forEach((r, i) => {
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /Example/, `${commands[i]}: ${r.stdout}`);
    assert.match(r.stdout, new RegExp(`zkinfer ${commands[i]}`));
  });
  const top = await cli('--help');
  assert.equal(top.code, 0);
  for (const c of commands) assert.match(top.stdout, new RegExp(`\\b${c}\\b`));
});

test('keys add|list|remove: a stored key pins bundles without --vkey', async () => {
  const r = await runP;
  assert.equal(r.code, 0, show(r));
  const bundlePath = json(r)['bundle'] as string;
  const add = await cli('keys', 'add', join(RUN_DIR, 'vkey.json'), '--name', 'digits', '--json');
  assert.equal(add.code, 0, show(add));
  assert.equal(json(add)['name'], 'digits');
  const list = await cli('keys', 'list', '--json');
  assert.deepEqual(
    (json(list)['keys'] as Array<{ name: string }>).map((k) => k.name),
    ['digits'],
  );
  const pinned = await cli('verify', bundlePath, '--json');
  assert.equal(pinned.code, 0, show(pinned));
  assert.equal(json(pinned)['keySource'], 'store');
  assert.equal(json(pinned)['pinned'], true);
  const byHash = await cli('verify', bundlePath, '--vkey-hash', json(add)['vkeyHash'], '--json');
  assert.equal(byHash.code, 0, show(byHash));
  const wrongHash = await cli('verify', bundlePath, '--vkey-hash', 'ab'.repeat(32), '--json');
  assert.equal(wrongHash.code, 1);
  assert.equal(json(wrongHash)['failed'], 'pin');
  const badHash = await cli('verify', bundlePath, '--vkey-hash', 'xyz');
  assert.equal(badHash.code, 2);
  assert.equal(badHash.stderr.trim().split('\n').length, 1);
  const rm = await cli('keys', 'remove', 'digits');
  assert.equal(rm.code, 0, show(rm));
  const after = await cli('verify', bundlePath, '--json');
  assert.equal(after.code, 1);
  assert.equal(json(after)['failed'], 'pin');
  const missing = await cli('keys', 'remove', 'digits');
  assert.equal(missing.code, 2);
});
