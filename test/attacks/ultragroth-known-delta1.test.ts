/**
 * Attack: an ultragroth key whose δ₁ the prover knows (issue 20). The key is made from the trusted
 * ptau by `ceremony init` (δ = δ₁ = 1) and two "contributions" that move δ by real secrets but
 * leave δ₁ at 1, each with a valid proof of knowledge of the secret 1 for its δ₁ part. Every other
 * part of the key is exactly what the ptau and the circuit give. With δ₁ = 1 and γ = 1 known, the
 * prover forges (test/helpers/forge-ultragroth.ts) a bundle claiming another output for the same
 * committed input:
 * - plain `verify` (pinned key, no trust requirement) ACCEPTS it: the proof's checks cannot tell
 *   a key's trapdoor is known, which is why keys must be trusted, not just pinned;
 * - `ceremony verify` and `verify --require-trusted-setup` REJECT it (exit 1), naming the first
 *   contribution's δ₁ part that leaves δ₁ where it was.
 * (A δ₁ moved by secrets the attacker remembers is out of any check's reach: one honest
 * contributor is the ceremony's assumption, and `--min-contributions` only counts them.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevPtau } from '../../tools/bench/bench-gas.js';
import { FIELD_PRIME } from '../../circuits/field.js';
import { completeLookupWitness } from '../../circuits/lookup.js';
import { buildCircuit } from '../../src/compile/build-circuit.js';
import { lookupOptionOf } from '../../src/compile/proof-system.js';
import { sha256Hex } from '../../src/core/hash.js';
import { VERSIONS } from '../../src/core/versions.js';
import { readCircuitInfo, readQuantizedModelFile } from '../../src/formats/build-dir.js';
import type { CeremonyTranscript } from '../../src/formats/ceremony.js';
import { vkeyHash } from '../../src/formats/vkey.js';
import { proverCurve } from '../../src/prove/groth16/curve-api.js';
import { Groth16Prover } from '../../src/prove/groth16/groth16-prover.js';
import { quantizeInputReport } from '../../src/quantize/quantize-input.js';
import { shutdown } from '../../src/runtime/curve.js';
import { transcriptHash } from '../../src/setup/ceremony/ceremony-transcript.js';
import { contributeUltragroth, hashPokPart, transcriptPrefix } from '../../src/setup/ceremony/ultragroth-contribute.js';
import {
  fullCurve,
  joinZkey,
  section,
  splitZkey,
  ultragrothLayout,
  ultragrothVerificationKey,
  type FullCurve,
} from '../../src/setup/ceremony/ultragroth-key.js';
import { readZkeyMpc } from '../../src/setup/ceremony/zkey-mpc.js';
import { vkeyMetaFor } from '../../src/setup/setup-keys.js';
import { snarkjsInternals } from '../../src/setup/snarkjs-internals.js';
import { decodeUltragrothMpc, encodeUltragrothMpc } from '../../src/setup/zkey-file.js';
import { zkinfer, zkinferOk } from '../helpers/cli.js';
import { forgeUltragroth } from '../helpers/forge-ultragroth.js';
import { writeTinyModel } from '../helpers/trusted-fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-ug-known-delta1-'));
const onnx = join(tmp, 'tiny.onnx');
const ptau = join(tmp, 'local.ptau');
const inputPath = join(tmp, 'x.json');
const input = [0.5, -0.25, 0.75, 0.1];
const build = join(tmp, 'build');
const cer = join(build, 'ceremony');
const forgedPath = join(tmp, 'forged.proof.json');
// Outside the ceremony directory: its transcript.json (init only) would not list the attacker's contributions.
const finalZkey = join(tmp, 'final.zkey');
const vkeyPath = join(build, 'vkey.json');
const trusted = ['--model', onnx, '--settings', join(build, 'settings.json'), '--require-trusted-setup'];
let honestOutput: string[];
let claimedOutput: string[];

after(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await shutdown();
});

const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as Record<string, any>;

function lem(curve: FullCurve, group: 'G1' | 'G2', p: unknown): Uint8Array {
  const out = new Uint8Array(group === 'G1' ? 64 : 128);
  curve[group].toRprLEM(out, 0, curve[group].toAffine(p));
  return out;
}

/**
 * The attacker's contribution: δ moved as `ceremony contribute` moves it, δ₁ left at its value
 * with a proof of knowledge of the secret 1 (g1Sx = g1S, g2Spx = hashToG2(transcript)), over the
 * transcript an honest δ₁ part would use; the round-1 points and section 11 stay as they were.
 */
async function contributeDeltaOnly(bytes: Uint8Array, name: string): Promise<Uint8Array> {
  const step = await contributeUltragroth(bytes, { kind: 'contribution', name });
  const curve = await fullCurve();
  const { hashToG2 } = await snarkjsInternals();
  const before = splitZkey(bytes);
  const moved = splitZkey(Buffer.concat(step.zkey));
  const mpc = decodeUltragrothMpc(section(before, 10));
  const hasher = transcriptPrefix(curve, mpc.csHash, mpc.contributions);
  hashPokPart(hasher, curve, step.contribution.delta);
  const g1S = curve.G1.toAffine(curve.G1.timesFr(curve.G1.g, curve.Fr.random()));
  const u = new Uint8Array(64);
  curve.G1.toRprUncompressed(u, 0, g1S);
  const transcript = new Uint8Array(hasher.update(u).update(u).digest());
  const delta1 = {
    after: ultragrothLayout(before).round1.delta1G1,
    g1S: lem(curve, 'G1', g1S),
    g1Sx: lem(curve, 'G1', g1S),
    g2Spx: lem(curve, 'G2', (hashToG2 as (c: FullCurve, h: Uint8Array) => unknown)(curve, transcript)),
    transcript,
  };
  const split = ultragrothLayout(before).nRound1Points * 64;
  const l8 = new Uint8Array(section(moved, 8));
  l8.set(section(before, 8).subarray(0, split), 0);
  moved.sections.set(8, l8);
  moved.sections.set(11, section(before, 11));
  moved.sections.set(10, encodeUltragrothMpc(mpc.csHash, [...mpc.contributions, { ...step.contribution, delta1 }]));
  return Buffer.concat(joinZkey(moved));
}

/**
 * Installs the attacker's key in the build as `ceremony finalize` would (which refuses it): the
 * zkey, a vkey carrying the key's transcript and its hash, and setup.json.
 */
async function installKey(zkey: Uint8Array): Promise<void> {
  const circuit = readCircuitInfo(build);
  const init = readJson(join(cer, 'transcript.json')) as CeremonyTranscript;
  const transcript: CeremonyTranscript = { ...init, contributions: (await readZkeyMpc(finalZkey)).contributions };
  const ceremony = { transcriptSha256: transcriptHash(transcript), transcript };
  const vkey = {
    ...(await ultragrothVerificationKey(zkey)),
    zkinfer: { ...vkeyMetaFor(build, circuit, 'ptau'), ptau: init.ptau, ceremony },
  };
  const hash = vkeyHash(vkey as never);
  writeFileSync(join(build, 'circuit.zkey'), zkey);
  writeFileSync(vkeyPath, JSON.stringify(vkey));
  const setup = {
    kind: 'ptau',
    ptau: { file: ptau, ...init.ptau },
    ceremony: {
      transcriptSha256: ceremony.transcriptSha256,
      contributors: transcript.contributions.map((c) => c.name),
    },
    modelId: circuit.modelId,
    vkeyHash: hash,
    hashes: { quantized: circuit.quantizedSha256, r1cs: circuit.r1csSha256, zkey: sha256Hex(zkey), vkey: hash },
    seconds: 0,
    zkinfer: VERSIONS.zkinfer,
    snarkjs: VERSIONS.snarkjs,
    createdAt: new Date().toISOString(),
  };
  writeFileSync(join(build, 'setup.json'), JSON.stringify(setup));
}

/** The forged bundle: the honest one's input commitment, another output, a proof made with δ₁. */
async function forgeBundle(honestPath: string, zkey: Uint8Array): Promise<void> {
  const honest = readJson(honestPath);
  const opening = readJson(honestPath.replace(/\.proof\.json$/, '.opening.json'));
  const circuit = readCircuitInfo(build);
  const { model } = readQuantizedModelFile(build);
  const built = buildCircuit(model, quantizeInputReport(model, Float64Array.from(input)).values, {
    witnessOnly: true,
    inputVisibility: circuit.layout.input.visibility,
    outputVisibility: circuit.layout.output.visibility,
    lookup: lookupOptionOf(circuit),
    inputBlinding: BigInt(opening['input'].blinding),
  }).circuit;
  const signals = honest['publicSignals'] as string[];
  assert.deepEqual(built.witness.slice(1, signals.length).map(String), signals.slice(0, -1));
  // The true output is [a, b] with a > b (class 0); claim [b − 1000, a + 1000] (class 1).
  const [a, b] = honestOutput.map(BigInt) as [bigint, bigint];
  claimedOutput = [String(b - 1000n), String(a + 1000n)];
  const field = (v: string) => (((BigInt(v) % FIELD_PRIME) + FIELD_PRIME) % FIELD_PRIME).toString();
  const forged = await forgeUltragroth({
    prover: Groth16Prover.create(await proverCurve(false), zkey),
    vkey: honest['vkey'],
    honestRound1: built.witness,
    completeRound2: (c) => completeLookupWitness(built, c),
    claimed: [...claimedOutput.map(field), signals[2]!].map(BigInt),
    delta1: 1n,
    gamma: 1n,
  });
  const frac = honest['output'].frac as number;
  const { fidelity: _float, ...rest } = honest;
  const bundle = {
    ...rest,
    proof: forged.proof,
    publicSignals: forged.publicSignals,
    output: { ...honest['output'], integers: claimedOutput, values: claimedOutput.map((v) => Number(v) / 2 ** frac) },
    prediction: 1,
  };
  writeFileSync(forgedPath, JSON.stringify(bundle));
}

before(async () => {
  writeTinyModel(onnx);
  writeFileSync(inputPath, JSON.stringify(input));
  zkinferOk(['quantize', onnx, '--out', build, '--input', inputPath]);
  zkinferOk(['compile', build, '--proof-system', 'ultragroth', '--limb-bits', '4']);
  writeFileSync(ptau, (await createDevPtau({ power: readCircuitInfo(build).power })).data!);
  zkinferOk(['ceremony', 'init', build, '--ptau', ptau]);
  // Two attacker contributions, so the default --min-contributions 2 is met.
  const first = await contributeDeltaOnly(readFileSync(join(cer, '0000-init.zkey')), 'mallory');
  const zkey = await contributeDeltaOnly(first, 'eve');
  writeFileSync(finalZkey, zkey);
  await installKey(zkey);
  // The attacker proves honestly with the key first (the bundle's template), then forges.
  const proven = JSON.parse(zkinferOk(['prove', build, '--input', inputPath, '--json']).stdout) as { bundle: string };
  honestOutput = readJson(proven.bundle)['output'].integers as string[];
  assert.equal(readJson(proven.bundle)['prediction'], 0);
  await forgeBundle(proven.bundle, zkey);
});

test('the key is what the ptau and circuit give, with δ moved and δ₁ still 1', async () => {
  const z = splitZkey(readFileSync(finalZkey));
  const curve = await fullCurve();
  const r1 = ultragrothLayout(z).round1;
  assert.ok(curve.G1.eq(curve.G1.fromRprLEM(r1.delta1G1, 0), curve.G1.g), 'δ₁ = 1');
  const vk = readJson(vkeyPath);
  assert.notDeepEqual(vk['vk_delta_2'], vk['vk_gamma_2'], 'δ moved');
  assert.deepEqual(vk['vk_delta1_2'], vk['vk_gamma_2'], 'δ₁ = γ = 1');
  // The ceremony's own check refuses it, naming the first δ₁ part that does not move δ₁.
  const r = zkinfer(['ceremony', 'verify', finalZkey, '--ptau', ptau, '--r1cs', join(build, 'circuit.r1cs')]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /contribution 1 \("mallory"\), δ₁ part: leaves it where it was \(secret 1\)/);
});

test('plain verify accepts the forged output: a pinned key is not a trusted one', () => {
  const r = zkinfer(['verify', forgedPath, '--vkey', vkeyPath, '--json']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const report = JSON.parse(r.stdout) as { valid: boolean };
  assert.equal(report.valid, true);
  const forged = readJson(forgedPath);
  assert.deepEqual(forged['output'].integers, claimedOutput);
  assert.notDeepEqual(claimedOutput, honestOutput);
});

test('verify --require-trusted-setup rejects it, exit 1 naming the δ₁ part that stayed at 1 (trusted-setup and the model binding)', () => {
  const r = zkinfer(['verify', forgedPath, '--vkey', vkeyPath, ...trusted, '--trust-ptau', ptau, '--json']);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const report = JSON.parse(r.stdout) as { valid: boolean; failed: string; checks: Array<Record<string, any>> };
  assert.equal(report.valid, false);
  const failedChecks = report.checks.filter((c) => c['ok'] === false);
  // --model's binding (which also walks the ceremony chain) fails first, then trusted-setup: both name the δ₁ part.
  assert.equal(report.failed, 'model-id');
  assert.deepEqual(
    failedChecks.map((c) => c['check']),
    ['model-id', 'trusted-setup'],
  );
  const stuck = /contribution 1 \("mallory"\), δ₁ part: leaves it where it was \(secret 1\)/;
  for (const c of failedChecks) assert.match(c['detail'] as string, stuck);
  assert.match(failedChecks[1]!['detail'] as string, /^contribution chain: /);
  // The proof itself passed: only the key's provenance stopped it.
  for (const name of ['challenge', 'proof'])
    assert.ok(
      report.checks.some((c) => c['check'] === name && c['ok'] === true),
      `${name} passes`,
    );
});
