/**
 * The on-chain check as the bundle verifier sees it: where to run it, what it says, and the
 * function that runs it. The EVM machinery lives in src/chain, above this room, so the verifier
 * is handed that function (see src/chain/verify-bundle-on-chain.ts) instead of importing it.
 */
import type { ProofBundle } from '../formats/bundle.js';

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
