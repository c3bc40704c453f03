import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { R1csBuilder, findViolatedConstraint, type BuiltCircuit } from '../../circuits/builder.js';
import { requantize, requantizeAccBits } from '../../circuits/requantize.js';
import { encodeR1cs, encodeWtns } from '../../src/compile/r1cs-file.js';
import { buildBn128 } from 'ffjavascript';
import { FIELD_PRIME } from '../../circuits/field.js';
import { devSetup } from '../../src/setup/dev/dev-setup.js';
import { benchCircuit } from '../../tools/bench/bench-dev-setup.js';
import { bn128Wasm, FixedBaseEngine, SCALAR_BYTES } from '../../src/setup/dev/fixed-base.js';
import { batchAddPlugin } from '../../src/setup/dev/wasm-batch-add.js';

const dir = await mkdtemp(join(tmpdir(), 'zkinfer-dev-setup-'));

after(async () => {
  await rm(dir, { recursive: true, force: true });
  // snarkjs keeps a multi-threaded curve in this global; without terminating it node never exits.
  await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate();
});

/** Two public inputs, one private input, products, a requantization and a public output. */
function requantizeCircuit(): BuiltCircuit {
  const b = new R1csBuilder();
  const x = b.input(7n, 'public');
  const y = b.input(-3n, 'public');
  const z = b.input(5n, 'private');
  const acc = b.add(b.mul(b.mul(x, y), z), b.mul(z, z));
  const params = { shift: 2, outBits: 8, lowerOffset: 128n, accBits: 0 };
  params.accBits = requantizeAccBits(-1000n, 1000n, params);
  b.exposeOutput(requantize(b, acc, { ...params }));
  return b.finalize();
}

/** Only private inputs and no outputs: nPublic = 0, IC holds just the constant-one point. */
function privateOnlyCircuit(): BuiltCircuit {
  const b = new R1csBuilder();
  const s = b.input(11n, 'private');
  const t = b.input(4n, 'private');
  b.assertEqual(b.mul(b.mul(s, t), s), b.constant(484n));
  return b.finalize();
}

interface Keys {
  zkey: string;
  vkeyPath: string;
  vkey: object;
}

async function writeCircuit(name: string, c: BuiltCircuit): Promise<{ r1cs: string; wtns: string }> {
  assert.equal(findViolatedConstraint(c.constraints, c.witness), -1);
  const r1cs = join(dir, `${name}.r1cs`);
  const wtns = join(dir, `${name}.wtns`);
  await writeFile(r1cs, encodeR1cs(c));
  await writeFile(wtns, encodeWtns(c.witness));
  return { r1cs, wtns };
}

async function setup(name: string, r1cs: string, threads?: number): Promise<Keys> {
  const zkey = join(dir, `${name}.zkey`);
  const vkeyPath = join(dir, `${name}.vkey.json`);
  const res = await devSetup({ r1csPath: r1cs, zkeyPath: zkey, vkeyPath, threads });
  return { zkey, vkeyPath, vkey: res.vkey };
}

test('fixed-base engine matches ffjavascript scalar multiplication, edge scalars included', async () => {
  const curve = await buildBn128(true, batchAddPlugin);
  try {
    const engine = await FixedBaseEngine.create(await bn128Wasm(curve));
    const scalars = [
      0n,
      1n,
      2n,
      3n,
      FIELD_PRIME - 1n,
      FIELD_PRIME - 2n,
      1n << 253n,
      (1n << 200n) + 12345n,
      0xffffn,
      1n << 26n,
    ];
    for (let i = 0; i < 40; i++)
      scalars.push((BigInt(i + 1) * 0x9e3779b97f4a7c15f39cc0605cedc8341082276bf3a27251n) % FIELD_PRIME);
    const buf = new Uint8Array(scalars.length * SCALAR_BYTES);
    scalars.forEach((s, i) => {
      for (let j = 0; j < SCALAR_BYTES; j++) buf[i * SCALAR_BYTES + j] = Number((s >> BigInt(8 * j)) & 0xffn);
    });
    for (const group of ['G1', 'G2'] as const) {
      const G = curve[group];
      const size = FixedBaseEngine.affineBytes(group);
      const got = engine.mulGenerator(group, buf.slice());
      scalars.forEach((s, i) => {
        const want = new Uint8Array(size);
        G.toRprLEM(want, 0, G.timesScalar(G.g, s));
        assert.deepEqual(got.subarray(i * size, (i + 1) * size), want, `${group} · ${s}`);
      });
    }
  } finally {
    await curve.terminate();
  }
});

test('dev-setup keys prove and verify with snarkjs, and reject what they must', async () => {
  const c = requantizeCircuit();
  const { r1cs, wtns } = await writeCircuit('rq', c);
  const k1 = await setup('rq1', r1cs);
  const k2 = await setup('rq2', r1cs, 1);

  const { proof, publicSignals } = await snarkjs.groth16.prove(k1.zkey, wtns);
  assert.equal(publicSignals.length, c.nPubOut + c.nPubIn);
  assert.deepEqual(publicSignals, c.witness.slice(1, 1 + publicSignals.length).map(String));
  assert.equal(await snarkjs.groth16.verify(k1.vkey, publicSignals, proof), true);

  const tampered = structuredClone(proof);
  tampered.pi_a[0] = (BigInt(tampered.pi_a[0]) + 1n).toString();
  assert.equal(await snarkjs.groth16.verify(k1.vkey, publicSignals, tampered), false);

  const wrongSignals = [...publicSignals];
  wrongSignals[0] = (BigInt(wrongSignals[0]) + 1n).toString();
  assert.equal(await snarkjs.groth16.verify(k1.vkey, wrongSignals, proof), false);

  // Independent toxic waste: a proof under the second key must not verify under the first.
  const other = await snarkjs.groth16.prove(k2.zkey, wtns);
  assert.equal(await snarkjs.groth16.verify(k2.vkey, other.publicSignals, other.proof), true);
  assert.equal(await snarkjs.groth16.verify(k1.vkey, other.publicSignals, other.proof), false);
  assert.notDeepEqual(k1.vkey, k2.vkey);

  // The returned vkey, the file and snarkjs's own export agree exactly.
  const exported = await snarkjs.zKey.exportVerificationKey(k1.zkey);
  assert.deepEqual(exported, k1.vkey);
  assert.deepEqual(JSON.parse(await readFile(k1.vkeyPath, 'utf8')), k1.vkey);
});

test('dev-setup handles a circuit without public signals', async () => {
  const c = privateOnlyCircuit();
  assert.equal(c.nPubOut + c.nPubIn, 0);
  const { r1cs, wtns } = await writeCircuit('priv', c);
  const k = await setup('priv', r1cs);
  const { proof, publicSignals } = await snarkjs.groth16.prove(k.zkey, wtns);
  assert.deepEqual(publicSignals, []);
  assert.equal(await snarkjs.groth16.verify(k.vkey, publicSignals, proof), true);
  const tampered = structuredClone(proof);
  tampered.pi_c[1] = (BigInt(tampered.pi_c[1]) + 1n).toString();
  assert.equal(await snarkjs.groth16.verify(k.vkey, publicSignals, tampered), false);
  assert.deepEqual(await snarkjs.zKey.exportVerificationKey(k.zkey), k.vkey);
});

test('dev-setup on a circuit that fills its domain exactly (2^10 rows)', async () => {
  const c = benchCircuit(10);
  const { r1cs, wtns } = await writeCircuit('full', c);
  const k = await setup('full', r1cs);
  const header = await snarkjs.zKey.exportJson(k.zkey);
  assert.equal(header.domainSize, 1024);
  assert.equal(header.nVars, c.nWires);
  const { proof, publicSignals } = await snarkjs.groth16.prove(k.zkey, wtns);
  assert.equal(await snarkjs.groth16.verify(k.vkey, publicSignals, proof), true);
});

test('dev-setup leaves no temporary files and reports a missing r1cs', async () => {
  await assert.rejects(
    devSetup({ r1csPath: join(dir, 'missing.r1cs'), zkeyPath: join(dir, 'missing.zkey') }),
    /ENOENT/,
  );
  assert.deepEqual(
    (await readdir(dir)).filter((f) => f.includes('.tmp-')),
    [],
  );
});
