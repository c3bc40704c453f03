/**
 * Running the command-line interface from tests: bin/zkinfer in a child process from the
 * repository root, as a user would.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { CLI, ROOT } from './paths.js';

/** Outcome of one CLI run. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs bin/zkinfer with `args` from the repository root. */
export function zkinfer(args: readonly string[]): CliRun {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs bin/zkinfer and asserts exit 0, showing its output when not. */
export function zkinferOk(args: readonly string[]): CliRun {
  const r = zkinfer(args);
  assert.equal(r.code, 0, `zkinfer ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
  return r;
}
