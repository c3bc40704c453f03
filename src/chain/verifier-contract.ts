/**
 * The Solidity side of a proof: render the verifier contract for a verification key, compile it
 * with solc-js, export the artifacts, and format a proof as `verifyProof` arguments. The key's
 * protocol picks the contract: for `groth16` the unmodified snarkjs template, so that what we
 * deploy is byte-for-byte what `snarkjs zkey export solidityverifier` would give; for
 * `ultragroth` zkinfer's own two-round verifier (src/chain/ultragroth-verifier.ts).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { encodeFunctionData, type Abi, type Hex } from 'viem';
import { cleanupOnFailure, ensureDir, writeFileAtomic } from '../core/atomic-write.js';
import { checkOutputDir } from '../core/output-path.js';
import { snarkjsPackageDir } from '../core/versions.js';
import { UserError } from '../core/errors.js';
import { validateVkey, type Groth16VerificationKey } from '../formats/vkey.js';
import { renderUltragrothVerifierSource, ULTRAGROTH_CONTRACT_NAME } from './ultragroth-verifier.js';

/**
 * A Groth16 proof as produced by `snarkjs.groth16.prove` (projective coordinates as decimal
 * strings); an ultragroth proof adds the round-1 commitment `pi_c1` and says `protocol: 'ultragroth'`.
 */
export interface Groth16Proof {
  readonly pi_a: readonly (string | bigint)[];
  readonly pi_b: readonly (readonly (string | bigint)[])[];
  readonly pi_c: readonly (string | bigint)[];
  readonly pi_c1?: readonly (string | bigint)[];
  readonly protocol?: string;
}

/** The proof systems zkinfer has verifier contracts for. */
export type ProofSystem = 'groth16' | 'ultragroth';

/**
 * The system a proof belongs to: `ultragroth` when it says so (it must then carry `pi_c1`),
 * otherwise `groth16` (snarkjs proofs, old bundles). A proof with `pi_c1` that does not say
 * ultragroth is refused rather than verified without its commitment.
 * @throws {@link UserError} for either inconsistency.
 */
export function proofSystemOf(proof: Groth16Proof): ProofSystem {
  if (proof.protocol === 'ultragroth') {
    if (!proof.pi_c1) throw new UserError('proof-system: the proof says ultragroth but has no pi_c1 commitment');
    return 'ultragroth';
  }
  if (proof.pi_c1)
    throw new UserError(
      `proof-system: the proof has a pi_c1 commitment but protocol ${String(proof.protocol)}, not ultragroth`,
    );
  return 'groth16';
}

/** The system a verification key belongs to (`protocol`, as checked by the renderers). */
export function proofSystemOfKey(vkey: { readonly protocol?: unknown }): ProofSystem {
  return vkey.protocol === 'ultragroth' ? 'ultragroth' : 'groth16';
}

/**
 * Refuses to check a proof of one system against a key of the other: the contracts' calldata
 * differ, and a check across systems could only fail for a reason nobody would understand.
 * @throws {@link UserError} naming both systems (check `proof-system`).
 */
export function assertSameProofSystem(vkey: { readonly protocol?: unknown }, proof: Groth16Proof): void {
  const key = proofSystemOfKey(vkey);
  const own = proofSystemOf(proof);
  if (key !== own)
    throw new UserError(
      `proof-system: the proof is ${own} but the verification key is ${key}; they cannot verify each other`,
    );
}

/** Public signals in snarkjs order (outputs, then public inputs), as decimal strings or bigints. */
export type PublicSignals = readonly (string | bigint)[];

/** Name of the contract the snarkjs template declares (the ultragroth one: `ULTRAGROTH_CONTRACT_NAME`). */
export const VERIFIER_CONTRACT_NAME = 'Groth16Verifier';

/** EIP-170's limit on deployed contract code, in bytes. */
export const MAX_DEPLOYED_CODE_SIZE = 24_576;

/** Result of {@link compileVerifier}. */
export interface CompiledVerifier {
  readonly abi: Abi;
  /** Creation bytecode, `0x`-prefixed. */
  readonly bytecode: Hex;
  /** Runtime bytecode, `0x`-prefixed: what `eth_getCode` returns for a deployed copy (no immutables). */
  readonly deployedBytecode: Hex;
  /**
   * Size in bytes of the deployed (runtime) code. Above {@link MAX_DEPLOYED_CODE_SIZE} no
   * mainnet-rules chain accepts the contract; each public signal adds about 90 bytes.
   */
  readonly deployedSize: number;
  /** solc warnings (formatted), empty when the compile was clean. */
  readonly warnings: readonly string[];
  /** Full solc version string, e.g. `0.8.37+commit.…`, for reproducible artifacts. */
  readonly compilerVersion: string;
  /** The contract's name in the source (`Groth16Verifier` or `UltraGrothVerifier`). */
  readonly contractName: string;
}

type EjsRender = (template: string, data: object) => string;

let templateCache: { template: string; render: EjsRender } | undefined;

function loadTemplate(): { template: string; render: EjsRender } {
  if (templateCache) return templateCache;
  const dir = snarkjsPackageDir();
  const template = readFileSync(join(dir, 'templates', 'verifier_groth16.sol.ejs'), 'utf8');
  // snarkjs renders with its own ejs dependency; resolving ejs from snarkjs's directory uses
  // exactly that copy rather than relying on it being hoisted next to us.
  const ejs = createRequire(join(dir, 'package.json'))('ejs') as { render: EjsRender };
  templateCache = { template, render: ejs.render.bind(ejs) };
  return templateCache;
}

/**
 * Renders the Solidity verifier for `vkey`: zkinfer's ultragroth verifier when the key's protocol
 * is `ultragroth`, otherwise the snarkjs Groth16 verifier.
 *
 * snarkjs's `zKey.exportSolidityVerifier` only accepts a zkey file, so this does what it does
 * after reading the key: render the package's `verifier_groth16.sol.ejs` with the vkey.
 * @throws {@link UserError} when the key is not a valid BN254 Groth16 key (see
 *   src/formats/vkey.ts) or has no public signals (the template would declare `uint[0]`, which
 *   Solidity rejects).
 */
export function renderVerifierSource(vkey: Groth16VerificationKey, where = 'verification key'): string {
  if (proofSystemOfKey(vkey) === 'ultragroth') return renderUltragrothVerifierSource(vkey, where);
  // Every value the template prints must be a canonical field element on the curve: anything
  // else could be Solidity source smuggled into the contract.
  validateVkey(vkey, where);
  if (vkey.nPublic < 1) {
    throw new UserError(
      `${where}: a Solidity verifier needs at least one public signal (uint[0] is not valid Solidity)`,
    );
  }
  const { template, render } = loadTemplate();
  return render(template, vkey);
}

interface SolcOutput {
  errors?: { severity: 'error' | 'warning' | 'info'; formattedMessage: string }[];
  contracts?: Record<
    string,
    Record<string, { abi: Abi; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>
  >;
}

/** The contract a key's verifier source declares. */
export function verifierContractName(vkey: { readonly protocol?: unknown }): string {
  return proofSystemOfKey(vkey) === 'ultragroth' ? ULTRAGROTH_CONTRACT_NAME : VERIFIER_CONTRACT_NAME;
}

/**
 * Compiles a verifier source with solc-js (the version installed with zkinfer); `contractName`
 * is the contract to take from it ({@link verifierContractName}).
 *
 * Targets `paris` because newer EVM versions emit PUSH0, which chains that have not adopted
 * Shanghai reject at deployment. The optimizer (200 runs, solc's default) trims deployment cost.
 * solc is imported lazily: loading its wasm costs about a second that commands which never
 * compile should not pay.
 * @throws with every solc error message when compilation fails.
 */
export async function compileVerifier(
  source: string,
  contractName: string = VERIFIER_CONTRACT_NAME,
): Promise<CompiledVerifier> {
  const { default: solc } = await import('solc');
  const input = {
    language: 'Solidity',
    sources: { 'Verifier.sol': { content: source } },
    settings: {
      evmVersion: 'paris',
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput;
  const diagnostics = output.errors ?? [];
  const errors = diagnostics.filter((e) => e.severity === 'error');
  if (errors.length > 0) {
    throw new Error(`solc failed to compile the verifier:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  }
  const contract = output.contracts?.['Verifier.sol']?.[contractName];
  if (!contract || contract.evm.bytecode.object.length === 0) {
    throw new Error(`solc output has no bytecode for contract ${contractName}`);
  }
  return {
    abi: contract.abi,
    bytecode: `0x${contract.evm.bytecode.object}`,
    deployedBytecode: `0x${contract.evm.deployedBytecode.object}`,
    deployedSize: contract.evm.deployedBytecode.object.length / 2,
    warnings: diagnostics.filter((e) => e.severity === 'warning').map((e) => e.formattedMessage),
    compilerVersion: solc.version() as string,
    contractName,
  };
}

/** Options for {@link exportVerifier}. */
export interface ExportVerifierOptions {
  readonly vkey: Groth16VerificationKey;
  /** Created if missing. */
  readonly outDir: string;
}

/** Paths written by {@link exportVerifier}, plus the compiled contract. */
export interface ExportedVerifier extends CompiledVerifier {
  readonly sourcePath: string;
  readonly abiPath: string;
  readonly binPath: string;
}

/**
 * Renders, compiles and writes `Verifier.sol`, `Verifier.abi.json` and `Verifier.bin` into
 * `outDir`, each atomically. `Verifier.bin` holds the creation bytecode as hex without `0x`,
 * the convention of `solc --bin`.
 */
export async function exportVerifier(options: ExportVerifierOptions): Promise<ExportedVerifier> {
  // Checked before compiling (seconds of solc); on failure no new file is left behind.
  checkOutputDir(options.outDir);
  return cleanupOnFailure(() => exportTo(options));
}

async function exportTo(options: ExportVerifierOptions): Promise<ExportedVerifier> {
  const source = renderVerifierSource(options.vkey);
  const compiled = await compileVerifier(source, verifierContractName(options.vkey));
  const outDir = resolve(options.outDir);
  ensureDir(outDir);
  const sourcePath = join(outDir, 'Verifier.sol');
  const abiPath = join(outDir, 'Verifier.abi.json');
  const binPath = join(outDir, 'Verifier.bin');
  writeFileAtomic(sourcePath, source);
  writeFileAtomic(abiPath, `${JSON.stringify(compiled.abi, null, 2)}\n`);
  writeFileAtomic(binPath, compiled.bytecode.slice(2));
  return { ...compiled, sourcePath, abiPath, binPath };
}

/**
 * The ABI of the template's only function, `verifyProof(uint[2], uint[2][2], uint[2], uint[n])`.
 * It depends only on the number of public signals, so calldata can be encoded without the
 * compiled artifacts. `c1`: the ultragroth contract's, with C₁ as a fourth `uint256[2]`.
 */
export function verifierAbi(nPublic: number, options: { readonly c1?: boolean } = {}): Abi {
  return [
    {
      type: 'function',
      name: 'verifyProof',
      stateMutability: 'view',
      inputs: [
        { name: '_pA', type: 'uint256[2]', internalType: 'uint256[2]' },
        { name: '_pB', type: 'uint256[2][2]', internalType: 'uint256[2][2]' },
        { name: '_pC', type: 'uint256[2]', internalType: 'uint256[2]' },
        // The ultragroth contract takes C₁ between C and the signals.
        ...(options.c1 ? [{ name: '_pC1', type: 'uint256[2]', internalType: 'uint256[2]' }] : []),
        { name: '_pubSignals', type: `uint256[${nPublic}]`, internalType: `uint256[${nPublic}]` },
      ],
      outputs: [{ name: '', type: 'bool', internalType: 'bool' }],
    },
  ];
}

/** The ABI of a key's `verifyProof`: {@link verifierAbi} or, for ultragroth, one more `uint256[2]` (C₁). */
export function verifierAbiFor(system: ProofSystem, nPublic: number): Abi {
  return verifierAbi(nPublic, { c1: system === 'ultragroth' });
}

type Pair = readonly [bigint, bigint];

/**
 * `verifyProof` arguments as bigints, in the order and layout the contract expects: A, B, C,
 * then (ultragroth only) C₁, then the public signals.
 */
export type VerifyProofArgs =
  | readonly [Pair, readonly [Pair, Pair], Pair, readonly bigint[]]
  | readonly [Pair, readonly [Pair, Pair], Pair, Pair, readonly bigint[]];

/** Result of {@link formatCalldata}. */
export interface FormattedCalldata {
  readonly args: VerifyProofArgs;
  /** The same text `snarkjs zkey export soliditycalldata` prints. */
  readonly text: string;
  /** ABI-encoded `verifyProof` call including the 4-byte selector, ready for `eth_call`. */
  readonly calldata: Hex;
}

function big(v: string | bigint | undefined, what: string): bigint {
  if (v === undefined) throw new Error(`proof is missing ${what}`);
  return BigInt(v);
}

/**
 * Formats a proof and its public signals as `verifyProof` arguments, for the contract of the
 * proof's system ({@link proofSystemOf}): an ultragroth proof's C₁ goes between C and the signals.
 *
 * The G2 point B is written with the two coordinates of each Fp2 pair swapped, because snarkjs
 * stores Fp2 as (c0, c1) while the EVM pairing precompile expects (c1, c0).
 */
export function formatCalldata(proof: Groth16Proof, publicSignals: PublicSignals): FormattedCalldata {
  const a = [big(proof.pi_a[0], 'pi_a[0]'), big(proof.pi_a[1], 'pi_a[1]')] as const;
  const b = [
    [big(proof.pi_b[0]?.[1], 'pi_b[0][1]'), big(proof.pi_b[0]?.[0], 'pi_b[0][0]')],
    [big(proof.pi_b[1]?.[1], 'pi_b[1][1]'), big(proof.pi_b[1]?.[0], 'pi_b[1][0]')],
  ] as const;
  const c = [big(proof.pi_c[0], 'pi_c[0]'), big(proof.pi_c[1], 'pi_c[1]')] as const;
  const pub = publicSignals.map((s) => BigInt(s));
  const system = proofSystemOf(proof);
  const c1 =
    system === 'ultragroth'
      ? ([big(proof.pi_c1?.[0], 'pi_c1[0]'), big(proof.pi_c1?.[1], 'pi_c1[1]')] as const)
      : undefined;
  const args: VerifyProofArgs = c1 ? [a, b, c, c1, pub] : [a, b, c, pub];
  const hex = (v: bigint) => `"0x${v.toString(16).padStart(64, '0')}"`;
  const pair = (p: readonly [bigint, bigint]) => `[${hex(p[0])}, ${hex(p[1])}]`;
  // For groth16 the same text as snarkjs; ultragroth adds C₁ in the same style.
  const text = `${pair(a)},[${pair(b[0])},${pair(b[1])}],${pair(c)},${c1 ? `${pair(c1)},` : ''}[${pub.map(hex).join(',')}]`;
  const calldata = encodeFunctionData({ abi: verifierAbiFor(system, pub.length), functionName: 'verifyProof', args });
  return { args, text, calldata };
}
