/**
 * Issue 20's plumbing through the CLI: the digits MLP built twice from one quantization, once
 * per proof system. The ultragroth build (`compile --proof-system ultragroth`, range checks by
 * lookups) has fewer constraints, records its lookups in circuit.json and its key, proves and
 * verifies (with the `challenge` check); a bundle whose proof is of the other system fails the
 * `proof-system` check; a forged challenge fails `challenge`; `--limb-bits` with groth16 is a
 * usage error (exit 2) that writes nothing; an accuracy claim on a few samples of the
 * ultragroth build is made of ultragroth chunk proofs and verifies.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zkinfer, zkinferOk } from '../helpers/cli.js';
import { MODELS } from '../helpers/paths.js';

const T = mkdtempSync(join(tmpdir(), 'zkinfer-ultragroth-'));
const QUANT = join(T, 'quantized');
const G16 = join(T, 'groth16');
const UG = join(T, 'ultragroth');
const SAMPLE = join(MODELS, 'samples', 'digit-3.json');

interface Circuit {
  nConstraints: number;
  proofSystem?: string;
  lookup?: { limbBits: number; round2Start: number; challengeWire: number; nLookups: number; tables: unknown[] };
}
interface Report {
  valid: boolean;
  failed?: string;
  checks: Array<{ check: string; ok: boolean; detail: string }>;
}

const readJson = <X>(p: string): X => JSON.parse(readFileSync(p, 'utf8')) as X;
let g16Bundle = '';
let ugBundle = '';

/** Verifies a bundle file against `vkey` and returns the exit code and the JSON report. */
function verify(bundle: string, vkey: string): { code: number | null; report: Report } {
  const r = zkinfer(['verify', bundle, '--vkey', vkey, '--json']);
  return { code: r.code, report: JSON.parse(r.stdout) as Report };
}

before(() => {
  zkinferOk([
    'quantize',
    join(MODELS, 'digits-mlp.onnx'),
    '--out',
    QUANT,
    '--calibration',
    join(MODELS, 'calibration.json'),
  ]);
  for (const [dir, system] of [
    [G16, 'groth16'],
    [UG, 'ultragroth'],
  ] as const) {
    cpSync(QUANT, dir, { recursive: true });
    // 4-bit limbs: the range table's 2^K entries are constraints too, and this MLP is small
    // (1,601 constraints with groth16); the default width pays off on larger models.
    zkinferOk(['compile', dir, '--proof-system', system, ...(system === 'ultragroth' ? ['--limb-bits', '4'] : [])]);
    zkinferOk(['setup', dir]);
  }
});

after(() => rmSync(T, { recursive: true, force: true }));

test('compile --proof-system ultragroth records the lookups and has fewer constraints than groth16', () => {
  const g = readJson<Circuit>(join(G16, 'circuit.json'));
  const u = readJson<Circuit>(join(UG, 'circuit.json'));
  assert.equal(g.proofSystem, undefined, 'groth16 circuit.json stays as before (absent = groth16)');
  assert.equal(g.lookup, undefined);
  assert.equal(u.proofSystem, 'ultragroth');
  assert.ok(u.lookup && u.lookup.nLookups > 0 && u.lookup.tables.length > 0, JSON.stringify(u.lookup));
  assert.ok(u.lookup.round2Start > u.lookup.challengeWire, 'round-2 wires come after the challenge');
  assert.ok(u.nConstraints < g.nConstraints, `ultragroth ${u.nConstraints} < groth16 ${g.nConstraints}`);
  const vkey = readJson<{ protocol: string; zkinfer: { proofSystem?: string } }>(join(UG, 'vkey.json'));
  assert.equal(vkey.protocol, 'ultragroth');
  assert.equal(vkey.zkinfer.proofSystem, 'ultragroth');
  const info = zkinferOk(['inspect', UG]).stdout;
  assert.match(info, /ultragroth/);
  assert.equal(u.lookup.limbBits, 4);
  assert.match(info, new RegExp(`${u.lookup.nLookups} lookups, 4-bit limbs`));
});

test('both builds prove; the ultragroth bundle verifies with the challenge check', () => {
  g16Bundle = readJson<{ bundle: string }>(writeProve(G16)).bundle;
  ugBundle = readJson<{ bundle: string }>(writeProve(UG)).bundle;
  const b = readJson<{ protocol: string; proof: { protocol: string; pi_c1?: string[] } }>(ugBundle);
  assert.equal(b.protocol, 'ultragroth');
  assert.equal(b.proof.protocol, 'ultragroth');
  assert.equal(b.proof.pi_c1?.length, 3);
  const ug = verify(ugBundle, join(UG, 'vkey.json'));
  assert.equal(ug.code, 0, JSON.stringify(ug.report.checks.filter((c) => !c.ok)));
  assert.deepEqual(
    ug.report.checks
      .filter((c) => ['proof-system', 'challenge', 'proof'].includes(c.check))
      .map((c) => [c.check, c.ok]),
    [
      ['proof-system', true],
      ['challenge', true],
      ['proof', true],
    ],
  );
  const g = verify(g16Bundle, join(G16, 'vkey.json'));
  assert.equal(g.code, 0, JSON.stringify(g.report.checks.filter((c) => !c.ok)));
  assert.equal(
    g.report.checks.find((c) => c.check === 'challenge'),
    undefined,
    'groth16 keys have no challenge',
  );
});

/** `prove DIR --json` into a file; returns the file. */
function writeProve(dir: string): string {
  const out = join(T, `${dir === UG ? 'ug' : 'g16'}-prove.json`);
  writeFileSync(out, zkinferOk(['prove', dir, '--input', SAMPLE, '--json']).stdout);
  return out;
}

test('a proof of the other system fails proof-system, naming both', () => {
  // The groth16 proof and signals presented under the ultragroth key (bundle relabelled to it).
  const b = readJson<Record<string, unknown>>(ugBundle);
  const g = readJson<Record<string, unknown>>(g16Bundle);
  const forged = join(T, 'forged-system.proof.json');
  writeFileSync(forged, JSON.stringify({ ...b, protocol: 'groth16', proof: g['proof'] }));
  const r = verify(forged, join(UG, 'vkey.json'));
  assert.equal(r.code, 1);
  assert.equal(r.report.failed, 'proof-system', JSON.stringify(r.report.checks.filter((c) => !c.ok)));
  const detail = r.report.checks.find((c) => c.check === 'proof-system')!.detail;
  assert.match(detail, /groth16/);
  assert.match(detail, /ultragroth/);
  // And a pinned groth16 key never accepts the ultragroth bundle.
  const cross = verify(ugBundle, join(G16, 'vkey.json'));
  assert.equal(cross.code, 1);
  assert.equal(cross.report.valid, false);
});

test('a challenge that is not the hash of C₁ fails the challenge check', () => {
  const b = readJson<{ publicSignals: string[] } & Record<string, unknown>>(ugBundle);
  const last = b.publicSignals.length - 1;
  const signals = b.publicSignals.map((s, i) => (i === last ? String(BigInt(s) + 1n) : s));
  const forged = join(T, 'forged-challenge.proof.json');
  writeFileSync(forged, JSON.stringify({ ...b, publicSignals: signals }));
  const r = verify(forged, join(UG, 'vkey.json'));
  assert.equal(r.code, 1);
  assert.ok(
    r.report.checks.some((c) => c.check === 'challenge' && !c.ok),
    JSON.stringify(r.report.checks.filter((c) => !c.ok)),
  );
});

test('--limb-bits with groth16 is a usage error naming the flag, and writes nothing', () => {
  const dir = join(T, 'limb-bits');
  cpSync(QUANT, dir, { recursive: true });
  const r = zkinfer(['compile', dir, '--limb-bits', '8']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--limb-bits/);
  assert.equal(existsSync(join(dir, 'circuit.json')), false);
  assert.equal(existsSync(join(dir, 'circuit.r1cs')), false);
  const run = zkinfer([
    'run',
    join(MODELS, 'digits-mlp.onnx'),
    '--input',
    SAMPLE,
    '--out',
    join(T, 'run-lb'),
    '--limb-bits',
    '8',
  ]);
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /--limb-bits/);
});

test('an accuracy claim of the ultragroth build is made of ultragroth chunk proofs and verifies', () => {
  const digits = readJson<{ inputs: number[][]; labels: number[] }>(join(MODELS, 'digits-test.json'));
  const data = join(T, 'few.jsonl');
  writeFileSync(
    data,
    digits.inputs
      .slice(0, 6)
      .map((x, i) => JSON.stringify({ input: x, label: digits.labels[i] }))
      .join('\n') + '\n',
  );
  const out = join(T, 'claim');
  zkinferOk(['accuracy', UG, '--dataset', data, '--out', out, '--chunk', '4', '--workers', '1', '--json']);
  const claim = readJson<{
    protocol: string;
    chunks: Array<{ proof: { protocol: string } }>;
    dataset: { commitment: string };
  }>(join(out, 'claim.json'));
  assert.equal(claim.protocol, 'ultragroth');
  assert.deepEqual(
    claim.chunks.map((c) => c.proof.protocol),
    ['ultragroth', 'ultragroth'],
  );
  const key = join(UG, 'accuracy', 'chunk-4', 'vkey.json');
  const r = zkinfer([
    'verify',
    join(out, 'claim.json'),
    '--vkey',
    key,
    '--dataset-commitment',
    claim.dataset.commitment,
    '--json',
  ]);
  const report = JSON.parse(r.stdout) as Report;
  assert.equal(r.code, 0, JSON.stringify(report.checks.filter((c) => !c.ok)));
  assert.ok(report.checks.some((c) => c.check === 'proof-system' && c.ok));
});
