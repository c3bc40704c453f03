/**
 * What names the audited model, key and data on the report, so a reader can tell which release
 * it is about: the ONNX file's sha256 (recorded by quantize), the model id and the verification
 * key's hash when the build has them, and the dataset file's sha256.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { artifactPath } from '../formats/paths.js';
import { readCircuitInfo, readVkey } from '../formats/build-dir.js';
import { vkeyHash } from '../formats/vkey.js';
import type { Settings } from '../formats/settings.js';

/** Identifiers of what an audit looked at; absent ones the target does not have (an ONNX file has no key). */
export interface AuditIdentifiers {
  /** sha256 of the ONNX model the build was quantized from. */
  readonly modelSha256: string;
  /** The circuit's model id (circuit.json), when the build is compiled. */
  readonly modelId?: string;
  /** sha256 of the canonical verification key (what `--vkey-hash` pins), when the build has keys. */
  readonly vkeyHash?: string;
  /** sha256 of the dataset file's bytes (a directory dataset has none). */
  readonly datasetSha256?: string;
}

async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** The identifiers of a build (`isModel`: a temporary build of an ONNX target, which has no circuit or key). */
export async function auditIdentifiers(
  buildDir: string,
  isModel: boolean,
  settings: Settings,
  dataset: string,
): Promise<AuditIdentifiers> {
  const has = (a: 'circuit' | 'vkey') => !isModel && existsSync(artifactPath(buildDir, a));
  return {
    modelSha256: settings.model.sha256,
    ...(has('circuit') ? { modelId: readCircuitInfo(buildDir).modelId } : {}),
    ...(has('vkey') ? { vkeyHash: vkeyHash(readVkey(buildDir)) } : {}),
    ...(existsSync(dataset) && statSync(dataset).isFile() ? { datasetSha256: await fileSha256(dataset) } : {}),
  };
}
