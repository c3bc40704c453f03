/**
 * The proof bundles an audit reads: found by the sample they name, and each verified against
 * that very sample before its prediction counts.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BUNDLE_SUFFIX, openingPathFor } from '../formats/paths.js';
import type { ProofBundle } from '../formats/bundle.js';
import type { Sample } from '../accuracy/read-dataset.js';
import { readJsonFile } from '../core/json.js';
import { UserError } from '../core/errors.js';
import { verifyBundle } from '../verify/verify-bundle.js';

export function normalizeSource(source: string): string {
  const m = /^(.*?)(:\d+)?$/.exec(source)!;
  return resolve(m[1]!) + (m[2] ?? '');
}

/** Bundle files by the sample they name (`file:line` or `.pb` path); verified later, against that sample. */
export function listBundles(dir: string): {
  bySource: Map<string, string>;
  rejected: Array<{ file: string; reason: string }>;
  total: number;
} {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UserError(`${dir}: --bundles must be a directory of .proof.json files`);
  const bySource = new Map<string, string>();
  const rejected: Array<{ file: string; reason: string }> = [];
  const names = readdirSync(dir)
    .filter((n) => n.endsWith(BUNDLE_SUFFIX))
    .sort();
  for (const name of names) {
    const file = join(dir, name);
    let source: unknown;
    try {
      source = (readJsonFile(file, 'proof bundle') as { input?: { source?: unknown } }).input?.source;
    } catch {
      source = undefined;
    }
    if (typeof source !== 'string') rejected.push({ file, reason: 'not a bundle naming its input' });
    else bySource.set(normalizeSource(source), file);
  }
  return { bySource, rejected, total: names.length };
}

/**
 * The proven prediction of `file` for sample `s`: the bundle must verify (against the build's
 * key when there is one), and its input — public values, or the commitment opened by the
 * opening beside it — must be this very sample.
 */
export async function provenPrediction(
  file: string,
  s: Sample,
  vkeyPath: string | undefined,
): Promise<{ prediction?: number; reason?: string }> {
  const opening = openingPathFor(file);
  const report = await verifyBundle({
    bundlePath: file,
    ...(vkeyPath ? { vkeyPath } : { allowUnpinned: true }),
    ...(existsSync(opening) ? { openingPath: opening } : {}),
    inputValues: { values: s.input, label: s.source },
  });
  if (!report.valid) return { reason: `${report.failed} check failed` };
  const prediction = (readJsonFile(file, 'proof bundle') as ProofBundle).prediction;
  return prediction === undefined ? { reason: 'the bundle has no prediction (hashed output)' } : { prediction };
}
