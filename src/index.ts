/**
 * zkinfer's programmatic API: the same functions the CLI calls, stage by stage.
 */
export { loadOnnx, parseOnnx } from './onnx/load-onnx.js';
export type { OnnxGraph, OnnxNode } from './onnx/load-onnx.js';
export { readInputFile, readCalibrationFile } from './onnx/input-file.js';
export { lowerGraph } from './quantize/lower-graph.js';
export { quantizeGraph } from './quantize/quantize-graph.js';
export { quantizeModel } from './quantize/quantize-model.js';
export { runIntegerModel, quantizeInput, dequantizeOutput, argmax } from './quantize/quantized-model.js';
export type { QuantizedModel, QOp } from './quantize/quantized-model.js';
export { compileCircuit } from './circuit/compile-circuit.js';
export { buildCircuit } from './circuit/build-circuit.js';
export { checkDeterminism, describeUndetermined, requireDetermined } from './circuit/determinism-check.js';
export type { DeterminismResult, DeterminismOptions, UndeterminedWire } from './circuit/determinism-check.js';
export { setupKeys } from './setup/setup-keys.js';
export { createProver, shutdown } from './prove/prover.js';
export { prove } from './prove/prove.js';
export { verifyOnChain } from './chain/verify-on-chain.js';
export { exportVerifier, formatCalldata } from './chain/verifier-contract.js';
export { proveBatch } from './prove/batch.js';
export type { ProveBatchOptions, BatchSummary, BatchItem } from './prove/batch.js';
export type { BatchProgress } from './prove/progress.js';
export { verifyBundle } from './verify/verify-bundle.js';
export { runPipeline } from './pipeline.js';
export type { ProofBundle } from './bundle/bundle.js';
export { UserError, UnderconstrainedCircuitError } from './errors.js';
export { validateVkey } from './schemas/vkey.js';
export { checkBuildConsistency } from './prove/build-consistency.js';
export { DOCUMENTED_SCHEMAS, jsonSchemaText } from './schemas/registry.js';
export { ceremonyInit, ceremonyContribute, ceremonyBeacon } from './setup/ceremony.js';
export { verifyCeremony, finalizeCeremony } from './setup/ceremony-verify.js';
export type { CeremonyTranscript } from './setup/ceremony-transcript.js';
export { identifyPtau } from './setup/ptau-file.js';
export type { PtauProvenance } from './setup/ptau-file.js';
export { checkTrustedSetup } from './verify/trusted-setup.js';
export { checkModelBinding, recompileModel } from './verify/model-binding.js';
