/**
 * The README's three walkthroughs, each run top to bottom in a scratch directory laid out like
 * a fresh clone, with exactly the commands of its README section (read from README.md, never
 * copied here), then checked for what the section promises.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths.js';
import {
  runExampleOk,
  scratchClone,
  section,
  shCommands,
  zkinferCommands,
  type Example,
  type ExampleRun,
} from '../helpers/doc-examples.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** Runs every zkinfer command of one README section in a new scratch clone; returns the directory and outputs. */
function journey(heading: string): { dir: string; runs: Array<{ e: Example } & ExampleRun> } {
  const examples = zkinferCommands(shCommands(section(README, heading), 'README.md'));
  assert.ok(examples.length >= 2, `${heading}: expected a walkthrough, found ${examples.length} commands`);
  const dir = scratchClone('zkinfer-journey-');
  return { dir, runs: examples.map((e) => ({ e, ...runExampleOk(e, dir) })) };
}

test('walkthrough 1 (prove my model) runs as written and leaves a verifiable proof per sample', () => {
  const { dir, runs } = journey('Walkthrough 1: prove my model');
  try {
    assert.ok(runs.some((r) => /inspect models\//.test(r.e.command) && /every op is supported/.test(r.stdout)));
    assert.ok(runs.some((r) => /inspect build\//.test(r.e.command) && /constraints per op/.test(r.stdout)));
    for (let d = 0; d < 10; d++)
      assert.ok(existsSync(join(dir, `build/digits/proofs/digit-${d}.proof.json`)), `digit-${d}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('walkthrough 2 (verify a file I was sent) runs as written; the key store is what it trusts', () => {
  const { dir, runs } = journey('Walkthrough 2: verify a file I was sent');
  try {
    // The demo ends with the command to check its proof (a message: stderr): the README's next line, word for word.
    assert.match(runs[0]!.e.command, /zkinfer demo --out build\/sent/);
    assert.ok(runs[0]!.stderr.includes(runs[1]!.e.command.replace(/^npx /, '')), runs[0]!.stderr);
    const last = runs.at(-1)!;
    assert.match(last.e.command, /--json/);
    assert.equal(typeof JSON.parse(last.stdout), 'object');
    // The last verify names no key: it passed because `keys add` put the key in the store.
    assert.doesNotMatch(last.e.command, /--vkey/);
    assert.ok(existsSync(join(dir, '.config')), 'keys add wrote the scratch key store');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('walkthrough 3 (gate a release in CI) runs as written; gate.json is the JSON summary', () => {
  const { dir, runs } = journey('Walkthrough 3: gate a release in CI');
  try {
    assert.ok(runs[0]!.e.command.includes('> gate.json'));
    const summary = JSON.parse(readFileSync(join(dir, 'gate.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(summary['ok'], true, JSON.stringify(summary));
    assert.equal(summary['command'], 'gate');
    assert.ok(existsSync(join(dir, 'build/gate/claim.json')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
