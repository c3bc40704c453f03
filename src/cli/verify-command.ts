/**
 * `zkinfer verify FILE`: one command for proof bundles and accuracy claims, on one verification
 * core (src/verify/key-trust.ts): the same pinning, trust policy, check names, text layout, JSON
 * shape and exit codes (0 valid, 1 a check failed, 2 unreadable input or an option that does
 * not apply). Which options apply depends on what FILE is; any other is refused by name.
 */
import { Command } from 'commander';
import { readJsonFile } from '../core/json.js';
import { UserError } from '../core/errors.js';
import { isClaim, verifyClaim, type ClaimReport } from '../accuracy/verify-claim.js';
import { verifyBundleWithChain } from '../chain/verify-bundle-on-chain.js';
import type { ChainTarget } from '../verify/chain-check.js';
import type { VerifyReport } from '../verify/verify-bundle.js';
import { intOption, printJson } from './options.js';
import { THRESHOLD_FORMS, thresholdOption } from '../core/threshold.js';
import { warn } from './output.js';

/** Every verify flag, as commander parses them. */
export interface VerifyFlags {
  vkey?: string;
  vkeyHash?: string;
  allowUnpinned?: boolean;
  input?: string;
  opening?: string;
  weightsOpening?: string;
  requireTrustedSetup?: boolean;
  minContributions?: number;
  ptau?: string[];
  trustPtau?: string[];
  model?: string;
  settings?: string;
  ceremony?: string;
  dataset?: string;
  datasetCommitment?: string;
  weightsCommitment?: string;
  minAccuracy?: number;
  json?: boolean;
  chain?: boolean;
  rpc?: string;
  address?: string;
  privateKey?: string;
}

type Artifact = 'bundle' | 'claim';

/** Flags that apply to one kind of file only, and what they are for. */
const ONLY: Partial<Record<keyof VerifyFlags, { artifact: Artifact; flag: string }>> = {
  input: { artifact: 'bundle', flag: '--input' },
  weightsOpening: { artifact: 'bundle', flag: '--weights-opening' },
  chain: { artifact: 'bundle', flag: '--chain' },
  rpc: { artifact: 'bundle', flag: '--rpc' },
  address: { artifact: 'bundle', flag: '--address' },
  privateKey: { artifact: 'bundle', flag: '--private-key' },
  dataset: { artifact: 'claim', flag: '--dataset' },
  datasetCommitment: { artifact: 'claim', flag: '--dataset-commitment' },
  minAccuracy: { artifact: 'claim', flag: '--min-accuracy' },
};

/** Throws {@link UserError} (exit 2) for a flag that does nothing for this file. */
export function assertFlagsApply(artifact: Artifact, path: string, f: VerifyFlags): void {
  const what = artifact === 'bundle' ? 'a proof bundle' : 'an accuracy claim';
  for (const [k, v] of Object.entries(f) as Array<[keyof VerifyFlags, unknown]>) {
    const only = ONLY[k];
    if (v !== undefined && only && only.artifact !== artifact)
      throw new UserError(
        `${only.flag} does not apply: ${path} is ${what}, not ${only.artifact === 'bundle' ? 'a proof bundle' : 'an accuracy claim'}`,
      );
  }
  if (f.chain && f.rpc)
    throw new UserError('--chain and --rpc exclude each other: --chain is the embedded EVM, --rpc a node');
  if (f.address && !f.rpc)
    throw new UserError('--address applies only with --rpc URL (the node the verifier is deployed on)');
  if (f.privateKey && !f.rpc) throw new UserError('--private-key applies only with --rpc URL');
}

/** True when the file at `path` is an accuracy claim (unreadable files are left to the bundle path's errors). */
export function isClaimFile(path: string): boolean {
  try {
    return isClaim(readJsonFile(path));
  } catch {
    return false;
  }
}

/** The shared trust options, from the flags. */
function trustOptions(f: VerifyFlags) {
  return {
    vkeyPath: f.vkey,
    vkeyHash: f.vkeyHash,
    allowUnpinned: f.allowUnpinned ?? false,
    requireTrustedSetup: f.requireTrustedSetup ?? false,
    minContributions: f.minContributions,
    ptau: f.ptau,
    trustPtau: f.trustPtau,
    modelPath: f.model,
    settingsPath: f.settings,
    ceremonyPath: f.ceremony,
  };
}

function chainTarget(f: VerifyFlags): ChainTarget | undefined {
  if (f.rpc)
    return {
      kind: 'rpc',
      url: f.rpc,
      address: f.address,
      privateKey: f.privateKey ?? process.env['ZKINFER_PRIVATE_KEY'],
    };
  return f.chain ? { kind: 'embedded' } : undefined;
}

/** Verifies FILE (bundle or claim), prints the report and sets the exit code. */
export async function verifyCommand(path: string, f: VerifyFlags): Promise<void> {
  const artifact: Artifact = isClaimFile(path) ? 'claim' : 'bundle';
  assertFlagsApply(artifact, path, f);
  const report =
    artifact === 'claim'
      ? await verifyClaim({
          claimPath: path,
          ...trustOptions(f),
          dataset: f.dataset,
          opening: f.opening,
          datasetCommitment: f.datasetCommitment,
          weightsCommitment: f.weightsCommitment,
          minAccuracy: f.minAccuracy,
        })
      : await verifyBundleWithChain({
          bundlePath: path,
          ...trustOptions(f),
          inputPath: f.input,
          openingPath: f.opening,
          weightsCommitment: f.weightsCommitment,
          weightsOpeningPath: f.weightsOpening,
          chain: chainTarget(f),
        });
  printVerification(report, f.json ?? false);
  if (!report.valid) process.exitCode = report.failed === 'format' ? 2 : 1;
}

/** The last line of a text report. */
function summary(r: VerifyReport | ClaimReport): string {
  if (!r.valid) return `INVALID: ${r.failed} check failed`;
  const weights =
    r.kind === 'proof-bundle' && r.weightsCommitment
      ? `, weights ${r.weightsCommitment.slice(0, 18)}…${r.weightsPinned ? '' : ' (NOT pinned)'}`
      : '';
  const model = r.pinned
    ? `model ${r.modelId?.slice(0, 16)}…${weights}`
    : 'which model and setup that key belongs to is NOT verified';
  const what =
    r.kind === 'accuracy-claim'
      ? `${r.correct}/${r.samples} correct (${(100 * r.accuracy!).toFixed(2)} %) on dataset ` +
        `${r.datasetCommitment}${r.weightsCommitment ? ` by the model with weights commitment ${r.weightsCommitment}` : ''}`
      : r.prediction !== undefined
        ? `prediction ${r.prediction}`
        : 'output hashed (pass --opening to see it)';
  return r.pinned
    ? `VALID: ${what}; ${model}`
    : `VALID PROOF, UNPINNED KEY: ${what} — proven with the key inside the file; ${model}`;
}

/** Prints a bundle's or a claim's report: checks and the verdict on stdout, warnings and the failure on stderr. */
export function printVerification(r: VerifyReport | ClaimReport, json: boolean): void {
  const failure = r.checks.find((c) => !c.ok);
  if (failure?.check === 'format') {
    // A malformed file is a user error (exit 2): one line on stderr, like every other one.
    const line = failure.detail.split('\n')[0]!;
    process.stderr.write(`zkinfer: ${line}\n`);
    // With --json, the same error object as any other exit 2 (nothing was verified, so no report).
    if (json) printJson({}, { failure: line });
    return;
  }
  // Exit 1, like exit 2, says on one stderr line what failed; the full report goes to stdout.
  const failed = failure && `invalid: ${failure.check} check failed: ${failure.detail.split('\n')[0]}`;
  if (failed) process.stderr.write(`zkinfer: ${failed}\n`);
  for (const w of r.warnings) warn(w);
  if (json) return printJson(r, failed ? { failure: failed } : {});
  for (const c of r.checks)
    process.stdout.write(`${!c.ok ? 'FAIL' : c.unverified ? 'WARN' : 'ok  '} ${c.check.padEnd(18)} ${c.detail}\n`);
  if (r.kind !== 'accuracy-claim' && r.chain?.deployed)
    process.stdout.write(`deployed verifier at ${r.chain.address}\n`);
  if (r.unverified.length > 0) process.stdout.write(`unverified (the prover's word): ${r.unverified.join(', ')}\n`);
  process.stdout.write(summary(r) + '\n');
}

/** The examples under `verify --help`. */
const VERIFY_EXAMPLES = [
  '',
  'Examples:',
  '  zkinfer verify build/digits/proofs/digit-3.proof.json --vkey build/digits/vkey.json',
  '  zkinfer verify build/digits/proofs/digit-3.proof.json --vkey build/digits/vkey.json --input models/samples/digit-3.json --opening ' +
    'build/digits/proofs/digit-3.opening.json',
  '  zkinfer keys add build/digits/vkey.json --name digits && zkinfer verify build/digits/proofs/digit-3.proof.json',
  '  zkinfer verify BUNDLE --vkey vkey.json --model model.onnx --settings settings.json --ptau powersOfTau28_hez_final_12.ptau --require-trusted-setup',
  "  zkinfer verify BUNDLE --vkey vkey.json --weights-commitment 0x…  # hashed weights: W from the owner's weights.json",
  '  zkinfer verify claim.json --vkey chunk-vkey.json --dataset-commitment 0x… --min-accuracy 0.95',
].join('\n');

/** Registers `verify`. */
export function registerVerify(p: Command): void {
  p.command('verify <file>')
    .description(
      'check a proof bundle or an accuracy claim: exit 0 valid, 1 invalid, 2 unreadable or an option that does not apply',
    )
    .option('--vkey <file>', "pin the model owner's verification key (vkey.json; for claims the chunk key)")
    .option('--vkey-hash <hex>', 'pin a published verification-key hash (sha256 of the canonical vkey.json)')
    .option(
      '--allow-unpinned',
      'check the proofs with the key inside the file when no pin applies (model id and setup stay unverified; claims: also an unpinned dataset)',
    )
    .option(
      '--model <onnx>',
      'recompile this ONNX model (with --settings) and bind the key to it (rebuilt with --ptau)',
    )
    .option('--settings <file>', "the model owner's settings.json (default: settings.json beside --model)")
    .option(
      '--ptau <file...>',
      'the powers-of-tau file the key was made from: the key is rebuilt from it and the recompiled circuit',
    )
    .option(
      '--ceremony <file>',
      'the ceremony transcript (.json) or final .zkey: the key must come from it, for the recompiled r1cs',
    )
    .option(
      '--require-trusted-setup',
      'accept only pinned keys rebuilt from a recognised ptau file and the recompiled circuit, with δ from a verified ceremony (needs --model and the ptau file)',
    )
    .option(
      '--min-contributions <n>',
      'phase-2 contributions a trusted key needs (default 2; with --require-trusted-setup)',
      intOption('--min-contributions', 1),
    )
    .option(
      '--trust-ptau <fileOrHash...>',
      'also trust this powers-of-tau file or blake2b-512 hash (a file is also used as --ptau)',
    )
    .option(
      '--opening <file>',
      'bundles: the opening written next to the bundle; claims: the dataset opening for --dataset',
    )
    .option(
      '--weights-opening <file>',
      "bundles: the model owner's weights.opening.json; with --model, W is recomputed from that ONNX file's weights",
    )
    .option(
      '--input <file>',
      'bundles: the input the prover says it used (checked against the public input or the input commitment)',
    )
    .option('--chain', 'bundles: also verify with the Solidity verifier on an embedded EVM')
    .option('--rpc <url>', 'bundles: also verify on a JSON-RPC node (deploys the verifier unless --address)')
    .option('--address <addr>', 'bundles: an already deployed verifier (with --rpc)')
    .option(
      '--private-key <key>',
      "bundles: key that deploys the verifier (with --rpc; default: the node's unlocked account)",
    )
    .option('--dataset <data>', 'claims: the dataset, recommitted with --opening')
    .option('--dataset-commitment <hex>', 'claims: the published dataset commitment')
    .option(
      '--weights-commitment <W>',
      "pin the published weights commitment W of a hashed-weights model: 0x-hex, decimal, or the owner's " +
        'weights.json (claims: every chunk must prove it)',
    )
    .option(
      '--min-accuracy <x>',
      `claims: exit 1 when the proven accuracy is below x (${THRESHOLD_FORMS})`,
      thresholdOption('--min-accuracy'),
    )
    .option('--json', 'print one JSON object naming every check')
    .addHelpText('after', VERIFY_EXAMPLES)
    .action(verifyCommand);
}
