/**
 * `prove`: one input file → one bundle file, using a build directory's keys.
 */
import { readInputFile } from '../onnx/input-file.js';
import { bundlePathFor } from '../pipeline.js';
import type { ProofBundle } from '../bundle/bundle.js';
import { createProver, writeBundle } from './prover.js';

/** Options of {@link prove}. */
export interface ProveOptions {
  readonly buildDir: string;
  readonly inputPath: string;
  /** Bundle path (default <buildDir>/proofs/<input name>.proof.json). */
  readonly outPath?: string;
}

/** Proves one input file and writes its bundle atomically. */
export async function prove(opts: ProveOptions): Promise<{ bundle: ProofBundle; bundlePath: string }> {
  const prover = createProver({ buildDir: opts.buildDir });
  const input = readInputFile(opts.inputPath, prover.model.input);
  const bundle = await prover.prove(input, { source: opts.inputPath });
  const bundlePath = opts.outPath ?? bundlePathFor(`${opts.buildDir}/proofs`, opts.inputPath);
  writeBundle(bundlePath, bundle);
  return { bundle, bundlePath };
}
