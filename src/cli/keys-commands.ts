/**
 * `zkinfer keys add|list|remove`: the local store of trusted verification keys, which pins
 * bundles for `verify` without a --vkey flag (see src/verify/key-store.ts).
 */
import { Command } from 'commander';
import { addTrustedKey, keyStorePath, readKeyStore, removeTrustedKey } from '../verify/key-store.js';
import { printJson } from './options.js';

/** Registers the keys command group. */
export function registerKeysCommands(p: Command): void {
  const keys = p
    .command('keys')
    .description('trusted verification keys: a key added here pins every bundle proven with it');
  keys
    .command('add <vkey>')
    .description("trust a verification key (a model owner's vkey.json)")
    .option('--name <name>', 'name to list it under (default: model-<model id prefix>)')
    .option('--json', 'print the stored entry as JSON')
    .addHelpText('after', '\nExample:\n  zkinfer keys add build/digits/vkey.json --name digits-mlp')
    .action((vkey: string, f: { name?: string; json?: boolean }) => {
      const e = addTrustedKey({ vkeyPath: vkey, ...(f.name !== undefined ? { name: f.name } : {}) });
      if (f.json)
        return printJson({
          name: e.name,
          vkeyHash: e.vkeyHash,
          modelId: e.modelId,
          setup: e.setup,
          store: keyStorePath(),
        });
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
    .description('stop trusting a key (by name, full hash, or a unique hash prefix of 8+ digits)')
    .addHelpText('after', '\nExample:\n  zkinfer keys remove digits-mlp')
    .action((nameOrHash: string) => {
      const e = removeTrustedKey(nameOrHash);
      process.stdout.write(`removed "${e.name}" (${e.vkeyHash})\n`);
    });
}
