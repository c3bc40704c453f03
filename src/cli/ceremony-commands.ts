/**
 * `zkinfer ceremony init|contribute|beacon|verify|finalize`: a multi-party phase-2 setup.
 */
import { basename, dirname, join } from 'node:path';
import { Command } from 'commander';
import {
  ceremonyBeacon,
  ceremonyContribute,
  ceremonyInit,
  describePtau,
  StepResult,
} from '../setup/ceremony/ceremony.js';
import { CeremonyVerifyReport, finalizeCeremony, verifyCeremony } from '../setup/ceremony/ceremony-verify.js';
import { describeContribution } from '../setup/ceremony/contribution-chain.js';
import { chunkCeremonyInit, currentChunkDir, finalizeChunkCeremony } from '../accuracy/chunk-ceremony.js';
import { intOption, printJson } from './options.js';
import { resolvePtauArg } from '../setup/ptau/ptau-cache.js';
import { warn } from './output.js';
import { describeSetup, keyReplacementNotice } from '../setup/existing-keys.js';

const out = (s: string): void => void process.stdout.write(s + '\n');

function printStep(r: StepResult, json: boolean, outPath: string): void {
  if (json) return printJson({ zkey: outPath, ...r.contribution, transcript: r.transcriptPath });
  out(`${describeContribution(r.contribution)} written to ${outPath}`);
  out(
    `contribution hash (publish it, so anyone can check your contribution is in the final key):\n  ${r.contribution.hash}`,
  );
  if (!r.transcriptPath) return; // made elsewhere: the coordinator takes the key on from here
  out(`transcript ${r.transcriptPath}`);
  const dir = dirname(outPath);
  const next = join(dir, String(r.contribution.index + 1).padStart(4, '0'));
  const finalize = ceremonyOwner(dir) && `zkinfer ceremony finalize ${ceremonyOwner(dir)} --ptau FILE`;
  if (r.contribution.kind === 'beacon') {
    if (finalize) out(`next: ${finalize}`);
    return;
  }
  out(`next: zkinfer ceremony contribute ${outPath} ${next}-NAME.zkey --name NAME (another party)`);
  out(
    `  or: zkinfer ceremony beacon ${outPath} ${next}-beacon.zkey --beacon HEX (the last contribution)${finalize ? `, then ${finalize}` : ''}`,
  );
}

/** The build (and chunk size) of a ceremony directory, as finalize takes them: BUILD/ceremony or BUILD/accuracy/chunk-C/ceremony. */
function ceremonyOwner(dir: string): string | undefined {
  if (basename(dir) !== 'ceremony') return undefined;
  const keyDir = dirname(dir);
  const chunk = /^chunk-(\d+)$/.exec(basename(keyDir));
  if (chunk && basename(dirname(keyDir)) === 'accuracy') return `${dirname(dirname(keyDir))} --chunk ${chunk[1]}`;
  return keyDir;
}

function printVerify(r: CeremonyVerifyReport, json: boolean): void {
  if (json) {
    printJson(
      {
        ok: r.ok,
        failure: r.failure,
        failedContribution: r.failedContribution,
        zkey: r.zkeyPath,
        ptau: r.ptau,
        contributors: r.contributors,
      },
      r.failure !== undefined ? { failure: `invalid: ${r.failure}` } : {},
    );
  } else {
    out(`ptau ${describePtau(r.ptau)}`);
    for (const c of r.contributors)
      out(`${c.index === r.failedContribution ? 'FAIL' : r.ok ? 'ok  ' : '    '} ${describeContribution(c)} ${c.hash}`);
    out(
      r.ok
        ? `VALID: ${r.zkeyPath} verified against the r1cs and the ptau (${r.contributors.length} contributions)`
        : `INVALID: ${r.failure}`,
    );
  }
  if (!r.ptau.recognised)
    warn(
      `ptau: unrecognised (${r.ptau.name}); keys from it are not trusted setups unless verifiers name it with --trust-ptau`,
    );
  if (!r.ok) process.exitCode = 1;
}

/** Registers the ceremony commands. */
export function registerCeremonyCommands(p: Command): void {
  const c = p
    .command('ceremony')
    .description('multi-party phase-2 trusted setup: init, contribute, beacon, verify, finalize');
  registerCeremonyInit(c);
  registerCeremonyContribute(c);
  registerCeremonyBeacon(c);
  registerCeremonyVerify(c);
  registerCeremonyFinalize(c);
}

function registerCeremonyInit(c: Command): void {
  c.command('init <buildDir>')
    .description('start a ceremony: the initial key (snarkjs zkey new) and transcript.json in <buildDir>/ceremony')
    .requiredOption('--ptau <file>', 'prepared powers-of-tau file (checked against the published hashes)')
    .option(
      '--chunk <n>',
      'the accuracy chunk circuit for n samples instead (compiled into <buildDir>/accuracy/chunk-n, ceremony in its ceremony/)',
      intOption('--chunk'),
    )
    .option('--out <dir>', 'ceremony directory (default <buildDir>/ceremony)')
    .option(
      '--force',
      'start over when the directory already holds a ceremony (its keys and transcript are removed); without it the same initial key is kept and anything else refused',
    )
    .option('--json', 'print the transcript as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  zkinfer ceremony init build/digits --ptau powersOfTau28_hez_final_12.ptau\n  zkinfer ceremony init build/digits --chunk 21 --ptau powersOfTau28_hez_final_15.ptau',
    )
    .action(async (dir: string, f: { ptau: string; chunk?: number; out?: string; force?: boolean; json?: boolean }) => {
      const opts = {
        buildDir: dir,
        ptauPath: resolvePtauArg(f.ptau),
        outDir: f.out,
        progress: !f.json,
        onWarning: warn,
        force: f.force ?? false,
      };
      const chunk = f.chunk === undefined ? undefined : await chunkCeremonyInit({ ...opts, chunkSize: f.chunk });
      const r = chunk ?? (await ceremonyInit(opts));
      if (r.replaced)
        warn(
          `${r.dir}: started over from the ${r.replaced.kind} (${r.replaced.hash}): its keys were removed and its contributions are listed as discarded in the new transcript (initial key blake2b ${r.transcript.init.blake2b}, the same as before: init is deterministic), so contribute, beacon, verify and finalize refuse any key that holds one`,
        );
      if (!r.created)
        process.stderr.write(`${r.initPath}: already the initial key of this circuit and ptau; kept as it is\n`);
      if (f.json) return printJson(r.transcript);
      if (chunk)
        out(
          `chunk circuit for ${f.chunk} samples in ${chunk.chunk.dir}: ${chunk.chunk.circuit.nConstraints} constraints (domain 2^${chunk.chunk.circuit.power})${chunk.chunk.compiled ? '' : ', already compiled'}`,
        );
      out(
        `initial key ${r.initPath} for model ${r.transcript.circuit.modelId.slice(0, 16)}… on ptau ${describePtau(r.transcript.ptau)}`,
      );
      out(`next: zkinfer ceremony contribute ${r.initPath} ${join(r.dir, '0001-NAME.zkey')} --name NAME`);
    });
}

function registerCeremonyContribute(c: Command): void {
  c.command('contribute <in> <out>')
    .description('add your secret contribution to a phase-2 key (needs only the previous .zkey)')
    .requiredOption('--name <name>', 'your name as listed in the transcript (at most 64 bytes)')
    .option('--entropy <text>', 'extra text mixed into the randomness (the CSPRNG is always used)')
    .option('--transcript <file>', 'transcript to extend (default: transcript.json beside <in>, when present)')
    .option('--json', 'print the contribution as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  zkinfer ceremony contribute build/digits/ceremony/0000-init.zkey build/digits/ceremony/0001-alice.zkey --name alice',
    )
    .action(
      async (
        inPath: string,
        outPath: string,
        f: { name: string; entropy?: string; transcript?: string; json?: boolean },
      ) => {
        printStep(
          await ceremonyContribute({
            inPath,
            outPath,
            name: f.name,
            entropy: f.entropy,
            transcriptPath: f.transcript,
            progress: !f.json,
          }),
          f.json ?? false,
          outPath,
        );
      },
    );
}

function registerCeremonyBeacon(c: Command): void {
  c.command('beacon <in> <out>')
    .description(
      'add the final contribution from a public random beacon (e.g. a future block hash announced in advance)',
    )
    .requiredOption('--beacon <hex>', 'the beacon value, hex')
    .option('--iterations-exp <n>', 'hash the beacon 2^n times (10..63, default 10)', intOption('--iterations-exp'))
    .option('--name <name>', 'name listed in the transcript', 'beacon')
    .option('--transcript <file>', 'transcript to extend (default: transcript.json beside <in>, when present)')
    .option('--json', 'print the contribution as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  zkinfer ceremony beacon build/digits/ceremony/0002-bob.zkey build/digits/ceremony/0003-beacon.zkey --beacon 0x5f3c…',
    )
    .action(
      async (
        inPath: string,
        outPath: string,
        f: { beacon: string; iterationsExp?: number; name: string; transcript?: string; json?: boolean },
      ) => {
        printStep(
          await ceremonyBeacon({
            inPath,
            outPath,
            name: f.name,
            beaconHex: f.beacon,
            iterationsExp: f.iterationsExp,
            transcriptPath: f.transcript,
            progress: !f.json,
          }),
          f.json ?? false,
          outPath,
        );
      },
    );
}

function registerCeremonyVerify(c: Command): void {
  c.command('verify <target>')
    .description(
      'verify every contribution of a ceremony (a build directory or a .zkey) against the r1cs and the ptau; exit 1 names the bad one',
    )
    .requiredOption('--ptau <file>', 'the powers-of-tau file the ceremony started from')
    .option(
      '--chunk <n>',
      "the build's accuracy chunk circuit for n samples (<target>/accuracy/chunk-n)",
      intOption('--chunk'),
    )
    .option('--r1cs <file>', 'the circuit (default: circuit.r1cs of the build directory)')
    .option('--transcript <file>', 'the transcript (default: transcript.json beside the key)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  zkinfer ceremony verify build/digits --ptau powersOfTau28_hez_final_12.ptau\n  zkinfer ceremony verify build/digits --chunk 21 --ptau powersOfTau28_hez_final_15.ptau\n  zkinfer ceremony verify final.zkey --ptau powersOfTau28_hez_final_12.ptau --r1cs circuit.r1cs',
    )
    .action(
      async (
        target: string,
        f: { ptau: string; chunk?: number; r1cs?: string; transcript?: string; json?: boolean },
      ) => {
        printVerify(
          await verifyCeremony({
            target: f.chunk === undefined ? target : currentChunkDir(target, f.chunk),
            ptauPath: resolvePtauArg(f.ptau),
            r1csPath: f.r1cs,
            transcriptPath: f.transcript,
            progress: !f.json,
          }),
          f.json ?? false,
        );
      },
    );
}

function registerCeremonyFinalize(c: Command): void {
  c.command('finalize <buildDir>')
    .description(
      'verify the ceremony and install its final key: circuit.zkey, vkey.json (with the transcript and its hash), setup.json',
    )
    .requiredOption('--ptau <file>', 'the powers-of-tau file the ceremony started from')
    .option(
      '--chunk <n>',
      'the accuracy chunk circuit for n samples: install the key in <buildDir>/accuracy/chunk-n, where `zkinfer accuracy` uses it',
      intOption('--chunk'),
    )
    .option('--zkey <file>', 'the final key (default: the latest key of the ceremony directory)')
    .option('--transcript <file>', 'the transcript (default: transcript.json beside the key)')
    .option(
      '--force',
      "replace the build's keys even when they are a ptau key or another ceremony's key (a dev key, the same key or an earlier state of this ceremony is replaced without it)",
    )
    .option('--json', 'print setup info as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  zkinfer ceremony finalize build/digits --ptau powersOfTau28_hez_final_12.ptau\n  zkinfer ceremony finalize build/digits --chunk 21 --ptau powersOfTau28_hez_final_15.ptau',
    )
    .action(
      async (
        dir: string,
        f: { ptau: string; chunk?: number; zkey?: string; transcript?: string; force?: boolean; json?: boolean },
      ) => {
        const opts = {
          buildDir: dir,
          ptauPath: resolvePtauArg(f.ptau),
          zkeyPath: f.zkey,
          transcriptPath: f.transcript,
          progress: !f.json,
          force: f.force ?? false,
        };
        const r =
          f.chunk === undefined
            ? await finalizeCeremony(opts)
            : await finalizeChunkCeremony({ ...opts, chunkSize: f.chunk });
        if (!r.info) return printVerify(r.report, f.json ?? false);
        if (r.replaced)
          warn(
            keyReplacementNotice(
              f.chunk === undefined ? dir : join(dir, 'accuracy', `chunk-${f.chunk}`),
              r.replaced,
              describeSetup(r.info),
              r.info.vkeyHash,
            ),
          );
        if (f.json) return printJson(r.info);
        out(
          `finalized ${r.report.contributors.length} contributions (${r.report.contributors.map((x) => x.name).join(', ')}); vkey hash ${r.info.vkeyHash}; transcript sha256 ${r.info.ceremony!.transcriptSha256}`,
        );
        if (!r.report.ptau.recognised) warn(`ptau: unrecognised (${r.report.ptau.name})`);
        out(
          f.chunk === undefined
            ? `next: zkinfer prove ${dir} --input INPUT`
            : `next: zkinfer accuracy ${dir} --dataset DATA --chunk ${f.chunk} --out DIR (uses the key in ${join(dir, 'accuracy', `chunk-${f.chunk}`)})`,
        );
      },
    );
}
