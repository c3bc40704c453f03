/**
 * The fuzz harness: runs one generated case through the real CLI entry point, in process
 * (`main(argv)` from src/cli/main.ts, no child process, so thousands of cases are cheap), and
 * classifies the outcome against the documented contract: exit 0/1/2, exactly one stderr line
 * for 1 and 2, no stack trace, no partial artifact, no exit 0 where the case must be refused.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type fc from 'fast-check';
import { main } from '../../src/cli/main.js';

/** What a generator hands the harness: a command line and what must (not) happen. */
export interface FuzzCase {
  readonly argv: string[];
  /** `reject`: exit 0 would be wrong; `accept`: anything but exit 0 is wrong; `any`: either, if clean. */
  readonly expect: 'reject' | 'accept' | 'any';
  /** Paths that must not exist after a failed command (bundles, output directories). */
  readonly outputs?: readonly string[];
  /** One line describing the mutation, shown for failures. */
  readonly label: string;
}

/** Where a generator writes its files, and the shared fixtures (a proven build directory etc.). */
export interface CaseContext<F = unknown> {
  /** A fresh, empty directory for this case. */
  readonly dir: string;
  readonly fixtures: F;
}

/**
 * A class of fuzz cases: a fast-check arbitrary of plain-data recipes and a function writing
 * one recipe's files into a case directory. Adding a class is a new object of this shape plus
 * one line in tools/fuzz/generators.ts.
 */
export interface FuzzGenerator<F = unknown, T = unknown> {
  /** Row name in the outcome table. */
  readonly name: string;
  /** Relative frequency among all generators. */
  readonly weight: number;
  readonly arbitrary: (fixtures: F) => fc.Arbitrary<T>;
  readonly materialize: (recipe: T, ctx: CaseContext<F>) => FuzzCase;
}

/** Outcome columns: the first three are fine, every other one is a defect. */
export const OUTCOMES = [
  'exit 0',
  'exit 1',
  'exit 2',
  'exit 3 (bug)',
  'stack trace',
  'stderr lines ≠ 1',
  'partial artifact',
  'wrongly accepted',
  'wrongly refused',
  'threw',
  'hang',
] as const;
export type Outcome = (typeof OUTCOMES)[number];
/** The defect columns (must stay 0). */
export const BAD_OUTCOMES: readonly Outcome[] = OUTCOMES.slice(3);

/** Result of one case. */
export interface CaseResult {
  readonly code: number | undefined;
  readonly stderr: string;
  readonly outcomes: Outcome[];
}

/** Every file and directory under `dir`. */
function walk(dir: string): Array<{ path: string; isDir: boolean }> {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    const isDir = statSync(p).isDirectory();
    return [{ path: p, isDir }, ...(isDir ? walk(p) : [])];
  });
}

/** Runs `main(argv)` in process with stdout and stderr captured; never rejects. */
export async function runCaptured(
  argv: string[],
  timeoutMs = 120_000,
): Promise<{ code?: number; stdout: string; stderr: string; threw?: unknown; hung?: boolean }> {
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  let stderr = '';
  let stdout = '';
  // zkinfer writes strings; binary chunks are node:test's own event stream (in a test run), passed on.
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (typeof chunk !== 'string') return (out as (...a: unknown[]) => boolean)(chunk, ...rest);
    stdout += chunk;
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stderr.write;
  let timer: NodeJS.Timeout | undefined;
  try {
    const hang = new Promise<'hang'>((r) => (timer = setTimeout(() => r('hang'), timeoutMs)));
    const r = await Promise.race([main(argv), hang]);
    return r === 'hang' ? { stdout, stderr, hung: true } : { code: r, stdout, stderr };
  } catch (e) {
    return { stdout, stderr, threw: e };
  } finally {
    clearTimeout(timer);
    process.stdout.write = out;
    process.stderr.write = err;
    process.exitCode = 0;
  }
}

/** Runs one case in `dir` and classifies it. */
export async function runCase(c: FuzzCase, dir: string, timeoutMs = 120_000): Promise<CaseResult> {
  const r = await runCaptured(c.argv, timeoutMs);
  const outcomes: Outcome[] = [];
  if (r.hung) outcomes.push('hang');
  else if (r.threw !== undefined) outcomes.push('threw');
  else outcomes.push(r.code === 0 ? 'exit 0' : r.code === 1 ? 'exit 1' : r.code === 2 ? 'exit 2' : 'exit 3 (bug)');
  if (/\n\s+at .+:\d+:\d+\)?/.test(r.stderr) || /^\s+at /m.test(r.stderr)) outcomes.push('stack trace');
  // The error lines: `zkinfer: …` (not `zkinfer: warning: …`) or commander's `error: …`. Warnings,
  // stage lines and progress are messages on stderr too, and any number of them is fine.
  const lines = r.stderr.split('\n').filter((l) => /^(zkinfer: (?!warning: )|error: )/.test(l));
  if ((r.code === 1 || r.code === 2) && lines.length !== 1) outcomes.push('stderr lines ≠ 1');
  const entries = walk(dir);
  const tempLeft = entries.some((e) => /\.tmp(-|$)|\.\d+\.[0-9a-f]+\.tmp$/.test(e.path));
  const failedOutputs = r.code !== 0 && (c.outputs ?? []).some((p) => existsSync(p));
  if (tempLeft || failedOutputs) outcomes.push('partial artifact');
  if (r.code === 0 && c.expect === 'reject') outcomes.push('wrongly accepted');
  if (r.code !== 0 && c.expect === 'accept') outcomes.push('wrongly refused');
  return { code: r.code, stderr: r.stderr, outcomes };
}
