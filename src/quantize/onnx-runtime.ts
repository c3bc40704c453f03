/**
 * The float reference: the original ONNX model run by onnxruntime-node. Fidelity reports
 * compare zkinfer's integer results against this, never against our own float executor.
 */
import * as ort from 'onnxruntime-node';

const sessions = new Map<string, Promise<ort.InferenceSession>>();

/** Runs the model at `modelPath` on each input and returns the first output, flattened. */
export async function runOnnxRuntime(modelPath: string, inputName: string, shape: number[], inputs: Float64Array[]): Promise<Float64Array[]> {
  let s = sessions.get(modelPath);
  if (!s) {
    s = ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    sessions.set(modelPath, s);
  }
  const session = await s;
  const out: Float64Array[] = [];
  for (const x of inputs) {
    const feeds = { [inputName]: new ort.Tensor('float32', Float32Array.from(x), shape) };
    const res = await session.run(feeds);
    const first = res[session.outputNames[0]!]!;
    out.push(Float64Array.from(first.data as Float32Array));
  }
  return out;
}
