/**
 * `ceremony verify` and `ceremony finalize`. Verification checks, in order, and names the first
 * contribution that fails: the ptau and r1cs are the transcript's; every contribution file
 * still hashes to what the transcript recorded and extends the one before; the transcript
 * lists exactly the contributions inside the final key; the contribution chain holds (each
 * public key signs its predecessors and moves δ by its own secret); and snarkjs's `zkey verify`
 * of the final key against a key it rebuilds from the r1cs and the ptau.
 */
import { copyFileSync, existsSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { artifactPath } from '../../formats/paths.js';
import { readArtifact } from '../../formats/artifacts.js';
import { sha256Hex } from '../../core/hash.js';
import { VERSIONS } from '../../core/versions.js';
import { writeJsonAtomic } from '../../core/atomic-write.js';
import { proofSystemOf, type CircuitInfo, type ProofSystem } from '../../formats/circuit.js';
import { UserError } from '../../core/errors.js';
import { ceremonyDir, TRANSCRIPT_FILE } from './ceremony.js';
import { CeremonyMeta, CeremonyTranscript, ContributionRecord } from '../../formats/ceremony.js';
import { discardedIn, readTranscript, transcriptHash, writeTranscript } from './ceremony-transcript.js';
import { describeContribution, verifyContributionChain } from './contribution-chain.js';
import { hashFileBlake2b, identifyPtau } from '../ptau/ptau-file.js';
import { PtauProvenance, SetupInfo } from '../../formats/setup.js';
import { vkeyHash, VkeyMeta } from '../../formats/vkey.js';
import { vkeyMetaFor } from '../setup-keys.js';
import { createTaskProgress, snarkjsProgressLogger } from '../../runtime/progress.js';
import { readZkeyMpc } from './zkey-mpc.js';
import { buildRound1 } from './ultragroth-setup.js';
import { splitZkey, ultragrothInitKey, ultragrothLayout, ultragrothVerificationKey } from './ultragroth-key.js';
import { verifyUltragrothKey } from './ultragroth-verify.js';
import { checkFinalizeReplacement } from './finalize-replacement.js';
import type { ExistingKeys } from '../existing-keys.js';

/** Options of {@link verifyCeremony}. */
export interface CeremonyVerifyOptions {
  /** A build directory (its ceremony directory is used) or a ceremony's zkey. */
  readonly target: string;
  readonly ptauPath: string;
  /** The circuit (default: circuit.r1cs of the build directory). */
  readonly r1csPath?: string;
  /** The transcript (default: transcript.json beside the zkey / in the ceremony directory). */
  readonly transcriptPath?: string;
  readonly trustPtau?: readonly string[];
  readonly progress?: boolean;
  /**
   * ultragroth keys: the build's round split (circuit.json), which the key must have. Without it
   * the split of the circuit.json beside the r1cs is used; never the key's own (a key split lower
   * than its build would let provers choose the LogUp multiplicities after the challenge).
   */
  readonly round1?: { readonly round2Start: number; readonly challengeWire: number };
}

/** A contributor as reported. */
export interface Contributor {
  readonly index: number;
  readonly name: string;
  readonly kind: ContributionRecord['kind'];
  readonly hash: string;
}

/** Outcome of {@link verifyCeremony}. */
export interface CeremonyVerifyReport {
  readonly ok: boolean;
  /** Why it failed, naming the contribution when one is to blame. */
  readonly failure?: string;
  readonly failedContribution?: number;
  readonly zkeyPath: string;
  readonly ptau: PtauProvenance;
  readonly contributors: Contributor[];
  /** The transcript with `final` filled in, when one was given and everything verified. */
  readonly transcript?: CeremonyTranscript;
}

interface Resolved {
  zkeyPath: string;
  r1csPath: string;
  transcriptPath?: string;
}

function resolveTarget(o: CeremonyVerifyOptions): Resolved {
  if (!existsSync(o.target)) throw new UserError(`${o.target}: not found (expected a build directory or a .zkey file)`);
  if (statSync(o.target).isDirectory()) {
    const dir = existsSync(join(o.target, TRANSCRIPT_FILE)) ? o.target : ceremonyDir(o.target);
    const transcriptPath = o.transcriptPath ?? join(dir, TRANSCRIPT_FILE);
    const t = readTranscript(transcriptPath);
    const last = t.contributions.length ? t.contributions[t.contributions.length - 1]!.file : t.init.file;
    if (!last) throw new UserError(`${transcriptPath}: does not name the latest zkey; pass the zkey itself`);
    const r1csPath = o.r1csPath ?? artifactPath(dir === o.target ? dirname(dir) : o.target, 'r1cs');
    return { zkeyPath: join(dirname(transcriptPath), last), r1csPath, transcriptPath };
  }
  const beside = join(dirname(o.target), TRANSCRIPT_FILE);
  const transcriptPath = o.transcriptPath ?? (existsSync(beside) ? beside : undefined);
  if (!o.r1csPath) throw new UserError(`${o.target}: pass --r1cs FILE (the circuit the key must be for)`);
  return { zkeyPath: o.target, r1csPath: o.r1csPath, transcriptPath };
}

type ZkeyMpc = Awaited<ReturnType<typeof readZkeyMpc>>;
interface Mismatch {
  readonly failure: string;
  readonly index?: number;
}
const failure = (text: string, index?: number): Mismatch => ({ failure: text, ...(index ? { index } : {}) });

/**
 * The transcript's checks: its ptau and r1cs, the key's circuit hash, the initial key's file, then
 * each contribution against the key and its own file, and no contribution missing from the
 * transcript. Returns the first mismatch, or undefined when the key is the transcript's.
 */
async function transcriptMismatch(
  t: CeremonyTranscript,
  r: Resolved,
  ptauPath: string,
  ptau: PtauProvenance,
  mpc: ZkeyMpc,
): Promise<Mismatch | undefined> {
  if (t.ptau.blake2b !== ptau.blake2b)
    return failure(
      `${ptauPath} is not the ptau of the transcript (${t.ptau.name}, blake2b ${t.ptau.blake2b.slice(0, 16)}…)`,
    );
  const r1csSha = sha256Hex(readFileSync(r.r1csPath));
  if (r1csSha !== t.circuit.r1csSha256)
    return failure(
      `${r.r1csPath} is not the circuit of the transcript (r1cs sha256 ${r1csSha.slice(0, 16)}…, transcript ${t.circuit.r1csSha256.slice(0, 16)}…)`,
    );
  if (mpc.csHash !== t.circuit.csHash)
    return failure(`${r.zkeyPath} was made for another circuit or ptau than the transcript's (circuit hash differs)`);
  const gone = discardedIn(
    t,
    mpc.contributions.map((c) => c.hash),
  );
  if (gone) {
    const c = mpc.contributions.find((x) => x.hash === gone)!;
    return failure(
      `${describeContribution(c)}: discarded by \`ceremony init --force\` (the transcript lists it as discarded)`,
      c.index,
    );
  }
  const tDir = dirname(r.transcriptPath!);
  if (
    t.init.file &&
    existsSync(join(tDir, t.init.file)) &&
    (await hashFileBlake2b(join(tDir, t.init.file))) !== t.init.blake2b
  )
    return failure(`initial key ${t.init.file} differs from the one the transcript recorded`);
  for (const c of t.contributions) {
    const inKey = mpc.contributions[c.index - 1];
    if (!inKey || inKey.hash !== c.hash || inKey.name !== c.name)
      return failure(
        `${describeContribution(c)}: the transcript lists hash ${c.hash.slice(0, 16)}…, the key ${inKey ? `holds ${inKey.hash.slice(0, 16)}… ("${inKey.name}")` : 'has no such contribution'}`,
        c.index,
      );
    const file = c.file ? join(tDir, c.file) : undefined;
    if (!file || !existsSync(file) || c.fileBlake2b === undefined) continue;
    if ((await hashFileBlake2b(file)) !== c.fileBlake2b)
      return failure(
        `${describeContribution(c)}: ${c.file} differs from the file the transcript recorded (blake2b mismatch): altered after it was contributed`,
        c.index,
      );
    const prefix = await readZkeyMpc(file);
    if (
      prefix.contributions.length !== c.index ||
      prefix.contributions.some((p, i) => p.hash !== mpc.contributions[i]!.hash)
    )
      return failure(`${describeContribution(c)}: ${c.file} is not the key this contribution made`, c.index);
  }
  if (mpc.contributions.length !== t.contributions.length) {
    const extra = mpc.contributions[t.contributions.length]!;
    return failure(`${describeContribution(extra)}: in the key but not in the transcript`, extra.index);
  }
  return undefined;
}

/** The chain and snarkjs's `zkey verify` of a Groth16 key; the first failure, or undefined. */
async function groth16KeyFailure(mpc: ZkeyMpc, r: Resolved, o: CeremonyVerifyOptions): Promise<Mismatch | undefined> {
  const chain = await verifyContributionChain({ csHash: mpc.csHash, contributions: mpc.contributions });
  if (!chain.ok) return failure(chain.detail, chain.index);
  const progress = createTaskProgress('zkey verify', { tty: o.progress ? undefined : false });
  const errors: string[] = [];
  const logger = { ...snarkjsProgressLogger(progress), error: (m: string) => void errors.push(m) };
  let ok: boolean;
  try {
    ok = await snarkjs.zKey.verifyFromR1cs(r.r1csPath, o.ptauPath, r.zkeyPath, logger);
  } catch (e) {
    throw new UserError(`${r.zkeyPath}: snarkjs could not read the key, r1cs or ptau (${(e as Error).message})`);
  } finally {
    progress.finish();
  }
  if (ok) return undefined;
  return failure(
    `final key ${basename(r.zkeyPath)}: ${errors[0] ?? 'snarkjs zkey verify failed'} ` +
      `(against the key rebuilt from ${basename(r.r1csPath)} and ${basename(o.ptauPath)})`,
  );
}

/** The round split of the ultragroth build whose circuit.json sits beside `r1csPath`. */
function buildSplitBeside(r1csPath: string): { round2Start: number; challengeWire: number } {
  const dir = dirname(r1csPath);
  if (!existsSync(artifactPath(dir, 'circuit')))
    throw new UserError(
      `${r1csPath}: no circuit.json beside it; an ultragroth key's round split can only be checked against its build (verify the build directory)`,
    );
  const split = buildRound1(readArtifact<CircuitInfo>(dir, 'circuit', 'compile'));
  if (!split)
    throw new UserError(`${artifactPath(dir, 'circuit')}: not an ultragroth build, but the key is an ultragroth key`);
  return split;
}

/**
 * An ultragroth key: both PoK chains (δ and δ₁) and every section against the initial key rebuilt
 * from the r1cs, the ptau and the round split (src/setup/ceremony/ultragroth-verify.ts).
 */
async function ultragrothKeyFailure(
  zkeyPath: string,
  r1csPath: string,
  ptauPath: string,
  round1: CeremonyVerifyOptions['round1'],
): Promise<Mismatch | undefined> {
  const key = readFileSync(zkeyPath);
  // The round split decides which wires C₁ binds before the challenge: a key split lower than the
  // build (the multiplicities over δ) lets a prover balance any lookup after seeing c. So it is
  // never taken from the key under test, only from the build (circuit.json beside the r1cs).
  const split = round1 ?? buildSplitBeside(r1csPath);
  try {
    const own = ultragrothLayout(splitZkey(key)).round1;
    if (own.round2Start !== split.round2Start || own.challengeWire !== split.challengeWire)
      return failure(
        `final key ${basename(zkeyPath)}: section 11 splits the rounds at wire ${own.round2Start} ` +
          `(challenge ${own.challengeWire}), the build at ${split.round2Start} (challenge ${split.challengeWire})`,
      );
  } catch (e) {
    return failure(`final key ${basename(zkeyPath)}: ${(e as Error).message}`);
  }
  let init;
  try {
    init = await ultragrothInitKey({ r1cs: r1csPath, ptau: ptauPath, round1: split });
  } catch (e) {
    throw new UserError(
      `${zkeyPath}: could not rebuild the initial ultragroth key from ${r1csPath} and ${ptauPath} (${(e as Error).message})`,
    );
  }
  const v = await verifyUltragrothKey(key, Buffer.concat(init.zkey));
  if (v.ok) return undefined;
  return failure(
    `final key ${basename(zkeyPath)}: ${v.detail} (against the key rebuilt from ${basename(r1csPath)} and ${basename(ptauPath)})`,
    v.index,
  );
}

/** Verifies a ceremony's latest key; see the file comment for the checks. */
export async function verifyCeremony(o: CeremonyVerifyOptions): Promise<CeremonyVerifyReport> {
  const r = resolveTarget(o);
  if (!existsSync(r.zkeyPath)) throw new UserError(`${r.zkeyPath}: zkey not found`);
  if (!existsSync(r.r1csPath)) throw new UserError(`${r.r1csPath}: r1cs not found`);
  const t = r.transcriptPath ? readTranscript(r.transcriptPath) : undefined;
  const ptau = await identifyPtau(o.ptauPath, {
    trusted: o.trustPtau,
    progress: o.progress ? createTaskProgress(`hashing ${basename(o.ptauPath)}`) : undefined,
  });
  const mpc = await readZkeyMpc(r.zkeyPath);
  const contributors = mpc.contributions.map(({ index, name, kind, hash }) => ({ index, name, kind, hash }));
  const base = { zkeyPath: r.zkeyPath, ptau, contributors };
  const fail = (failure: string, index?: number): CeremonyVerifyReport => ({
    ...base,
    ok: false,
    failure,
    ...(index ? { failedContribution: index } : {}),
  });

  if (t) {
    const mismatch = await transcriptMismatch(t, r, o.ptauPath, ptau, mpc);
    if (mismatch) return fail(mismatch.failure, mismatch.index);
  }
  const failed =
    mpc.protocol === 'ultragroth'
      ? await ultragrothKeyFailure(r.zkeyPath, r.r1csPath, o.ptauPath, o.round1)
      : await groth16KeyFailure(mpc, r, o);
  if (failed) return fail(failed.failure, failed.index);
  const transcript = t && {
    ...t,
    final: {
      file: basename(r.zkeyPath),
      blake2b: await hashFileBlake2b(r.zkeyPath),
      checkedAt: new Date().toISOString(),
      zkinfer: VERSIONS.zkinfer,
      snarkjs: VERSIONS.snarkjs,
    },
  };
  return { ...base, ok: true, ...(transcript ? { transcript } : {}) };
}

/** The verification key of the ceremony's final key, which must be of the build's proof system. */
async function finalVerificationKey(zkeyPath: string, system: ProofSystem): Promise<Record<string, unknown>> {
  const protocol = (await readZkeyMpc(zkeyPath)).protocol;
  if (protocol !== system)
    throw new UserError(
      `${zkeyPath}: a ${protocol} key, but the build is a ${system} circuit; start the ceremony again`,
    );
  return system === 'ultragroth'
    ? ultragrothVerificationKey(readFileSync(zkeyPath))
    : ((await snarkjs.zKey.exportVerificationKey(zkeyPath)) as Record<string, unknown>);
}

/** Options of {@link finalizeCeremony}. */
export interface FinalizeOptions {
  readonly buildDir: string;
  readonly ptauPath: string;
  /** The final zkey (default: the latest in the build directory's ceremony). */
  readonly zkeyPath?: string;
  readonly transcriptPath?: string;
  readonly trustPtau?: readonly string[];
  readonly progress?: boolean;
  /**
   * Replace keys that finalize may not replace on its own (a ptau key, another ceremony's key;
   * see src/setup/ceremony/finalize-replacement.ts) instead of refusing.
   */
  readonly force?: boolean;
}

/**
 * Verifies the ceremony and installs its final key in the build directory: circuit.zkey,
 * vkey.json (zkinfer metadata with the ptau provenance and the verified transcript and its
 * hash) and setup.json; the transcript gets its `final` entry. Keys already in the build are
 * replaced only as {@link checkFinalizeReplacement} allows; `replaced` says which were.
 */
export async function finalizeCeremony(o: FinalizeOptions): Promise<{
  report: CeremonyVerifyReport;
  vkey?: Record<string, unknown>;
  info?: SetupInfo;
  replaced?: ExistingKeys;
}> {
  const started = performance.now();
  const circuit = readArtifact<CircuitInfo>(o.buildDir, 'circuit', 'compile');
  const report = await verifyCeremony({
    target: o.zkeyPath ?? o.buildDir,
    ptauPath: o.ptauPath,
    r1csPath: artifactPath(o.buildDir, 'r1cs'),
    transcriptPath: o.transcriptPath,
    trustPtau: o.trustPtau,
    progress: o.progress,
    ...(buildRound1(circuit) ? { round1: buildRound1(circuit) } : {}),
  });
  if (!report.ok) return { report };
  if (!report.transcript)
    throw new UserError(`${report.zkeyPath}: no transcript.json beside it; pass --transcript FILE`);
  if (report.transcript.circuit.modelId !== circuit.modelId)
    throw new UserError(
      `${o.buildDir}: the ceremony is for model ${report.transcript.circuit.modelId.slice(0, 16)}…, the build directory holds ${circuit.modelId.slice(0, 16)}…`,
    );
  if (report.contributors.length === 0)
    throw new UserError(`${report.zkeyPath}: no phase-2 contribution yet; run \`zkinfer ceremony contribute\` first`);
  const ceremony: CeremonyMeta = { transcriptSha256: transcriptHash(report.transcript), transcript: report.transcript };
  const core = await finalVerificationKey(report.zkeyPath, proofSystemOf(circuit));
  const meta: VkeyMeta = { ...vkeyMetaFor(o.buildDir, circuit, 'ptau'), ptau: report.ptau, ceremony };
  const vkey = { ...core, zkinfer: meta };
  const newHash = vkeyHash(vkey);
  // Before anything is written: a refusal leaves the build's keys and the transcript as they were.
  const replaced = checkFinalizeReplacement({
    buildDir: o.buildDir,
    transcript: report.transcript,
    vkeyHash: newHash,
    force: o.force,
  });
  const info: SetupInfo = {
    kind: 'ptau',
    ptau: { file: o.ptauPath, ...report.ptau },
    ceremony: { transcriptSha256: ceremony.transcriptSha256, contributors: report.contributors.map((c) => c.name) },
    modelId: circuit.modelId,
    vkeyHash: newHash,
    // The same cross-file hashes setup records, so prove's build-dir consistency check accepts the final key.
    hashes: {
      quantized: circuit.quantizedSha256,
      r1cs: circuit.r1csSha256,
      zkey: sha256Hex(readFileSync(report.zkeyPath)),
      vkey: newHash,
    },
    seconds: (performance.now() - started) / 1000,
    zkinfer: VERSIONS.zkinfer,
    snarkjs: VERSIONS.snarkjs,
    createdAt: new Date().toISOString(),
  };
  const zkeyOut = artifactPath(o.buildDir, 'zkey');
  const tmp = `${zkeyOut}.tmp-${process.pid}`;
  try {
    copyFileSync(report.zkeyPath, tmp);
    renameSync(tmp, zkeyOut);
  } finally {
    rmSync(tmp, { force: true });
  }
  writeJsonAtomic(artifactPath(o.buildDir, 'vkey'), vkey);
  writeJsonAtomic(artifactPath(o.buildDir, 'setup'), info);
  writeTranscript(o.transcriptPath ?? join(dirname(report.zkeyPath), TRANSCRIPT_FILE), report.transcript);
  return { report, vkey, info, ...(replaced ? { replaced } : {}) };
}
