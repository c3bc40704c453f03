/**
 * The documented file formats whose JSON Schemas zkinfer publishes (`zkinfer schemas --out
 * DIR`, committed in schemas/). To publish another format, write its zod schema in its own
 * file in src/formats/ and add one line below.
 */
import { z } from 'zod';
import { circuitInfoSchema } from './circuit.js';
import { calibrationSchema, inputSchema } from './input.js';
import { quantizedModelSchema } from './quantized-schema.js';
import { settingsSchema } from './settings.js';
import { setupInfoSchema } from './setup.js';
import { vkeySchema } from './vkey.js';
import { bundleSchema } from './bundle.js';
import { openingSchema } from './opening.js';
import { claimSchema } from './claim.js';
import { weightsCommitmentSchema, weightsOpeningSchema } from './weights.js';

/** A published format: the schema file name (without `.schema.json`) and its zod schema. */
export interface DocumentedSchema {
  readonly name: string;
  readonly schema: z.ZodType;
}

/** Every published format, one line each. */
export const DOCUMENTED_SCHEMAS: readonly DocumentedSchema[] = [
  { name: 'settings', schema: settingsSchema },
  { name: 'input', schema: inputSchema },
  { name: 'calibration', schema: calibrationSchema },
  { name: 'model-quant', schema: quantizedModelSchema },
  { name: 'circuit', schema: circuitInfoSchema },
  { name: 'setup', schema: setupInfoSchema },
  { name: 'vkey', schema: vkeySchema },
  { name: 'bundle', schema: bundleSchema },
  { name: 'opening', schema: openingSchema },
  { name: 'claim', schema: claimSchema },
  { name: 'weights', schema: weightsCommitmentSchema },
  { name: 'weights-opening', schema: weightsOpeningSchema },
];

/**
 * The JSON Schema (draft 2020-12) of a format, as text. Input-side: unknown fields are
 * allowed (zkinfer ignores them), and refinements zod cannot express (curve membership,
 * element-count limits) are described in prose by the fields' descriptions.
 */
export function jsonSchemaText(s: DocumentedSchema): string {
  const json = z.toJSONSchema(s.schema, { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify(json, null, 2)}\n`;
}
