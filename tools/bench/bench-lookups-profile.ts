/**
 * The cost split of one proof for the lookups bench: the witness timed on its own (the model
 * pass; for ultragroth also the round-2 completion after the challenge), then one proof by
 * zkinfer's own prover with `profile: true` (its steps run one after another), grouped into
 * QAP, FFT, MSMs and the round-1 commitment + hash by tools/bench/bench-lookups-table.ts.
 */
import { completeLookupWitness } from '../../circuits/lookup.js';
import { buildCircuit } from '../../src/compile/build-circuit.js';
import { lookupOptionOf } from '../../src/compile/proof-system.js';
import { checkBuildConsistency } from '../../src/prove/build-consistency.js';
import { proverCurve } from '../../src/prove/groth16/curve-api.js';
import { Groth16Prover } from '../../src/prove/groth16/groth16-prover.js';
import { quantizeInput } from '../../src/quantize/quantize-input.js';
import { costSplit, type CostSplit } from './bench-lookups-args.js';

/** Profiles one proof of `input` (float, model layout) on the build's key. */
export async function profileProof(opts: { buildDir: string; input: Float64Array }): Promise<CostSplit> {
  const build = checkBuildConsistency(opts.buildDir);
  const t0 = performance.now();
  // ultragroth: the round-1 witness, built with the lookups circuit.json records.
  const lookup = lookupOptionOf(build.circuit);
  const { circuit } = buildCircuit(build.model, quantizeInput(build.model, opts.input), {
    witnessOnly: true,
    inputVisibility: build.circuit.layout.input.visibility,
    outputVisibility: build.circuit.layout.output.visibility,
    ...(lookup ? { lookup } : {}),
  });
  let witnessSeconds = (performance.now() - t0) / 1000;
  const prover = Groth16Prover.create(await proverCurve(false), build.zkey);
  // Round 2 (the LogUp inverses, after the challenge) is witness work: timed here and counted
  // as witness; the prover's own profile may count the same interval in its round-1 steps.
  const completeRound2 = (challenge: bigint): bigint[] => {
    const t = performance.now();
    const w = completeLookupWitness(circuit, challenge);
    witnessSeconds += (performance.now() - t) / 1000;
    return w;
  };
  const proof = await prover.prove(circuit.witness, { profile: true, ...(lookup ? { completeRound2 } : {}) });
  if (!proof.timings) throw new Error('the prover returned no profile timings');
  return costSplit(proof.timings as unknown as Record<string, number>, witnessSeconds);
}
