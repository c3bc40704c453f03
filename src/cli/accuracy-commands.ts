/**
 * Commands of the accuracy workflow: `dataset commit`, `accuracy`, `audit`, `gate`.
 */
import { Command } from 'commander';
import { readQuantizedModel } from '../circuit/compile-circuit.js';
import { chooseChunkSize, chunkCost } from '../accuracy/chunk-circuit.js';
import { proveAccuracy } from '../accuracy/prove-accuracy.js';
import { commitDataset, datasetEncoding, readOpening } from '../dataset/dataset-commitment.js';
import { readDataset } from '../dataset/read-dataset.js';
import { intOption, printJson } from './options.js';
import { addClaimVerifyOptions } from './claim-verify.js';

const out = (s: string): void => void process.stdout.write(s + '\n');
const err = (s: string): void => void process.stderr.write(s + '\n');

/** Registers the accuracy commands. */
export function registerAccuracyCommands(p: Command): void {
  const verify = p.commands.find((c) => c.name() === 'verify');
  if (verify) addClaimVerifyOptions(verify);
  const dataset = p.command('dataset').description('dataset commitments');
  dataset.command('commit <data>')
    .description('commit to a labelled dataset (JSON Lines, CSV with a label column, or a directory of .pb inputs with labels.json)')
    .requiredOption('--build <dir>', 'build directory whose input quantization the commitment uses')
    .option('--chunk <n>', 'samples per chunk (default: as `zkinfer accuracy` would choose)', intOption('--chunk'))
    .option('--out <dir>', 'where to write <name>.commitment.json and <name>.opening.json (default <build>/datasets)')
    .option('--opening <file>', 'reuse the blinding of this opening file')
    .option('--json', 'print the commitment file as JSON')
    .addHelpText('after', '\nExample:\n  zkinfer dataset commit test.jsonl --build build/digits --chunk 21')
    .action(async (data: string, f: { build: string; chunk?: number; out?: string; opening?: string; json?: boolean }) => {
      let chunkSize = f.chunk;
      if (chunkSize === undefined) {
        const { model } = readQuantizedModel(f.build);
        let n = 0;
        for await (const _s of readDataset(data, datasetEncoding(model))) n++;
        chunkSize = chooseChunkSize(chunkCost(model), n, 2).chunkSize;
      }
      const res = await commitDataset({ dataset: data, buildDir: f.build, chunkSize, outDir: f.out, blinding: f.opening ? readOpening(f.opening) : undefined });
      if (f.json) return printJson({ ...res.file, commitmentFile: res.commitmentPath, openingFile: res.openingPath });
      out(res.file.commitment);
      err(`${res.file.samples} samples in ${res.file.chunkCommitments.length} chunks of ${res.file.chunkSize}; commitment ${res.commitmentPath}, opening (keep private) ${res.openingPath}`);
    });

  p.command('accuracy <buildDir>')
    .description('prove how many samples of a dataset the model classifies correctly; writes OUT/claim.json')
    .requiredOption('--dataset <data>', 'labelled dataset (JSON Lines, CSV, or a .pb directory with labels.json)')
    .requiredOption('--out <dir>', 'output directory (claim.json, chunks/, dataset.opening.json)')
    .option('--chunk <n>', 'samples per chunk proof (default: chosen from the per-sample cost)', intOption('--chunk'))
    .option('--workers <n>', 'worker threads (default: available cores)', intOption('--workers'))
    .option('--opening <file>', 'dataset opening from `zkinfer dataset commit` (default: OUT/dataset.opening.json, created when missing)')
    .option('--json', 'print a JSON summary')
    .addHelpText('after', '\nExample:\n  zkinfer accuracy build/digits --dataset test.jsonl --out build/digits/accuracy-run')
    .action(async (dir: string, f: { dataset: string; out: string; chunk?: number; workers?: number; opening?: string; json?: boolean }) => {
      const s = await proveAccuracy({ buildDir: dir, dataset: f.dataset, outDir: f.out, chunkSize: f.chunk, workers: f.workers, opening: f.opening, onProgress: f.json ? undefined : err });
      if (f.json) return printJson(s);
      out(`proved ${s.correct}/${s.samples} correct (${(100 * s.accuracy).toFixed(2)} %) in ${s.chunks} chunks of ${s.chunkSize} (${s.proved} proved, ${s.skipped} reused) in ${s.seconds.total.toFixed(1)} s; claim ${s.claim}`);
      out(`dataset commitment ${s.datasetCommitment}; chunk key ${s.vkeyHash}`);
      out(`unverified: float ${(100 * s.unverified.float.accuracy).toFixed(2)} %, quantized ${(100 * s.unverified.quantized.accuracy).toFixed(2)} %`);
    });
}
