/**
 * Verification of a proof bundle. Every check is reported by name, so a failure says exactly
 * what is wrong: `format` (malformed bundle), `vkey` (the key does not match the bundle's vkey
 * hash), `model-id` (the key belongs to another model), `public-signals` (the signals are out
 * of range or disagree with the decoded output), `proof` (the Groth16 pairing check).
 */
import { readFileSync } from 'node:fs';
import * as snarkjs from 'snarkjs';
import { FIELD_PRIME, toSigned } from '../../circuits/field.js';
import { assertBundleShape, ProofBundle } from '../bundle/bundle.js';
import { UserError } from '../errors.js';
import { argmax, quantizeInput, QuantizedModel } from '../quantize/quantized-model.js';
import { commitValues } from '../../circuits/commitment.js';
import { inputCommitmentParams, outputCommitmentParams, packParams } from '../circuit/build-circuit.js';
import { packValues } from '../../circuits/pack.js';
import { readInputFile } from '../onnx/input-file.js';
import type { ChainTarget, ChainVerdict } from '../chain/verify-on-chain.js';
import { vkeyHash, VkeyMeta } from '../setup/setup-keys.js';
import { checkModelBinding } from './model-binding.js';
import { checkTrustedSetup, resolveTrustedPtau, TrustedSetupResult } from './trusted-setup.js';

/** Names of the checks, in the order they run. */
export type CheckName = 'format' | 'vkey' | 'model-id' | 'public-signals' | 'input-commitment' | 'proof' | 'chain' | 'trusted-setup';

/** One check's outcome. */
export interface CheckResult {
  readonly check: CheckName;
  readonly ok: boolean;
  readonly detail: string;
}

/** The verdict. */
export interface VerifyReport {
  readonly valid: boolean;
  /** The first failed check, if any. */
  readonly failed?: CheckName;
  readonly checks: CheckResult[];
  readonly modelId?: string;
  readonly prediction?: number;
  readonly output?: number[];
  readonly setup?: string;
  readonly warnings: string[];
  /** Where the verification key came from. */
  readonly vkeySource: 'file' | 'bundle';
  /** The on-chain verdict, when asked for. */
  readonly chain?: ChainVerdict;
  /** Phase-2 contributors of the key's ceremony, in order (with --require-trusted-setup). */
  readonly contributors?: TrustedSetupResult['contributors'];
}

/** Options of {@link verifyBundle}. */
export interface VerifyOptions {
  /** Path of the bundle file (or pass `bundle`). */
  readonly bundlePath?: string;
  readonly bundle?: unknown;
  /** A trusted verification key; without it the bundle's embedded key is used. */
  readonly vkeyPath?: string;
  /** The input the prover claims to have used: checked against the input commitment. */
  readonly inputPath?: string;
  /** Also verify with the Solidity verifier on an EVM; the two verdicts must agree. */
  readonly chain?: ChainTarget;
  /** Fail bundles whose keys do not come from a verified multi-party ceremony (see trusted-setup.ts). */
  readonly requireTrustedSetup?: boolean;
  /** Fewest phase-2 contributions a trusted key needs (default 2). */
  readonly minContributions?: number;
  /** Powers-of-tau files or blake2b-512 hashes to treat as recognised, besides the published ones. */
  readonly trustPtau?: readonly string[];
  /** The model's ONNX file: recompiled (with `settingsPath`) to check the model id. */
  readonly modelPath?: string;
  readonly settingsPath?: string;
  /** The ceremony's transcript or final zkey: the key must come from it, for the recompiled r1cs. */
  readonly ceremonyPath?: string;
}

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`${path}: cannot read ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UserError(`${path}: ${what} is not valid JSON (${(e as Error).message})`);
  }
}

async function checkSignals(bundle: ProofBundle, meta: VkeyMeta | undefined, nPublic: number): Promise<string | null> {
  const sig = bundle.publicSignals;
  if (sig.length !== nPublic) return `${sig.length} public signals, the key expects ${nPublic}`;
  for (const [i, s] of sig.entries()) {
    if (!/^\d+$/.test(s) || BigInt(s) >= FIELD_PRIME) return `public signal ${i} is not a canonical field element`;
  }
  if (!meta) return 'verification key lacks zkinfer metadata (layout)';
  const { layout, input } = meta;
  if (layout.input.visibility === 'public') {
    for (let i = 0; i < layout.input.count; i++) {
      // The circuit does not range-check public inputs; the verifier must, or field wrap-around could fake an input.
      const v = toSigned(BigInt(sig[layout.input.offset + i]!));
      if (v < BigInt(input.lo) || v > BigInt(input.hi)) return `public input ${i} = ${v} outside [${input.lo}, ${input.hi}]`;
    }
  }
  let ints: bigint[];
  if (layout.output.visibility === 'public') {
    ints = sig.slice(layout.output.offset, layout.output.offset + layout.output.count).map((s) => toSigned(BigInt(s)));
    if (bundle.output.integers.length !== ints.length || ints.some((v, i) => String(v) !== bundle.output.integers[i])) return 'output integers disagree with the public signals';
  } else if (layout.output.visibility === 'packed') {
    if (!bundle.output.integers.every((v) => /^-?\d+$/.test(v))) return 'output integers are not integers';
    ints = bundle.output.integers.map((v) => BigInt(v));
    let packed: bigint[];
    try {
      packed = packValues(ints, packParams(meta.output));
    } catch {
      return 'output integers are outside the range the circuit guarantees';
    }
    const sigs = sig.slice(layout.output.offset, layout.output.offset + layout.output.count);
    if (packed.length !== sigs.length || packed.some((e, i) => String(e) !== sigs[i])) return 'output integers do not match the packed public signals';
  } else {
    if (!bundle.output.integers.every((v) => /^-?\d+$/.test(v))) return 'output integers are not integers';
    ints = bundle.output.integers.map((v) => BigInt(v));
    let commitment: bigint;
    try {
      commitment = await commitValues(ints, outputCommitmentParams(meta.output));
    } catch {
      return 'output integers are outside the range the circuit commits to';
    }
    if (String(commitment) !== sig[layout.output.offset]) return 'output integers do not match the output commitment';
  }
  if (bundle.output.frac !== meta.output.frac) return `output scale 2^-${bundle.output.frac} disagrees with the key's 2^-${meta.output.frac}`;
  if (bundle.output.values.length !== ints.length || ints.some((v, i) => Math.abs(Number(v) / 2 ** meta.output.frac - bundle.output.values[i]!) > 1e-9 * Math.max(1, Math.abs(bundle.output.values[i]!)))) return 'decoded output values disagree with the public signals';
  if (bundle.prediction !== argmax(ints)) return `prediction ${bundle.prediction} is not the argmax ${argmax(ints)} of the output`;
  return null;
}

async function checkInput(path: string, bundle: ProofBundle, meta: VkeyMeta): Promise<CheckResult> {
  const x = readInputFile(path, meta.input.shape);
  const xq = quantizeInput({ input: meta.input } as QuantizedModel, x).map(BigInt);
  const { layout } = meta;
  const fail = (detail: string): CheckResult => ({ check: 'input-commitment', ok: false, detail });
  if (layout.input.visibility === 'public') {
    const sig = bundle.publicSignals.slice(layout.input.offset, layout.input.offset + layout.input.count).map((s) => toSigned(BigInt(s)));
    if (sig.length !== xq.length || sig.some((v, i) => v !== xq[i])) return fail(`${path} differs from the proof's public input`);
    return { check: 'input-commitment', ok: true, detail: `${path} is the proven (public) input` };
  }
  const commitment = await commitValues(xq, inputCommitmentParams(meta.input));
  if (String(commitment) !== bundle.publicSignals[layout.input.offset]) return fail(`${path} does not match the input commitment`);
  return { check: 'input-commitment', ok: true, detail: `${path} matches the input commitment` };
}

/** Verifies a bundle; throws {@link UserError} only when the inputs cannot be read at all. */
export async function verifyBundle(opts: VerifyOptions): Promise<VerifyReport> {
  const where = opts.bundlePath ?? 'bundle';
  const raw = opts.bundle ?? readJson(opts.bundlePath!, 'proof bundle');
  const checks: CheckResult[] = [];
  const warnings: string[] = [];
  const vkeySource = opts.vkeyPath ? 'file' : 'bundle';
  try {
    assertBundleShape(raw, where);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    checks.push({ check: 'format', ok: false, detail: e.message });
    return { valid: false, failed: 'format', checks, warnings, vkeySource };
  }
  const bundle = raw;
  checks.push({ check: 'format', ok: true, detail: 'bundle fields present and well-typed' });
  const vkey = (opts.vkeyPath ? readJson(opts.vkeyPath, 'verification key') : bundle.vkey) as Record<string, unknown>;
  if (!vkey || typeof vkey !== 'object' || typeof vkey['nPublic'] !== 'number') throw new UserError(`${opts.vkeyPath ?? where}: not a Groth16 verification key`);
  const meta = vkey['zkinfer'] as VkeyMeta | undefined;
  const hash = vkeyHash(vkey);
  checks.push(hash === bundle.vkeyHash
    ? { check: 'vkey', ok: true, detail: `vkey hash ${hash.slice(0, 16)}… matches` }
    : { check: 'vkey', ok: false, detail: `the verification key's hash ${hash.slice(0, 16)}… differs from the bundle's ${bundle.vkeyHash.slice(0, 16)}…` });
  checks.push(meta?.modelId === bundle.modelId
    ? { check: 'model-id', ok: true, detail: `model ${bundle.modelId.slice(0, 16)}…` }
    : { check: 'model-id', ok: false, detail: `bundle names model ${bundle.modelId.slice(0, 16)}…, the key is for ${meta?.modelId?.slice(0, 16) ?? 'an unknown model'}…` });
  let r1cs: Uint8Array | undefined;
  if (opts.modelPath) {
    const binding = await checkModelBinding({ modelPath: opts.modelPath, settingsPath: opts.settingsPath, ceremonyPath: opts.ceremonyPath, layout: meta?.layout ?? bundle.layout, bundleModelId: bundle.modelId, vkey });
    checks.push(binding.check);
    r1cs = binding.recompiled.r1cs;
  }
  const sigError = await checkSignals(bundle, meta, vkey['nPublic'] as number);
  checks.push({ check: 'public-signals', ok: sigError === null, detail: sigError ?? `${bundle.publicSignals.length} public signals consistent with the output` });
  if (opts.inputPath && meta) checks.push(await checkInput(opts.inputPath, bundle, meta));
  let proofOk = false;
  try {
    // A signal count the key does not expect cannot verify; snarkjs would throw on it.
    proofOk = bundle.publicSignals.length === vkey['nPublic'] ? await snarkjs.groth16.verify(vkey, bundle.publicSignals, bundle.proof) : false;
  } catch {
    proofOk = false;
  }
  checks.push({ check: 'proof', ok: proofOk, detail: proofOk ? 'Groth16 pairing check passed' : 'Groth16 pairing check failed' });
  let chain: ChainVerdict | undefined;
  if (opts.chain) {
    // Loaded on demand: solc and the EVM are heavy and most verifications never need them.
    const { verifyOnChain } = await import('../chain/verify-on-chain.js');
    chain = await verifyOnChain(bundle, vkey, opts.chain);
    const where = chain.target === 'embedded' ? 'embedded EVM' : `contract ${chain.address}`;
    checks.push(chain.valid === proofOk
      ? { check: 'chain', ok: chain.valid, detail: `${where} says ${chain.valid}, as the local check (${chain.gasSource} gas ${chain.gas})` }
      : { check: 'chain', ok: false, detail: `DISAGREEMENT: ${where} says ${chain.valid}, the local check says ${proofOk}` });
    if (!chain.fitsOnChain) warnings.push(`the verifier is ${chain.deployedSize} bytes, over the 24,576-byte contract limit of real chains; use --input-visibility hashed to shrink it`);
  }
  const setupKind = meta?.setup ?? bundle.setup.kind;
  if (setupKind === 'dev') warnings.push('keys come from the single-party dev setup: whoever ran it could forge proofs');
  if (meta?.ptau && !meta.ptau.recognised) warnings.push(`ptau: unrecognised (${meta.ptau.name}, blake2b ${meta.ptau.blake2b.slice(0, 16)}…): not a published powers-of-tau file`);
  let contributors: TrustedSetupResult['contributors'] | undefined;
  if (opts.requireTrustedSetup) {
    const trust = await checkTrustedSetup({ vkey, minContributions: opts.minContributions, trustPtau: await resolveTrustedPtau(opts.trustPtau ?? []), r1cs });
    checks.push(trust.check);
    warnings.push(...trust.warnings);
    contributors = trust.contributors;
  }
  const failed = checks.find((c) => !c.ok)?.check;
  return {
    valid: failed === undefined,
    ...(failed ? { failed } : {}),
    checks,
    modelId: bundle.modelId,
    prediction: bundle.prediction,
    output: bundle.output.values,
    setup: setupKind,
    warnings,
    vkeySource,
    ...(chain ? { chain } : {}),
    ...(contributors ? { contributors } : {}),
  };
}
