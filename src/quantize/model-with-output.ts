/**
 * The bytes of an ONNX model with one more graph output: an intermediate float tensor (a
 * classifier's scores under a ZipMap) that onnxruntime can then return. Adding an output
 * changes nothing the model computes.
 */
import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** The model at `modelPath` re-encoded with `tensor` (FLOAT, shape left to inference) as an extra output. */
export function modelWithOutput(modelPath: string, tensor: string): Uint8Array {
  const model = onnx.ModelProto.decode(readFileSync(modelPath));
  // The caller's loadOnnx parsed this file: it has a graph.
  const graph = model.graph!;
  graph.output = [...(graph.output ?? [])];
  graph.output.push(
    onnx.ValueInfoProto.create({
      name: tensor,
      type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } },
    }),
  );
  return onnx.ModelProto.encode(model).finish();
}
