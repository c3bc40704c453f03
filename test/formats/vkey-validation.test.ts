/**
 * Verification keys are validated before use (issue 14): the Solidity-injection attack (an IC
 * coordinate holding Solidity code) is refused by export-verifier with exit 2 and nothing
 * written; non-canonical coordinates, points off the curve or the twist, projective points
 * and other curves or protocols are refused naming the field; a real key passes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/core/errors.js';
import { runCaptured } from '../../tools/fuzz/harness.js';
import { compileCircuit } from '../../src/compile/compile-circuit.js';
import { quantizeModel } from '../../src/quantize/quantize-model.js';
import { setupKeys } from '../../src/setup/setup-keys.js';
import { validateVkey } from '../../src/formats/vkey.js';
import { BASE_FIELD_PRIME as BN254_P } from '../../src/core/bn254.js';
import { shutdown } from '../../src/runtime/curve.js';
import { MODELS } from '../helpers/paths.js';

const T = mkdtempSync(join(tmpdir(), 'zkinfer-vkey-'));
const BUILD = join(T, 'build');
let vkey: any;

before(async () => {
  await quantizeModel({
    modelPath: join(MODELS, 'digits-mlp.onnx'),
    outDir: BUILD,
    calibrationPath: join(MODELS, 'calibration.json'),
  });
  compileCircuit({ buildDir: BUILD, outputVisibility: 'packed' });
  vkey = (await setupKeys({ buildDir: BUILD })).vkey;
});

after(async () => {
  rmSync(T, { recursive: true, force: true });
  await shutdown();
});

const edited = (f: (k: any) => void) => {
  const k = structuredClone(vkey);
  f(k);
  return k;
};
const refusedWith = (k: unknown, pattern: RegExp) =>
  assert.throws(
    () => validateVkey(k, 'vkey.json'),
    (e: unknown) => e instanceof UserError && pattern.test(e.message) && !e.message.includes('\n'),
  );

test('a real dev-setup key passes', () => {
  assert.deepEqual(validateVkey(vkey, 'vkey.json'), vkey);
});

test('Solidity injection: export-verifier refuses an IC coordinate holding code, writes nothing', async () => {
  const dir = join(T, 'inject');
  cpSync(BUILD, dir, { recursive: true });
  const k = JSON.parse(readFileSync(join(dir, 'vkey.json'), 'utf8'));
  k.IC[1][0] = '1); } function steal() public { selfdestruct(payable(msg.sender)); } function f() public { uint x = (1';
  writeFileSync(join(dir, 'vkey.json'), JSON.stringify(k));
  const out = join(T, 'verifier-out');
  const r = await runCaptured(['export-verifier', dir, '--out', out]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /^zkinfer: .*vkey\.json: malformed verification key: field IC\[1\]\[0\]: not a canonical decimal number\n$/,
  );
  assert.ok(!existsSync(out));
});

test('non-canonical encodings of a coordinate are refused', () => {
  const x = vkey.vk_alpha_1[0] as string;
  refusedWith(
    edited((k) => (k.vk_alpha_1[0] = (BigInt(x) + BN254_P).toString())),
    /field vk_alpha_1\[0\]: not a field element/,
  );
  refusedWith(
    edited((k) => (k.vk_alpha_1[0] = `0${x}`)),
    /field vk_alpha_1\[0\]: not a canonical decimal/,
  );
  refusedWith(
    edited((k) => (k.vk_alpha_1[0] = `0x${BigInt(x).toString(16)}`)),
    /not a canonical decimal/,
  );
  refusedWith(
    edited((k) => (k.vk_alpha_1[0] = BigInt(x).toString().replace(/^/, '+'))),
    /not a canonical decimal/,
  );
  refusedWith(
    edited((k) => (k.IC[0][0] = Number(k.IC[0][0]))),
    /field IC\[0\]\[0\]/,
  );
});

test('points off the curve, off the twist, or not affine are refused', () => {
  refusedWith(
    edited((k) => (k.IC[0][1] = ((BigInt(k.IC[0][1]) + 1n) % BN254_P).toString())),
    /field IC\[0\]: not a point on the bn128 curve \(G1\)/,
  );
  refusedWith(
    edited((k) => (k.vk_delta_2[1][0] = ((BigInt(k.vk_delta_2[1][0]) + 1n) % BN254_P).toString())),
    /field vk_delta_2: not a point on the bn128 twist \(G2\)/,
  );
  refusedWith(
    edited((k) => (k.vk_alpha_1[2] = '2')),
    /field vk_alpha_1: not affine/,
  );
  refusedWith(
    edited((k) => (k.vk_beta_2[2] = ['1', '1'])),
    /field vk_beta_2: not affine/,
  );
  refusedWith(
    edited((k) => k.IC.pop()),
    /field IC: has \d+ points for nPublic/,
  );
});

test('other curves and protocols are refused up front, without touching the points', () => {
  refusedWith(
    edited((k) => (k.curve = 'bls12381')),
    /curve "bls12381" is not supported \(expected bn128\)/,
  );
  refusedWith(
    edited((k) => (k.protocol = 'plonk')),
    /protocol "plonk" is not supported \(expected groth16 or ultragroth\)/,
  );
  refusedWith({ protocol: 'groth16', curve: 'bls12381', IC: 'x'.repeat(1e6) }, /curve "bls12381"/);
  refusedWith(null, /protocol "undefined" is not supported/);
});
