/**
 * `zkinfer verify CLAIM`: the claim side of the verify command. The verify command (run-commands.ts)
 * dispatches here when the file is an accuracy claim; the claim-only options are added to it by
 * {@link addClaimVerifyOptions} so the bundle code stays as it is.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { UserError } from '../core/errors.js';
import { ClaimReport, isClaim, verifyClaim } from '../accuracy/verify-claim.js';
import { printJson } from './options.js';

/** Flags the claim verification reads. */
export interface ClaimVerifyFlags {
  readonly vkey?: string;
  readonly vkeyHash?: string;
  readonly allowUnpinned?: boolean;
  readonly dataset?: string;
  readonly opening?: string;
  readonly datasetCommitment?: string;
  readonly minAccuracy?: number;
  readonly requireTrustedSetup?: boolean;
  readonly json?: boolean;
}

function parseFraction(v: string): number {
  const x = Number(v);
  if (!Number.isFinite(x) || x < 0 || x > 1)
    throw new UserError(`--min-accuracy must be a number in [0, 1], got "${v}"`);
  return x;
}

/** Adds the claim options to the verify command (skipping any it already has). */
export function addClaimVerifyOptions(verify: Command): void {
  const has = (flag: string) => verify.options.some((o) => o.long === flag);
  if (!has('--vkey-hash'))
    verify.option('--vkey-hash <hex>', 'trusted verification-key hash (sha256 of the canonical vkey JSON)');
  if (!has('--allow-unpinned'))
    verify.option('--allow-unpinned', 'accept an unpinned key (and, for claims, an unpinned dataset) with a warning');
  if (!has('--opening')) verify.option('--opening <file>', 'claims: the dataset opening (blinding) for --dataset');
  verify
    .option('--dataset <data>', 'claims: the dataset, recommitted with --opening (the dataset opening)')
    .option('--dataset-commitment <hex>', 'claims: the published dataset commitment')
    .option('--min-accuracy <x>', 'claims: exit 1 when the proven accuracy is below x (0..1)', parseFraction)
    .addHelpText(
      'after',
      '\nAccuracy claim:\n  zkinfer verify claim.json --vkey chunk-vkey.json --dataset-commitment 0x… --min-accuracy 0.95',
    );
}

/** True when the file at `path` is an accuracy claim (unreadable files are left to the bundle path's errors). */
export function isClaimFile(path: string): boolean {
  try {
    return isClaim(JSON.parse(readFileSync(path, 'utf8')));
  } catch {
    return false;
  }
}

/** Prints a claim report: one line per check, warnings on stderr. */
export function printClaimReport(r: ClaimReport, json: boolean): void {
  // Exit 1 or 2 says on one stderr line what failed; the full report goes to stdout.
  const failure = r.checks.find((c) => !c.ok);
  if (failure)
    process.stderr.write(`zkinfer: invalid claim: ${failure.check} check failed: ${failure.detail.split('\n')[0]}\n`);
  if (json) return printJson(r);
  for (const c of r.checks) process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'} ${c.check}: ${c.detail}\n`);
  for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
  process.stdout.write(
    r.valid
      ? `valid: ${r.correct}/${r.samples} correct (${(100 * r.accuracy!).toFixed(2)} %) on dataset ${r.datasetCommitment}\n`
      : `INVALID: ${r.failed} failed\n`,
  );
}

/** Verifies the claim at `path` and sets the exit code (1 invalid, 2 malformed). */
export async function verifyClaimCommand(path: string, f: ClaimVerifyFlags): Promise<void> {
  const report = await verifyClaim({
    claimPath: path,
    vkeyPath: f.vkey,
    vkeyHash: f.vkeyHash,
    allowUnpinned: f.allowUnpinned,
    dataset: f.dataset,
    opening: f.opening,
    datasetCommitment: f.datasetCommitment,
    minAccuracy: f.minAccuracy,
    requireTrustedSetup: f.requireTrustedSetup,
  });
  printClaimReport(report, f.json ?? false);
  if (!report.valid) process.exitCode = report.failed === 'format' ? 2 : 1;
}
