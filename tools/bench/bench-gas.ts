/**
 * Measures what on-chain verification costs as the number of public signals grows: build a
 * circuit with N public signals, run a throwaway Groth16 setup, prove, and verify the proof in
 * the embedded EVM. Pairing cost is fixed; each public signal adds one ecMul + ecAdd.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { R1csBuilder, type BuiltCircuit, type Signal } from '../../circuits/builder.js';
import { encodeR1cs, encodeWtns } from '../../src/compile/r1cs-file.js';
import { devSetup } from '../../src/setup/dev/dev-setup.js';
import { EMBEDDED_EVM_HARDFORK, verifyOnEmbeddedEvm } from '../../src/chain/embedded-evm.js';
import {
  compileVerifier,
  MAX_DEPLOYED_CODE_SIZE,
  renderVerifierSource,
  VERIFIER_CONTRACT_NAME,
  type Groth16Proof,
  type PublicSignals,
} from '../../src/chain/verifier-contract.js';
import { type Groth16VerificationKey } from '../../src/formats/vkey.js';

/** An in-memory snarkjs "file" (`{ type: 'mem' }`); snarkjs fills `data` when it writes one. */
export interface MemFile {
  type: 'mem';
  data?: Uint8Array;
}

/**
 * A Powers of Tau file for 2^power constraints, made in memory from one random contribution.
 * For tests and benchmarks only: nobody else contributed, so it proves nothing about trust.
 */
export async function createDevPtau(options: { power: number }): Promise<MemFile> {
  const curve = await snarkjs.curves.getCurveFromName('bn128');
  const fresh: MemFile = { type: 'mem' };
  const contributed: MemFile = { type: 'mem' };
  const prepared: MemFile = { type: 'mem' };
  await snarkjs.powersOfTau.newAccumulator(curve, options.power, fresh);
  // A fresh accumulator has tau = 1, a root of unity, which makes the setup degenerate; one
  // random contribution gives a usable tau.
  await snarkjs.powersOfTau.contribute(fresh, contributed, 'zkinfer dev', randomBytes(32).toString('hex'));
  await snarkjs.powersOfTau.preparePhase2(contributed, prepared);
  return prepared;
}

/** Smallest Powers of Tau exponent snarkjs accepts for a circuit (it adds nPublic + 1 rows). */
export function ptauPowerFor(circuit: BuiltCircuit): number {
  const rows = circuit.nConstraints + circuit.nPubOut + circuit.nPubIn + 1;
  return Math.max(1, Math.ceil(Math.log2(rows)));
}

/** Result of {@link devGroth16}. */
export interface DevGroth16 {
  readonly zkey: MemFile;
  readonly vkey: Groth16VerificationKey;
  readonly proof: Groth16Proof;
  readonly publicSignals: PublicSignals;
}

/**
 * Circuit-specific setup (one random phase-2 contribution) and a proof of the circuit's own
 * witness, all in memory. Test and benchmark use only, for the same reason as {@link createDevPtau}.
 */
export async function devGroth16(options: { circuit: BuiltCircuit; ptau: MemFile }): Promise<DevGroth16> {
  const r1cs: MemFile = { type: 'mem', data: new Uint8Array(encodeR1cs(options.circuit)) };
  const initial: MemFile = { type: 'mem' };
  const zkey: MemFile = { type: 'mem' };
  await snarkjs.zKey.newZKey(r1cs, options.ptau, initial);
  await snarkjs.zKey.contribute(initial, zkey, 'zkinfer dev', randomBytes(32).toString('hex'));
  const vkey = (await snarkjs.zKey.exportVerificationKey(zkey)) as Groth16VerificationKey;
  const wtns: MemFile = { type: 'mem', data: new Uint8Array(encodeWtns(options.circuit.witness)) };
  const { proof, publicSignals } = (await snarkjs.groth16.prove(zkey, wtns)) as {
    proof: Groth16Proof;
    publicSignals: string[];
  };
  return { zkey, vkey, proof, publicSignals };
}

/**
 * The same as {@link devGroth16} but with keys from {@link devSetup} (written to a temporary
 * directory, removed afterwards) instead of a powers-of-tau ceremony: seconds instead of
 * minutes for the same verification key format, which is all a gas measurement needs.
 */
export async function devSetupGroth16(options: { circuit: BuiltCircuit }): Promise<Omit<DevGroth16, 'zkey'>> {
  const dir = await mkdtemp(join(tmpdir(), 'zkinfer-gas-'));
  try {
    const r1csPath = join(dir, 'circuit.r1cs');
    const zkeyPath = join(dir, 'circuit.zkey');
    await writeFile(r1csPath, encodeR1cs(options.circuit));
    const { vkey } = await devSetup({ r1csPath, zkeyPath });
    const zkey: MemFile = { type: 'mem', data: new Uint8Array(await readFile(zkeyPath)) };
    const wtns: MemFile = { type: 'mem', data: new Uint8Array(encodeWtns(options.circuit.witness)) };
    const { proof, publicSignals } = (await snarkjs.groth16.prove(zkey, wtns)) as {
      proof: Groth16Proof;
      publicSignals: string[];
    };
    return { vkey: vkey as Groth16VerificationKey, proof, publicSignals };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A circuit with exactly `nPublic` public signals and two constraints: public inputs
 * x_1..x_{n−1}, a private w, and the output y = w · (w + Σ x_i). Keeping constraints minimal
 * isolates the per-signal cost of the verifier.
 */
export function publicSignalCircuit(options: { nPublic: number }): BuiltCircuit {
  if (!Number.isInteger(options.nPublic) || options.nPublic < 1) throw new Error('nPublic must be a positive integer');
  const b = new R1csBuilder();
  const xs: Signal[] = [];
  for (let i = 1; i < options.nPublic; i++) xs.push(b.input(BigInt(i), 'public'));
  const w = b.input(3n, 'private');
  const sum = b.linear([[w, 1n], ...xs.map((x) => [x, 1n] as const)]);
  b.exposeOutput(b.mul(w, sum));
  return b.finalize();
}

/** Result of {@link measureVerifierGas}. */
export interface VerifierGasMeasurement {
  readonly nPublic: number;
  /** Gas of the `verifyProof` transaction (base + calldata + execution). */
  readonly verifyGas: bigint;
  readonly deployGas: bigint;
  /** Deployed code size; the verifier only deploys on real chains when this fits EIP-170. */
  readonly deployedSize: number;
  readonly fitsEip170: boolean;
  /** Rules the measurement ran under (Prague for verifiers too large to deploy under Osaka). */
  readonly hardfork: string;
  /** Wall time of one embedded-EVM `verifyProof` run, deployment excluded. */
  readonly verifyMs: number;
  /** Wall time of `snarkjs.groth16.verify` on the same proof, for comparison. */
  readonly snarkjsVerifyMs: number;
  /** Wall time of setup and proving, so a benchmark can tell where its time went. */
  readonly setupMs: number;
  readonly compileMs: number;
}

/**
 * Builds a circuit with `nPublic` public signals, proves it (keys from the dev setup), and measures verification in the
 * embedded EVM. Code size limits are lifted so large verifiers can still be measured;
 * `fitsEip170` says whether a real chain would accept the contract.
 * @throws if the embedded EVM or snarkjs rejects the proof (a measurement of a failed
 *   verification would be meaningless).
 */
export async function measureVerifierGas(options: { nPublic: number }): Promise<VerifierGasMeasurement> {
  const circuit = publicSignalCircuit(options);
  let t = performance.now();
  const { vkey, proof, publicSignals } = await devSetupGroth16({ circuit });
  const setupMs = performance.now() - t;

  t = performance.now();
  const { abi, bytecode, deployedSize } = await compileVerifier(renderVerifierSource(vkey));
  const compileMs = performance.now() - t;

  const fitsEip170 = deployedSize <= MAX_DEPLOYED_CODE_SIZE;
  // Deploying an oversized verifier also needs more than Osaka's 2^24 per-transaction gas cap
  // (200 gas per deposited byte); Prague has no cap and prices verification identically.
  const hardfork = fitsEip170 ? EMBEDDED_EVM_HARDFORK : 'prague';
  const run = { abi, bytecode, proof, publicSignals, hardfork, allowUnlimitedContractSize: true };
  // The first run deploys; time the second, which is what every later verification costs.
  const first = await verifyOnEmbeddedEvm(run);
  t = performance.now();
  const second = await verifyOnEmbeddedEvm(run);
  const verifyMs = performance.now() - t;

  t = performance.now();
  const snarkjsValid = (await snarkjs.groth16.verify(vkey, publicSignals, proof)) as boolean;
  const snarkjsVerifyMs = performance.now() - t;
  if (!first.valid || !second.valid || !snarkjsValid) {
    throw new Error(`valid proof rejected while measuring nPublic=${options.nPublic}`);
  }
  return {
    nPublic: options.nPublic,
    verifyGas: second.gasUsed,
    deployGas: second.deployGas,
    deployedSize,
    fitsEip170,
    hardfork,
    verifyMs,
    snarkjsVerifyMs,
    setupMs,
    compileMs,
  };
}

/**
 * Gas of the alternative to range-checking public inputs in the circuit: a wrapper contract
 * that checks `input[i] < 2^bits` for every signal before calling the verifier. Measured as the
 * difference between a contract that only checks and one that only returns true, on the same
 * calldata, so the verifier's own cost cancels out.
 */
export async function measureRangeWrapperGas(options: {
  nPublic: number;
  bits: number;
}): Promise<{ perInput: number; total: number }> {
  const contract = (body: string) => `// SPDX-License-Identifier: GPL-3.0
pragma solidity >=0.7.0 <0.9.0;
contract ${VERIFIER_CONTRACT_NAME} {
  function verifyProof(uint[2] calldata, uint[2][2] calldata, uint[2] calldata, uint[${options.nPublic}] calldata input) public pure returns (bool) {
    ${body}
    return true;
  }
}`;
  const check = `for (uint i = 0; i < ${options.nPublic}; i++) { if (input[i] >= ${1n << BigInt(options.bits)}) return false; }`;
  const proof = {
    pi_a: ['1', '2', '1'],
    pi_b: [
      ['1', '2'],
      ['3', '4'],
      ['1', '0'],
    ],
    pi_c: ['1', '2', '1'],
    protocol: 'groth16',
    curve: 'bn128',
  };
  const publicSignals = Array.from({ length: options.nPublic }, (_, i) => String(i % (1 << options.bits)));
  const gas = async (body: string): Promise<bigint> => {
    const { abi, bytecode } = await compileVerifier(contract(body));
    // Cancun: before EIP-7623's calldata floor, which would hide a cheap contract's execution
    // cost (next to a real verifier's ~200k of execution the floor never binds).
    const r = await verifyOnEmbeddedEvm({ abi, bytecode, proof, publicSignals, hardfork: 'cancun' });
    if (!r.valid) throw new Error('range wrapper rejected in-range inputs');
    return r.gasUsed;
  };
  const total = Number((await gas(check)) - (await gas('input;')));
  return { perInput: total / options.nPublic, total };
}
