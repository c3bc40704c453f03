/**
 * The one path resolver: where each file of zkinfer lives. Build-directory artifact names, the
 * default build directory, the proofs/ directory, `NAME.proof.json` bundles with their
 * `NAME.opening.json` openings, and the accuracy files (dataset commitments and openings, the
 * claim). Every stage and tool builds these paths here, so the layout is written down once.
 */
import { basename, extname, join } from 'node:path';

/** File names inside a build directory. */
export const ARTIFACTS = {
  model: 'model.onnx',
  settings: 'settings.json',
  quantized: 'model.quant.json',
  r1cs: 'circuit.r1cs',
  circuit: 'circuit.json',
  zkey: 'circuit.zkey',
  vkey: 'vkey.json',
  setup: 'setup.json',
  /** Hashed weights: the public weight commitment W and its private opening (`zkinfer weights commit`). */
  weights: 'weights.json',
  weightsOpening: 'weights.opening.json',
} as const;

/** Path of an artifact in `buildDir`. */
export function artifactPath(buildDir: string, name: keyof typeof ARTIFACTS): string {
  return join(buildDir, ARTIFACTS[name]);
}

/** Default build directory for a model: `build/<model file name without extension>`. */
export function defaultBuildDir(modelPath: string): string {
  return join('build', basename(modelPath, extname(modelPath)));
}

/** Where bundles go by default: `<buildDir>/proofs`. */
export function proofsDir(buildDir: string): string {
  return join(buildDir, 'proofs');
}

/** Ending of every bundle file name. */
export const BUNDLE_SUFFIX = '.proof.json';

/** Bundle path for a name stem in `dir`: `<dir>/<name>.proof.json`. */
export function bundlePathNamed(dir: string, name: string): string {
  return join(dir, `${name}${BUNDLE_SUFFIX}`);
}

/** Bundle path for an input inside `dir`: the input's file name, extension replaced by `.proof.json`. */
export function bundlePathFor(dir: string, inputPath: string): string {
  return bundlePathNamed(dir, basename(inputPath, extname(inputPath)));
}

/** Where the opening of the bundle at `bundlePath` lives (`NAME.opening.json` beside `NAME.proof.json`). */
export function openingPathFor(bundlePath: string): string {
  return `${bundlePath.replace(/\.proof\.json$/, '').replace(/\.json$/, '')}.opening.json`;
}

/** Default directory of dataset commitments: `<buildDir>/datasets`. */
export function datasetsDir(buildDir: string): string {
  return join(buildDir, 'datasets');
}

/** A dataset commitment and its opening in `dir`, named after the dataset file's stem. */
export function datasetFilesFor(dir: string, datasetPath: string): { commitmentPath: string; openingPath: string } {
  const stem = basename(datasetPath, extname(datasetPath));
  return { commitmentPath: join(dir, `${stem}.commitment.json`), openingPath: join(dir, `${stem}.opening.json`) };
}

/** The dataset opening `prove-accuracy` keeps in its output directory when none is given. */
export function accuracyOpeningPath(outDir: string): string {
  return join(outDir, 'dataset.opening.json');
}

/** The accuracy claim in `prove-accuracy`'s output directory. */
export function claimPath(outDir: string): string {
  return join(outDir, 'claim.json');
}
