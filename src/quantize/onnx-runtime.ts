/**
 * The float reference: the original ONNX model run by onnxruntime-node. Fidelity reports
 * compare zkinfer's integer results against this, never against our own float executor.
 */
import { statSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { oneLine, UserError } from '../errors.js';

const sessions = new Map<string, Promise<ort.InferenceSession>>();

/**
 * Runs the model at `modelPath` on each input and returns the first output, flattened. A model
 * onnxruntime refuses (zkinfer's own checks passed, but it is still invalid ONNX) is a
 * {@link UserError} naming the file.
 */
export async function runOnnxRuntime(modelPath: string, inputName: string, shape: number[], inputs: Float64Array[]): Promise<Float64Array[]> {
  // Keyed by size and mtime too: a file replaced in place must not reuse the old session.
  let key = modelPath;
  try {
    const st = statSync(modelPath);
    key = `${modelPath}\0${st.size}\0${st.mtimeMs}`;
  } catch {
    // Missing: create() below reports it.
  }
  let s = sessions.get(key);
  if (!s) {
    // Fatal-only native logging: onnxruntime would otherwise print its own error lines to fd 2,
    // next to the one-line error zkinfer reports from the same exception.
    s = ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 4 });
    sessions.set(key, s);
  }
  const fail = (what: string, e: unknown) => new UserError(`${modelPath}: onnxruntime ${what} (${oneLine(((e as Error).message ?? String(e)).trim()).slice(0, 300)})`);
  let session: ort.InferenceSession;
  try {
    session = await s;
  } catch (e) {
    sessions.delete(key);
    throw fail('cannot load the model', e);
  }
  const out: Float64Array[] = [];
  for (const x of inputs) {
    const feeds = { [inputName]: new ort.Tensor('float32', Float32Array.from(x), shape) };
    let res: ort.InferenceSession.OnnxValueMapType;
    try {
      res = await session.run(feeds);
    } catch (e) {
      throw fail('failed to run the model', e);
    }
    const first = res[session.outputNames[0]!]!;
    out.push(Float64Array.from(first.data as Float32Array));
  }
  return out;
}
