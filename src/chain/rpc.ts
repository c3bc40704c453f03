/**
 * Verifies a proof against a verifier contract on a real node over JSON-RPC (viem): deploy the
 * contract when no address is given, ask the contract for its verdict with `eth_call`, and
 * measure the gas a `verifyProof` transaction needs.
 */
import {
  keccak256,
  createPublicClient,
  createWalletClient,
  decodeFunctionResult,
  encodeFunctionData,
  http,
  numberToHex,
  type Abi,
  type Account,
  type Address,
  type Hex,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { formatCalldata, type Groth16Proof, type PublicSignals } from './verifier-contract.js';
import { defaultVerifyGasLimit } from './embedded-evm.js';

/** Options for {@link verifyOnRpc}. */
export interface RpcVerifyOptions {
  /** JSON-RPC endpoint (http or https). */
  readonly url: string;
  readonly abi: Abi;
  /** Creation bytecode, used only when `address` is absent. */
  readonly bytecode: Hex;
  /** Runtime code the contract at `address` must run: anything else is not this key's verifier. */
  readonly deployedBytecode: Hex;
  /** An already deployed verifier; when absent the verifier is deployed first. */
  readonly address?: Address;
  /**
   * Signs the deployment (and the measuring transaction, if asked for). Without it the node's
   * first unlocked account (`eth_accounts`) sends them, as on anvil or a dev geth.
   */
  readonly privateKey?: Hex;
  readonly proof: Groth16Proof;
  readonly publicSignals: PublicSignals;
  /**
   * How to measure gas. `estimate` (default) starts from `eth_estimateGas` and corrects it with
   * `eth_call`s (see {@link RpcVerifyResult.gas}); `transaction` sends a real `verifyProof`
   * transaction and reads its receipt, which costs ether on a real chain.
   */
  readonly gasSource?: 'estimate' | 'transaction';
  /** Gas cap of the verifying call; defaults to the embedded EVM's generous default. */
  readonly gasLimit?: bigint;
}

/** Result of {@link verifyOnRpc}. */
export interface RpcVerifyResult {
  /** The contract's verdict from `eth_call`. */
  readonly valid: boolean;
  /** Where the verifier lives (freshly deployed or as given). */
  readonly address: Address;
  /** Whether this call deployed the verifier. */
  readonly deployed: boolean;
  /** keccak256 of the code at `address`, and whether it is the verifier compiled for the key. */
  readonly codeHash: Hex;
  readonly codeMatches: boolean;
  /**
   * Only meaningful when `valid`. With `estimate`: the least gas limit (within 0.1%) at which
   * `verifyProof` still returns true, like `eth_estimateGas` would give for a reverting
   * verifier; it sits 1–2% above the gas actually used, because precompile calls must be
   * offered 64/63 of what they use. With `transaction`: the receipt's `gasUsed`.
   */
  readonly gas: bigint;
  readonly gasSource: 'estimate' | 'transaction';
}

/** Relative precision of the gas search: 0.1% (a few hundred gas) in about 15 calls. */
const GAS_SEARCH_PRECISION = 1000n;

/**
 * Smallest gas limit (within 0.1%) at which `call` answers true, given that it answers true at
 * `hi`. `eth_estimateGas` cannot find this itself: it searches for the least gas at which the
 * call does not revert, and the snarkjs verifier never reverts. Starved of gas, its precompile
 * calls fail and it returns false, so nodes report ~30k gas for a ~235k verification.
 */
async function gasForTrue(options: {
  call: (gas: bigint) => Promise<boolean>;
  lo: bigint;
  hi: bigint;
}): Promise<bigint> {
  let { lo, hi } = options;
  if (lo >= hi) return hi;
  if (await options.call(lo)) return lo;
  while (hi - lo > hi / GAS_SEARCH_PRECISION) {
    const mid = (lo + hi) / 2n;
    if (await options.call(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * Verifies a proof on the node at `url`, deploying the verifier first when no address is given.
 *
 * The verdict comes from `eth_call` with an explicit, generous gas cap: the snarkjs verifier
 * answers `false` rather than reverting when short of gas, so a node's default call gas (which
 * some providers set low) could otherwise reject a valid proof.
 * @throws when the deployment fails, no contract exists at `address`, or no sender is available.
 */
export async function verifyOnRpc(options: RpcVerifyOptions): Promise<RpcVerifyResult> {
  const transport = http(options.url);
  const client = createPublicClient({ transport });
  const gasLimit = options.gasLimit ?? defaultVerifyGasLimit(options.publicSignals.length);
  const gasSource = options.gasSource ?? 'estimate';

  const sender = async (): Promise<Account | Address> => {
    if (options.privateKey) return privateKeyToAccount(options.privateKey);
    const [first] = await createWalletClient({ transport }).getAddresses();
    if (!first) throw new Error(`node at ${options.url} has no unlocked account; pass a private key`);
    return first;
  };

  let address = options.address;
  let deployed = false;
  if (!address) {
    const account = await sender();
    const wallet = createWalletClient({ account, transport });
    const hash = await wallet.deployContract({ abi: options.abi, bytecode: options.bytecode, chain: null });
    const receipt = await client.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success' || !receipt.contractAddress) {
      throw new Error(`verifier deployment transaction ${hash} failed (status ${receipt.status})`);
    }
    address = receipt.contractAddress;
    deployed = true;
  }
  // eth_call to an address without code "succeeds" with empty output; say what is wrong instead.
  const code = await client.getCode({ address });
  if (!code || code === '0x') throw new Error(`no contract code at ${address} on ${options.url}`);
  // A contract that merely answers true is not a verifier: its code must be the verifier
  // compiled for this key (same solc, settings and template), byte for byte.
  const codeHash = keccak256(code);
  const codeMatches = codeHash === keccak256(options.deployedBytecode);
  if (!codeMatches) return { valid: false, address, deployed, gas: 0n, gasSource, codeHash, codeMatches };

  const { args } = formatCalldata(options.proof, options.publicSignals);
  const data = encodeFunctionData({ abi: options.abi, functionName: 'verifyProof', args });
  const request = { to: address, data };
  const call = async (gas: bigint): Promise<boolean> => {
    const raw = await client.request({ method: 'eth_call', params: [{ ...request, gas: numberToHex(gas) }, 'latest'] });
    const verdict = decodeFunctionResult({ abi: options.abi, functionName: 'verifyProof', data: raw });
    if (typeof verdict !== 'boolean') throw new Error('verifyProof did not return a bool');
    return verdict;
  };
  const valid = await call(gasLimit);

  let gas: bigint;
  if (gasSource === 'transaction') {
    const wallet = createWalletClient({ account: await sender(), transport });
    const hash = await wallet.sendTransaction({ to: address, data, gas: gasLimit, chain: null });
    const receipt = await client.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success') throw new Error(`verifyProof transaction ${hash} reverted`);
    gas = receipt.gasUsed;
  } else {
    // Raw request: viem's estimateGas drops `gas`, and the cap matters for the same reason as
    // in eth_call.
    const cap = { ...request, gas: numberToHex(gasLimit) };
    const estimate = BigInt(await client.request({ method: 'eth_estimateGas', params: [cap] }));
    gas = valid ? await gasForTrue({ call, lo: estimate, hi: gasLimit }) : estimate;
  }
  return { valid, address, deployed, gas, gasSource, codeHash, codeMatches };
}
