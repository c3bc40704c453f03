/**
 * The published package (`files` in package.json): what `npm pack` would put in the tarball is the
 * compiled library and CLI, the compiled gadgets, the JSON Schemas, the example models `zkinfer demo`
 * reads, README and LICENSE — never sources, tests, dev tools or training scripts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** The tarball's file list, without running the prepare script (the suite has compiled already). */
function packedFiles(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
  });
  const [pack] = JSON.parse(out) as Array<{ files: Array<{ path: string }> }>;
  return pack!.files.map((f) => f.path).sort();
}

const files = packedFiles();
const has = new Set(files);

test('the package holds the CLI, the library, the gadgets, the schemas, the demo models, README and LICENSE', () => {
  const schemas = readdirSync(join(ROOT, 'schemas'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => `schemas/${f}`);
  assert.ok(schemas.length >= 10, 'schemas/*.json');
  const required = [
    'package.json',
    'README.md',
    'LICENSE',
    'bin/zkinfer',
    'dist/src/cli/main.js',
    'dist/src/index.js',
    'dist/src/index.d.ts',
    'dist/circuits/builder.js',
    // `zkinfer demo` (src/cli/run-commands.ts) reads these at run time.
    'models/digits-mlp.onnx',
    'models/samples/digit-3.json',
    'models/calibration.json',
    'models/digits-test.json',
    // The README's walkthroughs and the --help examples use these (an npm install has no clone).
    'models/digits-test.jsonl',
    'models/zkinfer.gate.json',
    ...schemas,
  ];
  assert.deepEqual(
    required.filter((f) => !has.has(f)),
    [],
    'missing from the package',
  );
});

test('no sources, tests, dev tools, training scripts or local output in the package', () => {
  const forbidden = files.filter(
    (f) =>
      /^(dist\/test|dist\/tools|test|tools|src|circuits|build|bench-results|node_modules|docs)\//.test(f) ||
      (f.endsWith('.ts') && !f.endsWith('.d.ts')) ||
      /^models\/.*\.py$/.test(f) ||
      f.startsWith('.'),
  );
  assert.deepEqual(forbidden, []);
});

test('every relative import of the packed JavaScript resolves inside the package', () => {
  const missing: string[] = [];
  for (const f of files.filter((p) => p.endsWith('.js'))) {
    const text = readFileSync(join(ROOT, f), 'utf8');
    const specifiers = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g)].map(
      (m) => m[1]!,
    );
    for (const s of specifiers) {
      const target = posix.normalize(posix.join(dirname(f), s));
      if (!has.has(target)) missing.push(`${f} → ${s}`);
    }
  }
  assert.deepEqual(missing, []);
});

test('bin/zkinfer starts from the packed dist/src', () => {
  const bin = readFileSync(join(ROOT, 'bin/zkinfer'), 'utf8');
  const entry = /from '\.\.\/(dist\/[^']+)'/.exec(bin)?.[1];
  assert.ok(entry && has.has(entry), `bin/zkinfer imports ${entry}`);
});
