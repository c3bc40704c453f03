/**
 * Verification of a proof bundle. Every check is reported by name, so a failure says exactly
 * what is wrong:
 * - `format`: malformed bundle (exit 2);
 * - `pin`: the key is not pinned by --vkey, --vkey-hash or the trusted-key store;
 * - `vkey`: the bundle's key hash disagrees with the pinned key or with its embedded key;
 * - `model-id`: the pinned key was made for another model (only when pinned);
 * - `weights`: hashed weights: the proof's weight commitment W is not the pinned one (or not pinned);
 * - `weights-opening`: W recomputed from --model and --weights-opening is not the proof's;
 * - `bundle-fields`: a readable field disagrees with the pinned key (layout, scales, setup…);
 * - `public-signals`: out-of-range values, or decoded output/prediction disagreeing with them;
 * - `opening`: the opening file does not open the commitments;
 * - `input-commitment`: the claimed input file is not what was proven;
 * - `proof-system`: the bundle's and its proof's protocol are the key's (groth16 or ultragroth);
 * - `challenge`: ultragroth only: the last public signal is the hash of C₁ and the other signals;
 * - `proof`: the pairing check of the key's proof system;
 * - `chain`: the Solidity verifier's verdict, and its deployed code;
 * - `trusted-setup`: the key comes from a dev setup, or is not pinned.
 */
import { assertBundleShape, ProofBundle, UNVERIFIED_FIELDS } from '../formats/bundle.js';
import { Opening, readOpening } from '../formats/opening.js';
import { UserError } from '../core/errors.js';
import { readJsonFile } from '../core/json.js';
import { argmax, isClassScoreVector } from '../quantize/quantized-model.js';
import { chainCheck, type ChainTarget, type ChainVerdict, type ChainVerifier } from './chain-check.js';
import {
  checkCommitmentFields,
  checkInputFile,
  checkInputOpening,
  checkInputValues,
  checkKeyFields,
  decodeOutput,
} from './check-signals.js';
import { keyChecks, PinSource, resolveKey, type PinnedKey } from './pin-key.js';
import { assertVerificationKey } from '../formats/vkey.js';
import { recompileModel, type RecompiledCircuit } from './model-binding.js';
import { keyProofSystem } from '../compile/proof-system.js';
import {
  assertWeightsOptions,
  provenWeights,
  weightsOpeningCheck,
  weightsPinCheck,
  type WeightsOptions,
} from './weights-check.js';
import { weightsHex } from '../formats/weights.js';
import {
  assertNoForeignOptions,
  checkKeyTrust,
  CLAIM_ONLY_OPTIONS,
  LABEL_ONLY_WARNING,
  type TrustOptions,
} from './key-trust.js';
import { checkProof, proofSystemMismatch } from './proof-check.js';
import type { Contributor } from './trusted-setup.js';
import { fail, pass, type CheckName, type CheckResult } from './check-result.js';

/** The verdict. */
export interface VerifyReport {
  /** What was verified (claims say `accuracy-claim`, with the same shape where the two share a meaning). */
  readonly kind: 'proof-bundle';
  readonly valid: boolean;
  /** The first failed check, if any. */
  readonly failed?: CheckName;
  readonly checks: CheckResult[];
  /** Whether the key was pinned; when false, model id and setup below are the bundle's claims. */
  readonly pinned: boolean;
  readonly keySource: PinSource;
  /** The verified model id (pinned keys only); with hashed weights, the architecture id. */
  readonly modelId?: string;
  /** Hashed weights: the proof's weight commitment W (0x-hex); `weightsPinned` says whether it was pinned. */
  readonly weightsCommitment?: string;
  readonly weightsPinned?: boolean;
  /** What the bundle claims when the key is not pinned: unverified. */
  readonly claimedModelId?: string;
  readonly prediction?: number;
  readonly output?: number[];
  /** Setup kind of the pinned key. */
  readonly setup?: string;
  /** Bundle fields present that nothing verifies (the prover's word). */
  readonly unverified: string[];
  /** Input values the checked input file needed clamped (with --input). */
  readonly inputClamped?: number;
  readonly warnings: string[];
  /** The on-chain verdict, when asked for. */
  readonly chain?: ChainVerdict;
  /** Phase-2 contributors of the key's ceremony, in order (with --require-trusted-setup). */
  readonly contributors?: Contributor[];
}

/** Options of {@link verifyBundle}. */
export interface VerifyOptions extends TrustOptions, WeightsOptions {
  /** Path of the bundle file (or pass `bundle`). */
  readonly bundlePath?: string;
  readonly bundle?: unknown;
  /** The model owner's verification key: pins the key. */
  readonly vkeyPath?: string;
  /** A published hash of the verification key: pins the key. */
  readonly vkeyHash?: string;
  /** Check the proof with an unpinned (embedded) key; the report says `pinned: false`. */
  readonly allowUnpinned?: boolean;
  /** Trusted-key store directory (default: the user's config dir). */
  readonly keyStoreDir?: string;
  /** The input the prover claims to have used. */
  readonly inputPath?: string;
  /** Or the claimed input's float values, already read, labelled for messages. */
  readonly inputValues?: { readonly values: ArrayLike<number>; readonly label: string };
  /** The opening written next to the bundle: opens hashed inputs and outputs. */
  readonly openingPath?: string;
  /** Also verify with the Solidity verifier on an EVM; the two verdicts must agree. */
  readonly chain?: ChainTarget;
  /** Runs the on-chain check; required with `chain` (src/chain/verify-bundle-on-chain.ts passes it). */
  readonly chainVerifier?: ChainVerifier;
}

type EmbeddedKey = Parameters<typeof resolveKey>[0];
type KeyMeta = PinnedKey['vkey']['zkinfer'];

/** The checks and warnings found so far, in the order they are reported. */
interface Findings {
  readonly checks: CheckResult[];
  readonly warnings: string[];
}

/** Verifies a bundle; throws {@link UserError} only when an input cannot be read at all. */
export async function verifyBundle(opts: VerifyOptions): Promise<VerifyReport> {
  assertNoForeignOptions(opts, CLAIM_ONLY_OPTIONS, 'a proof bundle');
  const where = opts.bundlePath ?? 'bundle';
  const raw = opts.bundle ?? readJsonFile(opts.bundlePath!, 'proof bundle');
  const found: Findings = { checks: [], warnings: [] };
  const { checks, warnings } = found;
  const parsed = parseBundle(raw, where);
  if ('error' in parsed) return formatFailure(found, parsed.error);
  const { bundle, embedded } = parsed;
  const opening: Opening | undefined = opts.openingPath ? readOpening(opts.openingPath) : undefined;
  checks.push(pass('format', 'bundle fields present, well-typed and canonical'));
  const key = resolveKey(embedded, opts);
  checks.push({
    check: 'pin',
    ok: key.ok,
    detail: key.detail,
    ...(key.ok && !key.pinned ? { unverified: true as const } : {}),
  });
  const { vkey } = key;
  const meta = vkey.zkinfer;
  checks.push(...keyChecks(bundle, embedded, key));
  assertWeightsOptions(meta, opts);
  const weightsPin = weightsPinCheck(meta, bundle.publicSignals, opts);
  if (weightsPin) checks.push(weightsPin);
  let recompiled: RecompiledCircuit | undefined;
  const trust = await checkKeyTrust({
    ...opts,
    vkey,
    pinned: key.pinned,
    claimedModelId: bundle.modelId,
    artifact: 'bundle',
    recompile: (modelPath, settingsPath) =>
      (recompiled = {
        modelPath,
        ...recompileModel({
          modelPath,
          settingsPath,
          inputVisibility: meta.layout.input.visibility,
          outputVisibility: meta.layout.output.visibility,
          system: keyProofSystem(meta),
        }),
      }),
  });
  checks.push(...trust.checks.filter((c) => c.check !== 'trusted-setup'));
  if (opts.weightsOpeningPath && recompiled?.model)
    checks.push(
      await weightsOpeningCheck(
        meta,
        bundle.publicSignals,
        opts.weightsOpeningPath,
        recompiled.model,
        recompiled.modelPath,
      ),
    );
  if (opts.modelPath && !trust.bound) warnings.push(LABEL_ONLY_WARNING);
  const decoded = await signalChecks(bundle, key, opening, opts.openingPath, checks);
  const inputClamped = inputCheck(opts, bundle, meta, opening, found);
  const proofOk = await proofCheck(bundle, vkey, checks);
  let chain: ChainVerdict | undefined;
  if (opts.chain) {
    const c = await chainCheck(
      opts.chain,
      opts.chainVerifier,
      bundle,
      vkey as unknown as Record<string, unknown>,
      key.ok,
      proofOk,
    );
    checks.push(c.check);
    chain = c.chain;
    if (c.warning) warnings.push(c.warning);
  }
  setupWarnings(meta, warnings);
  checks.push(...trust.checks.filter((c) => c.check === 'trusted-setup'));
  const contributors = trust.contributors;
  if (bundle.layout.output.visibility === 'hashed' && !opening)
    warnings.push('the output is hashed: pass --opening FILE to see and check it');
  return reportOf({ checks, warnings, key, bundle, decoded, inputClamped, chain, contributors });
}

/** The bundle's shape and its embedded key, or the `format` failure's detail. */
function parseBundle(raw: unknown, where: string): { bundle: ProofBundle; embedded: EmbeddedKey } | { error: string } {
  try {
    assertBundleShape(raw, where);
    const bundle = raw;
    assertVerificationKey(bundle.vkey, `${where}: field "vkey"`);
    return { bundle, embedded: bundle.vkey as EmbeddedKey };
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    return { error: e.message };
  }
}

/** The report of a malformed bundle: nothing else is checked. */
function formatFailure(found: Findings, detail: string): VerifyReport {
  return {
    kind: 'proof-bundle',
    valid: false,
    failed: 'format',
    checks: [...found.checks, fail('format', detail)],
    pinned: false,
    keySource: 'unpinned',
    unverified: [],
    warnings: found.warnings,
  };
}

/** The `bundle-fields`, `public-signals` and (with an opening) `opening` checks; returns the decoded output. */
async function signalChecks(
  bundle: ProofBundle,
  key: PinnedKey,
  opening: Opening | undefined,
  openingPath: string | undefined,
  checks: CheckResult[],
): Promise<Awaited<ReturnType<typeof decodeOutput>>> {
  const meta = key.vkey.zkinfer;
  const fieldError = checkKeyFields(bundle, meta) ?? checkCommitmentFields(bundle);
  checks.push(
    fieldError
      ? fail('bundle-fields', fieldError)
      : pass('bundle-fields', 'layout, scales, ranges, setup and commitments agree with the key and the signals'),
  );
  const decoded = await decodeOutput(bundle, meta, key.vkey.nPublic, opening);
  checks.push(
    decoded.error
      ? fail('public-signals', decoded.error)
      : pass('public-signals', `${bundle.publicSignals.length} public signals in range and consistent with the output`),
  );
  if (opening) {
    let err =
      opening.vkeyHash !== key.hash
        ? `${openingPath} belongs to key ${opening.vkeyHash.slice(0, 16)}…, not ${key.hash.slice(0, 16)}…`
        : await checkInputOpening(bundle, meta, opening);
    if (!err && bundle.layout.output.visibility === 'hashed' && !opening.output)
      err = 'the opening holds no output part';
    if (!err && bundle.layout.output.visibility !== 'hashed' && opening.output)
      err = 'the opening holds an output, but the output is not hashed';
    checks.push(err ? fail('opening', err) : pass('opening', `${openingPath} opens the commitments`));
  }
  return decoded;
}

/** The `input-commitment` check (with --input); returns how many input values needed clamping. */
function inputCheck(
  opts: VerifyOptions,
  bundle: ProofBundle,
  meta: KeyMeta,
  opening: Opening | undefined,
  found: Findings,
): number | undefined {
  if (!opts.inputPath && !opts.inputValues) return undefined;
  const r = opts.inputValues
    ? checkInputValues(opts.inputValues.values, opts.inputValues.label, bundle, meta, opening)
    : checkInputFile(opts.inputPath!, bundle, meta, opening);
  found.checks.push(r.error ? fail('input-commitment', r.error) : pass('input-commitment', r.detail));
  if (!r.error && r.clamped > 0) found.warnings.push(r.detail);
  return r.clamped;
}

/**
 * The `proof-system` check, then (ultragroth keys) `challenge`, then `proof`: the proof's points and
 * the pairing check of the key's system; returns whether the proof verified.
 */
async function proofCheck(bundle: ProofBundle, vkey: PinnedKey['vkey'], checks: CheckResult[]): Promise<boolean> {
  const mismatch = proofSystemMismatch(vkey, { bundle: bundle.protocol, proof: bundle.proof.protocol });
  checks.push(
    mismatch ? fail('proof-system', mismatch) : pass('proof-system', `proof and key are both ${bundle.proof.protocol}`),
  );
  const ultragroth = vkey['protocol'] === 'ultragroth';
  // A signal count the key does not expect cannot verify; snarkjs would throw on it.
  if (mismatch || bundle.publicSignals.length !== vkey.nPublic) {
    const detail = mismatch
      ? 'not checked: the proof is of another proof system'
      : `${bundle.publicSignals.length} public signals, the key expects ${vkey.nPublic}`;
    checks.push(fail('proof', detail));
    return false;
  }
  const verdict = await checkProof(vkey, bundle.publicSignals, bundle.proof);
  if (ultragroth)
    checks.push(
      verdict.ok || verdict.failed !== 'challenge'
        ? pass('challenge', 'the last public signal is the keccak256 challenge of C₁ and the other public signals')
        : fail('challenge', verdict.detail),
    );
  if (verdict.ok) checks.push(pass('proof', verdict.detail));
  else if (verdict.failed === 'pairing') checks.push(fail('proof', verdict.detail));
  return verdict.ok;
}

/** Warnings about where the key's setup came from: a dev setup, or an unrecognised powers-of-tau file. */
function setupWarnings(meta: KeyMeta, warnings: string[]): void {
  if (meta.setup === 'dev')
    warnings.push('keys come from the single-party dev setup: whoever ran it could forge proofs');
  if (meta.ptau && !meta.ptau.recognised)
    warnings.push(
      `ptau: unrecognised (${meta.ptau.name}, blake2b ${meta.ptau.blake2b.slice(0, 16)}…): not a published powers-of-tau file`,
    );
}

function fieldPresent(bundle: ProofBundle, path: string): boolean {
  let v: unknown = bundle;
  for (const k of path.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v !== undefined;
}

/** What the checks found, as the report. */
function reportOf(r: {
  checks: CheckResult[];
  warnings: string[];
  key: PinnedKey;
  bundle: ProofBundle;
  decoded: Awaited<ReturnType<typeof decodeOutput>>;
  inputClamped?: number;
  chain?: ChainVerdict;
  contributors?: Contributor[];
}): VerifyReport {
  const { checks, key, bundle, decoded, inputClamped, chain, contributors } = r;
  const meta = key.vkey.zkinfer;
  const failed = checks.find((c) => !c.ok)?.check;
  const ints = decoded.error ? undefined : decoded.integers;
  const w = provenWeights(meta, bundle.publicSignals);
  const wCheck = checks.find((c) => c.check === 'weights');
  return {
    kind: 'proof-bundle',
    valid: failed === undefined,
    ...(failed ? { failed } : {}),
    checks,
    pinned: key.pinned,
    keySource: key.source,
    ...(key.pinned ? { modelId: meta.modelId, setup: meta.setup } : { claimedModelId: bundle.modelId }),
    ...(w !== undefined
      ? { weightsCommitment: weightsHex(w), weightsPinned: !!wCheck && wCheck.ok && !wCheck.unverified }
      : {}),
    ...(ints
      ? {
          ...(isClassScoreVector(meta.output.shape) ? { prediction: argmax(ints) } : {}),
          output: ints.map((v) => Number(v) / 2 ** meta.output.frac),
        }
      : {}),
    unverified: UNVERIFIED_FIELDS.filter((f) => fieldPresent(bundle, f)),
    ...(inputClamped !== undefined ? { inputClamped } : {}),
    warnings: r.warnings,
    ...(chain ? { chain } : {}),
    ...(contributors ? { contributors } : {}),
  };
}
