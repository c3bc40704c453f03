/**
 * `zkinfer weights commit BUILD`: the weight commitment W of a hashed-weights build. The model
 * owner publishes (vkey.json, W); verifiers pin both (`verify --vkey FILE --weights-commitment W`).
 * The opening stays private: the prover needs it, and with it and the ONNX file an auditor can
 * check W (`verify --model m.onnx --weights-opening FILE`).
 */
import { Command } from 'commander';
import { commitWeights } from '../prove/weights-opening.js';
import { printJson } from './options.js';
import { info, warn } from './output.js';

/** Registers the weights command group. */
export function registerWeightsCommands(p: Command): void {
  const weights = p
    .command('weights')
    .description("hashed weights: the public commitment W to a build's private weights");
  weights
    .command('commit <build>')
    .description(
      'commit to the weights of a compiled hashed-weights build: writes weights.json (W, publish it) and weights.opening.json (private)',
    )
    .option('--force', 'make a new blinding, hence a new W: every published pin of the old W stops matching')
    .option('--json', 'print W and the files as JSON')
    .addHelpText(
      'after',
      '\nAn existing commitment is kept (and checked against model.quant.json); W is printed again.\n\nExample:\n  zkinfer weights commit build/digits-hashed',
    )
    .action(async (build: string, f: { force?: boolean; json?: boolean }) => {
      const r = await commitWeights({ buildDir: build, force: f.force ?? false });
      if (r.replaced)
        warn(
          `replaced the weight commitment of ${build}: the new W differs, so every pin of the old one breaks; publish the new W`,
        );
      if (f.json)
        return printJson({
          commitment: r.file.commitment,
          modelId: r.file.modelId,
          weights: r.commitmentPath,
          opening: r.openingPath,
          created: r.created,
        });
      if (!r.created) info(`kept the existing weight commitment (${r.openingPath}); --force makes a new one`);
      else info(`wrote ${r.commitmentPath} (publish it) and ${r.openingPath} (private: keep it with the weights)`);
      process.stdout.write(`${r.file.commitment}\n`);
    });
}
