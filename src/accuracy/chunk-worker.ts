/**
 * The tinypool worker of accuracy proving. Each thread loads the chunk circuit's r1cs and
 * proving key once; each task proves one chunk (or skips it when its proof file exists, verifies
 * and commits to the same chunk) and writes the proof file atomically.
 */
import { restoreWorkerData } from '../runtime/web-worker-guard.js';
import { readFileSync } from 'node:fs';
import * as snarkjs from 'snarkjs';
import { findViolatedConstraint } from '../../circuits/builder.js';
import { artifactPath } from '../formats/paths.js';
import { writeJsonAtomic } from '../core/atomic-write.js';
import { readQuantizedModel } from '../compile/compile-circuit.js';
import { decodeR1cs, encodeWtns, R1csFile } from '../compile/r1cs-file.js';
import type { QuantizedChunk } from './dataset-commitment.js';
import { useSingleThreadCurve, shutdown } from '../runtime/curve.js';
import { existingOutput } from '../runtime/resume.js';
import type { QuantizedModel } from '../quantize/quantized-model.js';
import { buildChunkCircuit } from './chunk-circuit.js';
import type { ChunkProof, Groth16Proof } from '../formats/claim.js';

/** One chunk to prove. */
export interface ChunkTask {
  readonly buildDir: string;
  readonly keyDir: string;
  readonly index: number;
  readonly chunk: QuantizedChunk;
  /** r_i, decimal. */
  readonly blinding: string;
  /** c_i, 0x-hex, computed off-circuit by the caller: the proof must commit to exactly this. */
  readonly commitment: string;
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

interface Loaded {
  readonly key: string;
  readonly model: QuantizedModel;
  readonly r1cs: R1csFile;
  readonly zkey: { type: 'mem'; data: Uint8Array };
  readonly vkey: unknown;
}
let cached: Loaded | undefined;

function load(task: ChunkTask): Loaded {
  const key = `${task.buildDir}\0${task.keyDir}`;
  if (cached?.key !== key) {
    cached = {
      key,
      model: readQuantizedModel(task.buildDir).model,
      r1cs: decodeR1cs(readFileSync(artifactPath(task.keyDir, 'r1cs'))),
      zkey: { type: 'mem', data: new Uint8Array(readFileSync(artifactPath(task.keyDir, 'zkey'))) },
      vkey: JSON.parse(readFileSync(artifactPath(task.keyDir, 'vkey'), 'utf8')),
    };
  }
  return cached;
}

/** The chunk's proof file when it is for this very chunk (same index, samples, commitment) and verifies. */
function existingValid(task: ChunkTask, l: Loaded): Promise<ChunkProof | undefined> {
  return existingOutput(task.proofPath, async () => {
    const p = JSON.parse(readFileSync(task.proofPath, 'utf8')) as ChunkProof;
    if (p.index !== task.index || p.commitment !== task.commitment || p.samples !== task.chunk.samples)
      return undefined;
    if (BigInt(p.publicSignals[0]!) !== BigInt(task.commitment) || p.publicSignals[1] !== String(p.count))
      return undefined;
    await useSingleThreadCurve();
    return (await snarkjs.groth16.verify(l.vkey, p.publicSignals, p.proof)) ? p : undefined;
  });
}

/** Proves one chunk, or reuses its valid proof file. */
export async function proveChunk(task: ChunkTask): Promise<ChunkTaskResult> {
  try {
    const l = load(task);
    const build = buildChunkCircuit(l.model, task.chunk, BigInt(task.blinding), { witnessOnly: true });
    const predictions = build.predictions.slice(0, task.chunk.samples);
    const existing = await existingValid(task, l);
    if (existing) return { status: 'skipped', proof: existing, predictions };
    const witness = build.circuit.witness;
    if (witness.length !== l.r1cs.nWires)
      return {
        status: 'failed',
        error: `chunk ${task.index}: witness has ${witness.length} wires, ${task.keyDir} has ${l.r1cs.nWires}; delete that directory to rebuild the chunk keys`,
      };
    if (BigInt(build.publicSignals[0]!) !== BigInt(task.commitment))
      return {
        status: 'failed',
        error: `chunk ${task.index}: the circuit's commitment differs from the off-circuit one (a bug)`,
      };
    const bad = findViolatedConstraint(l.r1cs.constraints, witness);
    if (bad >= 0) return { status: 'failed', error: `chunk ${task.index}: witness violates constraint ${bad} (a bug)` };
    await useSingleThreadCurve();
    const { proof, publicSignals } = (await snarkjs.groth16.prove(l.zkey, {
      type: 'mem',
      data: new Uint8Array(encodeWtns(witness)),
    })) as { proof: Groth16Proof; publicSignals: string[] };
    const out: ChunkProof = {
      index: task.index,
      samples: task.chunk.samples,
      count: build.count,
      commitment: task.commitment,
      publicSignals,
      proof,
    };
    writeJsonAtomic(task.proofPath, out);
    return { status: 'proved', proof: out, predictions };
  } catch (e) {
    return {
      status: 'failed',
      error: `chunk ${task.index}: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`,
    };
  }
}

/** Tinypool calls this on destroy(): releases the curve and keys so the thread can exit. */
export async function teardown(): Promise<void> {
  cached = undefined;
  await shutdown();
}
