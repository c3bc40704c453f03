/**
 * The on-chain check as the bundle verifier sees it: where to run it, what it says, and the
 * function that runs it. The EVM machinery lives in src/chain, above this room, so the verifier
 * is handed that function (see src/chain/verify-bundle-on-chain.ts) instead of importing it.
 */
import type { ProofBundle } from '../formats/bundle.js';
import { fail, type CheckResult } from './check-result.js';

/** Where to verify. */
export type ChainTarget =
  | { readonly kind: 'embedded' }
  | { readonly kind: 'rpc'; readonly url: string; readonly address?: string; readonly privateKey?: string };

/** The on-chain verdict. */
export interface ChainVerdict {
  readonly target: 'embedded' | 'rpc';
  readonly valid: boolean;
  readonly gas: string;
  /** `transaction`: gas of a real (or embedded) transaction; `estimate`: corrected estimate. */
  readonly gasSource: 'transaction' | 'estimate';
  readonly address?: string;
  readonly deployed?: boolean;
  /** keccak256 of the deployed code (rpc) and whether it is the verifier for the key. */
  readonly codeHash?: string;
  readonly codeMatches?: boolean;
  /** False when the verifier exceeds the 24,576-byte contract size limit of real chains. */
  readonly fitsOnChain: boolean;
  readonly deployedSize: number;
}

/** Verifies a bundle's proof with the given verification key on an EVM. */
export type ChainVerifier = (
  bundle: ProofBundle,
  vkey: Record<string, unknown>,
  target: ChainTarget,
) => Promise<ChainVerdict>;

/** The `chain` check: the Solidity verifier's verdict must agree with the local one. */
export async function chainCheck(
  target: ChainTarget,
  verifier: ChainVerifier | undefined,
  bundle: ProofBundle,
  vkey: Record<string, unknown>,
  keyOk: boolean,
  proofOk: boolean,
): Promise<{ check: CheckResult; chain?: ChainVerdict; warning?: string }> {
  // The verdict is already "not pinned"; compiling a verifier for a key the prover chose costs
  // time that grows with its size (a 100,000-signal key takes minutes in solc).
  if (!keyOk) return { check: fail('chain', 'not run: the key is not pinned') };
  if (!verifier)
    throw new Error(
      'verifyBundle: `chain` needs `chainVerifier` (use verifyBundleWithChain from src/chain/verify-bundle-on-chain.ts)',
    );
  const chain = await verifier(bundle, vkey, target);
  const at = chain.target === 'embedded' ? 'embedded EVM' : `contract ${chain.address}`;
  const check: CheckResult =
    chain.codeMatches === false
      ? fail('chain', `${at} runs code ${chain.codeHash?.slice(0, 18)}…, not the verifier compiled for the pinned key`)
      : chain.valid === proofOk
        ? {
            check: 'chain',
            ok: chain.valid,
            detail: `${at} says ${chain.valid}, as the local check (${chain.gasSource} gas ${chain.gas})`,
          }
        : fail('chain', `DISAGREEMENT: ${at} says ${chain.valid}, the local check says ${proofOk}`);
  const warning = chain.fitsOnChain
    ? undefined
    : `the verifier is ${chain.deployedSize} bytes, over the 24,576-byte contract limit of real chains; use --input-visibility hashed to shrink it`;
  return { check, chain, ...(warning ? { warning } : {}) };
}
