/**
 * Runs one benchmark item in a fresh Node process and collects the one JSON line it prints.
 * A fresh process per item makes `maxRSS` (a process-wide high-water mark) mean "peak memory
 * of this item" instead of "of everything measured so far".
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Prefix of the result line, so stray library output on stdout cannot be mistaken for it. */
export const RESULT_PREFIX = 'ZKINFER_BENCH_RESULT ';

/** Prints the child's result line; call once, at the end of a child entry file. */
export function reportResult(result: unknown): void {
  process.stdout.write(RESULT_PREFIX + JSON.stringify(result) + '\n');
}

/** Peak resident set size of this process so far, in MiB (`maxRSS` is in KiB). */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/**
 * Runs `entry` (a file next to this one, e.g. `bench-model.js`) with `args` as its single
 * JSON argument and resolves to its parsed result.
 * @throws when the child exits without printing a result (its stderr tail is in the message).
 */
export function runChild<T>(entry: string, args: unknown): Promise<T> {
  const file = fileURLToPath(new URL(entry, import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (line) resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as T);
      else
        reject(
          new Error(`${entry} exited with code ${code} and no result: ${err.trim().split('\n').slice(-5).join(' | ')}`),
        );
    });
  });
}
