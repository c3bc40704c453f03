/**
 * `npm run conformance`: runs the ONNX backend node cases (and the PyTorch-converted ones)
 * from the shared conformance folder through zkinfer and prints a table of pass / fail /
 * unsupported per case. The last line is `N passed, N failed, N unsupported`.
 *
 * Usage: node dist/tools/conformance/run-conformance.js [--prove] [--determinism] [--filter SUBSTRING] [--json]
 * The shared folder is ../shared relative to the repository root, or $ZKINFER_SHARED.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaseOptions, CaseResult, runCase } from './conformance-case.js';
import { scoreByOp, scoreTable } from './conformance-scope.js';

/** The shared data folder: $ZKINFER_SHARED, else ../shared next to the repository. */
export function sharedDir(): string {
  if (process.env['ZKINFER_SHARED']) return resolve(process.env['ZKINFER_SHARED']);
  // dist/tools/conformance → repository root is three levels up; tools/conformance (ts) two.
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return resolve(dir, '..', 'shared');
}

/**
 * ONNX's node cases for supported ops the shared suites lack (trig, Xor, Bitwise, ScatterElements,
 * NonZero), kept in the repository: see its README.md.
 */
const SUPPLEMENT = fileURLToPath(new URL('../../../tools/conformance/onnx-node-supplement', import.meta.url));

/** Every case directory (one holding model.onnx) of the conformance suites, sorted by suite then name. */
export function listCases(shared = sharedDir()): Array<{ name: string; dir: string }> {
  const out: Array<{ name: string; dir: string }> = [];
  // The supplement runs only next to the shared suites: without them the conformance test skips.
  if (!existsSync(join(shared, 'conformance'))) return out;
  for (const suite of ['onnx-node', 'onnx-pytorch-converted', 'onnx-node-extended', 'onnx-node-supplement']) {
    const root = suite === 'onnx-node-supplement' ? SUPPLEMENT : join(shared, 'conformance', suite);
    if (!existsSync(root)) continue;
    for (const name of readdirSync(root).sort()) {
      const dir = join(root, name);
      if (statSync(dir).isDirectory() && existsSync(join(dir, 'model.onnx')))
        out.push({ name: `${suite}/${name}`, dir });
    }
  }
  return out;
}

/** Runs the selected cases, calling `onResult` after each. */
export async function runConformance(
  opts: CaseOptions & { filter?: string; onResult?: (r: CaseResult) => void } = {},
): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const c of listCases()) {
    if (opts.filter && !c.name.includes(opts.filter)) continue;
    const r = await runCase(c.dir, c.name, opts);
    results.push(r);
    opts.onResult?.(r);
  }
  return results;
}

/** The summary line. */
export function summaryLine(results: readonly CaseResult[]): string {
  const n = (s: CaseResult['status']) => results.filter((r) => r.status === s).length;
  return `${n('pass')} passed, ${n('fail')} failed, ${n('unsupported')} unsupported`;
}

async function main(argv: string[]): Promise<void> {
  const prove = argv.includes('--prove');
  const json = argv.includes('--json');
  const fi = argv.indexOf('--filter');
  const filter = fi >= 0 ? argv[fi + 1] : undefined;
  const shared = sharedDir();
  if (listCases(shared).length === 0) {
    process.stderr.write(`no conformance cases under ${shared}/conformance (set ZKINFER_SHARED)\n`);
    process.exitCode = 2;
    return;
  }
  const width = 62;
  const results = await runConformance({
    prove,
    determinism: argv.includes('--determinism'),
    filter,
    onResult: (r) => {
      if (!json)
        process.stdout.write(
          `${r.name.padEnd(width)} ${r.status.toUpperCase().padEnd(11)} ${r.constraints !== undefined ? String(r.constraints).padStart(6) : '     -'}  ${r.detail}\n`,
        );
    },
  });
  if (json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  const inScope = results.filter((r) => r.status !== 'unsupported');
  const passed = inScope.filter((r) => r.status === 'pass').length;
  const dirs = new Map(listCases(shared).map((c) => [c.name, c.dir]));
  if (!json) process.stdout.write(`\n${scoreTable(scoreByOp(results, dirs))}\n\n`);
  process.stdout.write(
    `supported cases: ${passed}/${inScope.length} pass (${inScope.length ? ((100 * passed) / inScope.length).toFixed(1) : '0'}%)\n`,
  );
  process.stdout.write(`${summaryLine(results)}\n`);
  if (results.some((r) => r.status === 'fail')) process.exitCode = 1;
  if (prove) await (await import('../../src/runtime/curve.js')).shutdown();
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 2;
  });
}
