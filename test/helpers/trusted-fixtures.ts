/**
 * Fixtures with keys from a multi-party phase-2 ceremony, made through the CLI as a model owner
 * would: a tiny MLP (4 inputs → 3 ReLU → 2 classes) quantized into a build directory, a locally
 * made 2^10 powers-of-tau file (the smallest that fits the chunk circuit for 2 samples: 977
 * constraints + 2 public signals + 1), and a ceremony with two contributions (alice, bob) and a
 * beacon — for the accuracy chunk circuit ({@link makeTrustedChunkFixture}) or for the
 * single-inference circuit ({@link makeTrustedBuildFixture}). Both share one build and one ptau
 * per directory (made once per process), so a test needing both pays for the ptau once.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDevPtau } from '../../tools/bench/bench-gas.js';
import { modelBytes, prng, randArray } from '../../tools/onnx/write-onnx.js';
import { zkinferOk } from './cli.js';

/**
 * Writes the tiny MLP (4 inputs → `hidden` ReLU → 2 classes); `tweak` moves one first-layer
 * weight (another model, same shapes); another `hidden` is another architecture.
 */
export function writeTinyModel(path: string, tweak = 0, o: { hidden?: number; seed?: number } = {}): void {
  const hidden = o.hidden ?? 3;
  const rnd = prng(o.seed ?? 7);
  const w1 = randArray(rnd, hidden * 4, -1, 1);
  w1[5]! += tweak;
  writeFileSync(
    path,
    modelBytes({
      input: { name: 'x', dims: [1, 4] },
      output: { name: 'y', dims: [1, 2] },
      nodes: [
        { op: 'Gemm', inputs: ['x', 'w1', 'b1'], outputs: ['h'], attrs: { transB: { int: 1 } } },
        { op: 'Relu', inputs: ['h'], outputs: ['r'] },
        { op: 'Gemm', inputs: ['r', 'w2', 'b2'], outputs: ['y'], attrs: { transB: { int: 1 } } },
      ],
      initializers: {
        w1: { dims: [hidden, 4], data: w1 },
        b1: { dims: [hidden], data: randArray(rnd, hidden, -0.2, 0.2) },
        w2: { dims: [2, hidden], data: randArray(rnd, 2 * hidden, -1, 1) },
        b2: { dims: [2], data: randArray(rnd, 2, -0.2, 0.2) },
      },
    }),
  );
}

/** What both fixtures share: the model, its build directory, the ptau and a labelled dataset. */
export interface TrustedBase {
  readonly dir: string;
  /** The local 2^10 ptau (unrecognised: verifiers must name it with --trust-ptau). */
  readonly ptau: string;
  readonly onnx: string;
  /** The build directory (quantized; the chunk fixture adds accuracy/chunk-2, the build fixture compiles it). */
  readonly build: string;
  /** The build's settings.json (what a verifier recompiles from, with the ONNX file). */
  readonly settings: string;
  /** One input file (also the calibration input). */
  readonly input: string;
  /** 5 labelled samples, JSON Lines. */
  readonly dataset: string;
  /** The names of the ceremony's contributions, in order. */
  readonly contributors: readonly string[];
}

const bases = new Map<string, Promise<TrustedBase>>();

async function makeBase(dir: string): Promise<TrustedBase> {
  const ptau = join(dir, 'local-2^10.ptau');
  const onnx = join(dir, 'tiny.onnx');
  const build = join(dir, 'build');
  const input = join(dir, 'x.json');
  const dataset = join(dir, 'data.jsonl');
  writeFileSync(ptau, (await createDevPtau({ power: 10 })).data!);
  writeTinyModel(onnx);
  writeFileSync(input, JSON.stringify([0.5, -0.25, 0.75, 0.1]));
  const rnd = prng(11);
  const lines = [0, 1, 0, 1, 1].map((label) => JSON.stringify({ input: randArray(rnd, 4, -1, 1), label }));
  writeFileSync(dataset, lines.join('\n') + '\n');
  zkinferOk(['quantize', onnx, '--out', build, '--input', input]);
  const contributors = ['alice', 'bob', 'beacon'];
  return { dir, ptau, onnx, build, settings: join(build, 'settings.json'), input, dataset, contributors };
}

/** The shared part, made once per directory and process. */
function trustedBase(dir: string): Promise<TrustedBase> {
  let base = bases.get(dir);
  if (!base) {
    base = makeBase(dir);
    bases.set(dir, base);
  }
  return base;
}

/** What each ceremony step printed (stdout), for tests of the CLI's messages. */
export interface CeremonyLog {
  readonly init: string;
  readonly contribute: string;
  readonly beacon: string;
  readonly finalize: string;
}

/**
 * init, contributions from alice and bob, a beacon and finalize, through the CLI; `keyDir` is
 * the directory holding the circuit (the build, or its chunk directory), `target` the
 * arguments naming it to `ceremony init|finalize`.
 */
function runCeremony(b: TrustedBase, keyDir: string, target: readonly string[]): { dir: string; log: CeremonyLog } {
  const cer = join(keyDir, 'ceremony');
  const key = (name: string) => join(cer, name);
  const init = zkinferOk(['ceremony', 'init', ...target, '--ptau', b.ptau]).stdout;
  zkinferOk(['ceremony', 'contribute', key('0000-init.zkey'), key('0001-alice.zkey'), '--name', 'alice']);
  const contribute = zkinferOk([
    'ceremony',
    'contribute',
    key('0001-alice.zkey'),
    key('0002-bob.zkey'),
    '--name',
    'bob',
  ]);
  const beacon = zkinferOk(['ceremony', 'beacon', key('0002-bob.zkey'), key('0003-beacon.zkey'), '--beacon', '5f3c1a']);
  const finalize = zkinferOk(['ceremony', 'finalize', ...target, '--ptau', b.ptau]).stdout;
  return { dir: cer, log: { init, contribute: contribute.stdout, beacon: beacon.stdout, finalize } };
}

/** The log of a ceremony made earlier in this process, or empty when it was made by another one. */
const logs = new Map<string, CeremonyLog>();
const NO_LOG: CeremonyLog = { init: '', contribute: '', beacon: '', finalize: '' };

/** Runs the ceremony unless `keyDir` already holds its final key (setup.json). */
function ceremonyOnce(b: TrustedBase, keyDir: string, target: readonly string[]): { dir: string; log: CeremonyLog } {
  const dir = join(keyDir, 'ceremony');
  if (existsSync(join(keyDir, 'setup.json'))) return { dir, log: logs.get(keyDir) ?? NO_LOG };
  const r = runCeremony(b, keyDir, target);
  logs.set(keyDir, r.log);
  return r;
}

/** {@link makeTrustedChunkFixture}'s paths. */
export interface TrustedChunkFixture extends TrustedBase {
  readonly chunkSize: 2;
  /** BUILD/accuracy/chunk-2: the chunk circuit and the ceremony's final key. */
  readonly chunkDir: string;
  readonly chunkVkey: string;
  /** BUILD/accuracy/chunk-2/ceremony: the zkeys and transcript.json. */
  readonly ceremonyDir: string;
  readonly transcript: string;
  /** Output of `zkinfer accuracy` with the ceremony key: claim.json, dataset.opening.json, chunks/. */
  readonly claimDir: string;
  readonly claim: string;
  readonly opening: string;
  /** What the ceremony's CLI steps printed. */
  readonly log: CeremonyLog;
}

/**
 * The tiny model's accuracy chunk circuit for 2 samples through a ceremony (alice, bob, beacon)
 * on the local 2^10 ptau, finalized into BUILD/accuracy/chunk-2, and an accuracy claim on the
 * 5-sample dataset proven with that key (`zkinfer accuracy … --chunk 2`) in DIR/claim.
 */
export async function makeTrustedChunkFixture(dir: string): Promise<TrustedChunkFixture> {
  const b = await trustedBase(dir);
  const chunkDir = join(b.build, 'accuracy', 'chunk-2');
  const claimDir = join(dir, 'claim');
  const { dir: ceremonyDir, log } = ceremonyOnce(b, chunkDir, [b.build, '--chunk', '2']);
  if (!existsSync(join(claimDir, 'claim.json')))
    zkinferOk(['accuracy', b.build, '--dataset', b.dataset, '--chunk', '2', '--out', claimDir, '--workers', '1']);
  return {
    ...b,
    chunkSize: 2,
    chunkDir,
    chunkVkey: join(chunkDir, 'vkey.json'),
    ceremonyDir,
    transcript: join(ceremonyDir, 'transcript.json'),
    claimDir,
    claim: join(claimDir, 'claim.json'),
    opening: join(claimDir, 'dataset.opening.json'),
    log,
  };
}

/** {@link makeTrustedBuildFixture}'s paths. */
export interface TrustedBuildFixture extends TrustedBase {
  /** BUILD/vkey.json: the ceremony's final key of the single-inference circuit. */
  readonly vkey: string;
  readonly ceremonyDir: string;
  readonly transcript: string;
  /** A bundle of `input` proven with that key. */
  readonly bundle: string;
  readonly log: CeremonyLog;
}

/**
 * The same build's single-inference circuit (compiled with the defaults: hashed input, public
 * output; 2^9) through the same ceremony on the same ptau, finalized into BUILD, and a bundle
 * of the input proven with the final key.
 */
export async function makeTrustedBuildFixture(dir: string): Promise<TrustedBuildFixture> {
  const b = await trustedBase(dir);
  if (!existsSync(join(b.build, 'circuit.json'))) zkinferOk(['compile', b.build]);
  const { dir: ceremonyDir, log } = ceremonyOnce(b, b.build, [b.build]);
  const bundle = JSON.parse(zkinferOk(['prove', b.build, '--input', b.input, '--json']).stdout) as { bundle: string };
  return {
    ...b,
    vkey: join(b.build, 'vkey.json'),
    ceremonyDir,
    transcript: join(ceremonyDir, 'transcript.json'),
    bundle: bundle.bundle,
    log,
  };
}
