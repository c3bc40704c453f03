/**
 * Key pinning: which verification key a verification trusts, and why. A bundle carries its own
 * key, but a key chosen by the prover proves nothing about which model ran — an attacker signs
 * its own model's proofs with its own key and writes the victim's model id next to them. So the
 * key must come from somewhere the verifier trusts:
 * - `--vkey FILE`: the model owner's vkey.json;
 * - `--vkey-hash HEX`: a hash published by the model owner (or stored on chain); the bundle's
 *   embedded key is used only if it hashes to exactly that;
 * - the local trusted-key store (`zkinfer keys add`), matched by the embedded key's hash.
 * Given both `--vkey` and `--vkey-hash`, the file must hash to the hash, or nothing is pinned.
 * Anything else is unpinned: the `pin` check fails unless the caller explicitly allows it, and
 * even then nothing that depends on the key (model id, setup) is reported as verified.
 */
import { assertVerificationKey, readVerificationKey, vkeyHash, type ZkinferVkey } from '../formats/vkey.js';
import { UserError } from '../core/errors.js';
import { canonicalJson } from '../core/hash.js';
import type { ProofBundle } from '../formats/bundle.js';
import { fail, pass, type CheckResult } from './check-result.js';
import { findTrustedKey, keyStorePath } from './key-store.js';

/** How the key was pinned. */
export type PinSource = 'file' | 'hash' | 'store' | 'unpinned';

/** Options of {@link resolveKey}. */
export interface PinOptions {
  readonly vkeyPath?: string;
  readonly vkeyHash?: string;
  /** Accept an unpinned key (the report then says `pinned: false`). */
  readonly allowUnpinned?: boolean;
  /** Trusted-key store directory (default: the user's config dir). */
  readonly keyStoreDir?: string;
}

/** The key to verify with. */
export interface ResolvedKey {
  readonly vkey: ZkinferVkey;
  readonly hash: string;
  readonly pinned: boolean;
  readonly source: PinSource;
  /** Human-readable: where the trust comes from, or why there is none. */
  readonly detail: string;
  /** False when the key could not be pinned and unpinned use was not allowed. */
  readonly ok: boolean;
}

/** A --vkey-hash argument in lower case without 0x; throws {@link UserError} unless it is 64 hex digits. */
function normalizeHash(arg: string): string {
  const want = arg.toLowerCase().replace(/^0x/, '');
  if (!/^[0-9a-f]{64}$/.test(want))
    throw new UserError(
      `--vkey-hash must be 64 hex digits (sha256 of the canonical vkey.json), got "${arg.slice(0, 80)}"`,
    );
  return want;
}

/**
 * Picks the key for a bundle whose embedded key is `embedded` (already validated). Throws
 * {@link UserError} for unreadable or malformed pin arguments; never for a mismatch, which is a
 * failed `pin` check reported by the caller.
 */
export function resolveKey(embedded: ZkinferVkey, opts: PinOptions): ResolvedKey {
  const embeddedHash = vkeyHash(embedded);
  const want = opts.vkeyHash === undefined ? undefined : normalizeHash(opts.vkeyHash);
  if (opts.vkeyPath) {
    const vkey = readVerificationKey(opts.vkeyPath);
    const hash = vkeyHash(vkey);
    // Both pins given: the file must be the key the hash names. A vkey.json shipped next to a
    // bundle is the prover's file; letting it override the published hash would trust the prover.
    if (want !== undefined && want !== hash) {
      return {
        vkey,
        hash,
        pinned: false,
        source: 'file',
        ok: false,
        detail: `${opts.vkeyPath} hashes to ${hash.slice(0, 16)}…, not the pinned --vkey-hash ${want.slice(0, 16)}…`,
      };
    }
    return {
      vkey,
      hash,
      pinned: true,
      source: 'file',
      ok: true,
      detail: `key pinned by ${opts.vkeyPath} (hash ${hash.slice(0, 16)}…)`,
    };
  }
  if (want !== undefined) {
    if (want !== embeddedHash) {
      return {
        vkey: embedded,
        hash: embeddedHash,
        pinned: false,
        source: 'hash',
        ok: false,
        detail: `the bundle's key hashes to ${embeddedHash.slice(0, 16)}…, not the pinned ${want.slice(0, 16)}…`,
      };
    }
    return {
      vkey: embedded,
      hash: want,
      pinned: true,
      source: 'hash',
      ok: true,
      detail: `key pinned by --vkey-hash ${want.slice(0, 16)}…`,
    };
  }
  const stored = findTrustedKey(embeddedHash, opts.keyStoreDir);
  if (stored) {
    assertVerificationKey(stored.vkey, keyStorePath(opts.keyStoreDir));
    return {
      vkey: stored.vkey,
      hash: embeddedHash,
      pinned: true,
      source: 'store',
      ok: true,
      detail: `key pinned by the trusted-key store ("${stored.name}", hash ${embeddedHash.slice(0, 16)}…)`,
    };
  }
  const how = 'pin it with --vkey FILE, --vkey-hash HEX, or `zkinfer keys add vkey.json`';
  if (opts.allowUnpinned) {
    return {
      vkey: embedded,
      hash: embeddedHash,
      pinned: false,
      source: 'unpinned',
      ok: true,
      detail: `NOT PINNED (--allow-unpinned): the key inside the bundle was used, so the proof shows only that someone with that key proved it; model id and setup are unverified (${how})`,
    };
  }
  return {
    vkey: embedded,
    hash: embeddedHash,
    pinned: false,
    source: 'unpinned',
    ok: false,
    detail: `the bundle's key (hash ${embeddedHash.slice(0, 16)}…) is not pinned: anyone can make a key and label it with any model; ${how}, or pass --allow-unpinned to check the proof alone`,
  };
}

/** The key {@link resolveKey} pinned (or, unpinned, the bundle's own). */
export type PinnedKey = ReturnType<typeof resolveKey>;

/** The `vkey` and `model-id` checks: the bundle's key and model against the pinned (or its own) key. */
export function keyChecks(
  bundle: ProofBundle,
  embedded: Parameters<typeof resolveKey>[0],
  key: PinnedKey,
): CheckResult[] {
  const { vkey } = key;
  const meta = vkey.zkinfer;
  const out: CheckResult[] = [];
  // Compared canonically: key order carries no meaning, so a reformatted vkey.json is the same key.
  const embeddedOk = key.source !== 'file' || canonicalJson(embedded) === canonicalJson(vkey);
  out.push(
    key.hash === bundle.vkeyHash && embeddedOk
      ? pass('vkey', `vkey hash ${key.hash.slice(0, 16)}… matches`)
      : fail(
          'vkey',
          key.hash !== bundle.vkeyHash
            ? `the verification key's hash ${key.hash.slice(0, 16)}… differs from the bundle's ${bundle.vkeyHash.slice(0, 16)}…`
            : 'the key embedded in the bundle differs from the pinned key',
        ),
  );
  if (key.pinned) {
    out.push(
      meta.modelId === bundle.modelId
        ? pass('model-id', `model ${bundle.modelId.slice(0, 16)}…`)
        : fail(
            'model-id',
            `bundle names model ${bundle.modelId.slice(0, 16)}…, the pinned key is for ${meta.modelId.slice(0, 16)}…`,
          ),
    );
  } else if (meta.modelId !== bundle.modelId) {
    out.push(
      fail(
        'model-id',
        `bundle names model ${bundle.modelId.slice(0, 16)}…, its own key says ${meta.modelId.slice(0, 16)}…`,
      ),
    );
  }
  return out;
}
