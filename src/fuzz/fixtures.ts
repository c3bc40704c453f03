/**
 * What the fuzz generators mutate: a proven digits-MLP build directory, the keys of a second
 * setup of the same circuit, the shipped models and a sample input. Made once per fuzz run.
 */
import { cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runPipeline } from '../pipeline.js';
import { setupKeys } from '../setup/setup-keys.js';

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
}

/** The repository root (dist/src/fuzz → ../../..). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Builds the fixtures under `dir` (about 5 s: one pipeline run and one extra setup). */
export async function makeFixtures(dir: string): Promise<Fixtures> {
  mkdirSync(dir, { recursive: true });
  const mlp = join(ROOT, 'models/digits-mlp.onnx');
  const samplePath = join(ROOT, 'models/samples/digit-3.json');
  const buildDir = join(dir, 'build');
  await runPipeline({ modelPath: mlp, inputPath: samplePath, outDir: buildDir });
  rmSync(join(buildDir, 'proofs'), { recursive: true, force: true });
  const otherSetupDir = join(dir, 'other-setup');
  cpSync(buildDir, otherSetupDir, { recursive: true });
  await setupKeys({ buildDir: otherSetupDir });
  const sample = (JSON.parse(readFileSync(samplePath, 'utf8')) as { input: number[] }).input;
  return { buildDir, otherSetupDir, models: { mlp, cnn: join(ROOT, 'models/digits-cnn.onnx') }, samplePath, sample };
}

/** Copies the build directory into a case directory (proofs excluded). */
export function copyBuild(fx: Fixtures, to: string): string {
  cpSync(fx.buildDir, to, { recursive: true });
  return to;
}
