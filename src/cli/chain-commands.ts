/**
 * `export-verifier` and `calldata`: what a smart-contract developer needs to verify zkinfer
 * proofs on any EVM chain.
 */
import { Command } from 'commander';
import { join } from 'node:path';
import { artifactPath } from '../formats/paths.js';
import { readVkey } from '../formats/build-dir.js';
import { readConsistentBundle } from '../verify/bundle-consistency.js';
import { assertVerificationKey } from '../formats/vkey.js';
import { printJson } from './options.js';
import { warn } from './output.js';

/**
 * The contract module, loaded when a command needs it: it pulls in viem (~0.7 s of CPU to load),
 * which every other command would otherwise pay for at start-up.
 */
const loadVerifierContract = () => import('../chain/verifier-contract.js');

/** Registers export-verifier and calldata. */
export function registerChainCommands(p: Command): void {
  p.command('export-verifier <buildDir>')
    .description(
      "write the Solidity verifier for a build directory's key (snarkjs's Groth16 verifier, or zkinfer's ultragroth " +
        'verifier for an ultragroth key), compiled for the paris EVM',
    )
    .option('--out <dir>', 'output directory (default <buildDir>/verifier)')
    .option('--json', 'print paths and sizes as JSON')
    .addHelpText('after', '\nExample:\n  zkinfer export-verifier build/digits --out build/digits/verifier')
    .action(async (dir: string, f: { out?: string; json?: boolean }) => {
      // Validated before rendering (a coordinate is pasted into Solidity source): canonical field
      // elements on the curve (readVkey), and zkinfer's metadata (assertVerificationKey).
      const vkey = readVkey(dir);
      assertVerificationKey(vkey, artifactPath(dir, 'vkey'));
      const outDir = f.out ?? join(dir, 'verifier');
      const { exportVerifier } = await loadVerifierContract();
      const r = await exportVerifier({ vkey, outDir });
      const info = {
        source: r.sourcePath,
        abi: r.abiPath,
        bytecode: r.binPath,
        deployedSize: r.deployedSize,
        compiler: r.compilerVersion,
        evmVersion: 'paris',
        vkey: artifactPath(dir, 'vkey'),
      };
      if (r.deployedSize > 24_576)
        warn('over the 24,576-byte contract size limit of real chains; compile with --input-visibility hashed');
      if (f.json) return printJson(info);
      process.stdout.write(
        `wrote ${r.sourcePath}, ${r.abiPath}, ${r.binPath} (runtime ${r.deployedSize} bytes, solc ${r.compilerVersion}, evm paris)\n`,
      );
    });

  p.command('calldata <bundle>')
    .description('print the arguments of verifyProof(...) for a proof bundle')
    .option('--hex', 'print ABI-encoded calldata (with selector) instead of the argument list')
    .addHelpText(
      'after',
      '\nExamples:\n  zkinfer calldata build/digits/proofs/digit-3.proof.json\n  cast call $VERIFIER $(zkinfer calldata build/digits/proofs/digit-3.proof.json --hex)',
    )
    .action(async (path: string, f: { hex?: boolean }) => {
      // The shared reader and verify's own key-consistency checks: never calldata for a function the verifier lacks.
      const b = readConsistentBundle(path);
      const { formatCalldata } = await loadVerifierContract();
      const c = formatCalldata(b.proof, b.publicSignals);
      process.stdout.write((f.hex ? c.calldata : c.text) + '\n');
    });
}
