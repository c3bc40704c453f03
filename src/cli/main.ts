/**
 * The zkinfer command line. Thin by design: parse flags, call one stage, print. User errors
 * are one line on stderr with exit code 2; invalid proofs exit 1.
 */
import { Command, CommanderError } from 'commander';
import { UnderconstrainedCircuitError, UserError } from '../errors.js';
import { VERSIONS } from '../artifacts.js';
import { shutdown } from '../prove/prover.js';
import { registerStageCommands } from './stage-commands.js';
import { registerRunCommands } from './run-commands.js';
import { registerChainCommands } from './chain-commands.js';
import { registerKeysCommands } from './keys-commands.js';
import { registerQueueCommands } from './queue-commands.js';

function program(): Command {
  const p = new Command('zkinfer')
    .description('Prove with Groth16 zero-knowledge proofs that a small ONNX neural network produced a given output.')
    .version(VERSIONS.zkinfer)
    .showHelpAfterError(false)
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .exitOverride();
  registerRunCommands(p);
  registerStageCommands(p);
  registerChainCommands(p);
  registerKeysCommands(p);
  registerQueueCommands(p);
  for (const c of p.commands) c.exitOverride();
  return p;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  process.exitCode = 0;
  try {
    await program().parseAsync(argv, { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with code 0; flag errors have already been printed.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof UserError) {
      process.stderr.write(`zkinfer: ${e.message.split('\n')[0]}\n`);
      return 2;
    }
    if (e instanceof UnderconstrainedCircuitError) {
      process.stderr.write(`zkinfer: ${e.message.split('\n')[0]}\n`);
      return 3;
    }
    throw e;
  } finally {
    await shutdown();
  }
}
