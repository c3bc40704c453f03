/**
 * Test helpers (not a test file): the seeded PRNG and ONNX model writer, which live in
 * tools/onnx/write-onnx.ts so the benchmark can use them too.
 */
export { modelBytes, prng, randArray, tensorBytes, tensorProto } from '../../tools/onnx/write-onnx.js';
export type { Attr, ModelSpec, NodeSpec } from '../../tools/onnx/write-onnx.js';
