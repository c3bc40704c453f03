/**
 * The local store of trusted verification keys (`zkinfer keys add|list|remove`). A key in the
 * store pins every bundle proven with it: verify then needs no `--vkey` flag, exactly as an SSH
 * known_hosts file pins hosts. The store lives in the user's config directory
 * (`$ZKINFER_CONFIG_DIR`, else `$XDG_CONFIG_HOME/zkinfer`, else `~/.config/zkinfer`), in
 * `trusted-keys.json`, and holds each key in full so verification can use the stored copy.
 */
import { existsSync } from 'node:fs';
import { readJsonFile } from '../core/json.js';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { writeJsonAtomic } from '../core/atomic-write.js';
import { UserError, quoteName } from '../core/errors.js';
import { vkeyHash, assertVerificationKey, readVerificationKey } from '../formats/vkey.js';

/** Digits a hash prefix needs in `keys remove` (shorter ones match too easily by accident). */
export const MIN_HASH_PREFIX = 8;

/** A name `keys add` refuses: it reads as a vkey hash (prefix), so it could shadow another key's hash. */
const HASH_LIKE = new RegExp(`^(0x)?[0-9a-f]{${MIN_HASH_PREFIX},}$`, 'i');

const entrySchema = z.strictObject({
  name: z.string().min(1).max(200),
  vkeyHash: z.string().regex(/^[0-9a-f]{64}$/),
  modelId: z.string().max(100).optional(),
  setup: z.string().max(20).optional(),
  addedAt: z.string().max(100),
  vkey: z.record(z.string(), z.unknown()),
});

const storeSchema = z.strictObject({
  format: z.literal('zkinfer-trusted-keys'),
  formatVersion: z.literal(1),
  keys: z.array(entrySchema),
});

/** One trusted key. */
export type TrustedKey = z.infer<typeof entrySchema>;

/** The directory holding zkinfer's user configuration. */
export function configDir(): string {
  const env = process.env;
  if (env['ZKINFER_CONFIG_DIR']) return env['ZKINFER_CONFIG_DIR'];
  return join(env['XDG_CONFIG_HOME'] || join(homedir(), '.config'), 'zkinfer');
}

/** Path of the trusted-key store. */
export function keyStorePath(dir = configDir()): string {
  return join(dir, 'trusted-keys.json');
}

/** Reads the store (empty when it does not exist yet); a corrupt store is a {@link UserError}. */
export function readKeyStore(dir = configDir()): TrustedKey[] {
  const path = keyStorePath(dir);
  if (!existsSync(path)) return [];
  const raw = readJsonFile(path, 'trusted-key store');
  const r = storeSchema.safeParse(raw);
  if (!r.success)
    throw new UserError(`${path}: malformed trusted-key store: field "${r.error.issues[0]!.path.join('.')}"`);
  // A stored key whose content no longer hashes to its recorded hash was edited: refuse it.
  for (const k of r.data.keys) {
    // readJsonFile refused nesting deeper than 64 levels, so hashing (JSON.stringify recurses) cannot overflow the stack.
    const hash = vkeyHash(k.vkey);
    if (hash !== k.vkeyHash)
      throw new UserError(
        `${path}: stored key "${quoteName(k.name)}" does not hash to its recorded ${k.vkeyHash.slice(0, 16)}…; remove it and add it again`,
      );
  }
  return r.data.keys;
}

function writeKeyStore(keys: TrustedKey[], dir: string): void {
  writeJsonAtomic(keyStorePath(dir), { format: 'zkinfer-trusted-keys', formatVersion: 1, keys });
}

/** Options of {@link addTrustedKey}. */
export interface AddKeyOptions {
  readonly vkeyPath: string;
  /** A name to list it under (default: the model id's first 16 hex digits). */
  readonly name?: string;
  readonly dir?: string;
}

/** What {@link addTrustedKey} did. */
export interface AddedKey {
  /** The stored entry (the earlier one when the key was already trusted). */
  readonly entry: TrustedKey;
  /** False when the key was already in the store (under `entry.name`): nothing changed. */
  readonly added: boolean;
}

/**
 * Adds a verification key file to the store. A key already stored is left as it is (reported
 * with `added: false`), never renamed: asking for it under another `name` is a
 * {@link UserError} saying the name it is trusted as — a rename hidden in an `add` would change
 * what `keys remove NAME` and scripts that name the key refer to.
 */
export function addTrustedKey(opts: AddKeyOptions): AddedKey {
  const dir = opts.dir ?? configDir();
  const vkey = readVerificationKey(opts.vkeyPath);
  const hash = vkeyHash(vkey);
  const meta = vkey['zkinfer'] as { modelId?: unknown; setup?: unknown } | undefined;
  const modelId = typeof meta?.modelId === 'string' ? meta.modelId : undefined;
  const setup = typeof meta?.setup === 'string' ? meta.setup : undefined;
  if (opts.name !== undefined && HASH_LIKE.test(opts.name))
    throw new UserError(
      `--name "${quoteName(opts.name)}": a name may not look like a vkey hash (${MIN_HASH_PREFIX} or more hex digits): \`keys remove\` takes a name or a hash prefix, and such a name could stand for another key's hash; choose a name with a non-hex letter`,
    );
  const keys = readKeyStore(dir);
  const known = keys.find((k) => k.vkeyHash === hash);
  if (known) {
    if (opts.name !== undefined && opts.name !== known.name)
      throw new UserError(
        `${opts.vkeyPath}: already trusted as "${quoteName(known.name)}" (vkey hash ${hash}); to list it as "${quoteName(opts.name)}", \`zkinfer keys remove ${quoteName(known.name)}\` first`,
      );
    return { entry: known, added: false };
  }
  const name = opts.name ?? (modelId ? `model-${modelId.slice(0, 16)}` : `key-${hash.slice(0, 16)}`);
  if (keys.some((k) => k.name === name))
    throw new UserError(
      `a different key is already stored as "${quoteName(name)}"; choose another --name or remove it first`,
    );
  const entry: TrustedKey = {
    name,
    vkeyHash: hash,
    ...(modelId ? { modelId } : {}),
    ...(setup ? { setup } : {}),
    addedAt: new Date().toISOString(),
    vkey,
  };
  writeKeyStore([...keys, entry], dir);
  return { entry, added: true };
}

/**
 * Removes the key with this name, full hash, or hash prefix of at least
 * {@link MIN_HASH_PREFIX} hex digits matching exactly one key; returns it. A refusal says
 * which rule was not met: a prefix too short, one matching several keys, or nothing matching.
 */
export function removeTrustedKey(nameOrHash: string, dir = configDir()): TrustedKey {
  const keys = readKeyStore(dir);
  const byName = keys.filter((k) => k.name === nameOrHash);
  const hex = /^[0-9a-fA-F]+$/.test(nameOrHash) ? nameOrHash.toLowerCase() : undefined;
  const byHash = hex === undefined ? [] : keys.filter((k) => k.vkeyHash.startsWith(hex));
  const hashMatches = hex !== undefined && hex.length >= MIN_HASH_PREFIX ? byHash : [];
  const q = quoteName(nameOrHash);
  // A name that reads as a hash prefix (stored before `keys add` refused such names) must not shadow another key's hash.
  if (byName.length > 0 && hashMatches.some((k) => !byName.includes(k)))
    throw new UserError(
      `"${q}": ambiguous: it is the name of "${quoteName(byName[0]!.name)}" (${byName[0]!.vkeyHash.slice(0, 16)}…) and a hash prefix of ${hashMatches
        .filter((k) => !byName.includes(k))
        .map((k) => `"${quoteName(k.name)}" (${k.vkeyHash.slice(0, 16)}…)`)
        .join(', ')}; name the key by its full vkey hash`,
    );
  const matches = byName.length > 0 ? byName : hashMatches;
  const rule = `a key is named by its name, its full vkey hash (64 hex digits) or a hash prefix of at least ${MIN_HASH_PREFIX} hex digits matching one key; \`zkinfer keys list\` shows them`;
  if (matches.length === 0) {
    if (hex !== undefined && hex.length < MIN_HASH_PREFIX && byHash.length > 0)
      throw new UserError(
        `"${q}": a hash prefix of ${hex.length} hex digit(s) is too short (${byHash.length} stored key(s) start with it: ${byHash.map((k) => `"${quoteName(k.name)}"`).join(', ')}); ${rule}`,
      );
    throw new UserError(
      `"${q}": no trusted key has this name or a vkey hash starting with it in ${keyStorePath(dir)}; ${rule}`,
    );
  }
  if (matches.length > 1)
    throw new UserError(
      `"${q}": matches ${matches.length} trusted keys (${matches.map((k) => `"${quoteName(k.name)}" ${k.vkeyHash.slice(0, 16)}…`).join(', ')}); give more hex digits or the full hash`,
    );
  writeKeyStore(
    keys.filter((k) => k !== matches[0]),
    dir,
  );
  return matches[0]!;
}

/** The stored key with this hash, if any, re-validated before use. */
export function findTrustedKey(hash: string, dir = configDir()): TrustedKey | undefined {
  const k = readKeyStore(dir).find((e) => e.vkeyHash === hash);
  if (k) assertVerificationKey(k.vkey, `${keyStorePath(dir)} (key "${quoteName(k.name)}")`);
  return k;
}
