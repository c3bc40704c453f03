/**
 * The float reference: the original ONNX model run by onnxruntime-node. Fidelity reports
 * compare zkinfer's integer results against this, never against our own float executor.
 */
import { existsSync, statSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { oneLine, UserError } from '../core/errors.js';
import { loadOnnx } from '../onnx/load-onnx.js';
import { GraphInput } from '../onnx/onnx-graph.js';
import { modelWithOutput } from './model-with-output.js';
import { provenOutput } from './proven-output.js';

const sessions = new Map<string, Promise<ort.InferenceSession>>();

/**
 * onnxruntime refused to load a model that zkinfer's loader accepted (its type checker is
 * stricter: e.g. a FLOAT `starts` initializer of a Slice, which zkinfer reads as integers). The
 * float check cannot run, but nothing else needs onnxruntime: callers that can go on without the
 * float reference catch this and record {@link floatCheckUnavailable}; the rest report it (exit 2).
 */
export class OnnxRuntimeRefusal extends UserError {
  /** onnxruntime's own words, one line, without the file path it names. */
  readonly reason: string;
  constructor(modelPath: string, reason: string, options?: ErrorOptions) {
    super(`${modelPath}: onnxruntime cannot load the model (${reason})`, options);
    this.name = 'OnnxRuntimeRefusal';
    this.reason = reason;
  }
}

/** What settings.json, bundles and the CLI say when the float check could not run. */
export function floatCheckUnavailable(reason: string): string {
  return `onnxruntime refused the model: ${reason}`;
}

/** onnxruntime's load error as one line, without "Load model from PATH failed:" (the path may be a staging copy). */
function refusalReason(e: unknown): string {
  const msg = oneLine(((e as Error).message ?? String(e)).trim()).replace(/^Load model from .*? failed:\s*/, '');
  return msg.slice(0, 300);
}

/**
 * Throws `error(reason)` when onnxruntime refuses the model at `modelPath`: what every command that
 * needs the float check (`--require-float-check`, audit) asks before any work. A missing file
 * passes: the caller's own reading reports it.
 */
export async function assertFloatCheckAvailable(
  modelPath: string,
  error: (reason: string) => UserError,
): Promise<void> {
  if (!existsSync(modelPath)) return;
  const refused = await onnxRuntimeRefusal(modelPath);
  if (refused !== undefined) throw error(refused);
}

/**
 * Why onnxruntime refuses the model at `modelPath`, or undefined when it loads it: what
 * `--require-float-check` asks before any work that needs the float check.
 */
export async function onnxRuntimeRefusal(modelPath: string): Promise<string | undefined> {
  try {
    await loadSession(modelPath);
    return undefined;
  } catch (e) {
    if (e instanceof OnnxRuntimeRefusal) return e.reason;
    throw e;
  }
}
/** Per model: its graph inputs and the output compared (the one zkinfer proves: proven-output.ts). */
const graphInfo = new Map<string, { inputs: GraphInput[]; output: string }>();

/** IEEE half-precision bits of x, rounded to nearest even. */
function floatToHalfBits(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0]!;
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  const man = u & 0x7fffff;
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    const m = (man | 0x800000) >> (1 - exp);
    return sign | ((m + 0x1000 + ((m >> 13) & 1) - 1) >> 13);
  }
  const h = sign | (exp << 10) | (man >> 13);
  const rest = man & 0x1fff;
  return rest > 0x1000 || (rest === 0x1000 && h & 1) ? h + 1 : h;
}

/** An onnxruntime tensor of the graph input's element type. */
function tensorFor(input: GraphInput, values: Float64Array): ort.Tensor {
  const v = Array.from(values);
  switch (input.elemType) {
    case 'DOUBLE':
      return new ort.Tensor('float64', Float64Array.from(v), input.shape);
    case 'FLOAT16':
      return new ort.Tensor('float16', Uint16Array.from(v, floatToHalfBits), input.shape);
    case 'INT64':
      return new ort.Tensor(
        'int64',
        BigInt64Array.from(v, (x) => BigInt(x)),
        input.shape,
      );
    case 'INT32':
      return new ort.Tensor('int32', Int32Array.from(v), input.shape);
    case 'INT16':
      return new ort.Tensor('int16', Int16Array.from(v), input.shape);
    case 'INT8':
      return new ort.Tensor('int8', Int8Array.from(v), input.shape);
    case 'UINT32':
      return new ort.Tensor('uint32', Uint32Array.from(v), input.shape);
    case 'UINT16':
      return new ort.Tensor('uint16', Uint16Array.from(v), input.shape);
    case 'UINT8':
      return new ort.Tensor('uint8', Uint8Array.from(v), input.shape);
    case 'BOOL':
      return new ort.Tensor(
        'bool',
        Uint8Array.from(v, (x) => (x ? 1 : 0)),
        input.shape,
      );
    default:
      return new ort.Tensor('float32', Float32Array.from(v), input.shape);
  }
}

// Fatal-only native logging: onnxruntime would otherwise print its own error lines to fd 2,
// next to the one-line error zkinfer reports from the same exception.
const ORT_OPTIONS = { intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 4 } as const;

/** Keyed by size and mtime too: a file replaced in place must not reuse the old session. */
function sessionKey(modelPath: string): string {
  try {
    const st = statSync(modelPath);
    return `${modelPath}\0${st.size}\0${st.mtimeMs}`;
  } catch {
    // Missing: create() reports it.
    return modelPath;
  }
}

/** The session of `modelPath`, loaded once; a model onnxruntime refuses is an {@link OnnxRuntimeRefusal}. */
function loadSession(modelPath: string): Promise<ort.InferenceSession> {
  return sessionFor(modelPath, sessionKey(modelPath));
}

async function sessionFor(modelPath: string, key: string): Promise<ort.InferenceSession> {
  let s = sessions.get(key);
  if (!s) {
    s = ort.InferenceSession.create(modelPath, ORT_OPTIONS);
    sessions.set(key, s);
  }
  try {
    return await s;
  } catch (e) {
    sessions.delete(key);
    throw new OnnxRuntimeRefusal(modelPath, refusalReason(e), { cause: e });
  }
}

/**
 * Runs the model at `modelPath` on each input and returns the output zkinfer proves (the first,
 * or a classifier's scores in place of its label: proven-output.ts), flattened. A
 * model with several graph inputs takes them concatenated in graph order (as zkinfer proves
 * them); each is fed with its own shape and element type. A model onnxruntime refuses to
 * load (zkinfer's own checks passed, but its type checker is stricter) is an
 * {@link OnnxRuntimeRefusal} naming the file.
 */
export async function runOnnxRuntime(
  modelPath: string,
  inputName: string,
  shape: number[],
  inputs: Float64Array[],
): Promise<Float64Array[]> {
  const key = sessionKey(modelPath);
  let session = await sessionFor(modelPath, key);
  const fail = (what: string, e: unknown) =>
    new UserError(
      `${modelPath}: onnxruntime ${what} (${oneLine(((e as Error).message ?? String(e)).trim()).slice(0, 300)})`,
    );
  let info = graphInfo.get(key);
  if (!info) {
    const g = loadOnnx(modelPath);
    info = { inputs: g.inputs, output: provenOutput(g).name };
    graphInfo.set(key, info);
  }
  const parts = info.inputs;
  const fetch = info.output;
  // A classifier's scores under a ZipMap are no graph output (and onnxruntime-node returns no
  // sequence of maps): the same model with the scores tensor added as an output is run instead.
  if (!session.outputNames.includes(fetch)) {
    const k = `${key}\0${fetch}`;
    let t = sessions.get(k);
    if (!t) {
      t = ort.InferenceSession.create(modelWithOutput(modelPath, fetch), ORT_OPTIONS);
      sessions.set(k, t);
    }
    try {
      session = await t;
    } catch (e) {
      sessions.delete(k);
      throw fail('cannot load the model', e);
    }
  }
  const out: Float64Array[] = [];
  for (const x of inputs) {
    const feeds: Record<string, ort.Tensor> = {};
    if (parts.length === 1) feeds[inputName] = tensorFor({ ...parts[0]!, name: inputName, shape }, x);
    else {
      let at = 0;
      for (const p of parts) {
        const n = p.shape.reduce((a, b) => a * b, 1);
        feeds[p.name] = tensorFor(p, x.subarray(at, at + n));
        at += n;
      }
    }
    let res: ort.InferenceSession.OnnxValueMapType;
    try {
      res = await session.run(feeds, [fetch]);
    } catch (e) {
      throw fail('failed to run the model', e);
    }
    const first = res[fetch]!;
    out.push(Float64Array.from(first.data as ArrayLike<number>, Number));
  }
  return out;
}
