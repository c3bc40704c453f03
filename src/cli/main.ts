/**
 * The zkinfer command line. Thin by design: parse flags, call one stage, print. Exit codes:
 * 0 success, 1 invalid proof (or a failed batch item), 2 user error (one line on stderr naming
 * the file and field), 3 a bug in zkinfer (one line; the stack only with --debug).
 */
import { Command, CommanderError } from 'commander';
import { oneLine, UnderconstrainedCircuitError, UserError } from '../core/errors.js';
import { VERSIONS } from '../core/versions.js';
import { shutdown } from '../runtime/curve.js';
import { registerStageCommands } from './stage-commands.js';
import { registerRunCommands } from './run-commands.js';
import { registerChainCommands } from './chain-commands.js';
import { registerSchemaCommands } from './schema-commands.js';
import { registerAccuracyCommands } from './accuracy-commands.js';
import { registerKeysCommands } from './keys-commands.js';
import { registerCeremonyCommands } from './ceremony-commands.js';
import { registerQueueCommands } from './queue-commands.js';
import { registerPtauCommands } from './ptau-commands.js';
import { registerCompletionCommand } from './completion-command.js';
import { registerWeightsCommands } from './weights-commands.js';
import { beginOutput, discardJsonResult, flushJsonOutput, setCommandName } from './output.js';
import { configureTerminal } from '../runtime/terminal.js';

/** The command tree (exported for the example-runner test, which reads every command's help). */
export function program(): Command {
  const p = new Command('zkinfer')
    .description('Prove with Groth16 zero-knowledge proofs that a small ONNX neural network produced a given output.')
    .version(VERSIONS.zkinfer)
    // Global flags: main() takes them out of argv before commander parses (like --debug), so they
    // work anywhere on the line; declared here for --help only.
    .option('--quiet', 'no progress and no informational messages (results, warnings and errors stay)')
    .option('--no-color', 'no ANSI color (also when NO_COLOR is set)')
    .option('--debug', 'show the stack trace of an internal error')
    .showHelpAfterError(false)
    .addHelpText(
      'after',
      '\nExit codes: 0 success, 1 invalid proof (or a failed batch item), 2 unreadable or malformed input, 3 a bug in zkinfer (add --debug for the stack trace).',
    )
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .exitOverride();
  registerRunCommands(p);
  registerStageCommands(p);
  registerChainCommands(p);
  registerSchemaCommands(p);
  registerAccuracyCommands(p);
  registerKeysCommands(p);
  registerCeremonyCommands(p);
  registerQueueCommands(p);
  registerPtauCommands(p);
  registerWeightsCommands(p);
  registerCompletionCommand(p);
  for (const c of p.commands) c.exitOverride();
  // The envelope of --json output names the command that ran (`keys add`, `ceremony init`, …).
  p.hook('preAction', (_p, action) => setCommandName(commandPath(action)));
  return p;
}

/** A command's name below the program: `verify`, `keys add`. */
function commandPath(c: Command): string {
  const names: string[] = [];
  for (let x: Command | null = c; x && x.parent; x = x.parent) names.unshift(x.name());
  return names.join(' ');
}

/** Flags main() handles itself, taken out of argv wherever they appear before `--`. */
const GLOBAL_FLAGS = ['--debug', '--quiet', '--no-color'] as const;

/** Exit code of an unexpected exception: a bug in zkinfer, not in the user's input. */
export const EXIT_BUG = 3;

/**
 * Runs the CLI with `argv` (without node and script) and returns the exit code. `--debug`
 * anywhere before `--` shows the stack of an unexpected exception.
 */
export async function main(argv: string[]): Promise<number> {
  process.exitCode = 0;
  const end = argv.indexOf('--');
  const beforeEnd = (i: number): boolean => end < 0 || i < end;
  const has = (flag: string): boolean => argv.some((a, i) => a === flag && beforeEnd(i));
  const debug = has('--debug');
  const args = argv.filter((a, i) => !(GLOBAL_FLAGS as readonly string[]).includes(a) || !beforeEnd(i));
  const json = has('--json');
  configureTerminal({ quiet: has('--quiet'), noColor: has('--no-color'), json });
  beginOutput({ json });
  let outcome = await runProgram(args, debug);
  try {
    flushJsonOutput(outcome.code, outcome.message);
  } catch (e) {
    // Printing the result failed: that is a bug like any other (exit 3, one line), and --json still gets its error object.
    outcome = describeFailure(e, debug);
    discardJsonResult();
    flushJsonOutput(outcome.code, outcome.message);
  }
  return outcome.code;
}

/** Runs the command; returns the exit code and, for a failure, its one-line message. */
async function runProgram(args: string[], debug: boolean): Promise<{ code: number; message?: string }> {
  try {
    await program().parseAsync(args, { from: 'user' });
    return { code: Number(process.exitCode ?? 0) };
  } catch (e) {
    return describeFailure(e, debug);
  } finally {
    await shutdown();
  }
}

/** Prints the one-line message of a failure on stderr; returns its exit code and message. */
function describeFailure(e: unknown, debug: boolean): { code: number; message?: string } {
  if (e instanceof CommanderError) {
    // --help and --version end here with code 0; flag errors have already been printed.
    return e.exitCode === 0 ? { code: 0 } : { code: 2, message: oneLine(e.message.replace(/^error: /, '')) };
  }
  if (e instanceof UserError) {
    process.stderr.write(`zkinfer: ${oneLine(e.message)}\n`);
    return { code: 2, message: oneLine(e.message) };
  }
  if (e instanceof UnderconstrainedCircuitError) {
    // A known kind of bug, found by compile's determinism check: its own one-line message.
    process.stderr.write(`zkinfer: ${oneLine(e.message)}\n`);
    return { code: EXIT_BUG, message: oneLine(e.message) };
  }
  // Anything else is zkinfer's fault: one line for users, the details for whoever fixes it.
  const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  const message = `internal error (${oneLine(what).slice(0, 300)}); this is a bug in zkinfer, please report it`;
  process.stderr.write(`zkinfer: ${message}${debug ? '' : ' (rerun with --debug for details)'}\n`);
  if (debug) process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  return { code: EXIT_BUG, message };
}
