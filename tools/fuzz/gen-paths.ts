/**
 * Fuzz class for output paths (issue 24 item 11): `--out` an existing file, a path below a file,
 * an empty path, a name too long, and for `prove` an existing directory — for each writing
 * command. Every case must be refused (exit 2, one line) before any work, leaving nothing behind:
 * no output directory, no `<dir>.opening.json`, no temp file.
 */
import fc from 'fast-check';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openingPathFor } from '../../src/formats/paths.js';
import type { Fixtures } from './fixtures.js';
import type { FuzzGenerator } from './harness.js';

const COMMANDS = ['run', 'demo', 'quantize', 'export-verifier', 'prove'] as const;
const KINDS = ['file', 'below-file', 'empty', 'too-long', 'directory'] as const;

interface Recipe {
  readonly command: (typeof COMMANDS)[number];
  readonly kind: (typeof KINDS)[number];
  /** Depth of the path below the file, for `below-file`. */
  readonly depth: number;
}

/** The `--out` value of a recipe in case directory `dir` (which holds a regular file `a-file`). */
function outPath(r: Recipe, dir: string): string {
  const file = join(dir, 'a-file');
  switch (r.kind) {
    case 'file':
      return file;
    case 'below-file':
      return join(file, ...Array.from({ length: r.depth }, (_, i) => `d${i}`), 'out.proof.json');
    case 'empty':
      return '';
    case 'too-long':
      return join(dir, 'n'.repeat(300));
    case 'directory':
      // An existing directory is a fine --out for the commands that write directories: only prove refuses it.
      return join(dir, 'existing-dir');
  }
}

/** Output paths that are refused before any work. */
export const outputPaths: FuzzGenerator<Fixtures, Recipe> = {
  name: 'output paths',
  weight: 1,
  arbitrary: () =>
    fc
      .record({
        command: fc.constantFrom(...COMMANDS),
        kind: fc.constantFrom(...KINDS),
        depth: fc.integer({ min: 0, max: 3 }),
      })
      .map((r) => (r.kind === 'directory' && r.command !== 'prove' ? { ...r, kind: 'file' as const } : r)),
  materialize(r, { dir, fixtures }) {
    writeFileSync(join(dir, 'a-file'), 'in the way\n');
    mkdirSync(join(dir, 'existing-dir'));
    const out = outPath(r, dir);
    const argv = {
      run: ['run', fixtures.models.mlp, '--input', fixtures.samplePath, '--out', out],
      demo: ['demo', '--out', out],
      quantize: ['quantize', fixtures.models.mlp, '--input', fixtures.samplePath, '--out', out],
      'export-verifier': ['export-verifier', fixtures.buildDir, '--out', out],
      prove: ['prove', fixtures.buildDir, '--input', fixtures.samplePath, '--out', out],
    }[r.command];
    return {
      argv,
      // prove replaces an existing bundle file atomically (checkOutputFile): documented, not a refusal.
      expect: r.command === 'prove' && r.kind === 'file' ? 'any' : 'reject',
      outputs: r.kind === 'directory' ? [openingPathFor(out), join(out, 'model.onnx')] : [],
      label: `${r.command} --out ${r.kind}${r.kind === 'below-file' ? ` (depth ${r.depth})` : ''}`,
    };
  },
};
