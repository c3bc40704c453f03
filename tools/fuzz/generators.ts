/**
 * The fuzz classes, one line each. To add one (e.g. bundle or claim mutations), write a
 * {@link FuzzGenerator} in its own file in tools/fuzz/ and list it here.
 */
import type { Fixtures } from './fixtures.js';
import { buildDirs } from './gen-build-dir.js';
import { bundles } from './gen-bundle.js';
import { hashedWeights } from './gen-hashed.js';
import { claims, datasets } from './gen-claim.js';
import { calibrationFiles, jsonInputs, pbInputs } from './gen-inputs.js';
import { onnxModels } from './gen-onnx.js';
import { outputPaths } from './gen-paths.js';
import type { FuzzGenerator } from './harness.js';

/** Every generator of the suite; `weight` sets how often each is drawn. */
// Each generator has its own case type; the list only needs to hold them side by side.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const GENERATORS: ReadonlyArray<FuzzGenerator<Fixtures, any>> = [
  onnxModels,
  jsonInputs,
  pbInputs,
  calibrationFiles,
  buildDirs,
  bundles,
  claims,
  datasets,
  outputPaths,
  hashedWeights,
];
