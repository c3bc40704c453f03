/**
 * Tinypool worker verifying accuracy-chunk proofs, for claims with many chunks: each thread
 * builds one single-threaded curve and checks the proofs it is handed.
 */
import { restoreWorkerData } from '../runtime/web-worker-guard.js';
import { proofVerifies } from '../verify/proof-check.js';
import { shutdown, useSingleThreadCurve } from '../runtime/curve.js';

restoreWorkerData();

/** One chunk proof to check. */
export interface ChunkVerifyTask {
  readonly vkey: Record<string, unknown>;
  readonly publicSignals: string[];
  readonly proof: unknown;
}

/** The Groth16 check of one chunk proof; malformed input is a failed check, never a crash. */
export async function verifyChunkProof(t: ChunkVerifyTask): Promise<boolean> {
  await useSingleThreadCurve();
  return proofVerifies(t.vkey, t.publicSignals, t.proof);
}

/** Tinypool calls this on destroy(). */
export async function teardown(): Promise<void> {
  await shutdown();
}
