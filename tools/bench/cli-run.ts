/**
 * Running the real CLI (bin/zkinfer) from a bench as a child process, with its wall time and peak
 * RSS (tools/bench/rss-report.ts, preloaded), and `zkinfer worker` processes that can be killed
 * and restarted. Used by the accuracy-scale section (tools/bench/bench-accuracy-scale.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const CLI = fileURLToPath(new URL('../../../bin/zkinfer', import.meta.url));
const RSS_REPORT = pathToFileURL(fileURLToPath(new URL('rss-report.js', import.meta.url))).href;

/** One finished CLI run. */
export interface CliResult {
  readonly args: readonly string[];
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
  /** Peak RSS of the process (all threads), MiB; NaN when it did not report (killed). */
  readonly peakRssMiB: number;
}

/** A running CLI process: `done` resolves when it exits. */
export interface CliProcess {
  readonly proc: ChildProcess;
  readonly done: Promise<CliResult>;
}

/** Starts `zkinfer ...args`; `onStderr` sees its stderr as it comes. */
export function startCli(args: readonly string[], onStderr?: (text: string) => void): CliProcess {
  const dir = mkdtempSync(join(tmpdir(), 'zkinfer-rss-'));
  const rssFile = join(dir, 'maxrss');
  const t0 = performance.now();
  const proc = spawn(process.execPath, ['--import', RSS_REPORT, CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ZKINFER_BENCH_RSS_FILE: rssFile },
  });
  let stdout = '';
  let stderr = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    onStderr?.(d);
  });
  const done = new Promise<CliResult>((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', (code) => {
      const seconds = (performance.now() - t0) / 1000;
      const kib = existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8')) : NaN;
      rmSync(dir, { recursive: true, force: true });
      resolve({ args, code, stdout, stderr, seconds, peakRssMiB: kib / 1024 });
    });
  });
  return { proc, done };
}

/** Runs `zkinfer ...args` to the end; throws (with its last stderr lines) unless it exits 0. */
export async function runCli(args: readonly string[]): Promise<CliResult> {
  const r = await startCli(args).done;
  if (r.code !== 0)
    throw new Error(
      `zkinfer ${args.slice(0, 2).join(' ')} exited ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
  return r;
}

/** `--json` output of a CLI run. */
export const json = <T>(r: CliResult): T => JSON.parse(r.stdout) as T;

/** A `zkinfer worker BUILD --queue URL --concurrency 1` process. */
export interface WorkerHandle {
  readonly cli: CliProcess;
  /** Resolves once the worker says it serves (or after `readySeconds` if it never says so). */
  readonly ready: Promise<void>;
}

/** Starts a worker; its ready line is the one `zkinfer worker` prints for single-inference jobs too. */
export function startWorker(buildDir: string, url: string, readySeconds = 60): WorkerHandle {
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const timer = setTimeout(markReady, readySeconds * 1000);
  const cli = startCli(
    ['worker', buildDir, '--queue', url, '--concurrency', '1', '--poll-seconds', '0.2'],
    (text) => /worker for key|serving|waiting for jobs/i.test(text) && markReady(),
  );
  void cli.done.then(() => {
    clearTimeout(timer);
    markReady();
  });
  return { cli, ready };
}

/** Stops a worker with `signal` and waits for it to exit (no-op when it already has). */
export async function stopWorker(w: WorkerHandle, signal: NodeJS.Signals): Promise<CliResult> {
  const p = w.cli.proc;
  if (p.exitCode === null && p.signalCode === null) p.kill(signal);
  return w.cli.done;
}

/**
 * Stops a worker with SIGTERM (it finishes its job and exits, so it reports its peak RSS), and
 * with SIGKILL if it has not exited after `graceSeconds`.
 */
export async function stopWorkerGracefully(w: WorkerHandle, graceSeconds = 30): Promise<CliResult> {
  const timer = setTimeout(() => w.cli.proc.kill('SIGKILL'), graceSeconds * 1000);
  try {
    return await stopWorker(w, 'SIGTERM');
  } finally {
    clearTimeout(timer);
  }
}
