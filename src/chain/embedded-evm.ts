/**
 * Runs a compiled verifier inside an in-process EVM (@ethereumjs/vm): deploy it, send a
 * `verifyProof` transaction, read the verdict and the gas. No node, no network, so a proof's
 * on-chain validity and cost can be checked anywhere zkinfer runs.
 */
import { Common, Hardfork, Mainnet } from '@ethereumjs/common';
import { createLegacyTx } from '@ethereumjs/tx';
import { type Address, bytesToHex, createAccount, createAddressFromPrivateKey, hexToBytes } from '@ethereumjs/util';
import { createVM, runTx, type VM } from '@ethereumjs/vm';
import { decodeFunctionResult, encodeFunctionData, type Abi, type Hex } from 'viem';
import { formatCalldata, MAX_DEPLOYED_CODE_SIZE, type Groth16Proof, type PublicSignals } from './verifier-contract.js';

/**
 * The hardfork the embedded EVM follows: the current mainnet rules. It runs the `paris`
 * bytecode we compile unchanged, and its gas schedule (EIP-1108 BN254 prices, EIP-7623
 * calldata floor, EIP-7825 per-transaction cap) is what a verification costs today.
 */
export const EMBEDDED_EVM_HARDFORK = Hardfork.Osaka;

/** EIP-7825: no transaction may ask for more gas than 2^24 from Osaka on. */
const TX_GAS_CAP = 16_777_216n;

/**
 * Default gas limit for a `verifyProof` call. Deliberately generous: the snarkjs verifier
 * returns `false` instead of reverting when a precompile runs out of gas, so a tight limit
 * would turn a valid proof into a silent rejection. Each public signal costs about 6.8k gas
 * (one ecMul + one ecAdd), hence the per-signal headroom for large circuits.
 */
export function defaultVerifyGasLimit(nPublic: number): bigint {
  const scaled = 1_000_000n + 10_000n * BigInt(nPublic);
  const wanted = scaled > 10_000_000n ? scaled : 10_000_000n;
  return wanted < TX_GAS_CAP ? wanted : TX_GAS_CAP;
}

// Only ever funded inside a throwaway in-memory state; it signs nothing that leaves the process.
const SENDER_KEY = hexToBytes(`0x${'5a'.repeat(32)}`);
const SENDER: Address = createAddressFromPrivateKey(SENDER_KEY);
const GAS_PRICE = 10n ** 10n;

interface Deployment {
  readonly vm: VM;
  readonly common: Common;
  readonly address: Address;
  readonly deployGas: bigint;
  readonly unlimited: boolean;
  /** Serializes calls: each one reads and bumps the sender nonce. */
  queue: Promise<unknown>;
}

// Deploying costs a VM and a transaction; verifying many proofs against one circuit is the
// common case, so keep the last few deployments. Bounded so long runs do not accumulate VMs.
const MAX_CACHED_DEPLOYMENTS = 8;
const deployments = new Map<string, Promise<Deployment>>();

async function deploy(bytecode: Hex, hardfork: string, unlimited: boolean): Promise<Deployment> {
  const common = new Common({ chain: Mainnet, hardfork });
  const vm = await createVM({
    common,
    // Precompiles exist as accounts on mainnet; mirror that so their first call costs the same.
    activatePrecompiles: true,
    evmOpts: unlimited ? { allowUnlimitedContractSize: true, allowUnlimitedInitCodeSize: true } : {},
  });
  await vm.stateManager.putAccount(SENDER, createAccount({ nonce: 0n, balance: 10n ** 30n }));
  // Forks before EIP-7825 have no per-transaction cap; there a 2^25 limit lets the
  // unlimited-size mode deploy verifiers for hundreds of public signals.
  const deployGas = common.isActivatedEIP(7825) ? TX_GAS_CAP : 2n * TX_GAS_CAP;
  const tx = createLegacyTx(
    { nonce: 0n, gasLimit: deployGas, gasPrice: GAS_PRICE, data: hexToBytes(bytecode) },
    { common, allowUnlimitedInitCodeSize: unlimited },
  ).sign(SENDER_KEY);
  const result = await runTx(vm, { tx, skipBlockGasLimitValidation: true });
  if (result.execResult.exceptionError || !result.createdAddress) {
    const size = (bytecode.length - 2) / 2;
    throw new Error(
      `verifier deployment failed in the embedded EVM (${result.execResult.exceptionError?.error ?? 'no address'}); ` +
        `creation bytecode is ${size} bytes, the deployed code limit is ${MAX_DEPLOYED_CODE_SIZE} bytes (EIP-170), ` +
        `the deployment gas limit ${deployGas}`,
    );
  }
  return {
    vm,
    common,
    address: result.createdAddress,
    deployGas: result.totalGasSpent,
    unlimited,
    queue: Promise.resolve(),
  };
}

function getDeployment(bytecode: Hex, hardfork: string, unlimited: boolean): Promise<Deployment> {
  const key = `${hardfork}:${unlimited ? 'unlimited' : 'eip170'}:${bytecode.toLowerCase()}`;
  let entry = deployments.get(key);
  if (entry) {
    // Re-insert so Map order tracks recency.
    deployments.delete(key);
  } else {
    const fresh = deploy(bytecode, hardfork, unlimited);
    // A failed deployment must not stay cached and poison later attempts.
    fresh.catch(() => {
      if (deployments.get(key) === fresh) deployments.delete(key);
    });
    entry = fresh;
  }
  deployments.set(key, entry);
  while (deployments.size > MAX_CACHED_DEPLOYMENTS) deployments.delete(deployments.keys().next().value!);
  return entry;
}

/** Options for {@link verifyOnEmbeddedEvm}. */
export interface EmbeddedEvmVerifyOptions {
  readonly abi: Abi;
  /** Creation bytecode, `0x`-prefixed, as returned by `compileVerifier`. */
  readonly bytecode: Hex;
  readonly proof: Groth16Proof;
  readonly publicSignals: PublicSignals;
  /** Gas limit of the `verifyProof` transaction; defaults to {@link defaultVerifyGasLimit}. */
  readonly gasLimit?: bigint;
  /**
   * Rules to run under, as an @ethereumjs hardfork name (`paris`, `shanghai`, `prague`, …);
   * defaults to {@link EMBEDDED_EVM_HARDFORK}. `paris` checks a chain without PUSH0.
   */
  readonly hardfork?: string;
  /**
   * Lift the EIP-170 / EIP-3860 code size limits, for measuring verifiers too large to deploy
   * on a real chain (hundreds of public signals). Never use it to judge deployability.
   */
  readonly allowUnlimitedContractSize?: boolean;
}

/** Result of {@link verifyOnEmbeddedEvm}. */
export interface EmbeddedEvmResult {
  /** The contract's verdict. */
  readonly valid: boolean;
  /**
   * Gas of the whole `verifyProof` transaction (21000 base + calldata + execution), i.e. what
   * its receipt would report. Only meaningful for valid proofs: an invalid curve point makes
   * the pairing precompile fail, which burns all gas it was given.
   */
  readonly gasUsed: bigint;
  /** Gas of the deployment transaction. */
  readonly deployGas: bigint;
}

/**
 * Deploys the verifier in an in-process EVM (cached per bytecode) and runs `verifyProof`.
 * @throws when deployment fails (e.g. the contract exceeds EIP-170) or the call reverts
 *   (e.g. calldata for fewer public signals than the deployed contract expects).
 */
export async function verifyOnEmbeddedEvm(options: EmbeddedEvmVerifyOptions): Promise<EmbeddedEvmResult> {
  const hardfork = options.hardfork ?? EMBEDDED_EVM_HARDFORK;
  const d = await getDeployment(options.bytecode, hardfork, options.allowUnlimitedContractSize ?? false);
  const { args } = formatCalldata(options.proof, options.publicSignals);
  const data = encodeFunctionData({ abi: options.abi, functionName: 'verifyProof', args });
  const gasLimit = options.gasLimit ?? defaultVerifyGasLimit(options.publicSignals.length);
  const run = d.queue.then(async () => {
    const nonce = (await d.vm.stateManager.getAccount(SENDER))?.nonce ?? 0n;
    const tx = createLegacyTx(
      { nonce, gasLimit, gasPrice: GAS_PRICE, to: d.address, data: hexToBytes(data) },
      { common: d.common, allowUnlimitedInitCodeSize: d.unlimited },
    ).sign(SENDER_KEY);
    return runTx(d.vm, { tx, skipBlockGasLimitValidation: true });
  });
  d.queue = run.catch(() => undefined);
  const result = await run;
  if (result.execResult.exceptionError) {
    throw new Error(`verifyProof reverted in the embedded EVM: ${result.execResult.exceptionError.error}`);
  }
  const valid = decodeFunctionResult({
    abi: options.abi,
    functionName: 'verifyProof',
    data: bytesToHex(result.execResult.returnValue),
  });
  if (typeof valid !== 'boolean') throw new Error('verifyProof did not return a bool');
  return { valid, gasUsed: result.totalGasSpent, deployGas: d.deployGas };
}
