/**
 * Issue 24 item 11, class by class: output paths that cannot be written (an existing file, a
 * path below a file, a directory where a file goes, a read-only directory, an empty path) are one
 * line naming the path with exit 2, never "internal error" (exit 3); failing commands leave no new
 * file behind and keep what existed before; quantize names the ONNX node when a model has no
 * fixed-point form instead of writing a model.quant.json its reader refuses; calldata reads
 * bundles like verify does. All in process through main(argv), on the tiny MLP.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCaptured } from '../../tools/fuzz/harness.js';
import { createDevPtau } from '../../tools/bench/bench-gas.js';
import { modelBytes } from '../../tools/onnx/write-onnx.js';
import { writeTinyModel } from '../helpers/trusted-fixtures.js';
import { cleanupOnFailure, writeFileAtomic } from '../../src/core/atomic-write.js';
import { UserError } from '../../src/core/errors.js';
import { shutdown } from '../../src/runtime/curve.js';

const T = mkdtempSync(join(tmpdir(), 'zkinfer-paths-'));
const MODEL = join(T, 'tiny.onnx');
const INPUT = join(T, 'x.json');
const BUILD = join(T, 'build');
const FILE = join(T, 'a-file');
const BUNDLE = join(BUILD, 'proofs', 'x.proof.json');
/** Directories made read-only by a test, made writable again before the temp dir is removed. */
const locked: Array<() => void> = [];

before(async () => {
  writeTinyModel(MODEL);
  writeFileSync(INPUT, JSON.stringify([0.5, -0.25, 0.75, 0.1]));
  writeFileSync(FILE, 'not a directory\n');
  const r = await runCaptured(['run', MODEL, '--input', INPUT, '--out', BUILD]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(BUNDLE) && existsSync(join(BUILD, 'proofs', 'x.opening.json')));
});

after(async () => {
  for (const unlock of locked) unlock();
  rmSync(T, { recursive: true, force: true });
  await shutdown();
});

/**
 * Runs the CLI and asserts: exit 2, exactly one error line (`zkinfer: …`, the last line on stderr)
 * matching `pattern`, no stack trace. Stage lines before it are progress (stderr, as run prints them).
 */
async function refused(argv: string[], pattern: RegExp): Promise<string> {
  const r = await runCaptured(argv);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(r.code, 2, `zkinfer ${argv.join(' ')} → ${r.code}: ${r.stderr}`);
  const errors = lines.filter((l) => l.startsWith('zkinfer: '));
  assert.equal(errors.length, 1, `one error line expected: ${r.stderr}`);
  assert.equal(errors[0], lines.at(-1), `the error ends stderr: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
  assert.match(errors[0]!, pattern);
  return errors[0]!;
}

const files = (dir: string) => readdirSync(dir).sort();

test('--out an existing file, below a file, or empty: exit 2 naming the path (run, quantize, export-verifier, demo, prove)', async () => {
  const before = files(T);
  const notDir = /a-file: exists and is not a directory \(--out takes a directory\)/;
  await refused(['run', MODEL, '--input', INPUT, '--out', FILE], notDir);
  await refused(['quantize', MODEL, '--input', INPUT, '--out', FILE], notDir);
  await refused(['export-verifier', BUILD, '--out', FILE], notDir);
  await refused(['demo', '--out', FILE], notDir);
  const below = /a-file\/sub: cannot be created: .*a-file is a file, not a directory/;
  await refused(['run', MODEL, '--input', INPUT, '--out', join(FILE, 'sub')], below);
  await refused(['quantize', MODEL, '--input', INPUT, '--out', join(FILE, 'sub')], below);
  await refused(['export-verifier', BUILD, '--out', join(FILE, 'sub')], below);
  await refused(
    ['prove', BUILD, '--input', INPUT, '--out', join(FILE, 'x.proof.json')],
    /a-file\/x\.proof\.json: cannot be created: .*a-file is a file/,
  );
  await refused(['run', MODEL, '--input', INPUT, '--out', ''], /--out: empty path; give a directory/);
  await refused(['quantize', MODEL, '--input', INPUT, '--out', ''], /--out: empty path/);
  await refused(['prove', BUILD, '--input', INPUT, '--out', ''], /--out: empty path; give a file path/);
  assert.equal(readFileSync(FILE, 'utf8'), 'not a directory\n', 'the file in the way is untouched');
  assert.deepEqual(files(T), before, 'nothing new next to it');
});

test('prove --out an existing directory: exit 2 before proving, no <dir>.opening.json left behind', async () => {
  const dir = join(T, 'out-dir');
  mkdirSync(dir);
  await refused(
    ['prove', BUILD, '--input', INPUT, '--out', dir],
    /out-dir: is a directory \(--out takes a file path\)/,
  );
  assert.ok(!existsSync(`${dir}.opening.json`), 'no opening without its bundle');
  assert.deepEqual(files(dir), []);
});

/**
 * Makes `dir` read-only for this process: mode 555 for a normal user; root ignores modes, so
 * there the immutable attribute (chattr +i, which binds root too). Returns false when neither works.
 */
function makeReadOnly(dir: string): boolean {
  if (process.getuid?.() !== 0) {
    chmodSync(dir, 0o555);
    locked.push(() => chmodSync(dir, 0o755));
    return true;
  }
  const r = spawnSync('chattr', ['+i', dir], { encoding: 'utf8' });
  if (r.status !== 0) return false;
  locked.push(() => spawnSync('chattr', ['-i', dir]));
  return true;
}

test('a read-only directory: exit 2 naming it (run, prove, export-verifier, setup), nothing written', async (t) => {
  const ro = join(T, 'read-only');
  mkdirSync(ro);
  const roBuild = join(T, 'read-only-build');
  const r = await runCaptured(['quantize', MODEL, '--input', INPUT, '--out', roBuild]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await runCaptured(['compile', roBuild])).code, 0);
  if (!makeReadOnly(ro) || !makeReadOnly(roBuild)) {
    t.skip('running as root where chattr +i is not available: root writes into any directory');
    return;
  }
  const denied = /cannot write there: (permission denied \(EACCES\)|operation not permitted \(EPERM\))/;
  await refused(['run', MODEL, '--input', INPUT, '--out', ro], new RegExp(`read-only: ${denied.source}`));
  await refused(
    ['run', MODEL, '--input', INPUT, '--out', join(ro, 'sub')],
    new RegExp(`read-only/sub: cannot be created: .*read-only: ${denied.source}`),
  );
  await refused(['prove', BUILD, '--input', INPUT, '--out', join(ro, 'x.proof.json')], denied);
  await refused(['export-verifier', BUILD, '--out', ro], denied);
  await refused(['setup', roBuild], new RegExp(`read-only-build: ${denied.source}`));
  assert.deepEqual(files(ro), []);
  assert.ok(!existsSync(join(roBuild, 'circuit.zkey')) && !existsSync(join(roBuild, 'vkey.json')));
});

test('the write layer names the path for ENOTDIR, EISDIR and ENAMETOOLONG; a failed scope removes only what it created', async () => {
  const thrown = (f: () => void) => {
    try {
      f();
    } catch (e) {
      return e;
    }
    assert.fail('expected an error');
  };
  const below = thrown(() => writeFileAtomic(join(FILE, 'x.json'), '{}'));
  assert.ok(below instanceof UserError);
  assert.match(below.message, /a-file: cannot create directory: .*\(E(EXIST|NOTDIR)\)/);
  const dir = join(T, 'is-a-dir');
  mkdirSync(dir);
  const isDir = thrown(() => writeFileAtomic(dir, '{}'));
  assert.ok(isDir instanceof UserError);
  assert.match(isDir.message, /is-a-dir: cannot write: is a directory; a file path is needed \(EISDIR\)/);
  const long = thrown(() => writeFileAtomic(join(T, 'x'.repeat(300)), '{}'));
  assert.ok(long instanceof UserError);
  assert.match(long.message, /: cannot write: file name too long \(ENAMETOOLONG\)/);

  const scoped = join(T, 'scoped');
  mkdirSync(scoped);
  writeFileSync(join(scoped, 'old.json'), 'old');
  await assert.rejects(
    cleanupOnFailure(async () => {
      writeFileAtomic(join(scoped, 'old.json'), 'replaced');
      writeFileAtomic(join(scoped, 'new.json'), 'new');
      writeFileAtomic(join(scoped, 'deep', 'er', 'new.json'), 'new');
      throw new Error('later stage fails');
    }),
    /later stage fails/,
  );
  assert.deepEqual(files(scoped), ['old.json'], 'new files and directories removed, the existing file kept');
});

test('run with a missing or garbage ptau, or failing in a later stage, leaves no artifact; an existing directory keeps its files', async () => {
  const garbage = join(T, 'garbage.ptau');
  writeFileSync(garbage, 'not a ptau file at all');
  await refused(
    ['run', MODEL, '--input', INPUT, '--out', join(T, 'p1'), '--ptau', join(T, 'missing.ptau')],
    /missing\.ptau: powers-of-tau file not found/,
  );
  await refused(
    ['run', MODEL, '--input', INPUT, '--out', join(T, 'p2'), '--ptau', garbage],
    /garbage\.ptau: not a powers-of-tau file/,
  );
  assert.ok(!existsSync(join(T, 'p1')) && !existsSync(join(T, 'p2')), 'no build directory');
  // A real ptau too small for the circuit fails in setup, after quantize and compile wrote theirs.
  const small = join(T, 'small.ptau');
  writeFileSync(small, (await createDevPtau({ power: 2 })).data!);
  const keep = join(T, 'p3');
  mkdirSync(keep);
  writeFileSync(join(keep, 'notes.txt'), 'mine');
  await refused(
    ['run', MODEL, '--input', INPUT, '--out', keep, '--ptau', small],
    /small\.ptau: powers of tau for 2\^2, the circuit needs 2\^\d+/,
  );
  assert.deepEqual(files(keep), ['notes.txt'], 'what this run wrote is gone, what was there stays');
});

/** A one-Gemm model (node "fc1") with the given weights and alpha. */
function gemmBytes(weights: number[], alpha = 1): Buffer {
  return Buffer.from(
    modelBytes({
      input: { name: 'x', dims: [1, 4] },
      output: { name: 'y', dims: [1, 2] },
      nodes: [
        {
          op: 'Gemm',
          name: 'fc1',
          inputs: ['x', 'W'],
          outputs: ['y'],
          attrs: { alpha: { float: alpha }, transB: { int: 1 } },
        },
      ],
      initializers: { W: { dims: [2, 4], data: weights } },
    }),
  );
}

function gemmModel(name: string, bytes: Buffer): string {
  const path = join(T, `${name}.onnx`);
  writeFileSync(path, bytes);
  return path;
}

test('weights of 3e38, a Gemm alpha of 3e38 or a flipped exponent byte: exit 2 naming the ONNX file and node, no model.quant.json', async () => {
  const w = [0.5, 0.1, 0.2, 0.3, 0.1, 0.2, 0.3, 0.4];
  const bytes = gemmBytes(w);
  // The first weight 0.5 is 0x3f000000, stored little-endian: flip one bit of its exponent byte (→ about 1.7e38).
  const at = bytes.indexOf(Buffer.from([0x00, 0x00, 0x00, 0x3f]));
  assert.ok(at > 0);
  bytes[at + 3]! ^= 0x40;
  for (const [model, file] of [
    [gemmModel('big-weights', gemmBytes([3e38, ...w.slice(1)])), 'big-weights'],
    [gemmModel('big-alpha', gemmBytes(w, 3e38)), 'big-alpha'],
    [gemmModel('flipped', bytes), 'flipped'],
  ] as const) {
    const out = join(T, `q-${file}`);
    await refused(
      ['run', model, '--input', INPUT, '--out', out],
      new RegExp(`${file}\\.onnx: node "fc1" \\(linear\\): cannot be quantized: field weightFrac: Too small`),
    );
    assert.ok(!existsSync(out), `${out}: nothing written`);
  }
});

test('calldata reads bundles like verify: duplicate keys and a signal count other than the key nPublic are refused', async () => {
  const ok = await runCaptured(['calldata', BUNDLE]);
  assert.equal(ok.code, 0, ok.stderr);
  const text = readFileSync(BUNDLE, 'utf8');
  const b = JSON.parse(text) as { publicSignals: string[]; vkey: { nPublic: number } };
  assert.equal(b.publicSignals.length, b.vkey.nPublic);
  const dup = join(T, 'dup.proof.json');
  writeFileSync(dup, text.replace(/\}\s*$/, ', "publicSignals": []}'));
  await refused(['calldata', dup], /dup\.proof\.json:\d+: key "publicSignals" appears twice/);
  for (const signals of [[], [...b.publicSignals, '1']]) {
    const bad = join(T, `signals-${signals.length}.proof.json`);
    writeFileSync(bad, JSON.stringify({ ...b, publicSignals: signals }));
    await refused(
      ['calldata', bad],
      new RegExp(
        `signals-${signals.length}\\.proof\\.json: inconsistent proof bundle: check public-signals fails: ${signals.length} public signals, the key expects ${b.vkey.nPublic}`,
      ),
    );
  }
});
