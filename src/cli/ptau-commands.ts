/**
 * `zkinfer ptau info|get`: which published powers-of-tau file a build needs, and getting it —
 * downloaded once, its blake2b-512 checked, kept in the user's cache (see
 * src/setup/ptau/ptau-download.ts). `--ptau N` on setup, run and ceremony then names the cached
 * file for power N.
 */
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import cliProgress from 'cli-progress';
import { readCircuitInfo } from '../formats/build-dir.js';
import { UserError } from '../core/errors.js';
import { getPtau, planPtau, type PtauPlan, type PtauPlanOptions } from '../setup/ptau/ptau-download.js';
import { parsePower } from '../setup/ptau/ptau-cache.js';
import { printJson } from './options.js';
import { info } from './output.js';
import { isInteractive, isQuiet } from '../runtime/terminal.js';

const out = (s: string): void => void process.stdout.write(s + '\n');

interface PtauFlags {
  power?: string;
  out?: string;
  url?: string;
  blake2b?: string;
  json?: boolean;
}

/** The power asked for: the build's (as setup checks it: the circuit's domain 2^power), or --power, at least the build's. */
function wantedPower(
  buildDir: string | undefined,
  f: PtauFlags,
): { power: number; needed?: number; constraints?: number } {
  if (buildDir === undefined && f.power === undefined)
    throw new UserError('give a build directory (its circuit decides the power) or --power N');
  const asked = f.power === undefined ? undefined : parsePower(f.power, '--power');
  if (buildDir === undefined) return { power: asked! };
  const circuit = readCircuitInfo(buildDir);
  if (asked !== undefined && asked < circuit.power)
    throw new UserError(`--power ${asked}: ${buildDir} needs 2^${circuit.power} (its circuit's domain)`);
  return { power: asked ?? circuit.power, needed: circuit.power, constraints: circuit.nConstraints };
}

function planOptions(power: number, f: PtauFlags): PtauPlanOptions {
  return {
    power,
    ...(f.url !== undefined ? { baseUrl: f.url } : {}),
    ...(f.blake2b !== undefined ? { blake2b: f.blake2b } : {}),
    ...(f.out !== undefined ? { outPath: f.out } : {}),
  };
}

function printPlan(p: PtauPlan, w: ReturnType<typeof wantedPower>, buildDir: string | undefined): void {
  if (buildDir !== undefined)
    out(
      `${buildDir}: ${w.constraints} constraints, domain 2^${w.needed}; needs a powers-of-tau file of power ≥ ${w.needed}`,
    );
  out(`file     ${p.name} (power ${p.power})`);
  out(`url      ${p.url}`);
  out(`blake2b  ${p.blake2b} (${p.hashSource === 'published' ? "published, snarkjs's README" : 'given by --blake2b'})`);
  out(`path     ${p.path}${existsSync(p.path) ? ' (present; `ptau get` checks its hash)' : ' (not downloaded yet)'}`);
}

/** Draws download progress on stderr: a bar on a terminal, else a line per 10 %. */
function downloadProgress(name: string): { update(done: number, total?: number): void; stop(): void } {
  if (isQuiet()) return { update: () => {}, stop: () => {} };
  if (isInteractive(process.stderr)) {
    const bar = new cliProgress.SingleBar(
      { format: `${name} [{bar}] {percentage}% {value}/{total} bytes`, stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(done, total) {
        if (!started) bar.start(total ?? 0, 0);
        started = true;
        bar.update(done);
      },
      stop: () => started && bar.stop(),
    };
  }
  let shown = 0;
  return {
    update(done, total) {
      if (total === undefined) return;
      const tenth = Math.floor((10 * done) / total);
      if (tenth > shown) process.stderr.write(`${name}: ${(shown = tenth) * 10}% of ${total} bytes\n`);
    },
    stop: () => {},
  };
}

function withPtauFlags(c: Command): Command {
  return c
    .option('--power <n>', 'the power wanted (8..28; default: what the build needs)')
    .option('--out <file>', 'where to put the file (default: the cache, $ZKINFER_CACHE_DIR or the user cache dir)')
    .option(
      '--url <base>',
      'base URL the file name is appended to (default $ZKINFER_PTAU_URL, else the published location)',
    )
    .option(
      '--blake2b <hex>',
      "the file's expected blake2b-512 when it is not the published one (a private ceremony's)",
    )
    .option('--json', 'print as JSON');
}

/** Registers the ptau command group. */
export function registerPtauCommands(p: Command): void {
  const ptau = p
    .command('ptau')
    .description('the published powers-of-tau files: which one a build needs; download, check and cache it');
  withPtauFlags(
    ptau
      .command('info [buildDir]')
      .description('print the power a build needs and the published file: name, URL, blake2b-512, cache path'),
  )
    .addHelpText('after', '\nExamples:\n  zkinfer ptau info build/digits\n  zkinfer ptau info --power 12')
    .action((buildDir: string | undefined, f: PtauFlags) => {
      const w = wantedPower(buildDir, f);
      const plan = planPtau(planOptions(w.power, f));
      if (f.json) return printJson({ ...plan, needed: w.needed, present: existsSync(plan.path) });
      printPlan(plan, w, buildDir);
    });
  withPtauFlags(
    ptau
      .command('get [buildDir]')
      .description(
        'download the published powers-of-tau file a build needs, check its blake2b-512 and keep it in the cache; prints its path',
      ),
  )
    .option('--dry-run', 'only print what would be downloaded (as `ptau info`)')
    .addHelpText(
      'after',
      '\nExamples:\n  zkinfer ptau get build/digits\n  zkinfer ptau get --power 12\n  zkinfer setup build/digits --ptau "$(zkinfer ptau get build/digits)"',
    )
    .action(async (buildDir: string | undefined, f: PtauFlags & { dryRun?: boolean }) => {
      const w = wantedPower(buildDir, f);
      const opts = planOptions(w.power, f);
      if (f.dryRun) {
        const plan = planPtau(opts);
        return f.json
          ? printJson({ ...plan, needed: w.needed, present: existsSync(plan.path) })
          : printPlan(plan, w, buildDir);
      }
      const plan = planPtau(opts);
      const progress = downloadProgress(plan.name);
      const r = await getPtau({
        ...opts,
        onProgress: (done, total) => progress.update(done, total),
        onCheckExisting: (path) => info(`${path}: present; checking its blake2b-512`),
      }).finally(() => progress.stop());
      if (f.json) return printJson({ ...r, needed: w.needed });
      info(
        r.downloaded
          ? `downloaded ${r.url} (${r.bytes} bytes); blake2b-512 matches the ${r.hashSource === 'published' ? 'published hash' : '--blake2b hash'}`
          : `already there with the right blake2b-512: not downloaded again`,
      );
      out(r.path);
    });
}
