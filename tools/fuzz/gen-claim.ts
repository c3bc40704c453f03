/**
 * Fuzz classes for accuracy claims and labelled datasets. Claims: one node of the fixture's
 * honest claim (4 samples, 2 chunks) is mutated as in gen-bundle.ts and verified with the
 * pinned chunk key and the published dataset commitment; only the prover's unverified report,
 * the tool and the time may change freely. Datasets: one JSON-lines sample is mutated (its
 * input as in gen-inputs.ts, or its label) and committed with `dataset commit`.
 */
import fc from 'fast-check';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Fixtures } from './fixtures.js';
import type { FuzzGenerator } from './harness.js';
import { MUTATIONS, mutateAt, paths, type Mutation } from './mutate-json.js';
import { UNVERIFIED_CLAIM_FIELDS } from '../../src/accuracy/verify-claim.js';

type ClaimRecipe = { at: number; mutation: Mutation };

/** The fixture claim, one node mutated, through `verify CLAIM`. */
export const claims: FuzzGenerator<Fixtures, ClaimRecipe> = {
  name: 'accuracy claim',
  weight: 2,
  arbitrary: () => fc.record({ at: fc.nat(100_000), mutation: fc.constantFrom(...MUTATIONS) }),
  materialize(r, { dir, fixtures }) {
    const claim = JSON.parse(readFileSync(fixtures.claim.path, 'utf8')) as unknown;
    const all = paths(claim);
    const p = all[r.at % all.length]!;
    const changed = mutateAt(claim, p, r.mutation);
    const file = join(dir, 'claim.json');
    writeFileSync(file, JSON.stringify(claim));
    const dotted = p.filter((k) => typeof k === 'string').join('.');
    const free = !changed || UNVERIFIED_CLAIM_FIELDS.some((f) => dotted === f || dotted.startsWith(`${f}.`));
    return {
      argv: [
        'verify',
        file,
        '--vkey',
        fixtures.claim.vkeyPath,
        '--dataset-commitment',
        fixtures.claim.datasetCommitment,
      ],
      expect: free ? 'any' : 'reject',
      label: `claim ${p.join('.')} ${r.mutation}`,
    };
  },
};

type DatasetRecipe = { line: number; field: 'input' | 'label'; value: number };

/** Replacement values: index < 3 are valid labels or inputs, the rest must be refused. */
const LABELS: readonly unknown[] = [0, 9, 3, -1, 10, 1.5, '3', null, 'NaN', 1e9, true];

/** A labelled JSON-lines dataset with one line mutated, through `dataset commit`. */
export const datasets: FuzzGenerator<Fixtures, DatasetRecipe> = {
  name: 'dataset JSONL',
  weight: 1,
  arbitrary: () =>
    fc.record({
      line: fc.nat(3),
      field: fc.constantFrom('input' as const, 'label' as const),
      value: fc.nat(LABELS.length - 1),
    }),
  materialize(r, { dir, fixtures }) {
    const lines = readFileSync(fixtures.claim.datasetPath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { input: unknown[]; label: unknown });
    const row = lines[r.line % lines.length]!;
    const v = LABELS[r.value];
    if (r.field === 'label') row.label = v;
    // A wrong length, or a value that is not a number.
    else if (r.value >= 3) row.input = r.value % 2 ? row.input.slice(1) : [String(v), ...row.input.slice(1)];
    const file = join(dir, 'data.jsonl');
    writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const out = join(dir, 'out');
    return {
      argv: ['dataset', 'commit', file, '--build', fixtures.buildDir, '--chunk', '2', '--out', out, '--json'],
      expect: r.value < 3 ? 'accept' : 'reject',
      outputs: [out],
      label: `dataset line ${r.line % lines.length} ${r.field} = ${JSON.stringify(v)}`,
    };
  },
};
