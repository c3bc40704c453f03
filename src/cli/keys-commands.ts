/**
 * `zkinfer keys add|list|remove`: the local store of trusted verification keys, which pins
 * bundles for `verify` without a --vkey flag (see src/verify/key-store.ts).
 */
import { Command } from 'commander';
import { addTrustedKey, keyStorePath, MIN_HASH_PREFIX, readKeyStore, removeTrustedKey } from '../verify/key-store.js';
import { readJsonFile } from '../core/json.js';
import { validateVkey, vkeyHash } from '../formats/vkey.js';
import { printJson } from './options.js';

/** How zkinfer's key hash is computed (docs/formats.md says the same). */
const KEY_HASH_HELP = `
The key hash (vkey hash) is the sha256 of the whole verification key file — its "zkinfer"
metadata included — as canonical JSON: object keys sorted at every level, no whitespace, arrays
in order. It is not \`sha256sum vkey.json\` (that hashes the file's bytes, formatting included);
for keys zkinfer writes, \`jq -cSj . vkey.json | sha256sum\` gives the same digits.
\`zkinfer keys hash FILE\` prints it.`;

/** Registers the keys command group. */
export function registerKeysCommands(p: Command): void {
  const keys = p
    .command('keys')
    .description('trusted verification keys: a key added here pins every bundle proven with it')
    .addHelpText('after', KEY_HASH_HELP);
  keys
    .command('add <vkey>')
    .description("trust a verification key (a model owner's vkey.json)")
    .option(
      '--name <name>',
      'name to list it under (default: model-<model id prefix>); a key already trusted keeps its name (another --name is refused)',
    )
    .option('--json', 'print the stored entry as JSON')
    .addHelpText('after', '\nExample:\n  zkinfer keys add build/digits/vkey.json --name digits-mlp')
    .action((vkey: string, f: { name?: string; json?: boolean }) => {
      const { entry: e, added } = addTrustedKey({ vkeyPath: vkey, ...(f.name !== undefined ? { name: f.name } : {}) });
      if (f.json)
        return printJson({
          name: e.name,
          vkeyHash: e.vkeyHash,
          modelId: e.modelId,
          setup: e.setup,
          added,
          store: keyStorePath(),
        });
      if (!added)
        return void process.stdout.write(`already trusted as "${e.name}": vkey hash ${e.vkeyHash}; nothing changed\n`);
      process.stdout.write(
        `trusted "${e.name}": vkey hash ${e.vkeyHash}${e.modelId ? `, model ${e.modelId.slice(0, 16)}…` : ''}${e.setup ? `, ${e.setup} setup` : ''} (${keyStorePath()})\n`,
      );
    });
  keys
    .command('list')
    .description('list trusted keys')
    .option('--json', 'print as JSON')
    .addHelpText('after', '\nExample:\n  zkinfer keys list')
    .action((f: { json?: boolean }) => {
      const list = readKeyStore().map((k) => ({
        name: k.name,
        vkeyHash: k.vkeyHash,
        modelId: k.modelId,
        setup: k.setup,
        addedAt: k.addedAt,
      }));
      if (f.json) return printJson({ keys: list, store: keyStorePath() });
      if (list.length === 0) return void process.stdout.write(`no trusted keys (${keyStorePath()})\n`);
      for (const k of list)
        process.stdout.write(
          `${k.name}  ${k.vkeyHash}  ${k.setup ?? '?'}  model ${k.modelId?.slice(0, 16) ?? '?'}…  added ${k.addedAt}\n`,
        );
    });
  keys
    .command('remove <nameOrHash>')
    .description(
      `stop trusting a key (by name, full vkey hash, or a hash prefix of ${MIN_HASH_PREFIX}+ hex digits matching one key)`,
    )
    .addHelpText(
      'after',
      '\nExample:\n  zkinfer keys remove digits-mlp\n\nA key is named by its name, its full vkey hash, or a prefix of at least 8 hex digits of it\n(`zkinfer keys list` shows them).',
    )
    .action((nameOrHash: string) => {
      const e = removeTrustedKey(nameOrHash);
      process.stdout.write(`removed "${e.name}" (${e.vkeyHash})\n`);
    });
  keys
    .command('hash <vkey>')
    .description('print the key hash zkinfer uses for a verification key file (what bundles record as vkeyHash)')
    .option('--json', 'print as JSON')
    .addHelpText('after', `${KEY_HASH_HELP}\n\nExample:\n  zkinfer keys hash build/digits/vkey.json`)
    .action((file: string, f: { json?: boolean }) => {
      const vkey = readJsonFile(file, 'verification key');
      validateVkey(vkey, file);
      const hash = vkeyHash(vkey);
      const trusted = readKeyStore().find((k) => k.vkeyHash === hash);
      if (f.json) return printJson({ file, vkeyHash: hash, ...(trusted ? { trustedAs: trusted.name } : {}) });
      process.stdout.write(`${hash}  ${file}\n`);
      if (trusted) process.stderr.write(`trusted as "${trusted.name}"\n`);
    });
}
