/**
 * One output vocabulary for every command (docs/json-output.md):
 * - results on stdout, everything else on stderr: warnings (`zkinfer: warning: …`, always, even
 *   with --quiet), informational lines ({@link info}, silenced by --quiet), errors;
 * - with --json, stdout is exactly one JSON object per run: the command's result inside one
 *   envelope, `{ ok, command, zkinfer, …result, warnings, error? }`, also when the command fails
 *   (exit 1 or 2), so a script always has something to parse.
 * The result is printed when the command ends ({@link flushJsonOutput}, called by main.ts), because
 * only then are the exit code and every warning known.
 */
import { oneLine } from '../core/errors.js';
import { VERSIONS } from '../core/versions.js';
import { isQuiet } from '../runtime/terminal.js';

interface RunState {
  json: boolean;
  command?: string;
  warnings: string[];
  result?: object;
  failure?: string;
}

let state: RunState = { json: false, warnings: [] };

/** Starts a run: clears collected warnings and the pending result. `json` says whether --json was given. */
export function beginOutput(opts: { json: boolean }): void {
  state = { json: opts.json, warnings: [] };
}

/** Drops the pending result (printing it failed): a later flush prints the error envelope alone. */
export function discardJsonResult(): void {
  state.result = undefined;
}

/** Records the running command's full name (`verify`, `keys add`, …) for the envelope. */
export function setCommandName(name: string): void {
  state.command = name;
}

/** For commands whose only output is JSON (gate): errors become JSON objects too. */
export function setJsonOutput(): void {
  state.json = true;
}

/** True when stdout is reserved for one JSON object. */
export function isJsonOutput(): boolean {
  return state.json;
}

/** A warning: on stderr always, and in the `warnings` array of the JSON output. */
export function warn(message: string): void {
  const line = oneLine(message);
  state.warnings.push(line);
  process.stderr.write(`zkinfer: warning: ${line}\n`);
}

/** An informational line on stderr (stage names, where files went); --quiet silences it. */
export function info(message: string): void {
  if (!isQuiet()) process.stderr.write(`${message}\n`);
}

/**
 * Records the command's JSON result, printed when the command ends. `failure` is the one-line
 * reason for a non-zero exit (exit 1: which check failed), used as `error.message`.
 */
export function printJson(result: object, opts: { failure?: string } = {}): void {
  state.result = result;
  if (opts.failure !== undefined) state.failure = oneLine(opts.failure);
}

/**
 * Prints the JSON envelope when --json was given (or a result was recorded): `ok` is exit code
 * 0; on a non-zero exit, `error` carries the code and the message (`errorMessage`, else the
 * command's own failure line).
 */
export function flushJsonOutput(exitCode: number, errorMessage?: string): void {
  const { result, json } = state;
  if (result === undefined && !(json && exitCode !== 0)) return;
  const envelope: Record<string, unknown> = { ok: exitCode === 0 };
  if (state.command !== undefined) envelope['command'] = state.command;
  envelope['zkinfer'] = VERSIONS.zkinfer;
  // A failure before the command produced its result (exit 2) prints the envelope alone.
  if (result !== undefined && errorMessage === undefined) {
    for (const [k, v] of Object.entries(normalizeJson(result) as Record<string, unknown>))
      if (!(k in envelope) && k !== 'warnings' && k !== 'error') envelope[k] = v;
  }
  envelope['warnings'] = state.warnings;
  if (exitCode !== 0)
    envelope['error'] = {
      code: exitCode,
      message: errorMessage ?? state.failure ?? `${state.command ?? 'zkinfer'} failed (exit ${exitCode})`,
    };
  process.stdout.write(JSON.stringify(envelope) + '\n');
  state.result = undefined;
}

/** Keys renamed in every JSON output, so each idea has one name across commands. */
const RENAMED: Readonly<Record<string, string>> = {
  nConstraints: 'constraints',
  verified: 'valid',
  passed: 'ok',
};

/** Keys dropped: the envelope says them once (`zkinfer`, `warnings`, `error.code`). */
const DROPPED = new Set(['tool', 'warning', 'exitCode']);

/** Keys holding gas amounts: numbers (gas never nears 2^53, so a number is exact). */
const GAS = new Set(['gas', 'gasUsed', 'deployGas']);

const ms = (x: number): number => Math.round(x * 1000) / 1000;

/** A duration (or a per-second rate) in seconds, rounded to milliseconds. */
function isSecondsKey(k: string): boolean {
  return k === 'seconds' || k === 'timings' || k.endsWith('Seconds') || k.endsWith('PerSecond');
}

function roundAll(v: unknown): unknown {
  if (typeof v === 'number') return ms(v);
  if (v && typeof v === 'object' && !Array.isArray(v))
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, roundAll(x)]));
  return v;
}

/**
 * The vocabulary rules applied to a command's result: renamed keys ({@link RENAMED}), durations in
 * seconds rounded to milliseconds (`milliseconds: n` becomes `seconds`), gas as a number, and
 * the per-command version and warning keys dropped. Exported for tests.
 */
export function normalizeJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalizeJson);
  if (typeof v === 'bigint') return Number(v);
  if (!v || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (DROPPED.has(k) || x === undefined) continue;
    if (k === 'milliseconds' && typeof x === 'number') out['seconds'] = ms(x / 1000);
    else if (GAS.has(k) && (typeof x === 'string' || typeof x === 'bigint') && /^\d+$/.test(String(x)))
      out[k] = Number(x);
    else if (isSecondsKey(k)) out[k] = roundAll(x);
    else out[RENAMED[k] ?? k] = normalizeJson(x);
  }
  return out;
}
