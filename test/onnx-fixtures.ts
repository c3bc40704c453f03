/**
 * Test helpers (not a test file): the seeded PRNG and ONNX model writer, which live in
 * src/onnx/write-onnx.ts so the benchmark can use them too.
 */
export { modelBytes, prng, randArray, tensorBytes, tensorProto } from '../src/onnx/write-onnx.js';
export type { Attr, ModelSpec, NodeSpec } from '../src/onnx/write-onnx.js';
