/**
 * Typed, validated readers for the JSON artifacts of a build directory. Every stage reads
 * settings.json, model.quant.json, circuit.json, setup.json and vkey.json through these, so a
 * hand-edited or corrupted artifact is a one-line error naming the file and field (exit 2).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { z } from 'zod';
import { UserError } from '../core/errors.js';
import { artifactPath } from './paths.js';
import { readArtifact } from './artifacts.js';
import type { Groth16VerificationKey } from '../chain/verifier-contract.js';
import type { CircuitInfo } from '../compile/compile-circuit.js';
import type { QuantizedModel } from '../quantize/quantized-model.js';
import type { Settings } from '../quantize/quantize-model.js';
import type { SetupInfo } from '../setup/setup-keys.js';
import { circuitInfoSchema } from './circuit.js';
import { parseJsonText, validate } from '../core/json.js';
import { parseQuantizedModel } from './quantized-model.js';
import { settingsSchema } from './settings.js';
import { setupInfoSchema } from './setup.js';
import { validateVkey } from './vkey.js';

/** Validates and returns the value as read: fields the schema does not know are kept, not stripped. */
const checked = <T>(schema: z.ZodType, what: string) => (v: unknown, where: string): T => {
  validate(schema, v, where, what);
  return v as T;
};

/** settings.json, validated. */
export function readSettings(buildDir: string): Settings {
  return readArtifact(buildDir, 'settings', 'quantize', checked<Settings>(settingsSchema, 'settings'));
}

/** circuit.json, validated. */
export function readCircuitInfo(buildDir: string): CircuitInfo {
  return readArtifact(buildDir, 'circuit', 'compile', checked<CircuitInfo>(circuitInfoSchema, 'circuit description'));
}

/** setup.json, validated (including the file hashes recorded at setup). */
export function readSetupInfo(buildDir: string): SetupInfo {
  return readArtifact(buildDir, 'setup', 'setup', checked<SetupInfo>(setupInfoSchema, 'setup record'));
}

/** vkey.json, validated as a bn128 Groth16 key (points on the curve), zkinfer metadata kept. */
export function readVkey(buildDir: string): Groth16VerificationKey & Record<string, unknown> {
  return readArtifact(buildDir, 'vkey', 'setup', (v, where) => {
    validateVkey(v, where);
    return v as Groth16VerificationKey & Record<string, unknown>;
  });
}

/** model.quant.json, validated, with its exact bytes (which circuit.json and setup.json hash). */
export function readQuantizedModelFile(buildDir: string): { model: QuantizedModel; bytes: Buffer } {
  const path = artifactPath(buildDir, 'quantized');
  if (!existsSync(path)) throw new UserError(`${path}: missing; run \`zkinfer quantize\` first`);
  const bytes = readFileSync(path);
  return { model: parseQuantizedModel(parseJsonText(bytes.toString('utf8'), path), path), bytes };
}
