/**
 * Forgeries of what binds a proof to its model, input and output, each performed and expected
 * to fail: relabelled bundles under an unpinned key, edited bundle fields, stale batch bundles,
 * silent clamping, guessable commitments, and out-of-range public values — locally and on the
 * embedded EVM, whose verdict must equal the local one. (Spill between packed slots and the
 * exact bit widths are in test/circuits/pack.test.ts and test/circuits/bit-length.test.ts; the
 * fake on-chain verifier in test/chain/verify-chain-cli.test.ts.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commitValues } from '../../circuits/commitment.js';
import { FIELD_PRIME } from '../../circuits/field.js';
import { findViolatedConstraint } from '../../circuits/builder.js';
import { buildCircuit, inputCommitmentParams } from '../../src/compile/build-circuit.js';
import { compileCircuit } from '../../src/compile/compile-circuit.js';
import { readInputFile } from '../../src/onnx/input-file.js';
import { createProver, writeBundle } from '../../src/prove/prover.js';
import { shutdown } from '../../src/runtime/curve.js';
import { quantizeModel } from '../../src/quantize/quantize-model.js';
import { quantizeInput } from '../../src/quantize/quantize-input.js';
import { setupKeys } from '../../src/setup/setup-keys.js';
import { decodeR1cs } from '../../src/compile/r1cs-file.js';
import { addTrustedKey } from '../../src/verify/key-store.js';
import { verifyBundle, VerifyReport } from '../../src/verify/verify-bundle.js';
import { type ProofBundle } from '../../src/formats/bundle.js';
import { BASE_FIELD_PRIME } from '../../src/core/bn254.js';
import { verifyBundleWithChain } from '../../src/chain/verify-bundle-on-chain.js';
import { g2MembershipError } from '../../src/verify/groth16.js';
import { duplicateJsonKey } from '../../src/core/json.js';
import * as snarkjs from 'snarkjs';

const T = mkdtempSync(join(tmpdir(), 'zkinfer-binding-'));
const SAMPLE = 'models/samples/digit-3.json';
const shape = [1, 64];
const x3 = readInputFile(SAMPLE, shape);

/** Quantizes the digits MLP once; each build is a copy compiled with its own visibility and keys. */
async function build(
  name: string,
  input: 'public' | 'hashed',
  output: 'public' | 'packed' | 'hashed',
): Promise<string> {
  const dir = join(T, name);
  cpSync(join(T, 'q'), dir, { recursive: true });
  compileCircuit({ buildDir: dir, inputVisibility: input, outputVisibility: output });
  await setupKeys({ buildDir: dir });
  return dir;
}

let pub = '';
let hashed = '';
let attacker = '';
let honest: ProofBundle;
let honestPath = '';

before(async () => {
  await quantizeModel({
    modelPath: 'models/digits-mlp.onnx',
    outDir: join(T, 'q'),
    calibrationPath: 'models/calibration.json',
    inputPaths: [SAMPLE],
  });
  pub = await build('pub', 'public', 'public');
  hashed = await build('hashed', 'hashed', 'public');
  // Same model, same visibility, its own keys: what an attacker can make for itself.
  attacker = await build('attacker', 'hashed', 'public');
  const r = await createProver({ buildDir: hashed, fidelity: false }).prove(x3, { source: SAMPLE });
  honest = r.bundle;
  honestPath = join(hashed, 'proofs', 'digit-3.proof.json');
  writeBundle(honestPath, r);
});

after(async () => {
  await shutdown();
  rmSync(T, { recursive: true, force: true });
});

const check = (r: VerifyReport, name: string) => r.checks.find((c) => c.check === name);

test('an out-of-range public input has no satisfying witness: the circuit range-checks it', async () => {
  const model = JSON.parse(readFileSync(join(pub, 'model.quant.json'), 'utf8'));
  const r1cs = decodeR1cs(readFileSync(join(pub, 'circuit.r1cs')));
  const xq = quantizeInput(model, x3);
  const honestW = buildCircuit(model, xq, { inputVisibility: 'public', witnessOnly: true }).circuit.witness;
  assert.equal(findViolatedConstraint(r1cs.constraints, honestW), -1);
  const nOut = r1cs.nPubOut;
  // Pixel 0 → 415 (or any value past either end, or wrapped around the field), keeping every
  // other wire; and the same with the pixel's own 8 range-check bits re-derived from 415 mod 256.
  for (const bad of [BigInt(model.input.hi) + 1n, 415n, BigInt(model.input.lo) - 1n, FIELD_PRIME - 1n, 1n << 200n]) {
    const w = [...honestW];
    w[1 + nOut] = ((bad % FIELD_PRIME) + FIELD_PRIME) % FIELD_PRIME;
    assert.ok(findViolatedConstraint(r1cs.constraints, w) >= 0, `pixel ${bad} accepted`);
  }
  const withBits = buildCircuit(
    model,
    xq.map((v, i) => (i === 0 ? 415 % 256 : v)),
    { inputVisibility: 'public', witnessOnly: true },
  ).circuit.witness;
  withBits[1 + nOut] = 415n;
  assert.ok(findViolatedConstraint(r1cs.constraints, withBits) >= 0);
  assert.throws(
    () =>
      buildCircuit(
        model,
        xq.map((v, i) => (i === 0 ? 415 : v)),
        { inputVisibility: 'public' },
      ),
    /does not fit/,
  );
});

test('public input out of range in a bundle: local and embedded-EVM verdicts agree (both reject)', async () => {
  const r = await createProver({ buildDir: pub, fidelity: false }).prove(x3);
  const b = structuredClone(r.bundle);
  b.publicSignals[b.layout.input.offset] = '415';
  const rep = await verifyBundleWithChain({ bundle: b, vkeyPath: join(pub, 'vkey.json'), chain: { kind: 'embedded' } });
  assert.equal(rep.valid, false);
  assert.equal(check(rep, 'public-signals')?.ok, false);
  assert.equal(rep.chain?.valid, false, 'the contract accepted an out-of-range public input');
  const ok = await verifyBundleWithChain({
    bundle: r.bundle,
    vkeyPath: join(pub, 'vkey.json'),
    chain: { kind: 'embedded' },
  });
  assert.equal(ok.valid, true);
  assert.equal(ok.chain?.valid, true);
});

/** A point of the G2 twist (x = k for the first k ≥ 1 that lies on it) outside the order-r subgroup. */
async function twistPointOutsideSubgroup(): Promise<string[][]> {
  const c = (await snarkjs.curves.getCurveFromName('bn128')) as any;
  const F2 = c.G2.F;
  for (let x = F2.one; ; x = F2.add(x, F2.one)) {
    const rhs = F2.add(F2.mul(F2.square(x), x), c.G2.b);
    if (!F2.isSquare(rhs)) continue;
    const p = new Uint8Array(F2.n8 * 2);
    p.set(x);
    p.set(F2.sqrt(rhs), F2.n8);
    assert.equal(c.G2.isValid(p), true, 'snarkjs must see the point as valid, or the attack tests nothing');
    if (c.G2.isZero(c.G2.timesScalar(p, c.r))) continue;
    return c.G2.toObject(p).map((e: bigint[]) => e.map(String));
  }
}

test('pi_b on the G2 twist but outside the subgroup: refused by name, locally and on the embedded EVM', async () => {
  const b = structuredClone(honest);
  b.proof.pi_b = (await twistPointOutsideSubgroup()) as any;
  const rep = await verifyBundleWithChain({
    bundle: b,
    vkeyPath: join(hashed, 'vkey.json'),
    chain: { kind: 'embedded' },
  });
  assert.equal(rep.valid, false);
  assert.equal(rep.failed, 'proof');
  assert.match(check(rep, 'proof')!.detail, /outside its order-r subgroup/);
  assert.equal(rep.chain?.valid, false, 'the EVM pairing precompile accepted a non-subgroup point');
  assert.equal(await g2MembershipError(honest.proof), undefined, 'an honest proof point was refused');
});

test('a bundle with a duplicate key is refused by line: JSON readers disagree on which value counts', async () => {
  const vkeyPath = join(hashed, 'vkey.json');
  const text = readFileSync(honestPath, 'utf8');
  // A first-wins reader would see prediction 9; JSON.parse keeps the last (honest) value.
  const twice = text.replace('{', '{\n  "prediction": 9,');
  assert.notEqual(twice, text);
  writeFileSync(join(T, 'dup.json'), twice);
  // The error names the line of the second occurrence, the one a first-wins reader ignores.
  const secondLine = twice.split('\n').findIndex((l, i) => i > 1 && l.includes('"prediction"')) + 1;
  assert.ok(secondLine > 2, 'the honest bundle has a prediction field');
  await assert.rejects(
    verifyBundle({ bundlePath: join(T, 'dup.json'), vkeyPath }),
    new RegExp(`dup\\.json:${secondLine}: key "prediction" appears twice`),
  );
  assert.deepEqual(
    duplicateJsonKey('{"a": {"k": 1}, "b": {"k": 2}, "s": "\\"k\\": 3"}'),
    undefined,
    'equal keys in different objects are not duplicates',
  );
  assert.deepEqual(duplicateJsonKey('{"a": [{"k": 1, "x": 0}, {"x": 1,\n "x": 2}]}'), { key: 'x', line: 2 });
  assert.equal((await verifyBundle({ bundlePath: honestPath, vkeyPath })).valid, true);
});

test("relabelled bundle: an attacker's own key is never pinned, whatever the bundle claims", async () => {
  const victim = JSON.parse(readFileSync(join(hashed, 'vkey.json'), 'utf8'));
  const forged = (await createProver({ buildDir: attacker, fidelity: false }).prove(x3)).bundle;
  forged.modelId = honest.modelId;
  forged.setup = { kind: 'ptau' };
  const unpinned = await verifyBundle({
    bundle: forged,
    requireTrustedSetup: true,
    keyStoreDir: join(T, 'empty-store'),
  });
  assert.equal(unpinned.valid, false);
  assert.equal(unpinned.failed, 'pin');
  assert.equal(unpinned.pinned, false);
  assert.equal(unpinned.modelId, undefined);
  const allowed = await verifyBundle({
    bundle: forged,
    allowUnpinned: true,
    requireTrustedSetup: true,
    keyStoreDir: join(T, 'empty-store'),
  });
  assert.equal(allowed.pinned, false);
  assert.equal(allowed.valid, false, 'a trusted setup was reported for an unpinned key');
  assert.equal(check(allowed, 'trusted-setup')?.ok, false);
  assert.equal(allowed.modelId, undefined);
  assert.equal(allowed.setup, undefined);
  const byFile = await verifyBundle({ bundle: forged, vkeyPath: join(hashed, 'vkey.json') });
  assert.equal(byFile.failed, 'vkey');
  const byHash = await verifyBundle({ bundle: forged, vkeyHash: honest.vkeyHash });
  assert.equal(byHash.failed, 'pin');
  const store = join(T, 'store');
  addTrustedKey({ vkeyPath: join(hashed, 'vkey.json'), name: 'victim', dir: store });
  assert.equal((await verifyBundle({ bundle: forged, keyStoreDir: store })).failed, 'pin');
  const good = await verifyBundle({ bundle: honest, keyStoreDir: store });
  assert.equal(good.valid, true, JSON.stringify(good.checks));
  assert.equal(good.keySource, 'store');
  assert.equal(good.modelId, victim.zkinfer.modelId);
  assert.equal((await verifyBundle({ bundle: honest, vkeyHash: honest.vkeyHash })).valid, true);
});

test('every bundle field is either compared or listed as unverified; unknown fields are refused', async () => {
  const vkeyPath = join(hashed, 'vkey.json');
  const edits: Array<[string, (b: any) => void, string]> = [
    ['input.commitment', (b) => (b.input.commitment = '123'), 'bundle-fields'],
    ['input.lo', (b) => (b.input.lo -= 1), 'bundle-fields'],
    ['input.hi', (b) => (b.input.hi += 1), 'bundle-fields'],
    ['input.frac', (b) => (b.input.frac += 1), 'bundle-fields'],
    ['output.shape', (b) => (b.output.shape = [10, 1]), 'bundle-fields'],
    ['output.frac', (b) => (b.output.frac += 1), 'bundle-fields'],
    ['output.values', (b) => (b.output.values[0] += 0.5), 'public-signals'],
    ['output.integers', (b) => (b.output.integers[7] = '99999'), 'public-signals'],
    ['output.softmax', (b) => (b.output.softmax = b.output.values), 'public-signals'],
    ['prediction', (b) => (b.prediction = 7), 'public-signals'],
    ['quantization', (b) => (b.quantization.weightBits = 4), 'bundle-fields'],
    ['layout', (b) => (b.layout.output.visibility = 'packed'), 'bundle-fields'],
    ['setup', (b) => (b.setup = { kind: 'ptau' }), 'bundle-fields'],
    ['modelId', (b) => (b.modelId = 'ab'.repeat(32)), 'model-id'],
    ['vkey', (b) => (b.vkey.zkinfer.modelId = 'ab'.repeat(32)), 'vkey'],
    ['vkeyHash', (b) => (b.vkeyHash = 'cd'.repeat(32)), 'vkey'],
    ['unknown field', (b) => (b.verifiedBy = 'me'), 'format'],
    ['unknown nested field', (b) => (b.output.trusted = true), 'format'],
    ['hex signal', (b) => (b.publicSignals[0] = '0x' + BigInt(b.publicSignals[0]).toString(16)), 'format'],
    ['signal + r', (b) => (b.publicSignals[0] = String(BigInt(b.publicSignals[0]) + FIELD_PRIME)), 'format'],
    ['leading zero', (b) => (b.proof.pi_a[0] = '0' + b.proof.pi_a[0]), 'format'],
    ['projective z', (b) => (b.proof.pi_c[2] = '2'), 'format'],
    ['coordinate + p', (b) => (b.proof.pi_a[0] = String(BigInt(b.proof.pi_a[0]) + BASE_FIELD_PRIME)), 'format'],
    ['embedded key on another curve', (b) => (b.vkey.curve = 'bls12381'), 'format'],
    [
      'embedded key with Solidity in a coordinate',
      (b) => (b.vkey.IC[0][0] = '1); selfdestruct(payable(msg.sender)); (1'),
      'format',
    ],
  ];
  for (const [name, edit, failed] of edits) {
    const b = structuredClone(honest) as any;
    edit(b);
    const r = await verifyBundle({ bundle: b, vkeyPath });
    assert.equal(r.valid, false, `${name} edit accepted`);
    assert.equal(r.failed, failed, `${name}: ${JSON.stringify(r.checks.find((c) => !c.ok))}`);
  }
  const ok = await verifyBundle({ bundle: honest, vkeyPath });
  assert.deepEqual(ok.unverified, ['input.source', 'input.clamped', 'tool', 'createdAt']);
  for (const [name, edit] of [
    ['input.source', (b: any) => (b.input.source = 'elsewhere.json')],
    ['fidelity', (b: any) => (b.fidelity = { floatOutput: [1], floatPrediction: 0, maxAbsError: 0 })],
  ] as const) {
    const b = structuredClone(honest) as any;
    edit(b);
    const r = await verifyBundle({ bundle: b, vkeyPath });
    assert.equal(r.valid, true, name);
    assert.ok(r.unverified.includes(name), `${name} not listed as unverified`);
  }
});

test('hashed input: blinded commitment, opening checks, and a dictionary attack fails', async () => {
  const prover = createProver({ buildDir: hashed, fidelity: false });
  const again = await prover.prove(x3);
  assert.notEqual(again.bundle.input.commitment, honest.input.commitment, 'same input, same commitment: no blinding');
  const model = JSON.parse(readFileSync(join(hashed, 'model.quant.json'), 'utf8'));
  const unblinded = await commitValues(quantizeInput(model, x3).map(BigInt), inputCommitmentParams(model.input));
  assert.notEqual(String(unblinded), honest.input.commitment, 'hashing the candidate input finds the commitment');
  const openingPath = join(hashed, 'proofs', 'digit-3.opening.json');
  const vkeyPath = join(hashed, 'vkey.json');
  const good = await verifyBundle({ bundlePath: honestPath, vkeyPath, inputPath: SAMPLE, openingPath });
  assert.equal(good.valid, true, JSON.stringify(good.checks));
  const other = readInputFile('models/samples/digit-7.json', shape);
  writeFileSync(join(T, 'seven.json'), JSON.stringify(Array.from(other)));
  const wrongInput = await verifyBundle({
    bundlePath: honestPath,
    vkeyPath,
    inputPath: join(T, 'seven.json'),
    openingPath,
  });
  assert.equal(wrongInput.failed, 'input-commitment');
  const opening = JSON.parse(readFileSync(openingPath, 'utf8'));
  for (const [name, edit] of [
    ['blinding', (o: any) => (o.input.blinding = String(BigInt(o.input.blinding) + 1n))],
    ['integers', (o: any) => (o.input.integers[5] = String(Number(o.input.integers[5]) ^ 1))],
  ] as const) {
    const o = structuredClone(opening);
    edit(o);
    writeFileSync(join(T, 'bad-opening.json'), JSON.stringify(o));
    assert.equal(
      (await verifyBundle({ bundlePath: honestPath, vkeyPath, openingPath: join(T, 'bad-opening.json') })).failed,
      'opening',
      name,
    );
  }
  const noOpening = await verifyBundle({ bundlePath: honestPath, vkeyPath, inputPath: SAMPLE });
  assert.equal(noOpening.failed, 'input-commitment');
});

test('hashed output: the bundle reveals nothing; the opening reveals and proves the prediction', async () => {
  const dir = await build('hashed-out', 'hashed', 'hashed');
  const r = await createProver({ buildDir: dir, fidelity: false }).prove(x3);
  assert.equal(r.bundle.output.integers, undefined);
  assert.equal(r.bundle.prediction, undefined);
  const bundlePath = join(dir, 'proofs', 'x.proof.json');
  writeBundle(bundlePath, r);
  const vkeyPath = join(dir, 'vkey.json');
  const closed = await verifyBundle({ bundlePath, vkeyPath });
  assert.equal(closed.valid, true);
  assert.equal(closed.prediction, undefined);
  const open = await verifyBundle({ bundlePath, vkeyPath, openingPath: join(dir, 'proofs', 'x.opening.json') });
  assert.equal(open.valid, true, JSON.stringify(open.checks));
  assert.equal(open.prediction, 3);
  const leaked = structuredClone(r.bundle) as any;
  leaked.prediction = 3;
  assert.equal((await verifyBundle({ bundle: leaked, vkeyPath })).failed, 'public-signals');
});

test('clamped inputs are counted, reported on verify, and refused with strictRange', async () => {
  const prover = createProver({ buildDir: hashed, fidelity: false });
  const wild = Float64Array.from(x3, (v, i) => (i < 5 ? -1e6 : v));
  const r = await prover.prove(wild, { source: 'wild.json' });
  assert.equal(r.bundle.input.clamped, 5);
  await assert.rejects(
    prover.prove(wild, { source: 'wild.json', strictRange: true }),
    /5 value\(s\) outside the quantized input range/,
  );
  const bundlePath = join(T, 'wild.proof.json');
  writeBundle(bundlePath, r);
  writeFileSync(join(T, 'wild.json'), JSON.stringify(Array.from(wild)));
  const rep = await verifyBundle({
    bundlePath,
    vkeyPath: join(hashed, 'vkey.json'),
    inputPath: join(T, 'wild.json'),
    openingPath: join(T, 'wild.opening.json'),
  });
  assert.equal(rep.valid, true);
  assert.equal(rep.inputClamped, 5);
  assert.match(check(rep, 'input-commitment')!.detail, /only after clamping 5 value/);
});
