/**
 * Where the tests find the repository and its files. Compiled tests run from dist/test/<room>/
 * (this file from dist/test/helpers/), so the repository root is three levels up.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedDir } from '../../tools/conformance/run-conformance.js';

/** The repository root (with a trailing separator). */
export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** The checked-in models, their samples and calibration data. */
export const MODELS = join(ROOT, 'models');
/** The command-line entry point, bin/zkinfer. */
export const CLI = join(ROOT, 'bin', 'zkinfer');
/** The shared data folder (conformance suites, larger models): $ZKINFER_SHARED, else ../shared next to the repository. */
export const SHARED = sharedDir();
