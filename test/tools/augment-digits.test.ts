/**
 * tools/datasets/augment-digits.ts (`npm run dataset:digits`): the larger labelled digits set is
 * deterministic, prefix-stable, well-formed, keeps every label, starts with the test split
 * itself, and refuses bad flags with one line and exit 2, leaving no file behind. The
 * script runs as a child process, as `npm run dataset:digits` runs it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDigitsSplit } from '../../tools/datasets/augment-digits.js';
import { zkinferOk } from '../helpers/cli.js';

const SCRIPT = fileURLToPath(new URL('../../tools/datasets/augment-digits.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'zkinfer-augment-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

function generate(samples: number | string, name: string): { code: number | null; stderr: string; path: string } {
  const path = join(work, name);
  const r = spawnSync(process.execPath, [SCRIPT, '--samples', String(samples), '--out', path], { encoding: 'utf8' });
  return { code: r.status, stderr: r.stderr, path };
}

const lines = (path: string): string[] => readFileSync(path, 'utf8').split('\n').slice(0, -1);

test('the same N gives the same bytes, and a shorter file is a prefix of a longer one', () => {
  const a = generate(1000, 'a.jsonl');
  const b = generate(1000, 'b.jsonl');
  const short = generate(723, 'short.jsonl');
  for (const r of [a, b, short]) assert.equal(r.code, 0, r.stderr);
  const bytes = readFileSync(a.path);
  assert.ok(bytes.equals(readFileSync(b.path)), 'two runs with --samples 1000 differ');
  const shortBytes = readFileSync(short.path);
  assert.ok(shortBytes.length < bytes.length);
  assert.ok(bytes.subarray(0, shortBytes.length).equals(shortBytes), 'the 723-sample file is not a prefix');
});

test('well-formed samples on the k/16 grid, labels of their source image, the test split first', () => {
  const split = readDigitsSplit();
  assert.equal(split.length, 360);
  const r = generate(1000, 'c.jsonl');
  assert.equal(r.code, 0, r.stderr);
  const rows = lines(r.path).map((l) => JSON.parse(l) as { input: number[]; label: number });
  assert.equal(rows.length, 1000);
  let changed = 0;
  rows.forEach((row, i) => {
    assert.deepEqual(Object.keys(row), ['input', 'label'], `line ${i + 1}`);
    assert.equal(row.input.length, 64, `line ${i + 1}`);
    for (const v of row.input) assert.ok(Number.isInteger(v * 16) && v >= 0 && v <= 1, `line ${i + 1}: ${v}`);
    const source = split[i % 360]!;
    assert.equal(row.label, source.label, `line ${i + 1}: label`);
    const pixels = row.input.map((v) => v * 16);
    if (i < 360) assert.deepEqual(pixels, source.pixels, `line ${i + 1} is not test image ${i}`);
    else if (pixels.some((k, j) => k !== source.pixels[j])) changed++;
  });
  // The augmentation perturbs about a quarter of the inked pixels: nearly every copy differs from its image.
  assert.ok(changed >= 600, `only ${changed} of 640 augmented samples differ from their source image`);
  // And the copies of one image differ from each other (each sample has its own PRNG stream).
  assert.notDeepEqual(rows[360]!.input, rows[720]!.input);
});

test('zkinfer reads the set: audit takes every line as a labelled sample', () => {
  const r = generate(400, 'd.jsonl');
  assert.equal(r.code, 0, r.stderr);
  const a = JSON.parse(zkinferOk(['audit', 'models/digits-mlp.onnx', '--dataset', r.path, '--json']).stdout) as {
    samples: number;
    classes: number;
  };
  assert.equal(a.samples, 400);
  assert.equal(a.classes, 10);
});

test('bad flags: one line, exit 2, no file left behind', () => {
  for (const [samples, re] of [
    ['0', /--samples: expected a positive integer, got 0/],
    ['ten', /--samples: expected a positive integer, got ten/],
  ] as const) {
    const r = generate(samples, 'bad.jsonl');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(!existsSync(r.path));
  }
  const missing = generate(10, 'no-such-dir/x.jsonl');
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /no-such-dir\/x\.jsonl: ENOENT/);
  assert.ok(!readdirSync(work).some((f) => f.endsWith('.tmp')), 'a temporary file was left behind');
});
