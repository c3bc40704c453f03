/**
 * Schema of `settings.json`, written once by `quantize` and read by `inspect`, `prove` and
 * `run`. A documented format: `zkinfer schemas --out DIR` exports it as JSON Schema.
 */
import { z } from 'zod';
import {
  bitsSchema,
  dimsSchema,
  droppedFinalSchema,
  fracSchema,
  QUANT_BITS,
  safeIntSchema,
  sha256Schema,
} from './common.js';

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
      inputBits: bitsSchema(QUANT_BITS.min, QUANT_BITS.max)
        .optional()
        .describe('bits of the model input (absent in older files: input.bits)'),
      layerBits: z
        .record(z.string(), bitsSchema(QUANT_BITS.min, QUANT_BITS.max))
        .optional()
        .describe('layers (requantize or table op names) narrower than activationBits'),
      weights: z
        .enum(['fixed', 'hashed'])
        .optional()
        .describe(
          'how the linear weights reach the circuit: "hashed" = private witnesses behind a commitment (absent: fixed constants)',
        ),
      decisions: z
        .record(z.string(), z.record(z.string(), z.union([safeIntSchema, z.boolean()])))
        .optional()
        .describe(
          'every calibration-dependent choice, by op name ("::input" for the float inputs\' scale, "::input:NAME" for integer input NAME) then choice ' +
            '(shift, frac, relu, unsigned, lo, hi; with hashed weights also weightFrac and biasBits of each linear op): what `verify --model` replays ' +
            'to recompile the circuit without calibration data; absent in files written before it existed (re-run quantize)',
        ),
    }),
    calibration: z.object({ count: z.number().int().min(0), sources: z.array(z.string()) }),
    fidelity: z.object({
      samples: z.number().int().min(0),
      top1Agreement: ratio,
      maxAbsError: ratio,
      maxAbsFloat: ratio,
      unavailable: z
        .string()
        .optional()
        .describe(
          'why there is no float check ("onnxruntime refused the model: …"): onnxruntime would not load the ' +
            'model, so samples is 0 and the ratios are null; absent when the check ran',
        ),
    }),
  })
  .meta({
    id: 'zkinfer-settings',
    title: 'zkinfer settings.json',
    description: 'Written once by `zkinfer quantize`; later stages never re-derive scales or bit widths.',
  });

/**
 * `settings.json` as read and written: the schema's type, so the two cannot drift apart. quantize
 * also writes `model.inputs` (each graph input of a multi-input model, in the order they are
 * concatenated into `model.input`); nothing reads it back, so the schema leaves it unchecked.
 */
export type Settings = z.infer<typeof settingsSchema>;
