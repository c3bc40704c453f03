/**
 * Self-checking prove (issue 14): a build directory whose files do not belong together is
 * refused before any bundle exists — a zkey with 64 bytes flipped or missing its last byte,
 * a zkey or vkey from another setup of the same circuit, a model.quant.json weight edited with
 * its recorded hashes updated, an r1cs with one coefficient bit flipped. Batch arguments are
 * checked before anything is created, and a mixed good/bad batch leaves only complete,
 * verified bundles.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256Hex } from '../../src/core/hash.js';
import { runCaptured } from '../../tools/fuzz/harness.js';
import { runPipeline } from '../../src/pipeline.js';
import { shutdown } from '../../src/runtime/curve.js';
import { checkBuildConsistency } from '../../src/prove/build-consistency.js';
import { setupKeys } from '../../src/setup/setup-keys.js';
import { verifyBundle } from '../../src/verify/verify-bundle.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const T = mkdtempSync(join(tmpdir(), 'zkinfer-consistency-'));
const SAMPLE = join(ROOT, 'models/samples/digit-3.json');
const BUILD = join(T, 'build');
const OTHER = join(T, 'other');

before(async () => {
  await runPipeline({ modelPath: join(ROOT, 'models/digits-mlp.onnx'), inputPath: SAMPLE, outDir: BUILD });
  rmSync(join(BUILD, 'proofs'), { recursive: true, force: true });
  cpSync(BUILD, OTHER, { recursive: true });
  await setupKeys({ buildDir: OTHER, force: true });
});

after(async () => {
  rmSync(T, { recursive: true, force: true });
  await shutdown();
});

let n = 0;
/** A copy of the build directory with `edit` applied. */
function variant(edit: (dir: string) => void): string {
  const dir = join(T, `v${n++}`);
  cpSync(BUILD, dir, { recursive: true });
  edit(dir);
  return dir;
}

/** `prove` must exit 2 with one line naming `file`, and leave no bundle or output directory. */
async function proveRefused(dir: string, file: RegExp): Promise<void> {
  const out = join(dir, 'out');
  const r = await runCaptured(['prove', dir, '--input', SAMPLE, '--out', join(out, 'b.proof.json')]);
  assert.equal(r.code, 2, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, file);
  assert.ok(!existsSync(out), 'no output for a refused prove');
}

const flip = (path: string, at: number, count: number) => {
  const b = readFileSync(path);
  for (let i = 0; i < count; i++) b[at + i] ^= 0xff;
  writeFileSync(path, b);
};

test('the untouched build directory proves (the checks accept a consistent directory)', async () => {
  const r = await runCaptured(['prove', BUILD, '--input', SAMPLE, '--out', join(T, 'ok', 'b.proof.json'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const report = await verifyBundle({ bundlePath: join(T, 'ok', 'b.proof.json'), vkeyPath: join(BUILD, 'vkey.json') });
  assert.equal(report.valid, true);
});

test('a zkey with 64 bytes flipped is refused', async () => {
  await proveRefused(
    variant((d) => flip(join(d, 'circuit.zkey'), 5000, 64)),
    /circuit\.zkey: does not match/,
  );
});

test('a zkey missing its last byte is refused', async () => {
  await proveRefused(
    variant((d) => {
      const b = readFileSync(join(d, 'circuit.zkey'));
      writeFileSync(join(d, 'circuit.zkey'), b.subarray(0, b.length - 1));
    }),
    /circuit\.zkey: does not match/,
  );
});

test('a zkey or a vkey from another setup of the same circuit is refused', async () => {
  await proveRefused(
    variant((d) => cpSync(join(OTHER, 'circuit.zkey'), join(d, 'circuit.zkey'))),
    /circuit\.zkey: does not match/,
  );
  await proveRefused(
    variant((d) => cpSync(join(OTHER, 'vkey.json'), join(d, 'vkey.json'))),
    /vkey\.json: does not match/,
  );
  // With the recorded hashes forged to match, the content check still finds the foreign key.
  await proveRefused(
    variant((d) => {
      cpSync(join(OTHER, 'circuit.zkey'), join(d, 'circuit.zkey'));
      const s = JSON.parse(readFileSync(join(d, 'setup.json'), 'utf8'));
      s.hashes.zkey = sha256Hex(readFileSync(join(d, 'circuit.zkey')));
      writeFileSync(join(d, 'setup.json'), JSON.stringify(s));
    }),
    /circuit\.zkey: has another (alpha|beta|gamma|delta) than vkey\.json/,
  );
});

test('a model.quant.json weight edited with its recorded sha updated is refused', async () => {
  await proveRefused(
    variant((d) => {
      const q = JSON.parse(readFileSync(join(d, 'model.quant.json'), 'utf8'));
      q.ops.find((o: { kind: string }) => o.kind === 'linear').weight[0] += 1;
      const bytes = JSON.stringify(q, null, 2) + '\n';
      writeFileSync(join(d, 'model.quant.json'), bytes);
      for (const [file, set] of [
        ['circuit.json', (j: any) => (j.quantizedSha256 = sha256Hex(bytes))],
        ['setup.json', (j: any) => (j.hashes.quantized = sha256Hex(bytes))],
      ] as const) {
        const j = JSON.parse(readFileSync(join(d, file), 'utf8'));
        set(j);
        writeFileSync(join(d, file), JSON.stringify(j));
      }
    }),
    /circuit\.json: does not match/,
  );
});

test('an r1cs with one coefficient bit flipped is refused', async () => {
  await proveRefused(
    variant((d) => {
      const b = readFileSync(join(d, 'circuit.r1cs'));
      b[b.length - 40] ^= 0x01; // inside the last constraint's last coefficient
      writeFileSync(join(d, 'circuit.r1cs'), b);
    }),
    /circuit\.r1cs: does not match/,
  );
});

test('checkBuildConsistency returns the loaded, checked files for a consistent directory', () => {
  const c = checkBuildConsistency(BUILD);
  assert.equal(c.circuit.modelId, c.setup.modelId);
  assert.equal(c.r1cs.nWires, c.circuit.nWires);
});

test('bad batch arguments and unusable build dirs create nothing', async () => {
  const inputs = join(T, 'inputs.jsonl');
  writeFileSync(inputs, JSON.stringify({ input: JSON.parse(readFileSync(SAMPLE, 'utf8')).input }) + '\n');
  const binary = join(T, 'binary.jsonl');
  writeFileSync(binary, Buffer.from([0x7b, 0x00, 0xff, 0xfe, 0x0a, 0x5b]));
  const truncated = variant((d) => {
    const b = readFileSync(join(d, 'circuit.zkey'));
    writeFileSync(join(d, 'circuit.zkey'), b.subarray(0, b.length - 100));
  });
  const cases: Array<[string[], RegExp]> = [
    [['prove', BUILD, '--inputs', inputs, '--workers', '0'], /--workers must be at least 1, got 0/],
    [['prove', BUILD, '--inputs', inputs, '--workers', '-1'], /--workers/],
    [['prove', BUILD, '--inputs', inputs, '--workers', ''], /--workers must be an integer, got ""/],
    [['prove', BUILD, '--inputs', binary], /binary data/],
    [['prove', truncated, '--inputs', inputs], /circuit\.zkey: does not match/],
  ];
  for (const [i, [argv, pattern]] of cases.entries()) {
    const out = join(T, `batch-out-${i}`);
    const r = await runCaptured([...argv, '--out', out]);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.ok(!existsSync(out), `${argv.join(' ')} created ${out}`);
  }
});

test('a mixed good/bad JSON-lines batch leaves only complete, verified bundles', async () => {
  const sample = JSON.parse(readFileSync(SAMPLE, 'utf8')).input as number[];
  const lines = [
    JSON.stringify(sample),
    '[1, 2',
    JSON.stringify({ input: sample, label: 'NaN' }),
    `${'['.repeat(1000)}${']'.repeat(1000)}`,
    JSON.stringify(sample.slice(1)),
    '{"input": [NaN]}',
  ];
  const file = join(T, 'mixed.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  const out = join(T, 'mixed-out');
  const r = await runCaptured(['prove', BUILD, '--inputs', file, '--out', out, '--workers', '1', '--json']);
  assert.equal(r.code, 1, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.succeeded, 2);
  assert.equal(summary.failed, 4);
  // Only the two good items left anything (a bundle, and its opening for the hashed input).
  assert.deepEqual([...new Set(readdirSync(out).map((f) => f.split('.')[0]))].sort(), ['mixed-1', 'mixed-3']);
  const files = readdirSync(out)
    .filter((f) => f.endsWith('.proof.json'))
    .sort();
  assert.deepEqual(files, ['mixed-1.proof.json', 'mixed-3.proof.json']);
  for (const f of files)
    assert.equal((await verifyBundle({ bundlePath: join(out, f), vkeyPath: join(BUILD, 'vkey.json') })).valid, true, f);
  // All-bad batch: the output directory it would have created is gone again.
  const bad = join(T, 'bad.jsonl');
  writeFileSync(bad, '[1, 2\n{"input": "x"}\n');
  const badOut = join(T, 'bad-out');
  const rb = await runCaptured(['prove', BUILD, '--inputs', bad, '--out', badOut, '--workers', '1', '--json']);
  assert.equal(rb.code, 1);
  assert.ok(!existsSync(badOut));
});
