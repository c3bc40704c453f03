/**
 * `prove`: one input file → one bundle file, using a build directory's keys.
 */
import { readInputFile } from '../onnx/input-file.js';
import { bundlePathFor, openingPathFor, proofsDir } from '../formats/paths.js';
import type { ProofBundle } from '../formats/bundle.js';
import { createProver, writeBundle } from './prover.js';

/** Options of {@link prove}. */
export interface ProveOptions {
  readonly buildDir: string;
  readonly inputPath: string;
  /** Bundle path (default <buildDir>/proofs/<input name>.proof.json). */
  readonly outPath?: string;
  /** Refuse inputs with values outside the quantized range instead of clamping them. */
  readonly strictRange?: boolean;
}

/** Proves one input file and writes its bundle (and, for hashed parts, its opening) atomically. */
export async function prove(
  opts: ProveOptions,
): Promise<{ bundle: ProofBundle; bundlePath: string; openingPath?: string }> {
  const prover = createProver({ buildDir: opts.buildDir });
  const input = readInputFile(opts.inputPath, prover.model.input);
  const result = await prover.prove(input, { source: opts.inputPath, strictRange: opts.strictRange ?? false });
  const bundlePath = opts.outPath ?? bundlePathFor(proofsDir(opts.buildDir), opts.inputPath);
  writeBundle(bundlePath, result);
  return { bundle: result.bundle, bundlePath, ...(result.opening ? { openingPath: openingPathFor(bundlePath) } : {}) };
}
