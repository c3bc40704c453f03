/**
 * The tree-ensemble bench (`npm run bench -- --only trees`): the shipped 100-tree random
 * forest of depth ≤ 6 on the 30 breast-cancer features (models/trees-rf100.onnx) and the
 * smaller shipped trees, each through the real CLI stage by stage (quantize, compile, dev
 * setup, prove, verify) with the wall time of each; the constraint count beside what one
 * comparator per split would cost. Goal: the 100-tree forest proves in ≤ 60 s.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { perSplitComparatorCost, treeEnsembleCost } from '../../circuits/tree-ensemble.js';
import type { QTrees, QuantizedModel } from '../../src/formats/quantized-schema.js';
import { json, runCli } from './cli-run.js';

const MODELS = fileURLToPath(new URL('../../../models/', import.meta.url));

/** One measured model. */
export interface TreesBenchRow {
  readonly model: string;
  readonly trees: number;
  readonly splits: number;
  readonly constraints: number;
  readonly perSplit: number;
  readonly seconds: { quantize: number; compile: number; setup: number; prove: number; verify: number };
}

/** Runs the bench; `log` for progress. */
export async function benchTrees(work: string, log: (m: string) => void): Promise<TreesBenchRow[]> {
  const dir = mkdtempSync(join(work, 'trees-'));
  const first = readFileSync(join(MODELS, 'trees-test.jsonl'), 'utf8').split('\n')[0]!;
  const input = join(dir, 'sample.json');
  writeFileSync(input, first);
  const rows: TreesBenchRow[] = [];
  for (const model of ['trees-dt', 'trees-rf', 'trees-gbm', 'trees-rf100']) {
    log(`trees: ${model}`);
    const out = join(dir, model);
    const cal = join(MODELS, 'trees-calibration.json');
    const q = await runCli([
      'quantize',
      join(MODELS, `${model}.onnx`),
      '--calibration',
      cal,
      '--activation-bits',
      '16',
      '--out',
      out,
      '--input',
      input,
    ]);
    const c = await runCli(['compile', out, '--json']);
    const s = await runCli(['setup', out]);
    const p = await runCli(['prove', out, '--input', input, '--out', join(out, 'p.proof.json')]);
    const v = await runCli(['verify', join(out, 'p.proof.json'), '--vkey', join(out, 'vkey.json')]);
    const qm = JSON.parse(readFileSync(join(out, 'model.quant.json'), 'utf8')) as QuantizedModel;
    const op = qm.ops.find((o): o is QTrees => o.kind === 'trees')!;
    rows.push({
      model,
      trees: op.trees.length,
      splits: op.trees.reduce((a, t) => a + t.filter((n) => !('leaf' in n)).length, 0),
      constraints: json<{ constraints: number }>(c).constraints,
      perSplit: perSplitComparatorCost(op) - treeEnsembleCost(op),
      seconds: { quantize: q.seconds, compile: c.seconds, setup: s.seconds, prove: p.seconds, verify: v.seconds },
    });
  }
  return rows;
}

/** The markdown table of {@link benchTrees}. */
export function treesTable(rows: readonly TreesBenchRow[]): string {
  const head =
    '| Model | Trees | Splits | Constraints | With one comparator per split | quantize s | compile s | setup s | prove s | verify s |\n' +
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n';
  return (
    head +
    rows
      .map((r) => {
        const t = r.seconds;
        const cells = [t.quantize, t.compile, t.setup, t.prove, t.verify].map((v) => v.toFixed(1));
        const perSplit = (r.constraints + r.perSplit).toLocaleString('en-US');
        return `| ${r.model} | ${r.trees} | ${r.splits} | ${r.constraints.toLocaleString('en-US')} | ${perSplit} | ${cells.join(' | ')} |`;
      })
      .join('\n') +
    '\n'
  );
}
