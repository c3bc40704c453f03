/**
 * The linear-layer shapes live in src/formats/linear-spec.ts, below quantize, because the
 * model.quant.json checks need them too; re-exported here for the quantizer's own imports.
 */
export * from '../formats/linear-spec.js';
