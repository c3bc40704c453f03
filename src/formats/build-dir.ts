/**
 * Typed, validated readers for the JSON artifacts of a build directory. Every stage reads
 * settings.json, model.quant.json, circuit.json, setup.json and vkey.json through these, so a
 * hand-edited or corrupted artifact is a one-line error naming the file and field (exit 2).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { z } from 'zod';
import { UserError } from '../core/errors.js';
import { parseJsonText, validate } from '../core/json.js';
import { readArtifact } from './artifacts.js';
import { circuitInfoSchema, type CircuitInfo } from './circuit.js';
import { artifactPath } from './paths.js';
import { parseQuantizedModel } from './quantized-model.js';
import { settingsSchema, type Settings } from './settings.js';
import { setupInfoSchema, type SetupInfo } from './setup.js';
import { validateVkey, type Groth16VerificationKey } from './vkey.js';

/** The quantized model, as its parser returns it (the type itself is declared with the quantizer). */
type QuantizedModel = ReturnType<typeof parseQuantizedModel>;

/**
 * Validates and returns the value as read, typed as the schema's output: fields the schema does
 * not know are kept, not stripped (zod's parsed copy would drop them).
 */
const checked =
  <S extends z.ZodType>(schema: S, what: string) =>
  (v: unknown, where: string): z.output<S> => {
    validate(schema, v, where, what);
    return v as z.output<S>;
  };

/** settings.json, validated. */
export function readSettings(buildDir: string): Settings {
  return readArtifact(buildDir, 'settings', 'quantize', checked(settingsSchema, 'settings'));
}

/** circuit.json, validated (an accuracy circuit's dataset encoding only as an object, see src/formats/circuit.ts). */
export function readCircuitInfo(buildDir: string): CircuitInfo {
  return readArtifact(buildDir, 'circuit', 'compile', checked(circuitInfoSchema, 'circuit description')) as CircuitInfo;
}

/** setup.json, validated (including the file hashes recorded at setup). */
export function readSetupInfo(buildDir: string): SetupInfo {
  return readArtifact(buildDir, 'setup', 'setup', checked(setupInfoSchema, 'setup record'));
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
