/**
 * The chain stage: the same verdict a smart contract would give. Renders and compiles the
 * Solidity verifier for a bundle's verification key (snarkjs's for groth16, zkinfer's for
 * ultragroth), then calls `verifyProof` on the embedded EVM (default) or on a JSON-RPC node.
 */
import type { Address, Hex } from 'viem';
import type { ProofBundle } from '../formats/bundle.js';
import { UserError } from '../core/errors.js';
import { verifyOnEmbeddedEvm } from './embedded-evm.js';
import { verifyOnRpc } from './rpc.js';
import type { ChainTarget, ChainVerdict } from '../verify/chain-check.js';
import {
  assertSameProofSystem,
  compileVerifier,
  CompiledVerifier,
  MAX_DEPLOYED_CODE_SIZE,
  renderVerifierSource,
  verifierContractName,
} from './verifier-contract.js';
import { Groth16VerificationKey } from '../formats/vkey.js';

const compiled = new Map<string, Promise<CompiledVerifier>>();

/** Compiles (once per process and key) the Solidity verifier for `vkey`. */
export function verifierFor(vkey: Record<string, unknown>): Promise<CompiledVerifier> {
  const source = renderVerifierSource(vkey as unknown as Groth16VerificationKey);
  let c = compiled.get(source);
  if (!c) {
    c = compileVerifier(source, verifierContractName(vkey));
    compiled.set(source, c);
  }
  return c;
}

function hexOrError(v: string, what: string, bytes: number): Hex {
  if (!new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`).test(v))
    throw new UserError(`${what} must be 0x followed by ${bytes * 2} hex digits`);
  return v as Hex;
}

/**
 * Verifies a bundle's proof with its (or the given) verification key on an EVM.
 * @throws {@link UserError} (check `proof-system`) when the proof's system is not the key's.
 */
export async function verifyOnChain(
  bundle: ProofBundle,
  vkey: Record<string, unknown>,
  target: ChainTarget,
): Promise<ChainVerdict> {
  assertSameProofSystem(vkey, bundle.proof);
  const v = await verifierFor(vkey);
  const fitsOnChain = v.deployedSize <= MAX_DEPLOYED_CODE_SIZE;
  if (target.kind === 'embedded') {
    const r = await verifyOnEmbeddedEvm({
      abi: v.abi,
      bytecode: v.bytecode,
      proof: bundle.proof,
      publicSignals: bundle.publicSignals,
      // A verifier too big for real chains can still be judged; fitsOnChain reports the problem.
      allowUnlimitedContractSize: !fitsOnChain,
      ...(fitsOnChain ? {} : { hardfork: 'prague' }),
    });
    return {
      target: 'embedded',
      valid: r.valid,
      gas: String(r.gasUsed),
      gasSource: 'transaction',
      fitsOnChain,
      deployedSize: v.deployedSize,
    };
  }
  const address = target.address ? (hexOrError(target.address, '--address', 20) as Address) : undefined;
  const privateKey = target.privateKey ? hexOrError(target.privateKey, '--private-key', 32) : undefined;
  let r;
  try {
    r = await verifyOnRpc({
      url: target.url,
      abi: v.abi,
      bytecode: v.bytecode,
      deployedBytecode: v.deployedBytecode,
      address,
      privateKey,
      proof: bundle.proof,
      publicSignals: bundle.publicSignals,
    });
  } catch (e) {
    throw new UserError(`${target.url}: ${(e as Error).message.split('\n')[0]}`);
  }
  return {
    target: 'rpc',
    valid: r.valid,
    gas: String(r.gas),
    gasSource: r.gasSource,
    address: r.address,
    deployed: r.deployed,
    codeHash: r.codeHash,
    codeMatches: r.codeMatches,
    fitsOnChain,
    deployedSize: v.deployedSize,
  };
}
