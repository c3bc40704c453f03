/**
 * `zkinfer verify --chain/--rpc`: the bundle verifier with the on-chain check plugged in. The
 * verifier (src/verify) sits below this room and cannot import the EVM code; this module hands it
 * in. The EVM code (solc, the VM) is loaded only when a chain target is asked for.
 */
import { verifyBundle, VerifyOptions, VerifyReport } from '../verify/verify-bundle.js';
import type { ChainVerifier } from '../verify/chain-check.js';

/** Runs `verifyOnChain`, loading solc and the EVM on first use: most verifications never need them. */
export const lazyChainVerifier: ChainVerifier = async (bundle, vkey, target) =>
  (await import('./verify-on-chain.js')).verifyOnChain(bundle, vkey, target);

/** {@link verifyBundle}, able to honour `opts.chain`. */
export function verifyBundleWithChain(opts: VerifyOptions): Promise<VerifyReport> {
  return verifyBundle(opts.chain ? { ...opts, chainVerifier: opts.chainVerifier ?? lazyChainVerifier } : opts);
}
