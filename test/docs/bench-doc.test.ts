/**
 * `npm run bench` writes its tables into docs/benchmarks.md between marker comments: the writer
 * replaces only the sections a run measured and keeps the notes around them; the doc's markers
 * are well formed and name the sections run-bench.ts prints.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BENCH_SECTIONS, benchMarkers, updateBenchDoc } from '../../tools/bench/bench-doc.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

test('a run replaces its sections, keeps the others and the notes, appends unknown ones', () => {
  const doc =
    '# B\n\n<!-- bench:models -->\nold models\n<!-- /bench:models -->\n\nA note.\n\n<!-- bench:gas -->\nold gas\n<!-- /bench:gas -->\n';
  const out = updateBenchDoc(doc, [
    { key: 'gas', markdown: '### Gas\n\n| a | $1 $& |\n' },
    { key: 'queue', markdown: 'queue table' },
    { key: 'ops', markdown: '   ' },
  ]);
  assert.equal(
    out,
    '# B\n\n<!-- bench:models -->\nold models\n<!-- /bench:models -->\n\nA note.\n\n<!-- bench:gas -->\n### Gas\n\n| a | $1 $& |\n<!-- /bench:gas -->\n\n<!-- bench:queue -->\nqueue table\n<!-- /bench:queue -->\n',
  );
  assert.equal(
    updateBenchDoc(out, [{ key: 'gas', markdown: '### Gas\n\n| a | $1 $& |' }]),
    out,
    'rewriting the same tables changes nothing',
  );
});

test('unbalanced markers are reported', () => {
  assert.throws(() => benchMarkers('<!-- bench:a -->\n'), /never closed/);
  assert.throws(() => benchMarkers('<!-- /bench:a -->\n'), /did not open/);
  assert.throws(
    () => benchMarkers('<!-- bench:a -->\n<!-- bench:b -->\n<!-- /bench:b -->\n<!-- /bench:a -->'),
    /opens inside/,
  );
});

test('docs/benchmarks.md has one well-formed block per section of the bench', () => {
  const keys = benchMarkers(readFileSync(`${ROOT}/docs/benchmarks.md`, 'utf8'));
  assert.deepEqual([...keys].sort(), [...BENCH_SECTIONS].sort());
});
