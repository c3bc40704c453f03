/**
 * Schema of `settings.json`, written once by `quantize` and read by `inspect`, `prove` and
 * `run`. A documented format: `zkinfer schemas --out DIR` exports it as JSON Schema.
 */
import { z } from 'zod';
import { bitsSchema, dimsSchema, droppedFinalSchema, fracSchema, QUANT_BITS, safeIntSchema, sha256Schema } from './common.js';

const tensor = z.object({ name: z.string(), shape: dimsSchema });
const range = { frac: fracSchema, lo: safeIntSchema, hi: safeIntSchema };
const ratio = z.number().min(0).nullable();

/** `settings.json`: scales, bit widths, per-layer shifts, calibration sources, fidelity, versions. */
export const settingsSchema = z
  .object({
    zkinfer: z.string().describe('zkinfer version that wrote the file'),
    createdAt: z.string(),
    model: z.object({
      file: z.string(),
      source: z.string(),
      sha256: sha256Schema,
      irVersion: z.number().int(),
      opset: z.number().int(),
      producer: z.string(),
      input: tensor,
      output: tensor,
    }),
    quantization: z.object({
      weightBits: bitsSchema(QUANT_BITS.min, QUANT_BITS.max).describe('bits per signed weight'),
      activationBits: bitsSchema(QUANT_BITS.min, QUANT_BITS.max).describe('bits per activation and input'),
      input: z.object({ name: z.string(), shape: dimsSchema, bits: bitsSchema(1, 32), ...range }),
      output: z.object({ name: z.string(), shape: dimsSchema, ...range }),
      layers: z.array(z.looseObject({ name: z.string(), kind: z.string() })).describe('one summary per arithmetic op'),
      droppedFinal: droppedFinalSchema.optional(),
    }),
    calibration: z.object({ count: z.number().int().min(0), sources: z.array(z.string()) }),
    fidelity: z.object({ samples: z.number().int().min(0), top1Agreement: ratio, maxAbsError: ratio, maxAbsFloat: ratio }),
  })
  .meta({ id: 'zkinfer-settings', title: 'zkinfer settings.json', description: 'Written once by `zkinfer quantize`; later stages never re-derive scales or bit widths.' });
