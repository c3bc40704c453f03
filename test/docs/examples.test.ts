/**
 * Every example runs as written: each `zkinfer` line of the ```sh blocks of README.md and
 * docs/*.md, and each "Example:" line of every command's --help, run in order per source in a
 * scratch directory laid out like a fresh clone (models/ and nothing else). Docs pages that
 * start from "the build of the README's first walkthrough" get a copy of that build, made once.
 * Examples that cannot run here are skipped by an explicit entry with its reason; an entry that
 * no longer matches an example fails the test, so the list cannot go stale.
 *
 * docs/cli.md is generated from --help, so its examples are run from --help itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { program } from '../../src/cli/main.js';
import { ROOT } from '../helpers/paths.js';
import {
  helpExamples,
  helpTexts,
  runExampleOk,
  scratchClone,
  section,
  shCommands,
  zkinferCommands,
  type Example,
} from '../helpers/doc-examples.js';

/** An example not run here: where (`README.md`, `help`, a docs page), a substring of its command (or a pattern), why. */
interface Skip {
  readonly source: string;
  readonly match: string | RegExp;
  readonly reason: string;
}

const PTAU = 'needs a published powers-of-tau file (downloaded by `zkinfer ptau get`: network)';
const POSTGRES = 'needs a Postgres server (the URL is an example; test/queue/queue.test.ts runs the queue)';
const CEREMONY = 'a multi-party ceremony on a published ptau (test/setup/ceremony.test.ts runs one)';
const PLACEHOLDER = 'placeholder values the reader substitutes (a published hash or commitment)';

const SKIPS: readonly Skip[] = [
  { source: 'help', match: 'setup build/digits --ptau', reason: PTAU },
  { source: 'help', match: 'ptau get', reason: PTAU },
  { source: 'help', match: 'completion zsh >', reason: "installs into the user's ~/.zfunc" },
  { source: 'help', match: '--queue postgres://', reason: POSTGRES },
  { source: 'help', match: 'queue dev', reason: 'starts a Postgres server that runs until Ctrl-C' },
  { source: 'help', match: 'ceremony ', reason: CEREMONY },
  { source: 'help', match: 'verify BUNDLE', reason: `${PLACEHOLDER}; ${PTAU}` },
  {
    source: 'help',
    match: 'weights commit',
    reason: 'needs a build quantized with --weights hashed (the examples build has fixed weights)',
  },
  { source: 'help', match: '--dataset-commitment 0x…', reason: PLACEHOLDER },
  {
    source: 'help',
    match: '--chunk 21',
    reason: 'proves with a chunk-21 ceremony key (a ceremony on a published ptau)',
  },
  {
    source: 'help',
    match: /^zkinfer gate$/,
    reason: 'reads ./zkinfer.gate.json, which a fresh clone does not have',
  },
  { source: 'docs/accuracy.md', match: 'ceremony ', reason: CEREMONY },
  { source: 'docs/accuracy.md', match: '0x…', reason: PLACEHOLDER },
  { source: 'docs/audit.md', match: '<chunk key hash>', reason: PLACEHOLDER },
  { source: 'docs/queue.md', match: 'postgres://', reason: POSTGRES },
  { source: 'docs/queue.md', match: 'worker build/digits', reason: POSTGRES },
  { source: 'docs/queue.md', match: 'queue dev', reason: 'starts a Postgres server that runs until Ctrl-C' },
  { source: 'docs/queue.md', match: '$ZKINFER_QUEUE', reason: POSTGRES },
  { source: 'docs/security.md', match: 'ceremony ', reason: CEREMONY },
  { source: 'docs/json-output.md', match: 'completion zsh >', reason: "installs into the user's ~/.zfunc" },
  { source: 'docs/security.md', match: 'verify BUNDLE', reason: `${PLACEHOLDER}; ${PTAU}` },
];

/** README sections whose commands test/e2e/journeys.test.ts runs, each in its own fresh clone. */
const JOURNEYS = [
  'Walkthrough 1: prove my model',
  'Walkthrough 2: verify a file I was sent',
  'Walkthrough 3: gate a release in CI',
];

/**
 * The order the help examples run in: the pipeline's, so each finds what the one before made
 * (commander lists commands in registration order, which is not that). Every command with an
 * example must be here.
 */
const HELP_ORDER = [
  'quantize',
  'compile',
  'ptau info',
  'ptau get',
  'setup',
  'weights commit',
  'prove',
  'inspect',
  'keys add',
  'keys hash',
  'keys list',
  'keys remove',
  'verify',
  'export-verifier',
  'calldata',
  'run',
  'demo',
  'dataset commit',
  'accuracy',
  'audit',
  'gate',
  'schemas',
  'completion',
  'ceremony init',
  'ceremony contribute',
  'ceremony beacon',
  'ceremony verify',
  'ceremony finalize',
  'worker',
  'queue status',
  'queue collect',
  'queue dev',
];

/** Docs pages that begin from the README's first build (`build/digits`), as their text says. */
const NEEDS_BUILD = new Set(['docs/accuracy.md', 'docs/audit.md']);

function docExamples(): Map<string, Example[]> {
  const sources = new Map<string, Example[]>();
  let readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  for (const h of JOURNEYS) readme = readme.replace(section(readme, h), '');
  sources.set('README.md', zkinferCommands(shCommands(readme, 'README.md')));
  for (const f of readdirSync(join(ROOT, 'docs')).sort()) {
    if (!f.endsWith('.md') || f === 'cli.md') continue;
    const ex = zkinferCommands(shCommands(readFileSync(join(ROOT, 'docs', f), 'utf8'), `docs/${f}`));
    if (ex.length) sources.set(`docs/${f}`, ex);
  }
  return sources;
}

function helpSource(): Example[] {
  const byName = new Map(helpTexts(program()).map((h) => [h.name, helpExamples(h.name, h.help)]));
  const withExamples = [...byName].filter(([, ex]) => ex.length > 0).map(([n]) => n);
  assert.deepEqual(
    [...withExamples].sort(),
    [...HELP_ORDER].sort(),
    'HELP_ORDER must list exactly the commands whose --help has examples',
  );
  return HELP_ORDER.flatMap((n) => byName.get(n)!);
}

const used = new Set<Skip>();

/** The skip entries matching an example (every one is marked used, so none is shadowed into staleness). */
function skipOf(source: string, e: Example): Skip | undefined {
  const hits = SKIPS.filter(
    (k) => k.source === source && (typeof k.match === 'string' ? e.command.includes(k.match) : k.match.test(e.command)),
  );
  for (const s of hits) used.add(s);
  return hits[0];
}

/** Runs one source's examples in order in `dir`, skipping the listed ones; returns how many ran. */
function runAll(source: string, examples: readonly Example[], dir: string): number {
  let ran = 0;
  for (const e of examples) {
    if (skipOf(source, e)) continue;
    runExampleOk(e, dir);
    ran++;
  }
  return ran;
}

let base: string | undefined;

/** The README's first build, made once with the README's own command and copied per page. */
function baseBuild(): string {
  if (base) return base;
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const runLine = zkinferCommands(shCommands(section(readme, JOURNEYS[0]!), 'README.md')).find((e) =>
    /zkinfer run .* --out build\/digits/.test(e.command),
  );
  assert.ok(runLine, 'walkthrough 1 builds build/digits with `zkinfer run`');
  base = scratchClone('zkinfer-examples-base-');
  runExampleOk(runLine, base);
  return base;
}

test('every README and docs example runs as written (in order per page)', async (t) => {
  for (const [source, examples] of docExamples()) {
    await t.test(source, () => {
      const dir = scratchClone('zkinfer-examples-');
      try {
        if (NEEDS_BUILD.has(source)) cpSync(join(baseBuild(), 'build'), join(dir, 'build'), { recursive: true });
        runAll(source, examples, dir);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

test('every Example: line of every --help runs as written (in pipeline order)', () => {
  const dir = scratchClone('zkinfer-examples-help-');
  try {
    assert.ok(runAll('help', helpSource(), dir) >= 15);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the skip list has no stale entries and every entry says why', () => {
  // Matching needs no run: re-scan the examples (the runs above also mark what they skipped).
  for (const [source, examples] of docExamples()) for (const e of examples) skipOf(source, e);
  for (const e of helpSource()) skipOf('help', e);
  for (const s of SKIPS) {
    assert.ok(used.has(s), `skip entry matches no example any more: ${s.source}: ${String(s.match)}`);
    assert.ok(s.reason.length > 10, `skip entry without a reason: ${s.source}: ${String(s.match)}`);
  }
});

test.after(() => {
  if (base) rmSync(base, { recursive: true, force: true });
});
