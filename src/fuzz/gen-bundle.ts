/**
 * Fuzz classes for proof bundles and their openings, verified through `verify --vkey … [--opening
 * …]` against the fixture build's pinned key. One leaf (or object) of an honest bundle is
 * mutated — a number nudged, a decimal re-encoded (hex, leading zero, + p, + r), a field
 * deleted, retyped, duplicated under a new name, or a whole subtree replaced — and the verdict
 * must never be exit 0, except for the fields the verifier reports as unverified (the prover's
 * word: source file, clamp count, fidelity, tool, time), which may change freely.
 */
import fc from 'fast-check';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIELD_PRIME } from '../../circuits/field.js';
import { BASE_FIELD_PRIME, UNVERIFIED_FIELDS } from '../bundle/bundle.js';
import type { Fixtures } from './fixtures.js';
import type { FuzzGenerator } from './harness.js';

type Path = ReadonlyArray<string | number>;

/** Every path to a leaf or a container of `v`, root excluded. */
function paths(v: unknown, at: Path = []): Path[] {
  if (v === null || typeof v !== 'object') return [at];
  const keys = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
  return [...(at.length ? [at] : []), ...keys.flatMap((k) => paths((v as Record<string | number, unknown>)[k], [...at, k]))];
}

function getAt(v: unknown, p: Path): unknown {
  return p.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], v);
}

function setAt(v: unknown, p: Path, value: unknown, remove = false): void {
  const parent = getAt(v, p.slice(0, -1)) as Record<string | number, unknown>;
  const k = p[p.length - 1]!;
  if (remove) {
    if (Array.isArray(parent)) parent.splice(k as number, 1);
    else delete parent[k];
  } else parent[k] = value;
}

const MUTATIONS = ['plus-one', 'minus-one', 'hex', 'leading-zero', 'plus-p', 'plus-r', 'delete', 'to-string', 'to-number', 'to-null', 'to-array', 'extra-field', 'negate', 'huge'] as const;

/** A recipe: which file, which path (index into its path list), which mutation. */
type BundleRecipe = { file: 'bundle' | 'opening'; at: number; mutation: (typeof MUTATIONS)[number] };

function mutate(value: unknown, m: BundleRecipe['mutation']): { value?: unknown; remove?: boolean } {
  const isDecimal = typeof value === 'string' && /^-?\d+$/.test(value);
  switch (m) {
    case 'plus-one': return { value: typeof value === 'number' ? value + 1 : isDecimal ? String(BigInt(value) + 1n) : `${String(value)}1` };
    case 'minus-one': return { value: typeof value === 'number' ? value - 1 : isDecimal ? String(BigInt(value) - 1n) : String(value).slice(0, -1) };
    case 'hex': return { value: isDecimal ? `0x${BigInt(value).toString(16)}` : typeof value === 'number' ? `0x${Math.trunc(value).toString(16)}` : value };
    case 'leading-zero': return { value: isDecimal ? `0${value}` : typeof value === 'number' ? `0${value}` : ` ${String(value)}` };
    case 'plus-p': return { value: isDecimal ? String(BigInt(value) + BASE_FIELD_PRIME) : value };
    case 'plus-r': return { value: isDecimal ? String(BigInt(value) + FIELD_PRIME) : value };
    case 'delete': return { remove: true };
    case 'to-string': return { value: JSON.stringify(value) };
    case 'to-number': return { value: 7 };
    case 'to-null': return { value: null };
    case 'to-array': return { value: [value] };
    case 'extra-field': return { value: value !== null && typeof value === 'object' && !Array.isArray(value) ? { ...value, trusted: true } : { value } };
    case 'negate': return { value: typeof value === 'number' ? -value - 1 : isDecimal ? String(-BigInt(value) - 1n) : value };
    case 'huge': return { value: typeof value === 'number' ? 1e300 : '9'.repeat(200) };
  }
}

/** Whether a change at `p` of the bundle may be accepted: the fields nothing verifies. */
function unverified(p: Path): boolean {
  const dotted = p.filter((k) => typeof k === 'string').join('.');
  return UNVERIFIED_FIELDS.some((f) => dotted === f || dotted.startsWith(`${f}.`));
}

/** Bundles and openings of the fixture build, mutated one node at a time, through `verify`. */
export const bundles: FuzzGenerator<Fixtures, BundleRecipe> = {
  name: 'bundle / opening',
  weight: 3,
  arbitrary: () => fc.record({ file: fc.constantFrom('bundle' as const, 'bundle' as const, 'opening' as const), at: fc.nat(100_000), mutation: fc.constantFrom(...MUTATIONS) }),
  materialize(r, { dir, fixtures }) {
    const bundle = JSON.parse(readFileSync(fixtures.bundlePath, 'utf8')) as unknown;
    const opening = JSON.parse(readFileSync(fixtures.openingPath, 'utf8')) as unknown;
    const target = r.file === 'bundle' ? bundle : opening;
    const all = paths(target);
    const p = all[r.at % all.length]!;
    const before = JSON.stringify(target);
    const { value, remove } = mutate(getAt(target, p), r.mutation);
    setAt(target, p, value, remove);
    const changed = JSON.stringify(target) !== before;
    const bundleFile = join(dir, 'x.proof.json');
    const openingFile = join(dir, 'x.opening.json');
    writeFileSync(bundleFile, JSON.stringify(bundle));
    writeFileSync(openingFile, JSON.stringify(opening));
    const free = !changed || (r.file === 'bundle' && unverified(p));
    return {
      argv: ['verify', bundleFile, '--vkey', join(fixtures.buildDir, 'vkey.json'), '--opening', openingFile, '--input', fixtures.samplePath],
      expect: free ? 'any' : 'reject',
      label: `${r.file} ${p.join('.')} ${r.mutation}`,
    };
  },
};
