/**
 * Graph outputs must be tensors, with one exception: the seq(map(int64 | string, float)) a ZipMap
 * (ai.onnx.ml) makes of a classifier's scores, which skl2onnx and onnxmltools put in their
 * default exports; zkinfer proves the scores under it (quantize/proven-output.ts). Any other
 * sequence, map, optional or sparse output is refused in one line naming it.
 */
import type onnxProto from 'onnx-proto';
import { quote, UserError } from '../core/errors.js';
import type { OnnxNode } from './onnx-graph.js';

const INT64 = 7;
const STRING = 8;
const FLOAT = 1;

/** Whether `t` is ZipMap's output type, seq(map(int64 | string, tensor(float))). */
function isZipMapType(t: onnxProto.onnx.ITypeProto): boolean {
  const map = t.sequenceType?.elemType?.mapType;
  return !!map && (map.keyType === INT64 || map.keyType === STRING) && map.valueType?.tensorType?.elemType === FLOAT;
}

/** Throws {@link UserError} for a typed graph output that is not a tensor and not a ZipMap's output. */
export function checkOutputType(v: onnxProto.onnx.IValueInfoProto, nodes: readonly OnnxNode[], path: string): void {
  const t = v.type;
  // An untyped output (no TypeProto) is read as a tensor of unknown shape, as before.
  if (!t || t.tensorType) return;
  const name = v.name ?? '';
  const producer = nodes.find((n) => n.outputs.includes(name));
  if (producer && producer.opType === 'ZipMap' && producer.domain === 'ai.onnx.ml' && isZipMapType(t)) return;
  const kind = t.sequenceType ? 'a sequence' : t.mapType ? 'a map' : 'not a tensor';
  throw new UserError(
    `${path}: graph output ${quote(name)} is ${kind}; zkinfer proves tensors (only a ZipMap's seq(map) over a TreeEnsembleClassifier's scores is accepted)`,
  );
}
