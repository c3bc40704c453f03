/**
 * The lowered float graph: ONNX nodes rewritten into the few primitives zkinfer can prove
 * (linear layers, ReLU, shape-only ops), plus a float executor for it. The executor supplies
 * calibration statistics; onnxruntime remains the reference for what the model computes.
 */
import type { LinearSpec } from './linear-spec.js';
import { linearTerms } from './linear-spec.js';

/** y = W·x + b over flattened tensors. */
export interface LinearOp {
  readonly kind: 'linear';
  readonly name: string;
  readonly input: string;
  readonly output: string;
  readonly spec: LinearSpec;
  readonly weight: Float64Array;
  bias: Float64Array;
}

/** y = max(x, 0). */
export interface ReluOp {
  readonly kind: 'relu';
  readonly name: string;
  readonly input: string;
  readonly output: string;
}

/** A shape change of a row-major tensor (Reshape, Flatten, Identity): data untouched. */
export interface ReshapeOp {
  readonly kind: 'reshape';
  readonly name: string;
  readonly input: string;
  readonly output: string;
}

/** Any lowered op. */
export type FloatOp = LinearOp | ReluOp | ReshapeOp;

/** A lowered graph with one input and one output. */
export interface FloatGraph {
  readonly input: { name: string; shape: number[] };
  readonly output: { name: string; shape: number[] };
  readonly ops: FloatOp[];
  readonly shapes: Map<string, number[]>;
  /** Softmax/LogSoftmax dropped from the end of the graph (argmax is unchanged by them). */
  readonly droppedFinal?: string;
}

/** Runs the lowered graph in float64, returning every tensor by name. */
export function runFloatGraph(g: FloatGraph, input: Float64Array): Map<string, Float64Array> {
  const values = new Map<string, Float64Array>([[g.input.name, input]]);
  for (const op of g.ops) {
    const x = values.get(op.input)!;
    switch (op.kind) {
      case 'linear': {
        const t = linearTerms(op.spec);
        const y = new Float64Array(t.nOut);
        for (let j = 0; j < t.nOut; j++) {
          let acc = op.bias[t.biasIndex[j]!]!;
          for (let k = t.offsets[j]!; k < t.offsets[j + 1]!; k++) acc += op.weight[t.weightIndex[k]!]! * x[t.inputIndex[k]!]!;
          y[j] = acc;
        }
        values.set(op.output, y);
        break;
      }
      case 'relu':
        values.set(op.output, x.map((v) => (v > 0 ? v : 0)));
        break;
      case 'reshape':
        values.set(op.output, x);
        break;
    }
  }
  return values;
}
