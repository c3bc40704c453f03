/**
 * The build directory: the artifacts each stage writes and the next reads, and the atomic
 * file writing every stage uses (temp file + rename, so no reader ever sees half a file).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UserError } from '../core/errors.js';
import { readJsonFile } from '../core/json.js';

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
} as const;

/** Path of an artifact in `buildDir`. */
export function artifactPath(buildDir: string, name: keyof typeof ARTIFACTS): string {
  return join(buildDir, ARTIFACTS[name]);
}

/** Writes a file atomically: a temp file in the same directory, then rename. */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode?: number): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    // The mode is set at creation, so a private file is never readable by others, not even briefly.
    writeFileSync(tmp, data, mode === undefined ? {} : { mode });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** The bytes {@link writeJsonAtomic} writes: pretty-printed JSON and a newline (model ids hash them). */
export function jsonBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value, null, 2) + '\n', 'utf8');
}

/** Writes JSON atomically, pretty-printed; `mode` (e.g. 0o600) applies from creation on. */
export function writeJsonAtomic(path: string, value: unknown, mode?: number): void {
  writeFileAtomic(path, jsonBytes(value), mode);
}

/**
 * Reads a JSON artifact, naming the stage that should have produced it when missing, through
 * the depth-guarded parser. With `check` (see src/formats/build-dir.ts) the value is validated
 * against its schema; without, it is only parsed.
 */
export function readArtifact<T>(buildDir: string, name: keyof typeof ARTIFACTS, producedBy: string, check?: (value: unknown, where: string) => T): T {
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

/** sha256 hex of bytes. */
export function sha256Hex(...parts: Array<string | Uint8Array>): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

/** JSON with object keys sorted at every level: a stable byte string to hash. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
      : v,
  );
}

const require = createRequire(import.meta.url);

function packageVersion(file: string): string {
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

/** Versions recorded in every artifact. */
export const VERSIONS = {
  zkinfer: packageVersion(new URL('../../../package.json', import.meta.url).pathname),
  // snarkjs's exports map hides package.json; its main entry sits two levels below the root.
  snarkjs: packageVersion(join(dirname(require.resolve('snarkjs')), '..', 'package.json')),
};
