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

/** Adds a verification key file to the store; adding the same key again only renames it. */
export function addTrustedKey(opts: AddKeyOptions): TrustedKey {
  const dir = opts.dir ?? configDir();
  const vkey = readVerificationKey(opts.vkeyPath);
  const hash = vkeyHash(vkey);
  const meta = vkey['zkinfer'] as { modelId?: unknown; setup?: unknown } | undefined;
  const modelId = typeof meta?.modelId === 'string' ? meta.modelId : undefined;
  const setup = typeof meta?.setup === 'string' ? meta.setup : undefined;
  const name = opts.name ?? (modelId ? `model-${modelId.slice(0, 16)}` : `key-${hash.slice(0, 16)}`);
  const keys = readKeyStore(dir).filter((k) => k.vkeyHash !== hash);
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
  return entry;
}

/** Removes the key with this name or hash (or unique hash prefix of ≥ 8 digits); returns it. */
export function removeTrustedKey(nameOrHash: string, dir = configDir()): TrustedKey {
  const keys = readKeyStore(dir);
  const matches = keys.filter(
    (k) =>
      k.name === nameOrHash ||
      k.vkeyHash === nameOrHash ||
      (nameOrHash.length >= 8 && k.vkeyHash.startsWith(nameOrHash)),
  );
  if (matches.length === 0)
    throw new UserError(`no trusted key named or hashed "${quoteName(nameOrHash)}" in ${keyStorePath(dir)}`);
  if (matches.length > 1)
    throw new UserError(`"${quoteName(nameOrHash)}" matches ${matches.length} trusted keys; give the full hash`);
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
