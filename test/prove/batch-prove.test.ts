import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline } from '../../src/pipeline.js';
import { shutdown } from '../../src/runtime/curve.js';
import { verifyBundle } from '../../src/verify/verify-bundle.js';

const root = new URL('../../..', import.meta.url).pathname;
const cli = join(root, 'bin', 'zkinfer');
const samples = join(root, 'models', 'samples');
const dir = mkdtempSync(join(tmpdir(), 'zkinfer-batch-'));
const build = join(dir, 'build');

interface Summary {
  total: number;
  succeeded: number;
  skipped: number;
  failed: number;
  workers: number;
  items: Array<{ input: string; bundle: string; status: string; prediction?: number; error?: string }>;
}

function zkinfer(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  // The timeout turns a hanging worker into a failed test instead of a stuck run.
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function batch(inputs: string, out: string, workers = 2): { status: number | null; summary: Summary } {
  const r = zkinfer('prove', build, '--inputs', inputs, '--out', out, '--workers', String(workers), '--json');
  assert.equal(r.stderr.trim(), '', 'no progress or noise on stderr with --json');
  return { status: r.status, summary: JSON.parse(r.stdout) as Summary };
}

function assertVerifies(bundle: string): void {
  const r = zkinfer('verify', bundle, '--vkey', join(build, 'vkey.json'), '--json');
  assert.equal(r.status, 0, `${bundle}: ${r.stdout}${r.stderr}`);
}

before(async () => {
  await runPipeline({
    modelPath: join(root, 'models', 'digits-mlp.onnx'),
    inputPath: join(samples, 'digit-3.json'),
    outDir: build,
  });
  await shutdown();
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('batch-proves a directory, reports a bad input, skips valid bundles and re-proves corrupt ones', () => {
  const inputs = join(dir, 'inputs');
  const out = join(dir, 'out-dir');
  mkdirSync(inputs);
  for (const d of [0, 1, 2, 7, 9]) copyFileSync(join(samples, `digit-${d}.json`), join(inputs, `digit-${d}.json`));
  writeFileSync(join(inputs, 'wrong-shape.json'), '[1, 2, 3]\n');

  const first = batch(inputs, out);
  assert.equal(first.status, 1);
  assert.equal(first.summary.total, 6);
  assert.deepEqual([first.summary.succeeded, first.summary.skipped, first.summary.failed], [5, 0, 1]);
  assert.equal(first.summary.workers, 2);
  const bad = first.summary.items.find((i) => i.status === 'failed')!;
  assert.match(bad.error!, /wrong-shape\.json: input has 3 values/);
  for (const item of first.summary.items.filter((i) => i.status === 'proved')) {
    assert.equal(item.prediction, Number(/digit-(\d)/.exec(item.input)![1]));
    assertVerifies(item.bundle);
  }

  const second = batch(inputs, out);
  assert.equal(second.status, 1);
  assert.deepEqual([second.summary.succeeded, second.summary.skipped, second.summary.failed], [0, 5, 1]);

  const victim = join(out, 'digit-7.proof.json');
  truncateSync(victim, 100);
  const third = batch(inputs, out);
  assert.deepEqual([third.summary.succeeded, third.summary.skipped, third.summary.failed], [1, 4, 1]);
  assert.equal(third.summary.items.find((i) => i.bundle === victim)!.status, 'proved');
  assertVerifies(victim);
});

test('batch-proves a JSON-lines file; items are named <stem>-<line>', () => {
  const jsonl = join(dir, 'few.jsonl');
  const lines = [2, 5].map((d) =>
    JSON.stringify({
      input: (JSON.parse(readFileSync(join(samples, `digit-${d}.json`), 'utf8')) as { input: number[] }).input,
    }),
  );
  writeFileSync(jsonl, `${lines[0]}\n\n${lines[1]}\n[NaN]\n`);
  const out = join(dir, 'out-jsonl');
  const r = batch(jsonl, out);
  assert.equal(r.status, 1);
  assert.deepEqual(
    r.summary.items.map((i) => [i.bundle, i.status, i.prediction]),
    [
      [join(out, 'few-1.proof.json'), 'proved', 2],
      [join(out, 'few-3.proof.json'), 'proved', 5],
      [join(out, 'few-4.proof.json'), 'failed', undefined],
    ],
  );
  assert.match(r.summary.items[2]!.error!, /few\.jsonl:4: input contains NaN/);
});

test('an unusable build directory or inputs path exits 2', () => {
  assert.equal(zkinfer('prove', join(dir, 'nope'), '--inputs', samples).status, 2);
  assert.equal(zkinfer('prove', build, '--inputs', join(dir, 'nope.jsonl')).status, 2);
});

test('kill -9 mid-batch, then rerun: completes with no corrupt or temp files', async () => {
  const digits = readdirSync(samples).map((f) =>
    JSON.stringify((JSON.parse(readFileSync(join(samples, f), 'utf8')) as { input: number[] }).input),
  );
  const jsonl = join(dir, 'many.jsonl');
  writeFileSync(jsonl, Array.from({ length: 16 }, (_, i) => digits[i % digits.length]).join('\n') + '\n');
  const out = join(dir, 'out-killed');
  const child = spawn(
    process.execPath,
    [cli, 'prove', build, '--inputs', jsonl, '--out', out, '--workers', '2', '--json'],
    { stdio: 'ignore' },
  );
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const deadline = Date.now() + 30_000;
  while (!(existsSync(out) && readdirSync(out).some((f) => f.endsWith('.proof.json'))) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGKILL');
  await exited;
  const proofsAtKill = readdirSync(out).filter((f) => f.endsWith('.proof.json')).length;
  assert.ok(proofsAtKill >= 1 && proofsAtKill < 16, `killed after ${proofsAtKill} bundles`);

  const r = batch(jsonl, out);
  assert.equal(r.status, 0);
  assert.equal(r.summary.succeeded + r.summary.skipped, 16);
  assert.ok(r.summary.skipped >= proofsAtKill);
  const files = readdirSync(out);
  assert.deepEqual(
    files.filter((f) => f.includes('.tmp-')),
    [],
  );
  const bundles = files.filter((f) => f.endsWith('.proof.json'));
  assert.equal(bundles.length, 16);
  // Every bundle of a hashed input has its opening beside it, written before the bundle.
  assert.equal(files.filter((f) => f.endsWith('.opening.json')).length, 16);
  // In-process: sixteen `zkinfer verify` processes would dominate the test's runtime.
  for (const f of bundles)
    assert.equal((await verifyBundle({ bundlePath: join(out, f), vkeyPath: join(build, 'vkey.json') })).valid, true, f);
  await shutdown();
});

test('a rerun re-proves an input whose file changed since its bundle was written', () => {
  const inputs = join(dir, 'stale-inputs');
  const out = join(dir, 'out-stale');
  mkdirSync(inputs);
  copyFileSync(join(samples, 'digit-0.json'), join(inputs, 'a.json'));
  copyFileSync(join(samples, 'digit-2.json'), join(inputs, 'b.json'));
  const first = batch(inputs, out);
  assert.equal(first.status, 0);
  assert.deepEqual(
    first.summary.items.map((i) => i.prediction),
    [0, 2],
  );
  copyFileSync(join(samples, 'digit-1.json'), join(inputs, 'a.json'));
  const second = batch(inputs, out);
  assert.equal(second.status, 0);
  assert.deepEqual(
    second.summary.items.map((i) => [i.status, i.prediction]),
    [
      ['proved', 1],
      ['skipped', 2],
    ],
  );
  assertVerifies(join(out, 'a.proof.json'));
});

test('Ctrl-C mid-batch: says how many are proven and to rerun, and exits 130', async () => {
  const digits = readdirSync(samples).map((f) =>
    JSON.stringify((JSON.parse(readFileSync(join(samples, f), 'utf8')) as { input: number[] }).input),
  );
  const jsonl = join(dir, 'interrupted.jsonl');
  writeFileSync(jsonl, Array.from({ length: 12 }, (_, i) => digits[i % digits.length]).join('\n') + '\n');
  const out = join(dir, 'out-interrupted');
  // Not a terminal: sparse progress lines (one per finished tenth), no bar.
  const child = spawn(process.execPath, [cli, 'prove', build, '--inputs', jsonl, '--out', out, '--workers', '2'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  while (!/^progress [1-9]\d*\/12 /m.test(stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGINT');
  assert.equal(await exited, 130, stderr);
  const lines = stderr.trimEnd().split('\n');
  const proven = Number(/^interrupted: (\d+)\/12 proven; rerun to resume$/.exec(lines.at(-1)!)?.[1]);
  assert.ok(proven >= 1 && proven < 12, stderr);
  assert.ok(
    lines.slice(0, -1).every((l) => /^progress \d+\/12 \(\d+%\) /.test(l)),
    `only progress lines before it: ${stderr}`,
  );
  const bundles = readdirSync(out).filter((f) => f.endsWith('.proof.json')).length;
  assert.ok(bundles >= proven, `${bundles} bundles on disk, ${proven} reported`);
  // That a rerun keeps these bundles and proves the rest is the kill -9 test's business.
});
