/**
 * On-chain verification end to end: real Groth16 keys and proofs from snarkjs, the snarkjs
 * Solidity verifier compiled with solc-js, run in the embedded EVM and on a local anvil node.
 * Every verdict is checked against snarkjs.groth16.verify.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as snarkjs from 'snarkjs';
import { decodeFunctionData, toFunctionSelector, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAddress } from 'viem/accounts';
import { R1csBuilder, type BuiltCircuit } from '../../circuits/builder.js';
import { FIELD_PRIME } from '../../circuits/field.js';
import { BASE_FIELD_PRIME } from '../../src/core/bn254.js';
import { createDevPtau, devGroth16, ptauPowerFor, type DevGroth16 } from '../../tools/bench/bench-gas.js';
import { verifyOnEmbeddedEvm } from '../../src/chain/embedded-evm.js';
import { verifyOnRpc } from '../../src/chain/rpc.js';
import { anvilBinary, freePort, rpc, stop, waitForNode } from '../helpers/anvil.js';
import {
  compileVerifier,
  exportVerifier,
  formatCalldata,
  MAX_DEPLOYED_CODE_SIZE,
  renderVerifierSource,
  verifierAbi,
  type CompiledVerifier,
  type Groth16Proof,
  type PublicSignals,
} from '../../src/chain/verifier-contract.js';

/** BN254 base field modulus: proof coordinates live here. */
const BASE_PRIME = BASE_FIELD_PRIME;

after(async () => {
  // snarkjs keeps curve worker threads alive; without this node never exits.
  await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate();
});

/** Two public inputs, two private inputs, three products, two public outputs: 4 public signals. */
function circuitA(): BuiltCircuit {
  const b = new R1csBuilder();
  const x = b.input(3n, 'public');
  const y = b.input(5n, 'public');
  const w = b.input(7n, 'private');
  const v = b.input(2n, 'private');
  const p = b.mul(x, w);
  const q = b.mul(p, y);
  b.exposeOutput(b.mul(q, v));
  b.exposeOutput(b.add(p, y));
  return b.finalize();
}

/** A different circuit with the same public shape, so its proofs fit circuit A's verifier. */
function circuitB(): BuiltCircuit {
  const b = new R1csBuilder();
  const x = b.input(4n, 'public');
  const y = b.input(6n, 'public');
  const w = b.input(9n, 'private');
  b.exposeOutput(b.mul(x, y));
  b.exposeOutput(b.add(b.mul(w, w), x));
  return b.finalize();
}

interface Case {
  readonly name: string;
  readonly proof: Groth16Proof;
  readonly publicSignals: PublicSignals;
  readonly expected: boolean;
}

interface Fixture {
  readonly a: DevGroth16;
  readonly compiled: CompiledVerifier;
  readonly cases: readonly Case[];
}

const bump = (v: string | bigint | undefined, p: bigint): string => ((BigInt(v!) + 1n) % p).toString();

function tamperedCases(a: DevGroth16): Case[] {
  const { proof, publicSignals } = a;
  const cases: Case[] = [
    { name: 'valid proof', proof, publicSignals, expected: true },
    {
      name: 'pi_a x + 1',
      proof: { ...proof, pi_a: [bump(proof.pi_a[0], BASE_PRIME), ...proof.pi_a.slice(1)] },
      publicSignals,
      expected: false,
    },
    {
      name: 'pi_b[1][0] + 1',
      proof: {
        ...proof,
        pi_b: [proof.pi_b[0]!, [bump(proof.pi_b[1]![0], BASE_PRIME), proof.pi_b[1]![1]!], ...proof.pi_b.slice(2)],
      },
      publicSignals,
      expected: false,
    },
    {
      name: 'pi_c y + 1',
      proof: { ...proof, pi_c: [proof.pi_c[0]!, bump(proof.pi_c[1], BASE_PRIME), ...proof.pi_c.slice(2)] },
      publicSignals,
      expected: false,
    },
  ];
  publicSignals.forEach((_, i) => {
    const changed = publicSignals.map((s, j) => (j === i ? bump(s, FIELD_PRIME) : s));
    cases.push({ name: `public signal ${i} + 1`, proof, publicSignals: changed, expected: false });
  });
  // The same value plus r: equal mod r, so only the verifier's field check rejects it.
  const aliased = publicSignals.map((s, j) => (j === 0 ? (BigInt(s) + FIELD_PRIME).toString() : s));
  cases.push({ name: 'public signal 0 + r (aliased)', proof, publicSignals: aliased, expected: false });
  return cases;
}

let fixture: Promise<Fixture> | undefined;

function getFixture(): Promise<Fixture> {
  fixture ??= (async () => {
    const circuit = circuitA();
    const other = circuitB();
    const ptau = await createDevPtau({ power: Math.max(ptauPowerFor(circuit), ptauPowerFor(other)) });
    const a = await devGroth16({ circuit, ptau });
    const b = await devGroth16({ circuit: other, ptau });
    const aAgain = await devGroth16({ circuit, ptau });
    const compiled = await compileVerifier(renderVerifierSource(a.vkey));
    const cases = [
      ...tamperedCases(a),
      { name: "proof from another circuit's keys", proof: b.proof, publicSignals: b.publicSignals, expected: false },
      {
        name: 'same circuit, independent setup',
        proof: aAgain.proof,
        publicSignals: aAgain.publicSignals,
        expected: false,
      },
    ];
    for (const c of cases) {
      const reference = (await snarkjs.groth16.verify(a.vkey, c.publicSignals, c.proof)) as boolean;
      assert.equal(reference, c.expected, `snarkjs verdict for ${c.name}`);
    }
    return { a, compiled, cases };
  })();
  return fixture;
}

test('renders exactly the verifier snarkjs exports', async () => {
  const { a } = await getFixture();
  const snarkjsMain = fileURLToPath(import.meta.resolve('snarkjs'));
  const template = await readFile(join(dirname(snarkjsMain), 'templates', 'verifier_groth16.sol.ejs'), 'utf8');
  const reference = (await snarkjs.zKey.exportSolidityVerifier(a.zkey, { groth16: template })) as string;
  assert.equal(renderVerifierSource(a.vkey), reference);
  assert.throws(
    () => renderVerifierSource({ ...a.vkey, nPublic: 0, IC: a.vkey.IC.slice(0, 1) }),
    /at least one public signal/,
  );
  assert.throws(
    () => renderVerifierSource({ ...a.vkey, protocol: 'plonk' }),
    /not supported \(expected groth16 or ultragroth\)/,
  );
});

test('compiles without PUSH0 and with the expected ABI; surfaces solc errors', async (t) => {
  const { a, compiled } = await getFixture();
  assert.deepEqual(compiled.abi, verifierAbi(a.publicSignals.length));
  assert.ok(compiled.deployedSize > 0 && compiled.deployedSize < MAX_DEPLOYED_CODE_SIZE);
  t.diagnostic(
    `solc ${compiled.compilerVersion}, ${compiled.warnings.length} warnings, runtime ${compiled.deployedSize} bytes`,
  );
  // Paris has no PUSH0: a valid verdict under it proves the bytecode avoids it.
  const paris = await verifyOnEmbeddedEvm({
    ...compiled,
    proof: a.proof,
    publicSignals: a.publicSignals,
    hardfork: 'paris',
  });
  assert.equal(paris.valid, true);
  await assert.rejects(
    compileVerifier('contract Broken { function f() public { missing(); } }'),
    /solc failed to compile[\s\S]*missing/,
  );
});

test('exportVerifier writes the three artifacts and no temp files', async () => {
  const { a } = await getFixture();
  const dir = await mkdtemp(join(tmpdir(), 'zkinfer-chain-'));
  try {
    const out = await exportVerifier({ vkey: a.vkey, outDir: join(dir, 'nested') });
    assert.equal(await readFile(out.sourcePath, 'utf8'), renderVerifierSource(a.vkey));
    assert.deepEqual(JSON.parse(await readFile(out.abiPath, 'utf8')), out.abi);
    assert.equal(`0x${await readFile(out.binPath, 'utf8')}`, out.bytecode);
    assert.deepEqual((await readdir(join(dir, 'nested'))).sort(), [
      'Verifier.abi.json',
      'Verifier.bin',
      'Verifier.sol',
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('formatCalldata matches snarkjs soliditycalldata and ABI-encodes verifyProof', async () => {
  const { a } = await getFixture();
  const n = a.publicSignals.length;
  const formatted = formatCalldata(a.proof, a.publicSignals);
  assert.equal(formatted.text, (await snarkjs.groth16.exportSolidityCallData(a.proof, a.publicSignals)) as string);
  const selector = toFunctionSelector(`verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[${n}])`);
  assert.ok(formatted.calldata.startsWith(selector));
  assert.equal(formatted.calldata.length, 2 + 2 * (4 + 32 * (8 + n)));
  const decoded = decodeFunctionData({ abi: verifierAbi(n), data: formatted.calldata });
  assert.deepEqual(decoded.args, formatted.args);
  // B's Fp2 coordinates are swapped for the precompile.
  assert.equal(formatted.args[1][0][0], BigInt(a.proof.pi_b[0]![1]!));
});

test('embedded EVM agrees with snarkjs on valid and tampered proofs', async (t) => {
  const { compiled, cases } = await getFixture();
  for (const c of cases) {
    const r = await verifyOnEmbeddedEvm({ ...compiled, proof: c.proof, publicSignals: c.publicSignals });
    assert.equal(r.valid, c.expected, c.name);
    if (c.expected) {
      assert.ok(r.gasUsed > 150_000n && r.gasUsed < 400_000n, `verify gas ${r.gasUsed}`);
      assert.ok(r.deployGas > 200_000n && r.deployGas < 1_000_000n, `deploy gas ${r.deployGas}`);
      t.diagnostic(`embedded EVM: verify ${r.gasUsed} gas, deploy ${r.deployGas} gas`);
    }
  }
});

test('anvil agrees with snarkjs and the embedded EVM', async (t) => {
  const { a, compiled, cases } = await getFixture();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // Pinned to the embedded EVM's rules so gas can be compared exactly.
  const args = ['--host', '127.0.0.1', '--port', String(port), '--silent', '--hardfork', 'osaka'];
  const child = spawn(anvilBinary(), args, { stdio: 'ignore' });
  const spawned = new Promise<void>((ok, fail) => child.once('spawn', ok).once('error', fail));
  try {
    await spawned;
    await waitForNode(url, child);
    const embedded = await verifyOnEmbeddedEvm({ ...compiled, proof: a.proof, publicSignals: a.publicSignals });

    // Deploy from the node's unlocked account, measure with the corrected estimate.
    const first = await verifyOnRpc({ url, ...compiled, proof: a.proof, publicSignals: a.publicSignals });
    assert.equal(first.deployed, true);
    assert.equal(first.valid, true);
    assert.equal(first.gasSource, 'estimate');
    assert.ok(first.gas >= embedded.gasUsed && first.gas <= (embedded.gasUsed * 103n) / 100n, `estimate ${first.gas}`);

    for (const c of cases) {
      const r = await verifyOnRpc({
        url,
        ...compiled,
        address: first.address,
        proof: c.proof,
        publicSignals: c.publicSignals,
      });
      assert.equal(r.deployed, false);
      assert.equal(r.address, first.address);
      assert.equal(r.valid, c.expected, c.name);
    }

    // Deploy again from a fresh funded key and measure with a real transaction.
    const privateKey: Hex = generatePrivateKey();
    await rpc(url, 'anvil_setBalance', [privateKeyToAddress(privateKey), '0x56bc75e2d63100000']);
    const viaTx = await verifyOnRpc({
      url,
      ...compiled,
      privateKey,
      gasSource: 'transaction',
      proof: a.proof,
      publicSignals: a.publicSignals,
    });
    assert.equal(viaTx.deployed, true);
    assert.notEqual(viaTx.address, first.address);
    assert.equal(viaTx.valid, true);
    assert.equal(viaTx.gas, embedded.gasUsed);
    t.diagnostic(`anvil: receipt ${viaTx.gas} gas, estimate ${first.gas} gas, embedded ${embedded.gasUsed} gas`);

    await assert.rejects(
      verifyOnRpc({
        url,
        ...compiled,
        address: privateKeyToAddress(privateKey),
        proof: a.proof,
        publicSignals: a.publicSignals,
      }),
      /no contract code/,
    );
  } finally {
    await stop(child);
  }
});
