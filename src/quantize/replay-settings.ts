/**
 * Quantization replayed from a published settings.json: the verifier's route to the exact
 * quantized model the owner built, without calibration data. The scales calibration chose are
 * recorded in settings.json (the calibration decisions) and replayed instead of recalibrated,
 * so the same ONNX file and settings give byte-identical model.quant.json — which is what lets a
 * verifier recompile a circuit (single-inference or accuracy chunk) and compare model ids.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { jsonBytes } from '../core/atomic-write.js';
import { UserError } from '../core/errors.js';
import { readJsonFile, validate } from '../core/json.js';
import { settingsSchema, type Settings } from '../formats/settings.js';
import { loadOnnx } from '../onnx/load-onnx.js';
import { CalibrationDecisions, DecisionRecord, INPUT_DECISION } from './calibration-decisions.js';
import { lowerGraph } from './lower-graph.js';
import { quantizeGraph, type QuantizeOptions } from './quantize-graph.js';
import type { QuantizedModel } from './quantized-model.js';

/** Options of {@link replayQuantization}. */
export interface ReplayOptions {
  readonly modelPath: string;
  /** Default: settings.json beside the model. */
  readonly settingsPath?: string;
}

/** A quantized model rebuilt from an ONNX file and its settings. */
export interface ReplayedModel {
  readonly model: QuantizedModel;
  /** The canonical bytes of model.quant.json (what model ids hash). */
  readonly bytes: Uint8Array;
  readonly settingsPath: string;
  /** The settings' bit widths, which setup records in the key. */
  readonly quantization: { readonly weightBits: number; readonly activationBits: number };
  /** sha256 of the ONNX file, and whether it is the one settings.json names. */
  readonly onnxSha256: string;
  readonly onnxMatchesSettings: boolean;
}

function readSettings(path: string): Settings {
  if (!existsSync(path))
    throw new UserError(`${path}: settings not found; pass --settings FILE (the model owner's settings.json)`);
  return validate(settingsSchema, readJsonFile(path, 'settings'), path, 'settings') as Settings;
}

/**
 * The recorded calibration decisions. A settings.json from before they were recorded still
 * names the input scale and every requantize shift, which is all a model with one float input
 * and no table functions needs; any other model then fails on the first missing decision with
 * a message saying to re-run quantize.
 */
function recordedDecisions(q: Settings['quantization']): DecisionRecord {
  if (q.decisions) return q.decisions;
  const d: DecisionRecord = { [INPUT_DECISION]: { unsigned: q.input.lo === 0, frac: q.input.frac } };
  for (const l of q.layers)
    if (l['kind'] === 'requantize' && typeof l['name'] === 'string' && typeof l['shift'] === 'number')
      d[l['name']] = { shift: l['shift'] };
  return d;
}

/** What a published settings.json fixes of a quantization: widths, weights mode and every decision. */
export interface ReplayedOptions {
  readonly settings: Settings;
  readonly options: QuantizeOptions & { readonly weightBits: number; readonly activationBits: number };
}

/**
 * Reads settings.json and returns the quantization options that replay it (`decisions` is
 * a replaying {@link CalibrationDecisions}: no calibration data is needed).
 */
export function replayOptions(settingsPath: string): ReplayedOptions {
  const settings = readSettings(settingsPath);
  const q = settings.quantization;
  return {
    settings,
    options: {
      weightBits: q.weightBits,
      activationBits: q.activationBits,
      inputBits: q.inputBits ?? q.input.bits,
      layerBits: q.layerBits ?? {},
      weights: q.weights ?? 'fixed',
      decisions: new CalibrationDecisions(recordedDecisions(q), settingsPath),
    },
  };
}

/** Quantizes an ONNX model exactly as the settings say, without calibration. */
export function replayQuantization(o: ReplayOptions): ReplayedModel {
  const settingsPath = o.settingsPath ?? join(dirname(o.modelPath), 'settings.json');
  const { settings, options } = replayOptions(settingsPath);
  const graph = loadOnnx(o.modelPath);
  const model = quantizeGraph(lowerGraph(graph), [], options);
  return {
    model,
    bytes: jsonBytes(model),
    settingsPath,
    quantization: { weightBits: options.weightBits, activationBits: options.activationBits },
    onnxSha256: graph.sha256,
    onnxMatchesSettings: graph.sha256 === settings.model?.sha256,
  };
}
