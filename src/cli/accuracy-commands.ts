/**
 * Commands of the accuracy workflow: `dataset commit`, `accuracy`, `audit`, `gate`.
 */
import { Command } from 'commander';
import { readQuantizedModel } from '../compile/compile-circuit.js';
import { chooseChunkSize } from '../accuracy/chunk-circuit.js';
import { proveAccuracy, type ProveAccuracyOptions } from '../accuracy/prove-accuracy.js';
import { commitDataset, datasetEncoding, readOpening } from '../accuracy/dataset-commitment.js';
import { readDataset } from '../accuracy/read-dataset.js';
import { intOption, printJson } from './options.js';
import { info, setJsonOutput, warn } from './output.js';
import { audit, AuditReport } from '../audit/audit.js';
import { renderAuditHtml } from '../audit/html-report.js';
import { VERSIONS } from '../core/versions.js';
import { writeFileAtomic } from '../core/atomic-write.js';
import { appendFileSync } from 'node:fs';
import { runGate } from '../audit/gate.js';
import { gateAnnotations, gateMarkdown } from '../audit/gate-report.js';
import { UserError } from '../core/errors.js';
import { THRESHOLD_FORMS, thresholdOption } from '../core/threshold.js';
import { AccuracySummary } from '../accuracy/prove-accuracy.js';
import { gateQueueRoute, queueAccuracyCommand } from './queue-accuracy-command.js';
import { BatchProgress, createProgressReporter } from '../runtime/progress.js';
import { signalExitCode, withInterruptHandler } from './interrupt.js';

const out = (s: string): void => void process.stdout.write(s + '\n');
const err = (s: string): void => void process.stderr.write(s + '\n');

/** Registers the accuracy commands. */
export function registerAccuracyCommands(p: Command): void {
  const dataset = p.command('dataset').description('dataset commitments');
  registerDatasetCommit(dataset);
  registerAccuracy(p);
  registerAudit(p);
  registerGate(p);
}

function registerDatasetCommit(dataset: Command): void {
  dataset
    .command('commit <data>')
    .description(
      'commit to a labelled dataset (JSON Lines, CSV with a label column, or a directory of .pb inputs with labels.json)',
    )
    .requiredOption('--build <dir>', 'build directory whose input quantization the commitment uses')
    .option('--chunk <n>', 'samples per chunk (default: as `zkinfer accuracy` would choose)', intOption('--chunk'))
    .option('--out <dir>', 'where to write <name>.commitment.json and <name>.opening.json (default <build>/datasets)')
    .option('--opening <file>', 'reuse the blinding of this opening file')
    .option('--json', 'print the commitment file as JSON')
    .addHelpText('after', '\nExample:\n  zkinfer dataset commit models/digits-test.jsonl --build build/digits')
    .action(
      async (data: string, f: { build: string; chunk?: number; out?: string; opening?: string; json?: boolean }) => {
        let chunkSize = f.chunk;
        if (chunkSize === undefined) {
          const { model } = readQuantizedModel(f.build);
          let n = 0;
          for await (const _s of readDataset(data, datasetEncoding(model))) n++;
          chunkSize = chooseChunkSize(model, n).chunkSize;
        }
        const res = await commitDataset({
          dataset: data,
          buildDir: f.build,
          chunkSize,
          outDir: f.out,
          blinding: f.opening ? readOpening(f.opening) : undefined,
        });
        if (f.json) return printJson({ ...res.file, commitmentFile: res.commitmentPath, openingFile: res.openingPath });
        out(res.file.commitment);
        info(
          `${res.file.samples} samples in ${res.file.chunkCommitments.length} chunks of ${res.file.chunkSize}; commitment ${res.commitmentPath}, opening (keep private) ${res.openingPath}`,
        );
      },
    );
}

function registerAccuracy(p: Command): void {
  p.command('accuracy <buildDir>')
    .description('prove how many samples of a dataset the model classifies correctly; writes OUT/claim.json')
    .requiredOption('--dataset <data>', 'labelled dataset (JSON Lines, CSV, or a .pb directory with labels.json)')
    .requiredOption('--out <dir>', 'output directory (claim.json, chunks/, dataset.opening.json)')
    .option('--chunk <n>', 'samples per chunk proof (default: chosen from the per-sample cost)', intOption('--chunk'))
    .option('--workers <n>', 'worker threads (default: available cores)', intOption('--workers'))
    .option(
      '--opening <file>',
      'dataset opening from `zkinfer dataset commit` (default: OUT/dataset.opening.json, created when missing)',
    )
    .option(
      '--ptau <file>',
      "powers-of-tau file for new chunk keys (default: the build's own setup route; a finalized chunk ceremony is used as it is)",
    )
    .option('--force', 'replace existing ptau or ceremony chunk keys by another setup route instead of refusing')
    .option(
      '--queue <url>',
      'prove the chunks on `zkinfer worker` processes through this Postgres queue (they see the samples); rerun to resume',
    )
    .option(
      '--job-timeout <seconds>',
      'with --queue: seconds a worker may hold a chunk before it is handed to another (default 600)',
      intOption('--job-timeout'),
    )
    .option('--json', 'print a JSON summary')
    .addHelpText(
      'after',
      '\nExamples:\n  zkinfer accuracy build/digits --dataset models/digits-test.jsonl --out build/digits/accuracy-run\n  zkinfer accuracy build/digits --dataset models/digits-test.jsonl --chunk 21 --out acc   # with a chunk-21 ceremony key\n  zkinfer accuracy build/digits --dataset models/digits-test.jsonl --out acc --queue postgres://zk:secret@db.example:5432/zk',
    )
    .action(
      async (
        dir: string,
        f: {
          dataset: string;
          out: string;
          chunk?: number;
          workers?: number;
          opening?: string;
          ptau?: string;
          force?: boolean;
          queue?: string;
          jobTimeout?: number;
          json?: boolean;
        },
      ) => {
        if (f.queue !== undefined) return queueAccuracyCommand(dir, { ...f, queue: f.queue }, printAccuracy);
        if (f.jobTimeout !== undefined) throw new UserError('--job-timeout applies to --queue only');
        const s = await proveAccuracyWithProgress(
          {
            buildDir: dir,
            dataset: f.dataset,
            outDir: f.out,
            chunkSize: f.chunk,
            workers: f.workers,
            opening: f.opening,
            ptauPath: f.ptau,
            force: f.force,
            onProgress: f.json ? undefined : info,
            onWarning: warn,
          },
          f.json ?? false,
        );
        if (f.json) return printJson(s);
        printAccuracy(s);
      },
    );
}

/** The summary lines of an accuracy proof (both routes). */
function printAccuracy(s: AccuracySummary): void {
  out(
    `proved ${s.correct}/${s.samples} correct (${(100 * s.accuracy).toFixed(2)} %) in ${s.chunks} chunks of ${s.chunkSize} (${s.proved} proved, ${s.skipped} reused) in ${s.seconds.total.toFixed(1)} s; claim ${s.claim}`,
  );
  out(`dataset commitment ${s.datasetCommitment}; chunk key ${s.vkeyHash}`);
  if (s.weightsCommitment)
    out(`weights commitment ${s.weightsCommitment} (hashed weights: verifiers pin it with --weights-commitment)`);
  out(
    `unverified: float ${(100 * s.unverified.float.accuracy).toFixed(2)} %, quantized ${(100 * s.unverified.quantized.accuracy).toFixed(2)} %`,
  );
}

/**
 * `accuracy` with progress on stderr: a bar with chunks, samples, chunks/min and ETA on a terminal,
 * a line per tenth in logs, nothing with --json or --quiet; Ctrl-C says how far it got (chunk
 * proofs are written atomically, so a rerun reuses them).
 */
async function proveAccuracyWithProgress(opts: ProveAccuracyOptions, json: boolean): ReturnType<typeof proveAccuracy> {
  const progress = json ? undefined : createProgressReporter({ unit: 'chunks' });
  let last: BatchProgress | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    progress?.finish();
    err(
      `interrupted: ${last ? `${last.proved + last.skipped}/${last.total} chunks proven` : 'no chunk proven yet'}; rerun the same command to resume (finished chunk proofs are reused)`,
    );
    process.exit(signalExitCode(signal));
  };
  try {
    return await withInterruptHandler(onSignal, () =>
      proveAccuracy({
        ...opts,
        // Messages (onProgress) all come before the first finished chunk, so they never break the bar.
        ...(progress
          ? {
              onChunk: (p: BatchProgress) => {
                last = p;
                progress.update(p);
              },
            }
          : {}),
      }),
    );
  } finally {
    progress?.finish();
  }
}

function registerAudit(p: Command): void {
  p.command('audit <target>')
    .description(
      'compare float (onnxruntime), quantized (integer reference) and proven predictions on a labelled dataset',
    )
    .requiredOption('--dataset <data>', 'labelled dataset (JSON Lines, CSV, or a .pb directory with labels.json)')
    .option('--bundles <dir>', "proof bundles of the dataset's samples (from `zkinfer prove BUILD --inputs DATA`)")
    .option(
      '--max-disagreement <x>',
      `exit 1 when float and quantized predictions disagree on more than this share of samples (${THRESHOLD_FORMS})`,
      thresholdOption('--max-disagreement'),
    )
    .option('--report <file.html>', 'write a self-contained HTML report')
    .option('--calibration <file>', 'ONNX target: calibration inputs')
    .option('--weight-bits <n>', 'ONNX target: bits per weight', intOption('--weight-bits'))
    .option('--activation-bits <n>', 'ONNX target: bits per activation', intOption('--activation-bits'))
    .option('--json', 'print the audit as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  zkinfer audit models/digits-mlp.onnx --dataset models/digits-test.jsonl --report audit.html\n  zkinfer audit build/digits --dataset models/digits-test.jsonl --bundles build/digits/proofs --max-disagreement 0.01',
    )
    .action(
      async (
        target: string,
        f: {
          dataset: string;
          bundles?: string;
          maxDisagreement?: number;
          report?: string;
          calibration?: string;
          weightBits?: number;
          activationBits?: number;
          json?: boolean;
        },
      ) => {
        const r = await audit({
          target,
          dataset: f.dataset,
          bundles: f.bundles,
          maxDisagreement: f.maxDisagreement,
          calibration: f.calibration,
          weightBits: f.weightBits,
          activationBits: f.activationBits,
        });
        if (f.report)
          writeFileAtomic(
            f.report,
            renderAuditHtml(r, { createdAt: new Date().toISOString(), tool: `zkinfer ${VERSIONS.zkinfer}` }),
          );
        if (r.gate && !r.gate.passed) process.exitCode = 1;
        if (f.json)
          return printJson(
            r,
            r.gate && !r.gate.passed ? { failure: `float/quantized disagreement above ${r.gate.maxDisagreement}` } : {},
          );
        printAudit(r);
        if (f.report) info(`report: ${f.report}`);
      },
    );
}

function registerGate(p: Command): void {
  p.command('gate [config]')
    .description(
      'CI release gate: audit → accuracy proof → verification, from zkinfer.gate.json; exit 0 pass, 1 a check failed, 2 bad config',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  zkinfer gate models/zkinfer.gate.json\n  zkinfer gate        # reads ./zkinfer.gate.json\n\nPrints one JSON summary on stdout; appends Markdown to $GITHUB_STEP_SUMMARY when set and, when GITHUB_ACTIONS=true, writes ::error (failed checks) and ::warning annotations on stderr.',
    )
    .action(async (config: string | undefined) => {
      setJsonOutput(); // gate prints JSON only: its errors too
      const s = await runGate(config ?? 'zkinfer.gate.json', err, { queueRoute: gateQueueRoute });
      const summaryFile = process.env['GITHUB_STEP_SUMMARY'];
      if (summaryFile) appendFileSync(summaryFile, gateMarkdown(s));
      // Workflow commands on stderr (the runner reads both streams): stdout stays one JSON document.
      if (process.env['GITHUB_ACTIONS'] === 'true') for (const line of gateAnnotations(s)) err(line);
      for (const w of s.warnings) warn(w); // stderr and the envelope's `warnings`
      if (s.error) err(`zkinfer: ${s.error}`);
      // `passed` and `exitCode` are the envelope's `ok` and `error.code`; the error its message.
      const { passed: _passed, exitCode: _code, error, ...result } = s;
      const failed = s.checks.filter((c) => !c.ok).map((c) => c.check);
      printJson(result, { failure: error ?? `gate failed: ${failed.join(', ') || 'a check'}` });
      process.exitCode = s.exitCode;
    });
}

const pct = (x: number): string => `${(100 * x).toFixed(2)} %`;

function printAudit(r: AuditReport): void {
  const a = r.accuracy;
  out(
    `${r.samples} samples: float ${pct(a.float.accuracy)} (${a.float.correct}), quantized ${pct(a.quantized.accuracy)} (${a.quantized.correct})${a.proven ? `, proven ${pct(a.proven.accuracy)} (${a.proven.correct} of ${a.proven.samples} with verified bundles)` : ''}`,
  );
  out(
    `agreement float/quantized ${pct(r.agreement.floatQuantized)}${r.agreement.provenQuantized !== undefined ? `, proven/quantized ${pct(r.agreement.provenQuantized)}, proven/float ${pct(r.agreement.provenFloat!)}` : ''}`,
  );
  out(`max |float − dequantized| per output: ${r.maxAbsErrorPerOutput.map((e) => e.toFixed(3)).join(' ')}`);
  for (const d of r.disagreements.slice(0, 10))
    out(
      `  sample ${d.index} (${d.source}): label ${d.label}, float ${d.float}, quantized ${d.quantized}${d.proven !== undefined ? `, proven ${d.proven}` : ''}, margin ${d.margin.toFixed(3)}`,
    );
  if (r.disagreementCount > 10)
    out(`  … ${r.disagreementCount - 10} more disagreements (--json lists ${r.disagreements.length})`);
  const nonzero = r.confusion
    .flatMap((row, f) => row.map((n, q) => ({ f, q, n })))
    .filter((x) => x.f !== x.q && x.n > 0);
  if (nonzero.length) out(`confusion (float → quantized): ${nonzero.map((x) => `${x.f}→${x.q}: ${x.n}`).join(', ')}`);
  if (r.bundles?.rejected.length) for (const x of r.bundles.rejected) err(`bundle rejected: ${x.file}: ${x.reason}`);
  if (r.gate && !r.gate.passed) {
    const { quantizedWrong, floatWrong, bothWrong } = r.disagreementSides;
    err(
      `FAIL: float/quantized disagreement ${pct(r.disagreementRate)} > ${pct(r.gate.maxDisagreement)} (quantized wrong on ${quantizedWrong}, float wrong on ${floatWrong}, both wrong on ${bothWrong}); advice:`,
    );
    for (const s of r.gate.suggestions) err(`  - ${s}`);
  }
}
