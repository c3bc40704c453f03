/**
 * Fuzz classes for build directories: byte flips, truncations and appends in any artifact,
 * files swapped in from another setup of the same circuit, deleted files, JSON field edits
 * (types, ranges, depth), and an edited model whose recorded hashes were updated to match.
 * `prove` must refuse every change to a hashed artifact (model.quant.json, circuit.r1cs,
 * circuit.zkey, vkey.json); `inspect` and `compile` run on edited JSON artifacts.
 */
import fc from 'fast-check';
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundlePathNamed } from '../../src/formats/paths.js';
import { canonicalJson, sha256Hex } from '../../src/core/hash.js';
import { copyBuild, type Fixtures } from './fixtures.js';
import type { FuzzGenerator } from './harness.js';

const FILES = [
  'circuit.zkey',
  'circuit.r1cs',
  'model.quant.json',
  'vkey.json',
  'circuit.json',
  'setup.json',
  'settings.json',
  'model.onnx',
] as const;
type File = (typeof FILES)[number];

type Mutation =
  | { op: 'flip'; file: File; at: number; count: number; xor: number }
  | { op: 'truncate'; file: File; bytes: number }
  | { op: 'append'; file: File; bytes: number }
  | { op: 'delete'; file: File }
  | { op: 'other-setup'; files: Array<'circuit.zkey' | 'vkey.json' | 'setup.json'> }
  | {
      op: 'edit';
      file: 'model.quant.json' | 'vkey.json' | 'circuit.json' | 'setup.json' | 'settings.json';
      pick: number;
      value: number;
    }
  | { op: 'weight-with-hashes'; delta: number };

/** Replacement values for a JSON edit. */
const VALUES: readonly unknown[] = [
  null,
  true,
  'eight',
  '',
  0,
  -1,
  1,
  2 ** 31,
  2 ** 32,
  1e300,
  -1e300,
  99,
  200,
  0.5,
  [],
  {},
  [1, 2],
  'bls12381',
  '0x1',
  '00',
  '1'.repeat(100),
  JSON.parse(`${'['.repeat(300)}${']'.repeat(300)}`),
];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    op: fc.constant('flip' as const),
    file: fc.constantFrom(...FILES),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    count: fc.constantFrom(1, 8, 64),
    xor: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({
    op: fc.constant('truncate' as const),
    file: fc.constantFrom(...FILES),
    bytes: fc.constantFrom(1, 2, 64, 1000),
  }),
  fc.record({ op: fc.constant('append' as const), file: fc.constantFrom(...FILES), bytes: fc.constantFrom(1, 32) }),
  fc.record({ op: fc.constant('delete' as const), file: fc.constantFrom(...FILES) }),
  fc.record({
    op: fc.constant('other-setup' as const),
    files: fc.subarray(
      ['circuit.zkey', 'vkey.json', 'setup.json'] as Array<'circuit.zkey' | 'vkey.json' | 'setup.json'>,
      { minLength: 1 },
    ),
  }),
  fc.record({
    op: fc.constant('edit' as const),
    file: fc.constantFrom('model.quant.json', 'vkey.json', 'circuit.json', 'setup.json', 'settings.json'),
    pick: fc.nat(),
    value: fc.nat(VALUES.length - 1),
  }),
  fc.record({ op: fc.constant('weight-with-hashes' as const), delta: fc.constantFrom(1, -1, 1000) }),
);

/** Every leaf path of a JSON value (arrays sampled: first, last and one middle element). */
function leaves(v: unknown, path: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(v)) {
    if (v.length === 0) return [path];
    const idx = [...new Set([0, v.length >> 1, v.length - 1])];
    return [path, ...idx.flatMap((i) => leaves(v[i], [...path, i]))];
  }
  if (v && typeof v === 'object') return [path, ...Object.entries(v).flatMap(([k, x]) => leaves(x, [...path, k]))];
  return [path];
}

function setAt(root: unknown, path: Array<string | number>, value: unknown): unknown {
  if (path.length === 0) return value;
  let o = root as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  o[path[path.length - 1]!] = value;
  return root;
}

/** Whether `prove` must refuse the directory after this change (hashed artifact really changed). */
function mustRefuse(file: File, before: Buffer | undefined, after: Buffer | undefined): boolean {
  if (before === undefined || after === undefined) return true;
  if (before.equals(after)) return false;
  if (file === 'vkey.json') {
    try {
      return canonicalJson(JSON.parse(after.toString('utf8'))) !== canonicalJson(JSON.parse(before.toString('utf8')));
    } catch {
      return true;
    }
  }
  return file === 'circuit.zkey' || file === 'circuit.r1cs' || file === 'model.quant.json' || file === 'model.onnx';
}

/** Mutated build directories through `prove` (and `inspect` / `compile` for JSON edits). */
export const buildDirs: FuzzGenerator<Fixtures, Mutation> = {
  name: 'build dir',
  weight: 3,
  arbitrary: () => mutation,
  materialize(m, { dir, fixtures }) {
    const build = copyBuild(fixtures, join(dir, 'build'));
    const path = (f: string) => join(build, f);
    const read = (f: string) => (existsSync(path(f)) ? readFileSync(path(f)) : undefined);
    let refuse = false;
    let command: 'prove' | 'inspect' | 'compile' = 'prove';
    const change = (f: File, next: Buffer | undefined) => {
      const before = read(f);
      if (next === undefined) rmSync(path(f), { force: true });
      else writeFileSync(path(f), next);
      refuse ||= mustRefuse(f, before, next);
    };
    switch (m.op) {
      case 'flip': {
        const b = Buffer.from(read(m.file)!);
        const at = Math.floor(m.at * Math.max(0, b.length - m.count));
        for (let i = 0; i < m.count && at + i < b.length; i++) b[at + i] ^= m.xor;
        change(m.file, b);
        break;
      }
      case 'truncate': {
        const b = read(m.file)!;
        change(m.file, b.subarray(0, Math.max(0, b.length - m.bytes)));
        break;
      }
      case 'append':
        change(m.file, Buffer.concat([read(m.file)!, Buffer.alloc(m.bytes, 0x20)]));
        break;
      case 'delete':
        change(m.file, undefined);
        break;
      case 'other-setup':
        for (const f of m.files) copyFileSync(join(fixtures.otherSetupDir, f), path(f));
        // A whole other setup (zkey, vkey and its record) is a valid build dir; any part of one is not.
        refuse = m.files.length < 3;
        break;
      case 'edit': {
        const json = JSON.parse(read(m.file)!.toString('utf8')) as unknown;
        const all = leaves(json);
        const p = all[m.pick % all.length]!;
        change(m.file, Buffer.from(JSON.stringify(setAt(json, p, VALUES[m.value]), null, 2)));
        // Edited settings.json / model.quant.json also go through the commands that read them first.
        if (m.file === 'settings.json' && m.pick % 2 === 0) command = 'inspect';
        if (m.file === 'model.quant.json' && m.pick % 2 === 0) command = 'compile';
        break;
      }
      case 'weight-with-hashes': {
        const q = JSON.parse(read('model.quant.json')!.toString('utf8')) as {
          ops: Array<{ kind: string; weight?: number[] }>;
        };
        q.ops.find((o) => o.kind === 'linear')!.weight![0]! += m.delta;
        const bytes = Buffer.from(JSON.stringify(q, null, 2) + '\n');
        writeFileSync(path('model.quant.json'), bytes);
        const sha = sha256Hex(bytes);
        const c = JSON.parse(read('circuit.json')!.toString('utf8'));
        c.quantizedSha256 = sha;
        writeFileSync(path('circuit.json'), JSON.stringify(c));
        const s = JSON.parse(read('setup.json')!.toString('utf8'));
        s.hashes.quantized = sha;
        writeFileSync(path('setup.json'), JSON.stringify(s));
        refuse = true;
        break;
      }
    }
    const out = join(dir, 'out');
    const label = JSON.stringify(m).slice(0, 200);
    if (command === 'inspect') return { argv: ['inspect', build, '--json'], expect: 'any', label };
    // compile rewrites circuit.r1cs/circuit.json from the edited model: a valid edit compiles.
    if (command === 'compile') return { argv: ['compile', build, '--json'], expect: 'any', label };
    return {
      argv: ['prove', build, '--input', fixtures.samplePath, '--out', bundlePathNamed(out, 'b')],
      expect: refuse ? 'reject' : 'any',
      outputs: [out],
      label,
    };
  },
};
