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

/** The command tree (exported for the example-runner test, which reads every command's help). */
export function program(): Command {
  const p = new Command('zkinfer')
    .description('Prove with Groth16 zero-knowledge proofs that a small ONNX neural network produced a given output.')
    .version(VERSIONS.zkinfer)
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
  for (const c of p.commands) c.exitOverride();
  return p;
}

/** Exit code of an unexpected exception: a bug in zkinfer, not in the user's input. */
export const EXIT_BUG = 3;

/**
 * Runs the CLI with `argv` (without node and script) and returns the exit code. `--debug`
 * anywhere before `--` shows the stack of an unexpected exception.
 */
export async function main(argv: string[]): Promise<number> {
  process.exitCode = 0;
  const end = argv.indexOf('--');
  const debug = argv.some((a, i) => a === '--debug' && (end < 0 || i < end));
  const args = debug ? argv.filter((a, i) => a !== '--debug' || (end >= 0 && i > end)) : argv;
  try {
    await program().parseAsync(args, { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with code 0; flag errors have already been printed.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof UserError) {
      process.stderr.write(`zkinfer: ${oneLine(e.message)}\n`);
      return 2;
    }
    if (e instanceof UnderconstrainedCircuitError) {
      // A known kind of bug, found by compile's determinism check: its own one-line message.
      process.stderr.write(`zkinfer: ${oneLine(e.message)}\n`);
      return EXIT_BUG;
    }
    // Anything else is zkinfer's fault: one line for users, the details for whoever fixes it.
    const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    process.stderr.write(
      `zkinfer: internal error (${oneLine(what).slice(0, 300)}); this is a bug in zkinfer, please report it${debug ? '' : ' (rerun with --debug for details)'}\n`,
    );
    if (debug) process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    return EXIT_BUG;
  } finally {
    await shutdown();
  }
}
