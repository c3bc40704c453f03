/**
 * Examples as users read them: the `zkinfer` command lines of the ```sh blocks of a Markdown
 * page (or of one section of it) and the "Example:" lines of every command's --help, run with
 * bash in a scratch directory the way a user would type them (`npx zkinfer` and `zkinfer` both
 * reach this checkout's bin/zkinfer through a shim on PATH: npx would ask the registry).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { CLI, MODELS } from './paths.js';

/** One command line of a document, continuation lines joined, comment dropped. */
export interface Example {
  /** Where it was found: `README.md:42` or `zkinfer prove --help`. */
  readonly where: string;
  readonly command: string;
}

/** Drops a trailing ` # comment` outside quotes (the examples' comments are prose, not shell). */
function dropComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) quote = c === quote ? undefined : quote;
    else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i).trimEnd();
  }
  return line.trimEnd();
}

/** Every command line of the ```sh blocks of `markdown` (continuations joined), with its line number. */
export function shCommands(markdown: string, file: string): Example[] {
  const lines = markdown.split('\n');
  const out: Example[] = [];
  let inSh = false;
  let inFence = false;
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\w*)/.exec(lines[i]!);
    if (fence) {
      inSh = !inFence && ['sh', 'bash', 'shell'].includes(fence[1]!);
      inFence = !inFence;
      continue;
    }
    if (!inSh) continue;
    const start = i;
    let cmd = dropComment(lines[i]!);
    while (cmd.endsWith('\\') && i + 1 < lines.length) cmd = cmd.slice(0, -1) + ' ' + dropComment(lines[++i]!.trim());
    if (cmd.trim()) out.push({ where: `${file}:${start + 1}`, command: cmd.trim() });
  }
  return out;
}

/** The lines that run zkinfer (`zkinfer …` or `npx zkinfer …`). */
export function zkinferCommands(examples: readonly Example[]): Example[] {
  return examples.filter((e) => /^(npx )?zkinfer( |$)/.test(e.command));
}

/** The text of the section under `heading` (a line `## heading`), up to the next heading of its level or above. */
export function section(markdown: string, heading: string): string {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => /^#+ /.test(l) && l.replace(/^#+ /, '') === heading);
  assert.ok(start >= 0, `no section "${heading}"`);
  const level = /^#+/.exec(lines[start]!)![0].length;
  const end = lines.findIndex((l, i) => i > start && /^#+ /.test(l) && /^#+/.exec(l)![0].length <= level);
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

/** Every command of the tree with its full name (`dataset commit`) and its --help text. */
export function helpTexts(root: Command): Array<{ name: string; help: string }> {
  const out: Array<{ name: string; help: string }> = [];
  const walk = (c: Command, prefix: string): void => {
    for (const sub of c.commands) {
      const name = `${prefix}${sub.name()}`;
      let help = '';
      sub.configureOutput({ writeOut: (s) => void (help += s), writeErr: (s) => void (help += s) });
      sub.outputHelp();
      out.push({ name, help });
      walk(sub, `${name} `);
    }
  };
  walk(root, '');
  return out;
}

/** The indented `zkinfer …` lines under "Example:" / "Examples:" of a help text. */
export function helpExamples(name: string, help: string): Example[] {
  const lines = help.split('\n');
  const out: Example[] = [];
  let inExamples = false;
  for (const l of lines) {
    if (/^Examples?:\s*$/.test(l)) inExamples = true;
    else if (!/^\s+\S/.test(l)) inExamples = false;
    else if (inExamples && /^\s+zkinfer /.test(l))
      out.push({ where: `zkinfer ${name} --help`, command: dropComment(l.trim()) });
  }
  return out;
}

/** A scratch directory laid out like a fresh clone as far as examples see it: models/ (a symlink) and nothing else. */
export function scratchClone(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  symlinkSync(MODELS, join(dir, 'models'));
  return dir;
}

/** Outcome of one example. */
export interface ExampleRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `command` with bash in `cwd`. `zkinfer` is this checkout's CLI; the key store lives in
 * `cwd`/.config (never the user's); CI variables of the machine running the tests are removed
 * so the output is what a user's terminal gets.
 */
export function runExample(command: string, cwd: string): ExampleRun {
  const bin = join(cwd, '.bin');
  mkdirSync(bin, { recursive: true });
  const shim = join(bin, 'zkinfer');
  writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
  chmodSync(shim, 0o755);
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}` };
  for (const k of ['GITHUB_ACTIONS', 'GITHUB_STEP_SUMMARY', 'ZKINFER_QUEUE']) delete env[k];
  env['ZKINFER_CONFIG_DIR'] = join(cwd, '.config');
  const r = spawnSync('bash', ['-eo', 'pipefail', '-c', command.replace(/\bnpx zkinfer\b/g, 'zkinfer')], {
    cwd,
    env,
    encoding: 'utf8',
    timeout: 600_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs an example and asserts exit 0, showing where it came from and its output when not. */
export function runExampleOk(e: Example, cwd: string): ExampleRun {
  const r = runExample(e.command, cwd);
  assert.equal(
    r.code,
    0,
    `${e.where}: ${e.command}\nexit ${r.code}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`,
  );
  return r;
}
