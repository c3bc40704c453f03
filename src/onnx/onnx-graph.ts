/**
 * The typed graph that loading an ONNX model produces: nodes, attributes, inputs, constants.
 * A file of its own so the loader and the validator both import it without importing each other.
 */
import type { ConstTensor } from './tensor.js';

/** A node attribute decoded into a plain value. */
export type AttrValue = number | string | number[] | string[] | ConstTensor;

/** One ONNX node. */
export interface OnnxNode {
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly inputs: string[];
  readonly outputs: string[];
  readonly attrs: Record<string, AttrValue>;
}

/** A graph value with a static shape. */
export interface ValueInfo {
  readonly name: string;
  readonly shape: number[];
}

/** One non-constant graph input: its static shape and ONNX element type name (FLOAT, INT64, …). */
export interface GraphInput extends ValueInfo {
  readonly elemType: string;
}

/** Name of the flat input of a graph with several inputs: the inputs concatenated in graph order. */
export const JOINED_INPUT = 'zkinfer::inputs';

/** A parsed ONNX model. */
export interface OnnxGraph {
  readonly path: string;
  /** sha256 of the file bytes. */
  readonly sha256: string;
  readonly irVersion: number;
  readonly opset: number;
  readonly producer: string;
  /**
   * The input the circuit sees: the one graph input, or with several, {@link JOINED_INPUT}
   * of shape [total], their flattened values concatenated in graph order.
   */
  readonly input: ValueInfo;
  /** Every non-constant graph input, in graph order (types are checked after the op check). */
  readonly inputs: GraphInput[];
  readonly outputs: ValueInfo[];
  readonly constants: Map<string, ConstTensor>;
  readonly nodes: OnnxNode[];
}
