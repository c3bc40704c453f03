/**
 * The resume check of batch proving and queue submission: whether a bundle already on disk can
 * stand for an input, so a rerun skips it instead of proving it again.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { artifactPath, openingPathFor } from '../formats/paths.js';
import { readJsonFile } from '../core/json.js';
import { existingOutput } from '../runtime/resume.js';
import { useSharedCurve } from '../runtime/curve.js';
import { verifyBundle } from './verify-bundle.js';

/** Options of {@link existingBundlePrediction}. */
export interface ExistingBundleOptions {
  /** The input the bundle must prove exactly (its public values, or its opening's committed integers). */
  readonly input?: { readonly values: ArrayLike<number>; readonly label: string };
  /** Under --strict-range a bundle of a clamped input is not a result: it is proved again (and refused). */
  readonly strictRange?: boolean;
}

/**
 * The prediction of the bundle at `bundlePath` when it exists, verifies with the key at
 * `vkeyPath` (and with its opening, when one lies beside it) and proves exactly `opts.input`;
 * -1 when it verifies but its output is hashed without an opening to show it; undefined when it
 * must be proved (again): missing, unreadable, invalid, or left from another input of the same name.
 */
export function existingBundlePrediction(
  bundlePath: string,
  vkeyPath: string,
  opts: ExistingBundleOptions = {},
): Promise<number | undefined> {
  return existingOutput(bundlePath, async () => {
    // Batch proving checks its inputs' bundles concurrently: one curve for all of them.
    await useSharedCurve();
    const opening = openingPathFor(bundlePath);
    const weightsCommitment = buildWeightsPin(vkeyPath);
    const report = await verifyBundle({
      bundlePath,
      vkeyPath,
      ...(weightsCommitment ? { weightsCommitment } : {}),
      ...(opts.input ? { inputValues: opts.input } : {}),
      ...(existsSync(opening) ? { openingPath: opening } : {}),
    });
    if (opts.strictRange && (report.inputClamped ?? 0) > 0) return undefined;
    return report.valid ? (report.prediction ?? -1) : undefined;
  });
}

/**
 * Hashed weights: the build's weights.json (beside its vkey.json), which the prover's opening
 * matches, so a bundle proven with an older W (before `weights commit --force`) is proved again.
 * Undefined for a fixed-weights key, or when the build has no weights.json (the `weights` check
 * then fails and the input is proved again, which asks for `zkinfer weights commit`).
 */
function buildWeightsPin(vkeyPath: string): string | undefined {
  const path = artifactPath(dirname(vkeyPath), 'weights');
  if (!existsSync(path)) return undefined;
  const key = readJsonFile(vkeyPath, 'verification key') as { zkinfer?: { layout?: { weights?: unknown } } };
  return key.zkinfer?.layout?.weights ? path : undefined;
}
