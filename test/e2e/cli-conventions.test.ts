/**
 * What users expect of any CLI: --version, shell completion (bash), --quiet, NO_COLOR /
 * --no-color, progress only on a terminal, and `npx zkinfer` without npm warnings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zkinfer, zkinferOk } from '../helpers/cli.js';
import { ROOT } from '../helpers/paths.js';
import { configureTerminal, isInteractive, useColor } from '../../src/runtime/terminal.js';
import { createProgressReporter, createTaskProgress } from '../../src/runtime/progress.js';
import { info, warn } from '../../src/cli/output.js';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

test('--version and -V print the package version', () => {
  assert.equal(zkinferOk(['--version']).stdout.trim(), VERSION);
  assert.equal(zkinferOk(['-V']).stdout.trim(), VERSION);
});

/** Sources the bash completion script, completes `words` (the last one being typed), prints the offers. */
function complete(script: string, words: string[]): string[] {
  const arr = words.map((w) => `'${w}'`).join(' ');
  const r = spawnSync(
    'bash',
    [
      '-c',
      `source "$1"; COMP_WORDS=(zkinfer ${arr}); COMP_CWORD=${words.length}; _zkinfer; printf '%s\\n' "\${COMPREPLY[@]}"`,
      'x',
      script,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean);
}

test('completion bash: parses, offers subcommands, nested subcommands and each command’s flags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zkinfer-completion-'));
  try {
    const script = join(dir, 'zkinfer.bash');
    writeFileSync(script, zkinferOk(['completion', 'bash']).stdout);
    const syntax = spawnSync('bash', ['-n', script], { encoding: 'utf8' });
    assert.equal(syntax.status, 0, syntax.stderr);
    const top = complete(script, ['']);
    for (const c of ['run', 'verify', 'prove', 'keys', 'ceremony', 'completion', '--version'])
      assert.ok(top.includes(c), c);
    assert.deepEqual(complete(script, ['ke']), ['keys']);
    assert.deepEqual(complete(script, ['keys', 'a']), ['add']);
    // Flags of the command named so far, past positional arguments and other flags.
    assert.deepEqual(complete(script, ['verify', 'b.proof.json', '--vkey-h']), ['--vkey-hash']);
    assert.ok(complete(script, ['ceremony', 'init', 'build', '--']).includes('--ptau'));
    assert.ok(complete(script, ['prove', '--q']).includes('--quiet'), 'global flags follow every command');
    assert.ok(!complete(script, ['prove', '--']).includes('--vkey'), 'no flags of other commands');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('completion zsh is a compdef script; another shell is a one-line error', () => {
  const zsh = zkinferOk(['completion', 'zsh']).stdout;
  assert.match(zsh, /^#compdef zkinfer/);
  assert.match(zsh, /'keys'\) echo 'add list remove/);
  const bad = zkinfer(['completion', 'fish']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'zkinfer: completion: unknown shell "fish" (supported: bash, zsh)\n');
});

test('--quiet keeps results and errors; works before or after the command', () => {
  assert.equal(zkinferOk(['--quiet', '--version']).stdout.trim(), VERSION);
  assert.match(zkinferOk(['completion', 'bash', '--quiet']).stdout, /complete -o default/);
  const missing = zkinfer(['--quiet', 'verify', 'no-such.proof.json', '--allow-unpinned']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^zkinfer: .*no-such\.proof\.json/);
});

/** Captures what `fn` writes on process.stderr. */
function stderrOf(fn: () => void): string {
  const write = process.stderr.write.bind(process.stderr);
  let text = '';
  process.stderr.write = ((s: string) => ((text += s), true)) as typeof process.stderr.write;
  try {
    fn();
  } finally {
    process.stderr.write = write;
  }
  return text;
}

/** A stream that says it is a terminal and records what is drawn on it. */
function fakeTty(): NodeJS.WriteStream & { text: string } {
  const s = { isTTY: true, text: '', write: (x: string) => ((s.text += x), true) };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

test('one rule for progress, messages and color: TTY only, --quiet, --json, NO_COLOR, --no-color', (t) => {
  t.after(() => configureTerminal({}));
  const tty = fakeTty();
  configureTerminal({});
  assert.equal(isInteractive(tty), true);
  assert.equal(isInteractive({ isTTY: false }), false, 'a pipe gets no progress');
  assert.equal(
    stderrOf(() => info('stage done')),
    'stage done\n',
  );

  configureTerminal({ json: true });
  assert.equal(isInteractive(tty), false, '--json: nothing drawn in place');

  configureTerminal({ quiet: true });
  assert.equal(isInteractive(tty), false);
  assert.equal(
    stderrOf(() => info('stage done')),
    '',
    '--quiet silences informational lines',
  );
  assert.equal(
    stderrOf(() => warn('careful')),
    'zkinfer: warning: careful\n',
    'never warnings',
  );
  const bar = createProgressReporter({ stream: tty });
  bar.update({ done: 1, total: 2, proved: 1, skipped: 0, failed: 0, seconds: 1 });
  bar.finish();
  const task = createTaskProgress('hashing', { stream: tty });
  task.update('hashing', 1, 2);
  task.finish();
  assert.equal(tty.text, '', '--quiet draws no progress');

  configureTerminal({});
  const saved = process.env['NO_COLOR'];
  try {
    delete process.env['NO_COLOR'];
    assert.equal(useColor(tty), true);
    assert.equal(useColor({ isTTY: false }), false);
    process.env['NO_COLOR'] = '1';
    assert.equal(useColor(tty), false, 'NO_COLOR');
    delete process.env['NO_COLOR'];
    configureTerminal({ noColor: true });
    assert.equal(useColor(tty), false, '--no-color');
  } finally {
    if (saved === undefined) delete process.env['NO_COLOR'];
    else process.env['NO_COLOR'] = saved;
  }
});

test('npm reads the project config without warnings (no unknown .npmrc key, as `npx zkinfer` printed)', () => {
  // `npm pkg get` loads the project's config exactly as `npx zkinfer` does, without what `npx`
  // does to a project directory on first use (packing it, which runs `prepare` and rewrites dist/
  // under the other test files running at the same time).
  const r = spawnSync('npm', ['pkg', 'get', 'version'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout), VERSION);
  assert.doesNotMatch(r.stderr, /npm warn/i);
});
