/**
 * `npm run fuzz -- --cases N --seed S`: draws N cases from the generators in
 * tools/fuzz/generators.ts with a fixed seed, runs each through the CLI in process, and prints
 * a table of classes × outcomes (plus every defect with its mutation). Exit 1 when any
 * defect column is non-zero. The fuzz suite lives in tools/fuzz/ beside tools/bench/ and
 * tools/conformance/: runners compiled with the product but never imported by it.
 */
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { shutdown } from '../../src/runtime/curve.js';
import { Fixtures, makeFixtures } from './fixtures.js';
import { GENERATORS } from './generators.js';
import { BAD_OUTCOMES, FuzzGenerator, Outcome, OUTCOMES, runCase } from './harness.js';

/** Options of {@link runFuzz}. */
export interface FuzzOptions {
  readonly cases: number;
  readonly seed: number;
  /** Called after each case (progress). */
  readonly onCase?: (done: number, total: number) => void;
}

/** One defect: the class, the mutation, what went wrong and the stderr. */
export interface FuzzDefect {
  readonly generator: string;
  readonly label: string;
  readonly argv: string[];
  readonly outcomes: Outcome[];
  readonly stderr: string;
}

/** Counts per class and outcome, and the defects. */
export interface FuzzReport {
  readonly cases: number;
  readonly seed: number;
  readonly table: Record<string, Record<Outcome, number>>;
  readonly defects: FuzzDefect[];
  readonly seconds: number;
}

/** Runs `cases` generated cases (deterministic for a seed) and tallies the outcomes. */
export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const t0 = performance.now();
  const root = mkdtempSync(join(tmpdir(), 'zkinfer-fuzz-'));
  try {
    const fixtures: Fixtures = await makeFixtures(join(root, 'fixtures'));
    const pick = fc.oneof(
      ...GENERATORS.map((g) => ({
        weight: g.weight,
        arbitrary: g.arbitrary(fixtures).map((recipe) => ({ g, recipe })),
      })),
    );
    const drawn = fc.sample(pick, { seed: opts.seed, numRuns: opts.cases }) as Array<{
      g: FuzzGenerator<Fixtures>;
      recipe: unknown;
    }>;
    const table: FuzzReport['table'] = {};
    const defects: FuzzDefect[] = [];
    for (const [i, { g, recipe }] of drawn.entries()) {
      const dir = join(root, `case-${i}`);
      mkdirSync(dir);
      const c = g.materialize(recipe, { dir, fixtures });
      const r = await runCase(c, dir);
      const row = (table[g.name] ??= Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>);
      for (const o of r.outcomes) row[o]++;
      const bad = r.outcomes.filter((o) => BAD_OUTCOMES.includes(o));
      if (bad.length > 0)
        defects.push({
          generator: g.name,
          label: c.label,
          argv: c.argv,
          outcomes: bad,
          stderr: r.stderr.slice(0, 2000),
        });
      rmSync(dir, { recursive: true, force: true });
      opts.onCase?.(i + 1, drawn.length);
    }
    return { cases: drawn.length, seed: opts.seed, table, defects, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await shutdown();
    rmSync(root, { recursive: true, force: true });
  }
}

/** The report as a Markdown table (classes × outcomes, with a total row). */
export function formatFuzzTable(r: FuzzReport): string {
  const head = `| class | cases | ${OUTCOMES.join(' | ')} |\n| --- | ---: | ${OUTCOMES.map(() => '---:').join(' | ')} |`;
  const total = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  const rows = Object.entries(r.table).map(([name, row]) => {
    const n = row['exit 0'] + row['exit 1'] + row['exit 2'] + row['exit 3 (bug)'] + row['threw'] + row['hang'];
    for (const o of OUTCOMES) total[o] += row[o];
    return `| ${name} | ${n} | ${OUTCOMES.map((o) => row[o]).join(' | ')} |`;
  });
  return [head, ...rows, `| **all** | ${r.cases} | ${OUTCOMES.map((o) => total[o]).join(' | ')} |`].join('\n');
}

function flag(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${name} needs a non-negative integer`);
  return v;
}

async function cli(): Promise<void> {
  const args = process.argv.slice(2);
  const cases = flag(args, '--cases', 500);
  const seed = flag(args, '--seed', 14);
  const tty = process.stderr.isTTY;
  const report = await runFuzz({
    cases,
    seed,
    onCase: (d, n) => {
      if (tty || d % 250 === 0 || d === n) process.stderr.write(`${tty ? '\r' : ''}fuzz ${d}/${n}${tty ? '' : '\n'}`);
    },
  });
  if (tty) process.stderr.write('\n');
  process.stdout.write(
    `\nzkinfer fuzz: ${report.cases} cases, seed ${report.seed}, ${report.seconds.toFixed(0)} s\n\n${formatFuzzTable(report)}\n\n`,
  );
  const defects = BAD_OUTCOMES.map(
    (o) => [o, report.defects.filter((d) => d.outcomes.includes(o)).length] as const,
  ).filter(([, n]) => n > 0);
  process.stdout.write(
    defects.length === 0
      ? 'no defects: every bad column is 0\n'
      : `defects: ${defects.map(([o, n]) => `${o} ${n}`).join(', ')}\n`,
  );
  for (const d of report.defects.slice(0, 50))
    process.stdout.write(
      `\n[${d.generator}] ${d.outcomes.join(', ')}: ${d.label}\n  zkinfer ${d.argv.join(' ')}\n  ${d.stderr.split('\n').slice(0, 6).join('\n  ')}\n`,
    );
  process.exitCode = report.defects.length > 0 ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await cli();
