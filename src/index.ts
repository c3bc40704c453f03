/**
 * zkinfer's programmatic API: the same functions the CLI calls, stage by stage, and the types of
 * their options and results. Curated: the queue is offered as its commands (submit, collect,
 * status, worker), not its internals (pg-boss connections, job envelopes, the job-kind table),
 * which change with the job kinds; see docs/architecture.md for adding a job kind.
 */
export { loadOnnx, parseOnnx } from './onnx/load-onnx.js';
export type { OnnxGraph, OnnxNode } from './onnx/onnx-graph.js';
export { readInputFile, readCalibrationFile } from './onnx/input-file.js';
export { lowerGraph } from './quantize/lower-graph.js';
export { quantizeGraph } from './quantize/quantize-graph.js';
export { quantizeModel } from './quantize/quantize-model.js';
export { runIntegerModel, dequantizeOutput, argmax } from './quantize/quantized-model.js';
export { quantizeInput } from './quantize/quantize-input.js';
export type { QuantizedModel, QOp } from './quantize/quantized-model.js';
export { compileCircuit } from './compile/compile-circuit.js';
export { buildCircuit } from './compile/build-circuit.js';
export { checkDeterminism, describeUndetermined, requireDetermined } from './compile/determinism-check.js';
export type { DeterminismResult, DeterminismOptions, UndeterminedWire } from './compile/determinism-check.js';
export { setupKeys } from './setup/setup-keys.js';
export { createProver } from './prove/prover.js';
export { shutdown } from './runtime/curve.js';
export { prove } from './prove/prove.js';
export { verifyOnChain } from './chain/verify-on-chain.js';
export { exportVerifier, formatCalldata } from './chain/verifier-contract.js';
// The resuming batch (skips inputs whose bundle already verifies), as `zkinfer prove --inputs` runs it.
export { proveBatchResuming as proveBatch } from './pipeline.js';
export type { ProveBatchOptions, BatchSummary, BatchItem } from './prove/batch.js';
export type { BatchProgress } from './runtime/progress.js';
// With the on-chain check plugged in, so `chain` works for library users as before.
export { verifyBundleWithChain as verifyBundle } from './chain/verify-bundle-on-chain.js';
export { runPipeline } from './pipeline.js';
export type { ProofBundle } from './formats/bundle.js';
export { UserError, UnderconstrainedCircuitError } from './core/errors.js';
export { submitProofs } from './queue/queue-prove.js';
export { collectBatch, batchStatus } from './queue/queue-collect.js';
export type { SubmitProofsOptions, QueueSummary, QueueItem } from './queue/queue-prove.js';
export type { CollectOptions, BatchStatus } from './queue/queue-collect.js';
export { startQueueWorker } from './queue/queue-worker.js';
export type { QueueWorker, QueueWorkerOptions, WorkerEvent } from './queue/queue-worker.js';
export { validateVkey } from './formats/vkey.js';
export { checkBuildConsistency } from './prove/build-consistency.js';
export { DOCUMENTED_SCHEMAS, jsonSchemaText } from './formats/registry.js';
export { ceremonyInit, ceremonyContribute, ceremonyBeacon } from './setup/ceremony/ceremony.js';
export { verifyCeremony, finalizeCeremony } from './setup/ceremony/ceremony-verify.js';
export type { CeremonyTranscript } from './formats/ceremony.js';
export { identifyPtau } from './setup/ptau/ptau-file.js';
export { getPtau, planPtau } from './setup/ptau/ptau-download.js';
export type { GetPtauOptions, GetPtauResult, PtauPlan } from './setup/ptau/ptau-download.js';
export { existingKeys } from './setup/existing-keys.js';
export type { ExistingKeys } from './setup/existing-keys.js';
export type { SetupOptions, SetupResult } from './setup/setup-keys.js';
export type { PtauProvenance } from './formats/setup.js';
export { checkTrustedSetup } from './verify/trusted-setup.js';
export { recompileModel } from './verify/model-binding.js';
export { checkKeyTrust } from './verify/key-trust.js';
export { rebuildKey } from './verify/key-rebuild.js';
export { readDataset } from './accuracy/read-dataset.js';
export { commitDataset, computeDatasetCommitment } from './accuracy/dataset-commitment.js';
export { proveAccuracy } from './accuracy/prove-accuracy.js';
export { compileChunkCircuit } from './accuracy/chunk-compile.js';
export { chunkCeremonyInit, finalizeChunkCeremony } from './accuracy/chunk-ceremony.js';
export { recompileChunkCircuit } from './accuracy/recompile-chunk.js';
export type { AccuracyClaim } from './formats/claim.js';
export { verifyClaim } from './accuracy/verify-claim.js';
export { audit } from './audit/audit.js';
export { renderAuditHtml } from './audit/html-report.js';
export { runGate } from './audit/gate.js';
