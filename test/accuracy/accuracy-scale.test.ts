/**
 * Accuracy at scale, on the tiny MLP (4 inputs, 2 classes, chunks of 2): progress on a real
 * terminal (a pseudo-terminal from util-linux `script`) and in logs, and streaming shown
 * structurally: a dataset fed through a named pipe by a writer that holds back the rest of the
 * data until it sees the first chunk's result (a proof file, a chunk commitment, a verdict).
 * A stage that read the whole dataset first would only see the data once the writer gave up,
 * and the writer reports which happened in its exit code.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readQuantizedModel } from '../../src/compile/compile-circuit.js';
import {
  computeDatasetCommitment,
  datasetChunkCommitments,
  datasetEncoding,
  readOpening,
} from '../../src/accuracy/dataset-commitment.js';
import { verifyClaim } from '../../src/accuracy/verify-claim.js';
import { shutdown } from '../../src/runtime/curve.js';
import type { DatasetEncoding } from '../../src/formats/dataset.js';
import { prng, randArray } from '../../tools/onnx/write-onnx.js';
import { writeTinyModel } from '../helpers/trusted-fixtures.js';
import { CLI, ROOT } from '../helpers/paths.js';
import { zkinfer, zkinferOk } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'zkinfer-accuracy-scale-'));
const build = join(dir, 'build');
const data = join(dir, 'data.jsonl');
const out = join(dir, 'out');
const rnd = prng(5);
/** 6 samples: 3 full chunks of 2. */
const lines = [0, 1, 1, 0, 1, 0].map((label) => JSON.stringify({ input: randArray(rnd, 4, -1, 1), label }));
let enc: DatasetEncoding;

before(() => {
  const onnx = join(dir, 'tiny.onnx');
  const input = join(dir, 'x.json');
  writeTinyModel(onnx);
  writeFileSync(input, JSON.stringify([0.5, -0.25, 0.75, 0.1]));
  writeFileSync(data, lines.join('\n') + '\n');
  zkinferOk(['quantize', onnx, '--out', build, '--input', input]);
  enc = datasetEncoding(readQuantizedModel(build).model);
});
after(async () => {
  await shutdown();
  rmSync(dir, { recursive: true, force: true });
});

/** The escape character that starts terminal control sequences. */
const ESC = String.fromCharCode(27);

/** A shell word for `script -c`. */
const sh = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

test('accuracy progress: a bar redrawn in place on a terminal, a line per tenth in logs, nothing with --json (nor --quiet: the same reporter, see cli-conventions); stdout is only the result', () => {
  const stdoutFile = join(dir, 'stdout.txt');
  const args = ['accuracy', build, '--dataset', data, '--chunk', '2', '--workers', '1', '--out', out];
  // `script` runs the command on a pseudo-terminal and copies what it draws to our stdout; the
  // command's own stdout goes to a file, so the terminal shows stderr only.
  const cmd = `${[process.execPath, CLI, ...args].map(sh).join(' ')} > ${sh(stdoutFile)}`;
  const tty = spawnSync('script', ['-qefc', cmd, '/dev/null'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  assert.equal(tty.status, 0, tty.stdout + tty.stderr);
  // Redrawn in place: the final state is drawn after a return to column 1, and earlier states before it.
  assert.match(
    tty.stdout,
    new RegExp(`${ESC}\\[1G\\[#{24}\\] 3/3 chunks \\(100%\\), 6/6 samples, \\d+\\.\\d chunks/min in \\d+s`),
  );
  assert.match(tty.stdout, /\] [12]\/3 chunks \(\d+%\), [24]\/6 samples, \d+\.\d chunks\/min ETA \d+s/);
  assert.doesNotMatch(tty.stdout, /^chunk \d+:/m, 'no line per chunk under the bar');
  const stdout = readFileSync(stdoutFile, 'utf8');
  assert.match(stdout, /^proved \d\/6 correct .* in 3 chunks of 2 \(3 proved, 0 reused\)/);
  assert.ok(!/chunks\/min/.test(stdout) && !stdout.includes(ESC), 'no progress on stdout');

  // Not a terminal (a CI log): plain lines, one per finished tenth; here every chunk is a tenth or more.
  const piped = zkinferOk(args);
  const progress = piped.stderr.split('\n').filter((l) => l.startsWith('progress '));
  assert.deepEqual(
    progress.map((l) => l.replace(/, [\d.]+ chunks\/min.*/, '')),
    [
      'progress 1/3 chunks (33%), 2/6 samples',
      'progress 2/3 chunks (66%), 4/6 samples',
      'progress 3/3 chunks (100%), 6/6 samples',
    ],
  );
  assert.match(progress[2]!, /in \d+s, 3 skipped$/, 'the rerun reuses every chunk proof');
  assert.ok(!piped.stderr.includes(ESC) && !piped.stderr.includes('\r'), 'nothing drawn in place in a log');

  const json = zkinferOk([...args, '--json']);
  assert.equal(json.stderr, '', 'no progress with --json');
  assert.equal(JSON.parse(json.stdout).chunks, 3);
});

/**
 * A writer process on a named pipe: sends `first`, then waits up to 60 s for `until` to exist
 * before sending `rest` and closing. Exits 0 when `until` appeared, 3 when it gave up.
 */
function pipeWriter(fifo: string, first: string[], rest: string[], until: string): Promise<number | null> {
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '-e',
      `
    const fs = require('node:fs');
    const [fifo, first, rest, until] = process.argv.slice(1);
    const fd = fs.openSync(fifo, 'w');
    fs.writeSync(fd, first);
    const t0 = Date.now();
    while (!fs.existsSync(until) && Date.now() - t0 < 60000) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    const seen = fs.existsSync(until);
    try { fs.writeSync(fd, rest); fs.closeSync(fd); } catch {} // the reader may be gone: it had what it needed
    process.exit(seen ? 0 : 3);`,
      fifo,
      first.map((l) => l + '\n').join(''),
      rest.map((l) => l + '\n').join(''),
      until,
    ],
    { stdio: 'inherit' },
  );
  // Listened for at once: an 'exit' listener added after the exit would wait forever.
  return new Promise((r) => child.on('exit', (code) => r(code)));
}

test('proving streams: the first chunk proof is written before the rest of the data exists', async () => {
  const fifo = join(dir, 'proving.jsonl');
  const streamed = join(dir, 'out-pipe');
  const firstProof = join(streamed, 'chunks', 'chunk-000000.json');
  const writer = pipeWriter(fifo, lines.slice(0, 2), lines.slice(2), firstProof);
  const opening = join(out, 'dataset.opening.json');
  const r = await new Promise<{ code: number | null; stderr: string }>((res) => {
    const p = spawn(process.execPath, [
      CLI,
      'accuracy',
      build,
      '--dataset',
      fifo,
      '--chunk',
      '2',
      '--workers',
      '1',
      '--opening',
      opening,
      '--out',
      streamed,
      '--json',
    ]);
    let stderr = '';
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    p.on('close', (code) => res({ code, stderr }));
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await writer, 0, 'the writer saw the first chunk proof before sending the rest');
  // The same data and opening as the file run: the same dataset commitment.
  const claim = (d: string) => JSON.parse(readFileSync(join(d, 'claim.json'), 'utf8')) as { dataset: object };
  assert.deepEqual(claim(streamed).dataset, claim(out).dataset);
});

test('a named pipe without --chunk is refused before it is opened: choosing a chunk size needs the count', () => {
  const fifo = join(dir, 'unread.jsonl');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const r = zkinfer(['accuracy', build, '--dataset', fifo, '--out', join(dir, 'out-refused')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^zkinfer: .*unread\.jsonl: not a regular file or directory.*give --chunk N/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.equal(existsSync(join(dir, 'out-refused')), false, 'nothing written');
});

test('the dataset commitment streams: chunk 0 is committed before the rest of the data exists', async () => {
  const fifo = join(dir, 'commit.jsonl');
  const marker = join(dir, 'first-commitment-seen');
  const writer = pipeWriter(fifo, lines.slice(0, 2), lines.slice(2), marker);
  const blinding = readOpening(join(out, 'dataset.opening.json'));
  const whole = await computeDatasetCommitment({ dataset: data, encoding: enc, chunkSize: 2, blinding });
  const seen: bigint[] = [];
  for await (const c of datasetChunkCommitments({ dataset: fifo, encoding: enc, chunkSize: 2, blinding })) {
    seen.push(c.commitment);
    if (seen.length === 1) writeFileSync(marker, '');
  }
  assert.equal(await writer, 0, 'the first chunk commitment came before the writer sent the rest');
  assert.deepEqual(seen, whole.chunkCommitments);
});

test('verify --dataset reads only up to the first chunk that differs', async () => {
  const fifo = join(dir, 'verify.jsonl');
  const marker = join(dir, 'verdict-given');
  // Other data: chunk 0 has its labels swapped. The rest is never needed for the verdict.
  const swapped = lines.slice(0, 2).map((l) => {
    const o = JSON.parse(l) as { label: number };
    return JSON.stringify({ ...o, label: 1 - o.label });
  });
  const writer = pipeWriter(fifo, swapped, lines.slice(2), marker);
  const report = await verifyClaim({
    claimPath: join(out, 'claim.json'),
    vkeyPath: join(build, 'accuracy', 'chunk-2', 'vkey.json'),
    dataset: fifo,
    opening: join(out, 'dataset.opening.json'),
  });
  // Given while the writer still holds back the rest: a verifier that read on would have waited for it.
  writeFileSync(marker, '');
  assert.equal(await writer, 0, 'the verdict came before the writer sent the rest');
  assert.equal(report.valid, false);
  assert.equal(report.failed, 'dataset-pin');
  assert.match(report.checks.find((c) => c.check === 'dataset-pin')!.detail, /^chunk 0 was not proven on /);
  // The same claim with the real data verifies (the pin reads all of it).
  const ok = await verifyClaim({
    claimPath: join(out, 'claim.json'),
    vkeyPath: join(build, 'accuracy', 'chunk-2', 'vkey.json'),
    dataset: data,
    opening: join(out, 'dataset.opening.json'),
  });
  assert.equal(ok.valid, true, JSON.stringify(ok.checks.filter((c) => !c.ok)));
});
