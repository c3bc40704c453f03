/**
 * `prove`: one input file → one bundle file, using a build directory's keys.
 */
import { readInputFile } from '../onnx/input-file.js';
import { bundlePathFor, openingPathFor, proofsDir } from '../formats/paths.js';
import type { ProofBundle } from '../formats/bundle.js';
import { createProver, writeBundle } from './prover.js';
import { cleanupOnFailure } from '../core/atomic-write.js';
import { checkOutputFile } from '../core/output-path.js';

/** Options of {@link prove}. */
export interface ProveOptions {
  readonly buildDir: string;
  readonly inputPath: string;
  /** Bundle path (default <buildDir>/proofs/<input name>.proof.json). */
  readonly outPath?: string;
  /** Refuse inputs with values outside the quantized range instead of clamping them. */
  readonly strictRange?: boolean;
  /** Fail when onnxruntime refuses the model instead of recording the float check as unavailable. */
  readonly requireFloatCheck?: boolean;
}

/** What {@link prove} wrote. */
export interface ProveResult {
  readonly bundle: ProofBundle;
  readonly bundlePath: string;
  readonly openingPath?: string;
}

/**
 * Proves one input file and writes its bundle (and, for hashed parts, its opening) atomically.
 * The bundle and opening paths are checked before proving; on failure nothing new is left behind
 * (never an opening without its bundle).
 */
export async function prove(opts: ProveOptions): Promise<ProveResult> {
  const bundlePath = opts.outPath ?? bundlePathFor(proofsDir(opts.buildDir), opts.inputPath);
  checkOutputFile(bundlePath);
  checkOutputFile(openingPathFor(bundlePath), { flag: 'the opening beside --out' });
  return cleanupOnFailure(() => proveTo(opts, bundlePath));
}

async function proveTo(opts: ProveOptions, bundlePath: string): Promise<ProveResult> {
  const prover = createProver({ buildDir: opts.buildDir, requireFloatCheck: opts.requireFloatCheck ?? false });
  const input = readInputFile(opts.inputPath, prover.model.input);
  const result = await prover.prove(input, { source: opts.inputPath, strictRange: opts.strictRange ?? false });
  writeBundle(bundlePath, result);
  return { bundle: result.bundle, bundlePath, ...(result.opening ? { openingPath: openingPathFor(bundlePath) } : {}) };
}
