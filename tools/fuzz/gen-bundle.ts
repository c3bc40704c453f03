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
import { artifactPath, bundlePathNamed, openingPathFor } from '../../src/formats/paths.js';
import { UNVERIFIED_FIELDS } from '../../src/formats/bundle.js';
import type { Fixtures } from './fixtures.js';
import type { FuzzGenerator } from './harness.js';
import { MUTATIONS, mutateAt, paths, type Mutation, type Path } from './mutate-json.js';

/** A recipe: which file, which path (index into its path list), which mutation. */
type BundleRecipe = { file: 'bundle' | 'opening'; at: number; mutation: Mutation };

/** Whether a change at `p` of the bundle may be accepted: the fields nothing verifies. */
function unverified(p: Path): boolean {
  const dotted = p.filter((k) => typeof k === 'string').join('.');
  return UNVERIFIED_FIELDS.some((f) => dotted === f || dotted.startsWith(`${f}.`));
}

/** Bundles and openings of the fixture build, mutated one node at a time, through `verify`. */
export const bundles: FuzzGenerator<Fixtures, BundleRecipe> = {
  name: 'bundle / opening',
  weight: 3,
  arbitrary: () =>
    fc.record({
      file: fc.constantFrom('bundle' as const, 'bundle' as const, 'opening' as const),
      at: fc.nat(100_000),
      mutation: fc.constantFrom(...MUTATIONS),
    }),
  materialize(r, { dir, fixtures }) {
    const bundle = JSON.parse(readFileSync(fixtures.bundlePath, 'utf8')) as unknown;
    const opening = JSON.parse(readFileSync(fixtures.openingPath, 'utf8')) as unknown;
    const target = r.file === 'bundle' ? bundle : opening;
    const all = paths(target);
    const p = all[r.at % all.length]!;
    const changed = mutateAt(target, p, r.mutation);
    const bundleFile = bundlePathNamed(dir, 'x');
    const openingFile = openingPathFor(bundleFile);
    writeFileSync(bundleFile, JSON.stringify(bundle));
    writeFileSync(openingFile, JSON.stringify(opening));
    const free = !changed || (r.file === 'bundle' && unverified(p));
    return {
      argv: [
        'verify',
        bundleFile,
        '--vkey',
        artifactPath(fixtures.buildDir, 'vkey'),
        '--opening',
        openingFile,
        '--input',
        fixtures.samplePath,
      ],
      expect: free ? 'any' : 'reject',
      label: `${r.file} ${p.join('.')} ${r.mutation}`,
    };
  },
};
