/**
 * The fixture of the verifier-side attack tests: one public-input digits MLP circuit with two
 * independent dev setups — the model owner's ("victim") and an attacker's — and a proof of the
 * same sample under each. Paths are relative to the repository root (the tests' working directory).
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { compileCircuit } from '../../src/compile/compile-circuit.js';
import { readInputFile } from '../../src/onnx/input-file.js';
import { createProver } from '../../src/prove/prover.js';
import { quantizeModel } from '../../src/quantize/quantize-model.js';
import { setupKeys } from '../../src/setup/setup-keys.js';
import type { ProofBundle } from '../../src/formats/bundle.js';

export const SAMPLE = 'models/samples/digit-3.json';
export const x3 = readInputFile(SAMPLE, [1, 64]);

/** Quantizes and compiles the circuit in T/q and sets up the owner's key in T/victim; returns T/victim. */
export async function victimBuild(T: string): Promise<string> {
  await quantizeModel({
    modelPath: 'models/digits-mlp.onnx',
    outDir: join(T, 'q'),
    calibrationPath: 'models/calibration.json',
    inputPaths: [SAMPLE],
  });
  compileCircuit({ buildDir: join(T, 'q'), inputVisibility: 'public', outputVisibility: 'public' });
  const victim = join(T, 'victim');
  cpSync(join(T, 'q'), victim, { recursive: true });
  await setupKeys({ buildDir: victim });
  return victim;
}

/** The owner's build with its proof of the sample (`honest`). */
export async function victimSetup(T: string): Promise<{ victim: string; honest: ProofBundle }> {
  const victim = await victimBuild(T);
  return { victim, honest: (await createProver({ buildDir: victim, fidelity: false }).prove(x3)).bundle };
}

/** Both builds (T/victim, T/attacker) with their proofs of the sample (`honest`, `forged`). */
export async function twoSetups(
  T: string,
): Promise<{ victim: string; attacker: string; honest: ProofBundle; forged: ProofBundle }> {
  const victim = await victimBuild(T);
  const attacker = join(T, 'attacker');
  cpSync(join(T, 'q'), attacker, { recursive: true });
  await setupKeys({ buildDir: attacker });
  const honest = (await createProver({ buildDir: victim, fidelity: false }).prove(x3)).bundle;
  const forged = (await createProver({ buildDir: attacker, fidelity: false }).prove(x3)).bundle;
  return { victim, attacker, honest, forged };
}
