/**
 * Reading the build directory's artifacts: each names the stage that should have produced it
 * when missing. Their names live in src/formats/paths.ts; writing goes through
 * src/core/atomic-write.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { UserError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { readJsonFile } from '../core/json.js';
import { ARTIFACTS, artifactPath } from './paths.js';

/**
 * Reads a JSON artifact, naming the stage that should have produced it when missing, through
 * the depth-guarded parser. With `check` (see src/formats/build-dir.ts) the value is validated
 * against its schema; without, it is only parsed.
 */
export function readArtifact<T>(
  buildDir: string,
  name: keyof typeof ARTIFACTS,
  producedBy: string,
  check?: (value: unknown, where: string) => T,
): T {
  const path = artifactPath(buildDir, name);
  if (!existsSync(path)) throw new UserError(`${path}: missing; run \`zkinfer ${producedBy}\` first`);
  const value = readJsonFile(path, ARTIFACTS[name]);
  return check ? check(value, path) : (value as T);
}

/** sha256 hex of an artifact file, naming the stage that should have produced it when missing. */
export function sha256OfArtifact(buildDir: string, name: keyof typeof ARTIFACTS, producedBy: string): string {
  const path = artifactPath(buildDir, name);
  if (!existsSync(path)) throw new UserError(`${path}: missing; run \`zkinfer ${producedBy}\` first`);
  return sha256Hex(readFileSync(path));
}
