/**
 * The quantize stage: ONNX file in, build directory out (settings.json, model.quant.json and
 * a copy of the model). The settings written here flow forward; later stages never re-derive
 * scales or bit widths.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { artifactPath } from '../formats/paths.js';
import { VERSIONS } from '../core/versions.js';
import { cleanupOnFailure, copyFileAtomic, writeJsonAtomic } from '../core/atomic-write.js';
import { checkOutputDir } from '../core/output-path.js';
import { UserError } from '../core/errors.js';
import { readCalibrationFile, readInputFile } from '../onnx/input-file.js';
import { loadOnnx } from '../onnx/load-onnx.js';
import type { OnnxGraph } from '../onnx/onnx-graph.js';
import { FidelityReport, fidelityOrUnavailable, requiredFloatCheckError } from './fidelity.js';
import { floatCheckUnavailable, OnnxRuntimeRefusal, onnxRuntimeRefusal } from './onnx-runtime.js';
import { lowerGraph } from './lower-graph.js';
import { provenOutput } from './proven-output.js';
import { quantizeGraph } from './quantize-graph.js';
import { CalibrationDecisions } from './calibration-decisions.js';
import type { QOp, QuantizedModel } from './quantized-model.js';
import type { Settings } from '../formats/settings.js';
import { CircuitCost, searchSettings, SearchResult } from './search-settings.js';
import { checkQuantizedModel } from './check-quantized.js';
import { replayOptions } from './replay-settings.js';
import type { QuantizeOptions } from './quantize-graph.js';
import type { WeightsMode } from '../formats/hashed-weights.js';

/** Options of {@link quantizeModel}. */
export interface QuantizeModelOptions {
  readonly modelPath: string;
  readonly outDir: string;
  /** A calibration file ({"inputs": [...]}); default: the inputs plus calibration.json beside the model. */
  readonly calibrationPath?: string;
  /** Input files (e.g. the one being proven), added to the calibration set. */
  readonly inputPaths?: readonly string[];
  readonly weightBits?: number;
  readonly activationBits?: number;
  /**
   * Search activation widths for the cheapest circuit with this top-1 agreement on the calibration
   * set (search-settings.ts).
   */
  readonly targetAgreement?: number;
  /**
   * With `targetAgreement`: the constraint count the search minimizes. The circuit is built in
   * src/compile, above quantize, so the caller passes it (src/compile/search-settings.ts's
   * circuitConstraints).
   */
  readonly circuitCost?: CircuitCost;
  /**
   * Refuse (exit 2) a model onnxruntime will not load instead of recording the float check as
   * unavailable (`settings.fidelity.unavailable`) and going on without it.
   */
  readonly requireFloatCheck?: boolean;
  /** 'hashed': linear weights become private witnesses (issue 21); default 'fixed', or the replayed settings' mode. */
  readonly weights?: WeightsMode;
  /**
   * Replay this settings.json's recorded decisions and widths instead of calibrating, so a model
   * of the same architecture quantizes to the same architecture (with hashed weights: the same
   * circuit and key). Calibration inputs, when given, only feed the float check.
   */
  readonly settingsPath?: string;
}

const maxOf = (v: readonly number[]) => v.reduce((a, b) => Math.max(a, b), 0);

/** One line of settings.json per op that does arithmetic. */
function layerSummary(o: QOp): Settings['quantization']['layers'][number] {
  switch (o.kind) {
    case 'linear':
      return {
        name: o.name,
        kind: o.kind,
        type: o.spec.type,
        weightFrac: o.weightFrac,
        ...(o.weightBits === undefined ? {} : { weightBits: o.weightBits, biasBits: o.biasBits }),
      };
    case 'requantize':
      return {
        name: o.name,
        kind: o.kind,
        shift: o.shift,
        outBits: o.outBits,
        relu: o.lowerOffset === 0,
        maxAccBits: maxOf(o.accBits),
      };
    case 'maxpool':
      return { name: o.name, kind: o.kind, windows: o.offsets.length - 1, maxCmpBits: maxOf(o.cmpBits) };
    case 'clamp':
      return { name: o.name, kind: o.kind, lo: o.lo, hi: o.hi };
    case 'leakyRelu':
      return { name: o.name, kind: o.kind, shift: o.shift, alpha: o.alpha };
    case 'table':
      return { name: o.name, kind: o.kind, fn: o.fn, domainLo: o.domainLo, bits: o.bits, tables: o.tables.length };
    // No default: a new kind must say here what settings.json shows of it.
    case 'reshape':
    case 'add':
    case 'permute':
    case 'concat':
    case 'binary':
    case 'where':
    case 'bitwise':
    case 'divConst':
    case 'trees':
    case 'product':
    case 'divide':
    case 'softmax':
    case 'gatherIndex':
    case 'topk':
      return { name: o.name, kind: o.kind };
  }
}

/** Without a cost function the search cannot compare settings: a caller's mistake, not the user's. */
const noCircuitCost: CircuitCost = () => {
  throw new Error('quantizeModel: targetAgreement needs options.circuitCost (src/compile/search-settings.ts)');
};

/**
 * The calibration set: the input files, then the calibration file (the explicit one, or
 * calibration.json beside the model if it fits), with the paths they came from.
 */
function calibrationInputs(
  opts: QuantizeModelOptions,
  graph: OnnxGraph,
): { calibration: Float64Array[]; sources: string[] } {
  const shape = { shape: graph.input.shape, name: graph.input.name, parts: graph.inputs };
  const calibration: Float64Array[] = [];
  const sources: string[] = [];
  for (const p of opts.inputPaths ?? []) {
    calibration.push(readInputFile(p, shape));
    sources.push(p);
  }
  const beside = join(dirname(opts.modelPath), 'calibration.json');
  const calPath = opts.calibrationPath ?? (existsSync(beside) ? beside : undefined);
  if (calPath) {
    try {
      calibration.push(...readCalibrationFile(calPath, shape));
      sources.push(calPath);
    } catch (e) {
      // A calibration file found by convention may belong to another model: only an explicit one must fit.
      if (opts.calibrationPath) throw e;
    }
  }
  return { calibration, sources };
}

/** What {@link quantizeModel} wrote. */
export interface QuantizeResult {
  readonly settings: Settings & { readonly fidelity: FidelityReport };
  readonly model: QuantizedModel;
  readonly search?: SearchResult;
  /** For the user once, on stderr: e.g. that a classifier's scores are proven in place of its label. */
  readonly warnings: string[];
}

/**
 * Runs the quantize stage and returns what it wrote. The output directory is checked before any
 * work; on failure, files this call created are removed.
 */
export async function quantizeModel(opts: QuantizeModelOptions): Promise<QuantizeResult> {
  checkOutputDir(opts.outDir);
  return cleanupOnFailure(() => quantizeInto(opts));
}

/** The width search: it measures agreement with onnxruntime, so a model onnxruntime refuses cannot be searched. */
async function searchWithFloat(
  opts: QuantizeModelOptions,
  search: Parameters<typeof searchSettings>[0],
): Promise<SearchResult> {
  try {
    return await searchSettings(search);
  } catch (e) {
    if (!(e instanceof OnnxRuntimeRefusal)) throw e;
    throw new UserError(
      `${opts.modelPath}: --target-agreement measures agreement with the float model, but ${floatCheckUnavailable(e.reason)}; choose --activation-bits instead`,
      { cause: e },
    );
  }
}

/** Calibrated quantization options: the widths given, or the ones the agreement search picks. */
async function calibratedOptions(
  opts: QuantizeModelOptions,
  graph: Parameters<typeof searchSettings>[0]['graph'],
  calibration: Float64Array[],
): Promise<QuantizeOptions & { search?: SearchResult }> {
  if (calibration.length === 0)
    throw new UserError(`${opts.modelPath}: no calibration inputs; pass --calibration FILE or --input FILE`);
  const base = { weightBits: opts.weightBits, weights: opts.weights, decisions: new CalibrationDecisions() };
  if (opts.targetAgreement === undefined) return { ...base, activationBits: opts.activationBits };
  const search = await searchWithFloat(opts, {
    modelPath: opts.modelPath,
    graph,
    calibration,
    targetAgreement: opts.targetAgreement,
    weightBits: opts.weightBits,
    weights: opts.weights,
    circuitCost: opts.circuitCost ?? noCircuitCost,
  });
  const { activationBits, inputBits, layerBits } = search.best;
  return { ...base, activationBits, inputBits, layerBits, search };
}

/** Options replaying `path`; the widths and mode are the file's, so options that would change them are errors. */
function replayedOptions(opts: QuantizeModelOptions, path: string): { options: QuantizeOptions; replayed: Settings } {
  const given = (
    [
      ['--weight-bits', opts.weightBits],
      ['--activation-bits', opts.activationBits],
      ['--target-agreement', opts.targetAgreement],
    ] as const
  ).find(([, v]) => v !== undefined);
  if (given) throw new UserError(`${given[0]} does not apply with --settings: ${path} fixes the widths`);
  const { options, settings } = replayOptions(path);
  if (opts.weights !== undefined && opts.weights !== options.weights)
    throw new UserError(
      `--weights ${opts.weights} disagrees with ${path} (weights ${options.weights}): drop --weights or quantize without --settings`,
    );
  return { options, replayed: settings };
}

/**
 * A replayed settings file must describe this architecture: a decision it records that this model
 * never asked for means an op the model does not have (a missing one already failed when asked).
 */
function refuseUnusedDecisions(d: CalibrationDecisions, path: string): void {
  const unused = d.replayedKeys().find(([op, choice]) => d.record[op]?.[choice] === undefined);
  if (unused)
    throw new UserError(
      `${path}: decision "${unused[1]}" for "${unused[0]}" matches no op of this model: the settings belong to another architecture`,
    );
}

/**
 * A replay must give the settings' very layers (name, kind, linear layout): which linear layers
 * fuse is decided on the float values (an elementwise constant folds into a shared conv kernel
 * only when its values agree per kernel entry), so a model with the same decisions can still
 * compile to another circuit — and, with hashed weights, another key.
 */
function refuseOtherLayers(settings: Settings, model: QuantizedModel, path: string): void {
  const name = (l: Settings['quantization']['layers'][number] | undefined) =>
    l ? `${l.name} (${l.kind}${typeof l.type === 'string' ? ` ${l.type}` : ''})` : 'none';
  const mine = model.ops.filter((o) => o.kind !== 'reshape' && o.kind !== 'permute').map(layerSummary);
  const theirs = settings.quantization.layers;
  for (let i = 0; i < Math.max(mine.length, theirs.length); i++)
    if (name(mine[i]) !== name(theirs[i]))
      throw new UserError(
        `${path}: layer ${i} is ${name(theirs[i])} there, ${name(mine[i])} in this model (layers fuse by their values): the settings belong to another ` +
          `architecture`,
      );
}

async function quantizeInto(opts: QuantizeModelOptions): Promise<QuantizeResult> {
  const graph = loadOnnx(opts.modelPath);
  if (opts.requireFloatCheck) {
    // Refused before any quantization work: the float check would be missing at the end anyway.
    const refused = await onnxRuntimeRefusal(opts.modelPath);
    if (refused !== undefined) throw requiredFloatCheckError(opts.modelPath, refused);
  }
  const floatGraph = lowerGraph(graph);
  const { calibration, sources } = calibrationInputs(opts, graph);
  const warnings: string[] = [];
  const { options, replayed } = opts.settingsPath
    ? replayedOptions(opts, opts.settingsPath)
    : { options: await calibratedOptions(opts, floatGraph, calibration), replayed: undefined };
  const model = quantizeGraph(floatGraph, calibration, { ...options, onWarning: (w) => warnings.push(w) });
  const decisions = options.decisions!;
  if (replayed) {
    refuseUnusedDecisions(decisions, opts.settingsPath!);
    refuseOtherLayers(replayed, model, opts.settingsPath!);
  }
  const search = 'search' in options ? options.search : undefined;
  // onnxruntime may refuse a model zkinfer reads (a stricter type checker): then the float check is
  // recorded as unavailable and the integer reference, circuit and proof go on without it.
  const fidelity = await fidelityOrUnavailable(opts.modelPath, model, calibration, opts.requireFloatCheck ?? false);
  // The fidelity just computed is numbers (NaN without samples); settings.json admits null, which JSON makes of NaN.
  const settings: Settings & { readonly fidelity: FidelityReport } = {
    zkinfer: VERSIONS.zkinfer,
    createdAt: new Date().toISOString(),
    model: {
      file: 'model.onnx',
      source: resolve(opts.modelPath),
      sha256: graph.sha256,
      irVersion: graph.irVersion,
      opset: graph.opset,
      producer: graph.producer,
      input: graph.input,
      ...(graph.inputs.length > 1 ? { inputs: graph.inputs } : {}),
      output: { name: floatGraph.output.name, shape: floatGraph.output.shape },
    },
    quantization: {
      weightBits: options.weightBits ?? 8,
      activationBits: options.activationBits ?? 8,
      inputBits: model.input.bits,
      layerBits: options.layerBits ?? {},
      // Only hashed builds record the mode, so a fixed build's settings.json keeps its old shape.
      ...(options.weights === 'hashed' ? { weights: options.weights } : {}),
      decisions: decisions.record,
      input: model.input,
      output: model.output,
      layers: model.ops.filter((o) => o.kind !== 'reshape' && o.kind !== 'permute').map(layerSummary),
      ...(model.droppedFinal ? { droppedFinal: model.droppedFinal } : {}),
    },
    calibration: { count: calibration.length, sources: sources.map((s) => resolve(s)) },
    fidelity,
  };
  // What is written is what compile will read: checked with the reader's own rules first.
  checkQuantizedModel(model, opts.modelPath);
  const modelCopy = artifactPath(opts.outDir, 'model');
  if (resolve(modelCopy) !== resolve(opts.modelPath)) copyFileAtomic(opts.modelPath, modelCopy);
  writeJsonAtomic(artifactPath(opts.outDir, 'quantized'), model);
  writeJsonAtomic(artifactPath(opts.outDir, 'settings'), settings);
  const note = provenOutput(graph).note;
  if (note) warnings.push(`${opts.modelPath}: ${note}`);
  return { settings, model, ...(search ? { search } : {}), warnings };
}
