/**
 * Schemas of the JSON input formats: one model input (a flat or nested array of numbers, or
 * `{"input": [...]}` with any other fields ignored) and a calibration set (`{"inputs": [...]}`
 * or an array of inputs). Documented formats, exported as JSON Schema.
 */
import { z } from 'zod';

/** Nested arrays of finite numbers, or booleans for a BOOL graph input (the file's depth is bounded before parsing). */
export const nestedNumbersSchema: z.ZodType<unknown> = z
  .array(z.union([z.number(), z.boolean(), z.lazy(() => nestedNumbersSchema)]))
  .meta({
    id: 'zkinfer-nested-numbers',
    description:
      'numbers, flat or nested row-major in the model input shape; true/false (as 1/0) only for a BOOL graph input',
  });

/**
 * One model input. Extra fields next to `input` (labels, notes) are ignored. A model with
 * several graph inputs also takes EZKL's `{"input_data": [[...], ...]}` (one array per graph
 * input, in graph order) or an object keyed by graph input name.
 */
export const inputSchema = z
  .union([
    nestedNumbersSchema,
    z.looseObject({ input: nestedNumbersSchema }),
    z.looseObject({ input_data: z.array(nestedNumbersSchema) }),
  ])
  .meta({
    id: 'zkinfer-input',
    title: 'zkinfer input file (JSON)',
    description:
      'A JSON array (flat or nested) of numbers (several graph inputs concatenated in graph order), {"input": [...]}, {"input_data": [[...], ...]} (one array per graph input); other fields are ignored. A model with several graph inputs also takes an object keyed by graph input name, {"<name>": [...], ...}, checked against the model.',
  });

/** A calibration set. */
export const calibrationSchema = z
  .union([z.array(inputSchema).min(1), z.looseObject({ inputs: z.array(inputSchema).min(1) })])
  .meta({
    id: 'zkinfer-calibration',
    title: 'zkinfer calibration file',
    description: '{"inputs": [input, ...]} or [input, ...], at least one input.',
  });
