/**
 * The tinypool worker of local accuracy proving. Each thread loads the chunk circuit's r1cs and
 * proving key once (chunk-prover.ts); each task proves one chunk, or skips it when its proof file
 * exists, verifies and is a proof of the same chunk, and writes the proof file atomically.
 */
import { restoreWorkerData } from '../runtime/web-worker-guard.js';
import { readFileSync } from 'node:fs';
import { writeJsonAtomic } from '../core/atomic-write.js';
import { useSingleThreadCurve, shutdown } from '../runtime/curve.js';
import { existingOutput } from '../runtime/resume.js';
import type { ChunkProof } from '../formats/claim.js';
import {
  ChunkStatement,
  chunkWitness,
  isProofOfChunk,
  loadChunkKeys,
  proveChunkWitness,
  releaseChunkKeys,
} from './chunk-prover.js';

/** One chunk to prove. */
export interface ChunkTask extends ChunkStatement {
  readonly buildDir: string;
  readonly keyDir: string;
  readonly proofPath: string;
}

/** What a worker reports; errors come back as data. */
export interface ChunkTaskResult {
  readonly status: 'proved' | 'skipped' | 'failed';
  readonly proof?: ChunkProof;
  /** The circuit's predictions for the chunk's real samples. */
  readonly predictions?: number[];
  readonly error?: string;
}

restoreWorkerData();

/** Proves one chunk, or reuses its valid proof file. */
export async function proveChunk(task: ChunkTask): Promise<ChunkTaskResult> {
  try {
    const keys = loadChunkKeys(task.buildDir, task.keyDir);
    const w = chunkWitness(keys, task);
    const existing = await existingOutput(task.proofPath, async () => {
      const p = JSON.parse(readFileSync(task.proofPath, 'utf8')) as ChunkProof;
      await useSingleThreadCurve();
      const expected = {
        index: task.index,
        samples: task.chunk.samples,
        commitment: task.commitment,
        ...(keys.weights ? { weightsCommitment: keys.weights.commitment } : {}),
      };
      return (await isProofOfChunk(keys.vkey, p, expected)) ? p : undefined;
    });
    if (existing) return { status: 'skipped', proof: existing, predictions: w.predictions };
    const proof = await proveChunkWitness(keys, task, w);
    writeJsonAtomic(task.proofPath, proof);
    return { status: 'proved', proof, predictions: w.predictions };
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
    return { status: 'failed', error: msg.startsWith(`chunk ${task.index}:`) ? msg : `chunk ${task.index}: ${msg}` };
  }
}

/** Tinypool calls this on destroy(): releases the curve and keys so the thread can exit. */
export async function teardown(): Promise<void> {
  releaseChunkKeys();
  await shutdown();
}
