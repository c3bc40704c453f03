/**
 * What the fuzz generators mutate: a proven digits-MLP build directory, the keys of a second
 * setup of the same circuit, the shipped models and a sample input. Made once per fuzz run.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { artifactPath, bundlePathNamed, openingPathFor, proofsDir } from '../../src/formats/paths.js';
import { fileURLToPath } from 'node:url';
import { runPipeline } from '../../src/pipeline.js';
import { proveAccuracy } from '../../src/accuracy/prove-accuracy.js';
import { setupKeys } from '../../src/setup/setup-keys.js';

/** Shared inputs of every generator. */
export interface Fixtures {
  /** A build directory that proves (dev setup, hashed input, public output). */
  readonly buildDir: string;
  /** The same circuit, set up a second time: other zkey, vkey and setup.json. */
  readonly otherSetupDir: string;
  readonly models: { readonly mlp: string; readonly cnn: string };
  readonly samplePath: string;
  /** The sample's values (64 numbers for the digits MLP). */
  readonly sample: number[];
  /** The sample's proof bundle and its opening (hashed input), proven with `buildDir`'s keys. */
  readonly bundlePath: string;
  readonly openingPath: string;
  /** An accuracy claim of the build on 4 test samples (2 chunks of 2), its chunk key and dataset. */
  readonly claim: {
    readonly path: string;
    readonly vkeyPath: string;
    readonly datasetPath: string;
    readonly datasetCommitment: string;
  };
  /** A hashed-weights build of the same MLP (`quantize --weights hashed`), proven once. */
  readonly hashed: HashedFixtures;
}

/** The hashed-weights build: its key, W, the pair of weights files and one proof. */
export interface HashedFixtures {
  /** A build directory with weights.json and weights.opening.json (proofs excluded). */
  readonly buildDir: string;
  /** Its vkey.json, to pin. */
  readonly vkeyPath: string;
  /** The public weights.json and the private weights.opening.json (inside `buildDir`). */
  readonly weightsPath: string;
  readonly weightsOpeningPath: string;
  /** W, 0x + 64 hex digits. */
  readonly commitment: string;
  /** The sample's bundle (carries W) and its input opening. */
  readonly bundlePath: string;
  readonly openingPath: string;
}

/** The repository root (dist/tools/fuzz → ../../..). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Builds the fixtures under `dir` (about 8 s: two pipeline runs, fixed and hashed, and one extra setup). */
export async function makeFixtures(dir: string): Promise<Fixtures> {
  mkdirSync(dir, { recursive: true });
  const mlp = join(ROOT, 'models/digits-mlp.onnx');
  const samplePath = join(ROOT, 'models/samples/digit-3.json');
  const buildDir = join(dir, 'build');
  const run = await runPipeline({ modelPath: mlp, inputPath: samplePath, outDir: buildDir });
  const bundlePath = bundlePathNamed(dir, 'sample');
  const openingPath = openingPathFor(bundlePath);
  cpSync(run.bundlePath, bundlePath);
  cpSync(run.openingPath!, openingPath);
  rmSync(proofsDir(buildDir), { recursive: true, force: true });
  const otherSetupDir = join(dir, 'other-setup');
  cpSync(buildDir, otherSetupDir, { recursive: true });
  await setupKeys({ buildDir: otherSetupDir, force: true });
  const sample = (JSON.parse(readFileSync(samplePath, 'utf8')) as { input: number[] }).input;
  const test = JSON.parse(readFileSync(join(ROOT, 'models/digits-test.json'), 'utf8')) as {
    inputs: number[][];
    labels: number[];
  };
  const datasetPath = join(dir, 'four.jsonl');
  writeFileSync(
    datasetPath,
    test.inputs
      .slice(0, 4)
      .map((input, i) => JSON.stringify({ input, label: test.labels[i] }))
      .join('\n') + '\n',
  );
  const acc = await proveAccuracy({
    buildDir,
    dataset: datasetPath,
    outDir: join(dir, 'accuracy'),
    chunkSize: 2,
    workers: 1,
  });
  const claim = {
    path: acc.claim,
    vkeyPath: join(acc.keyDir, 'vkey.json'),
    datasetPath,
    datasetCommitment: acc.datasetCommitment,
  };
  return {
    buildDir,
    otherSetupDir,
    models: { mlp, cnn: join(ROOT, 'models/digits-cnn.onnx') },
    samplePath,
    sample,
    bundlePath,
    openingPath,
    claim,
    hashed: await makeHashedFixtures(dir, mlp, samplePath),
  };
}

/** The hashed-weights build: `run --weights hashed` commits W and proves the sample once. */
async function makeHashedFixtures(dir: string, mlp: string, samplePath: string): Promise<HashedFixtures> {
  const buildDir = join(dir, 'hashed-build');
  const run = await runPipeline({ modelPath: mlp, inputPath: samplePath, outDir: buildDir, weights: 'hashed' });
  const bundlePath = bundlePathNamed(dir, 'hashed-sample');
  const openingPath = openingPathFor(bundlePath);
  cpSync(run.bundlePath, bundlePath);
  cpSync(run.openingPath!, openingPath);
  rmSync(proofsDir(buildDir), { recursive: true, force: true });
  return {
    buildDir,
    vkeyPath: artifactPath(buildDir, 'vkey'),
    weightsPath: artifactPath(buildDir, 'weights'),
    weightsOpeningPath: artifactPath(buildDir, 'weightsOpening'),
    commitment: run.weightsCommitment!,
    bundlePath,
    openingPath,
  };
}

/** Copies the build directory into a case directory (proofs excluded). */
export function copyBuild(fx: Fixtures, to: string): string {
  cpSync(fx.buildDir, to, { recursive: true });
  return to;
}
