/**
 * Rebuilding a verification key from what the verifier holds itself: the powers-of-tau file and
 * the circuit recompiled from the ONNX file. Phase-2 contributions move only δ (and the proving
 * key's L and H), so α, β and γ are the ptau's and the IC points are fixed by the ptau and the
 * r1cs's public wires: a key whose α, β and γ differ was not made from this ptau, and one whose
 * IC differ is not for this circuit, whatever its metadata says. Equal IC bind the public
 * wiring only; the rest of the circuit is bound through the ceremony ({@link circuitBinding}).
 * Together they turn `--model` from a comparison of labels into a binding of the key.
 */
import * as snarkjs from 'snarkjs';
import { canonicalJson } from '../core/hash.js';
import { UserError } from '../core/errors.js';
import { identifyPtau, isRecognisedPtau, parsePtauHash } from '../setup/ptau/ptau-file.js';
import { existsSync, statSync } from 'node:fs';
import type { ZkinferVkey } from '../formats/vkey.js';
import { transcriptHash } from '../setup/ceremony/ceremony-transcript.js';
import { verifyContributionChain } from '../setup/ceremony/contribution-chain.js';

/** A powers-of-tau file the verifier gave, identified by its hash. */
export interface PtauFile {
  readonly path: string;
  readonly name: string;
  readonly power: number;
  readonly blake2b: string;
  /** `published` (snarkjs's table), `trusted` (named with --trust-ptau) or undefined. */
  readonly recognised?: 'published' | 'trusted';
}

/** The powers of tau a verification may use: files to rebuild from, and the hashes it trusts. */
export interface PtauSources {
  readonly files: readonly PtauFile[];
  /** blake2b-512 hashes named with --trust-ptau (files and bare hashes). */
  readonly trusted: readonly string[];
}

/**
 * Identifies `--ptau FILE` and `--trust-ptau FILE|HASH` arguments. A --trust-ptau file is both
 * trusted and available for rebuilding; a --ptau file is available, and trusted only when it is
 * a published file (or also named by --trust-ptau). A file named like a published one whose
 * hash differs is refused (identifyPtau), so a renamed impostor is never recognised.
 */
export async function resolvePtauSources(o: {
  readonly ptau?: readonly string[];
  readonly trustPtau?: readonly string[];
}): Promise<PtauSources> {
  const trusted: string[] = [];
  const paths: string[] = [...(o.ptau ?? [])];
  for (const a of o.trustPtau ?? []) {
    if (existsSync(a) && statSync(a).isFile()) {
      paths.push(a);
      continue;
    }
    const h = parsePtauHash(a);
    if (!h) throw new UserError(`--trust-ptau ${a}: neither a file nor a blake2b-512 hash (128 hex digits)`);
    trusted.push(h);
  }
  const files: PtauFile[] = [];
  for (const p of paths) {
    const id = await identifyPtau(p);
    if ((o.trustPtau ?? []).includes(p)) trusted.push(id.blake2b);
    files.push({ path: p, name: id.name, power: id.power, blake2b: id.blake2b });
  }
  return {
    trusted,
    files: files.map((f) => ({ ...f, recognised: isRecognisedPtau(f.blake2b, trusted) })),
  };
}

/** The outcome of {@link rebuildKey}. */
export interface KeyRebuild {
  readonly ptau: PtauFile;
  /** snarkjs's circuit hash of the rebuilt initial key (binds r1cs and ptau; the ceremony chain starts here). */
  readonly csHash: string;
  /** α and β equal the ptau's: the key was made from this ptau. */
  readonly ptauMatches: boolean;
  /** γ, IC and nPublic equal the rebuilt ones: the key is for this circuit (meaningful when ptauMatches). */
  readonly circuitMatches: boolean;
}

const pick = (v: Record<string, unknown>, keys: string[]): string => canonicalJson(keys.map((k) => v[k]));

/**
 * Rebuilds the initial key of `r1cs` on `ptau` (snarkjs `zkey new`, in memory) and compares it
 * with `vkey`. Throws {@link UserError} when snarkjs cannot set the circuit up on that file (too
 * small a power, not a prepared phase-2 file).
 */
export async function rebuildKey(r1cs: Uint8Array, ptau: PtauFile, vkey: Record<string, unknown>): Promise<KeyRebuild> {
  const init = { type: 'bigMem' };
  let cs: unknown;
  try {
    cs = await snarkjs.zKey.newZKey({ type: 'mem', data: r1cs }, ptau.path, init);
  } catch (e) {
    throw new UserError(
      `${ptau.path}: snarkjs could not set up the recompiled circuit on it (${(e as Error).message})`,
    );
  }
  if (!(cs instanceof Uint8Array))
    throw new UserError(
      `${ptau.path}: snarkjs could not set up the recompiled circuit on it (a prepared phase-2 file of power ≥ the circuit's is needed)`,
    );
  const rebuilt = (await snarkjs.zKey.exportVerificationKey(init)) as Record<string, unknown>;
  return {
    ptau,
    csHash: Buffer.from(cs).toString('hex'),
    ptauMatches: pick(rebuilt, ['vk_alpha_1', 'vk_beta_2']) === pick(vkey, ['vk_alpha_1', 'vk_beta_2']),
    circuitMatches: pick(rebuilt, ['vk_gamma_2', 'IC', 'nPublic']) === pick(vkey, ['vk_gamma_2', 'IC', 'nPublic']),
  };
}

/**
 * Whether the key's δ is tied to the rebuilt circuit. The verification key holds only the
 * public wires' part of a circuit (IC): two circuits that differ only in private constraints —
 * one weight of a hidden layer — rebuild to the same α, β, γ and IC. What ties a key to the
 * whole circuit is its ceremony: every contribution signs a transcript that starts from the
 * circuit hash of the initial key (which covers every constraint), and δ is the product of the
 * contributions. With one honest contributor, nobody can then hold a proving key for another
 * circuit under this δ.
 */
export type CircuitBinding =
  | { readonly kind: 'ceremony'; readonly secret: number }
  | { readonly kind: 'none'; readonly why: string }
  | { readonly kind: 'broken'; readonly why: string };

/** Ties (or fails to tie) the key's δ to the circuit hash of `rebuild` through the key's ceremony transcript. */
export async function circuitBinding(vkey: ZkinferVkey, rebuild: KeyRebuild): Promise<CircuitBinding> {
  const ceremony = vkey.zkinfer.ceremony;
  const t = ceremony?.transcript;
  if (!ceremony || !t)
    return {
      kind: 'none',
      why: 'the key carries no ceremony transcript, so nothing ties its δ (and the proving key behind it) to this circuit rather than to another with the same public wiring',
    };
  if (transcriptHash(t) !== ceremony.transcriptSha256)
    return { kind: 'broken', why: 'the ceremony transcript in the key does not match its recorded hash (altered)' };
  if (t.circuit.csHash !== rebuild.csHash)
    return {
      kind: 'broken',
      why: `the key's ceremony was run on another circuit: its circuit hash is not the one the recompiled r1cs and ${rebuild.ptau.path} give`,
    };
  const chain = await verifyContributionChain({
    csHash: rebuild.csHash,
    contributions: t.contributions,
    vkDelta2: vkey['vk_delta_2'] ?? null,
    ...(vkey['vk_delta1_2'] !== undefined ? { vkDelta1_2: vkey['vk_delta1_2'] } : {}),
  });
  if (!chain.ok)
    return { kind: 'broken', why: `the key's δ does not end its ceremony's contribution chain: ${chain.detail}` };
  const secret = t.contributions.filter((c) => c.kind !== 'beacon').length;
  if (secret === 0)
    return {
      kind: 'none',
      why: "its ceremony has no secret contribution (a beacon's secret is public), so its δ binds nothing",
    };
  return { kind: 'ceremony', secret };
}
