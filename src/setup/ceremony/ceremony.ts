/**
 * A multi-party phase-2 ceremony on top of a powers-of-tau file: `init` makes the initial key
 * from the circuit and the ptau (snarkjs `zkey new`) and starts the transcript; each party runs
 * `contribute` on the previous zkey — on their own machine, needing nothing else — and the
 * coordinator ends with a public random `beacon`. Whoever knows every contribution's secret
 * could forge proofs; one honest party is enough to prevent it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { artifactPath } from '../../formats/paths.js';
import { readArtifact } from '../../formats/artifacts.js';
import { sha256Hex } from '../../core/hash.js';
import type { CircuitInfo } from '../../formats/circuit.js';
import { UserError } from '../../core/errors.js';
import { CeremonyTranscript, TRANSCRIPT_FORMAT, TranscriptContribution } from '../../formats/ceremony.js';
import { discardedIn, readTranscript, writeTranscript } from './ceremony-transcript.js';
import { hashFileBlake2b, identifyPtau, UNRECOGNISED_PTAU_WARNING } from '../ptau/ptau-file.js';
import { PtauProvenance } from '../../formats/setup.js';
import { createTaskProgress, snarkjsProgressLogger } from '../../runtime/progress.js';
import { readZkeyMpc } from './zkey-mpc.js';
import { buildRound1 } from './ultragroth-setup.js';
import { ultragrothInitKey } from './ultragroth-key.js';
import { contributeUltragroth, type SecretSource } from './ultragroth-contribute.js';
import {
  ceremonyReplacementRefusal,
  discardedHashes,
  existingCeremony,
  mayBeSameInit,
  removeCeremonyKeys,
  sameInit,
  type ExistingCeremony,
} from './ceremony-existing.js';

/** Name of the transcript file in a ceremony directory. */
export const TRANSCRIPT_FILE = 'transcript.json';
/** Name of the initial key in a ceremony directory. */
export const INIT_ZKEY = '0000-init.zkey';

/** Default ceremony directory of a build directory. */
export function ceremonyDir(buildDir: string): string {
  return join(buildDir, 'ceremony');
}

/** Options of {@link ceremonyInit}. */
export interface CeremonyInitOptions {
  readonly buildDir: string;
  readonly ptauPath: string;
  /** Ceremony directory (default `<buildDir>/ceremony`). */
  readonly outDir?: string;
  /** Extra trusted ptau hashes. */
  readonly trustPtau?: readonly string[];
  readonly progress?: boolean;
  readonly onWarning?: (msg: string) => void;
  /**
   * Start over when the directory already holds a ceremony that init would not write again
   * as it is (contributions made, or another circuit or ptau): its keys and transcript are
   * removed. Without it such a ceremony is a {@link UserError}.
   */
  readonly force?: boolean;
}

/** What {@link ceremonyInit} returns. */
export interface CeremonyInitResult {
  readonly transcript: CeremonyTranscript;
  readonly dir: string;
  readonly initPath: string;
  /** False when the same initial key was already there (kept as it is). */
  readonly created: boolean;
  /** The ceremony replaced (with `force`). */
  readonly replaced?: ExistingCeremony;
}

/** Runs a snarkjs step writing `out` through a temp file, so a failure leaves nothing behind. */
async function atomicZkey<T>(out: string, step: (tmp: string) => Promise<T>): Promise<T> {
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const r = await step(tmp);
    renameSync(tmp, out);
    return r;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Starts a ceremony: the initial zkey and a transcript with no contributions. */
export async function ceremonyInit(opts: CeremonyInitOptions): Promise<CeremonyInitResult> {
  const circuit = readArtifact<CircuitInfo>(opts.buildDir, 'circuit', 'compile');
  const r1csPath = artifactPath(opts.buildDir, 'r1cs');
  const r1cs = readFileSync(r1csPath);
  if (sha256Hex(r1cs) !== circuit.r1csSha256)
    throw new UserError(`${r1csPath}: differs from the r1cs hash in circuit.json; run \`zkinfer compile\` again`);
  const dir = opts.outDir ?? ceremonyDir(opts.buildDir);
  const initPath = join(dir, INIT_ZKEY);
  const replaced = existingCeremony(dir, TRANSCRIPT_FILE);
  // Refused before the ptau is hashed (seconds for a large file) unless it could be the same init.
  if (replaced && !opts.force && !mayBeSameInit(replaced, INIT_ZKEY, circuit.r1csSha256))
    throw ceremonyReplacementRefusal(dir, replaced);
  const ptau = await identifyPtau(opts.ptauPath, {
    trusted: opts.trustPtau,
    progress: opts.progress ? createTaskProgress(`hashing ${basename(opts.ptauPath)}`) : undefined,
    forBuild: opts.buildDir,
  });
  if (!ptau.recognised) opts.onWarning?.(UNRECOGNISED_PTAU_WARNING);
  if (ptau.power < circuit.power)
    throw new UserError(`${opts.ptauPath}: powers of tau for 2^${ptau.power}, the circuit needs 2^${circuit.power}`);
  if (replaced) {
    if (await sameInit(replaced, dir, INIT_ZKEY, circuit.r1csSha256, ptau.blake2b))
      return { transcript: replaced.transcript!, dir, initPath, created: false };
    if (!opts.force) throw ceremonyReplacementRefusal(dir, replaced);
  }
  const discarded = replaced ? await discardedHashes(dir, replaced) : [];
  const progress = createTaskProgress('zkey new', { tty: opts.progress ? undefined : false });
  const round1 = buildRound1(circuit);
  const csHash = await atomicZkey(initPath, async (tmp) => {
    if (round1) {
      // ultragroth: snarkjs's initial key converted (δ₁ = 1, section 11); contributions move δ and δ₁.
      const init = await ultragrothInitKey({
        r1cs: r1csPath,
        ptau: opts.ptauPath,
        round1,
        logger: snarkjsProgressLogger(progress),
      }).catch((e: Error) => {
        throw new UserError(`${opts.ptauPath}: could not make the initial ultragroth key (${e.message})`);
      });
      progress.finish();
      writeFileSync(tmp, Buffer.concat(init.zkey));
      return init.csHash;
    }
    const h = await snarkjs.zKey.newZKey(r1csPath, opts.ptauPath, tmp, snarkjsProgressLogger(progress));
    progress.finish();
    if (!(h instanceof Uint8Array))
      throw new UserError(
        `${opts.ptauPath}: snarkjs could not set up the circuit with this file (is it prepared for phase 2?)`,
      );
    return Buffer.from(h).toString('hex');
  });
  const transcript: CeremonyTranscript = {
    format: TRANSCRIPT_FORMAT,
    formatVersion: 1,
    circuit: {
      modelId: circuit.modelId,
      r1csSha256: circuit.r1csSha256,
      csHash,
      nConstraints: circuit.nConstraints,
      nPublic: circuit.nPublic,
      power: circuit.power,
    },
    ptau,
    init: { file: INIT_ZKEY, blake2b: await hashFileBlake2b(initPath) },
    contributions: [],
    ...(discarded.length ? { discarded } : {}),
  };
  writeTranscript(join(dir, TRANSCRIPT_FILE), transcript);
  // Only once the new ceremony is in place (a failed init leaves the old one as it was).
  if (replaced) removeCeremonyKeys(dir, replaced, INIT_ZKEY);
  return { transcript, dir, initPath, created: true, ...(replaced ? { replaced } : {}) };
}

/** Options shared by {@link ceremonyContribute} and {@link ceremonyBeacon}. */
interface StepOptions {
  readonly inPath: string;
  readonly outPath: string;
  readonly name: string;
  /** Transcript to extend (default: transcript.json beside the input, when present). */
  readonly transcriptPath?: string;
  readonly progress?: boolean;
}

/** Options of {@link ceremonyContribute}. */
export interface ContributeOptions extends StepOptions {
  /** Text mixed with 32 bytes from the CSPRNG (snarkjs adds 64 more). */
  readonly entropy?: string;
}

/** Options of {@link ceremonyBeacon}. */
export interface BeaconOptions extends StepOptions {
  /** Public random value (hex), e.g. a future block hash announced in advance. */
  readonly beaconHex: string;
  /** The beacon is hashed 2^iterationsExp times (10..63; default 10). */
  readonly iterationsExp?: number;
}

/** What a contribution step returns. */
export interface StepResult {
  readonly contribution: TranscriptContribution;
  /** The transcript written next to the output, when one was extended. */
  readonly transcriptPath?: string;
}

function checkStepPaths(o: StepOptions): void {
  if (!existsSync(o.inPath) || !statSync(o.inPath).isFile()) throw new UserError(`${o.inPath}: zkey not found`);
  if (!o.name.trim()) throw new UserError('--name must not be empty: contributors are listed by name');
  if (Buffer.byteLength(o.name, 'utf8') > 64)
    throw new UserError(`--name "${o.name}": at most 64 bytes (snarkjs stores no more)`);
}

async function step(
  o: StepOptions,
  run: (tmp: string, logger: unknown, protocol: 'groth16' | 'ultragroth') => Promise<unknown>,
): Promise<StepResult> {
  checkStepPaths(o);
  const beside = join(dirname(o.inPath), TRANSCRIPT_FILE);
  const tPath = o.transcriptPath ?? (existsSync(beside) ? beside : undefined);
  const transcript = tPath ? readTranscript(tPath) : undefined;
  const before = await readZkeyMpc(o.inPath);
  const known = transcript?.contributions ?? [];
  const gone =
    transcript &&
    discardedIn(
      transcript,
      before.contributions.map((c) => c.hash),
    );
  if (gone) {
    const c = before.contributions.find((x) => x.hash === gone)!;
    throw new UserError(
      `${o.inPath}: holds contribution #${c.index} "${c.name}" (${gone.slice(0, 16)}…), which \`ceremony init --force\` discarded (${tPath}); continue from a key of the new ceremony`,
    );
  }
  if (
    transcript &&
    (before.csHash !== transcript.circuit.csHash ||
      known.length > before.contributions.length ||
      known.some((c, i) => c.hash !== before.contributions[i]!.hash))
  ) {
    throw new UserError(
      `${tPath}: transcript does not describe ${o.inPath} (its contributions differ); pass the matching --transcript`,
    );
  }
  // Contributions made elsewhere (with only the zkey) join the transcript when their key comes back.
  const inLocal = tPath !== undefined && dirname(o.inPath) === dirname(tPath);
  const inHash = inLocal ? await hashFileBlake2b(o.inPath) : undefined;
  const caughtUp: TranscriptContribution[] = before.contributions
    .slice(known.length)
    .map((c) =>
      c.index === before.contributions.length && inLocal ? { ...c, file: basename(o.inPath), fileBlake2b: inHash } : c,
    );
  const progress = createTaskProgress(`contribution "${o.name}"`, { tty: o.progress ? undefined : false });
  await atomicZkey(o.outPath, async (tmp) => {
    const r = await run(tmp, snarkjsProgressLogger(progress), before.protocol);
    progress.finish();
    if (r === false) throw new UserError(`${o.inPath}: snarkjs refused the contribution`);
  });
  const after = await readZkeyMpc(o.outPath);
  const rec = after.contributions[after.contributions.length - 1]!;
  const contribution: TranscriptContribution = {
    ...rec,
    file: basename(o.outPath),
    fileBlake2b: await hashFileBlake2b(o.outPath),
  };
  if (!transcript) return { contribution };
  const outTranscript = join(dirname(o.outPath), TRANSCRIPT_FILE);
  // A transcript lists files relative to itself: one written elsewhere cannot name the earlier files.
  const sameDir = dirname(outTranscript) === dirname(tPath!);
  const all = [...known, ...caughtUp];
  writeTranscript(outTranscript, {
    ...transcript,
    init: sameDir ? transcript.init : { ...transcript.init, file: '' },
    contributions: [...all.map((c) => (sameDir ? c : { ...c, file: undefined })), contribution],
  });
  return { contribution, transcriptPath: outTranscript };
}

/** Adds one secret contribution to a phase-2 key. */
export function ceremonyContribute(o: ContributeOptions): Promise<StepResult> {
  // The CSPRNG bytes make the secret unpredictable even when the user's text is not.
  const entropy = randomBytes(32).toString('hex') + (o.entropy ?? '');
  return step(o, (tmp, logger, protocol) =>
    protocol === 'ultragroth'
      ? ultragrothStep(o.inPath, tmp, { kind: 'contribution', name: o.name, entropy })
      : snarkjs.zKey.contribute(o.inPath, tmp, o.name, entropy, logger),
  );
}

/** Adds the final random-beacon contribution (its secret is public: it only adds unpredictability). */
export function ceremonyBeacon(o: BeaconOptions): Promise<StepResult> {
  const hex = o.beaconHex.replace(/^0x/, '');
  if (!/^([0-9a-fA-F]{2}){1,255}$/.test(hex))
    throw new UserError(`--beacon "${o.beaconHex}": must be 1 to 255 bytes of hex`);
  const exp = o.iterationsExp ?? 10;
  if (!Number.isInteger(exp) || exp < 10 || exp > 63)
    throw new UserError(`--iterations-exp ${exp}: must be an integer in 10..63`);
  return step(o, (tmp, logger, protocol) =>
    protocol === 'ultragroth'
      ? ultragrothStep(o.inPath, tmp, {
          kind: 'beacon',
          name: o.name,
          beaconHash: Buffer.from(hex, 'hex'),
          iterationsExp: exp,
        })
      : snarkjs.zKey.beacon(o.inPath, tmp, o.name, hex.toLowerCase(), exp, logger),
  );
}

/** One ultragroth contribution or beacon from the key at `inPath` to `tmp` (δ and δ₁ both moved). */
async function ultragrothStep(inPath: string, tmp: string, src: SecretSource): Promise<void> {
  const r = await contributeUltragroth(readFileSync(inPath), src).catch((e: Error) => {
    throw new UserError(`${inPath}: ${e.message}`);
  });
  writeFileSync(tmp, Buffer.concat(r.zkey));
}

/** The provenance line printed for a ptau. */
export function describePtau(p: PtauProvenance): string {
  return `${p.name} (2^${p.power}, blake2b ${p.blake2b.slice(0, 16)}…, ${p.recognised ? p.source : 'unrecognised'})`;
}
