/**
 * The accuracy chunk circuit through a multi-party phase-2 ceremony, end to end through the CLI:
 * `ceremony init BUILD --chunk 2`, two contributions, a beacon, `ceremony finalize BUILD --chunk 2`,
 * then `accuracy … --chunk 2` proves with that key and leaves it in place; a request that would
 * replace it (another ptau, a re-quantized model) is refused with exit 2 unless `--force`; and the
 * verifier's recompile from ONNX + settings.json gives the chunk circuit's model id.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shutdown } from '../../src/runtime/curve.js';
import { recompileChunkCircuit } from '../../src/accuracy/recompile-chunk.js';
import { makeTrustedChunkFixture, TrustedChunkFixture, writeTinyModel } from '../helpers/trusted-fixtures.js';
import { zkinfer, zkinferOk } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-chunk-ceremony-'));
let f: TrustedChunkFixture;
after(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await shutdown();
});
before(async () => {
  f = await makeTrustedChunkFixture(tmp);
});

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, any>;
const json = (r: { stdout: string }) => JSON.parse(r.stdout) as Record<string, any>;

test('ceremony init|contribute|beacon|finalize --chunk print the next step', () => {
  const { init, contribute, beacon, finalize } = f.log;
  const cer = join(f.chunkDir, 'ceremony');
  assert.match(init, /chunk circuit for 2 samples in .*chunk-2: \d+ constraints \(domain 2\^10\)\n/);
  assert.ok(
    init.includes(
      `next: zkinfer ceremony contribute ${join(cer, '0000-init.zkey')} ${join(cer, '0001-NAME.zkey')} --name NAME`,
    ),
    init,
  );
  const finalizeStep = `zkinfer ceremony finalize ${f.build} --chunk 2 --ptau FILE`;
  assert.ok(
    contribute.includes(
      `next: zkinfer ceremony contribute ${join(cer, '0002-bob.zkey')} ${join(cer, '0003-NAME.zkey')}`,
    ),
    contribute,
  );
  assert.ok(
    contribute.includes(
      `or: zkinfer ceremony beacon ${join(cer, '0002-bob.zkey')} ${join(cer, '0003-beacon.zkey')} --beacon HEX`,
    ),
    contribute,
  );
  assert.ok(contribute.includes(`then ${finalizeStep}`), contribute);
  assert.ok(beacon.includes(`next: ${finalizeStep}`), beacon);
  assert.match(finalize, /finalized 3 contributions \(alice, bob, beacon\)/);
  assert.ok(finalize.includes(`next: zkinfer accuracy ${f.build} --dataset DATA --chunk 2 --out DIR`), finalize);
});

test('accuracy proves with the finalized chunk ceremony key and keeps it', () => {
  const vkey = readJson(f.chunkVkey);
  assert.equal(vkey['zkinfer'].accuracy.chunkSize, 2);
  assert.equal(vkey['zkinfer'].accuracy.kind, 'accuracy-chunk');
  assert.deepEqual(
    vkey['zkinfer'].ceremony.transcript.contributions.map((c: { name: string }) => c.name),
    ['alice', 'bob', 'beacon'],
  );
  const claim = readJson(f.claim);
  assert.deepEqual(claim['vkey'], vkey, "the claim embeds the ceremony's chunk key");
  assert.equal(claim['vkey'].zkinfer.ceremony.transcript.contributions.length, 3);
  assert.equal(claim['dataset'].samples, 5);
  const setup = readJson(join(f.chunkDir, 'setup.json'));
  assert.deepEqual(setup['ceremony'].contributors, ['alice', 'bob', 'beacon'], 'setup.json still says ceremony');
  assert.equal(claim['vkeyHash'], setup['vkeyHash']);

  zkinferOk(['verify', f.claim, '--vkey', f.chunkVkey, '--dataset', f.dataset, '--opening', f.opening]);

  // The same ptau under another path is the ceremony's file: the key serves, the chunk proofs are reused.
  const copy = join(tmp, 'copy.ptau');
  cpSync(f.ptau, copy);
  const again = json(
    zkinferOk([
      'accuracy',
      f.build,
      '--dataset',
      f.dataset,
      '--chunk',
      '2',
      '--out',
      f.claimDir,
      '--ptau',
      copy,
      '--json',
    ]),
  );
  assert.equal(again['skipped'], 3);
  assert.equal(again['vkeyHash'], setup['vkeyHash']);
});

test('accuracy refuses to replace the ceremony key with another ptau, exit 2, keys untouched', () => {
  const other = join(tmp, 'other.ptau');
  const bytes = readFileSync(f.ptau);
  bytes[bytes.length - 1]! ^= 1;
  writeFileSync(other, bytes);
  const before = readFileSync(f.chunkVkey, 'utf8');
  const r = zkinfer([
    'accuracy',
    f.build,
    '--dataset',
    f.dataset,
    '--chunk',
    '2',
    '--out',
    join(tmp, 'o2'),
    '--ptau',
    other,
  ]);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /chunk-2: holds keys from a phase-2 ceremony .*\(alice, bob, beacon\).*--force/);
  assert.equal(readFileSync(f.chunkVkey, 'utf8'), before);
});

test('a re-quantized model: the stale ceremony key is not replaced by dev keys without --force', () => {
  const build2 = join(tmp, 'build2');
  cpSync(f.build, build2, { recursive: true });
  const tweaked = join(tmp, 'tweaked.onnx');
  writeTinyModel(tweaked, 0.25);
  zkinferOk(['quantize', tweaked, '--out', build2, '--input', f.input]);

  for (const step of ['finalize', 'verify']) {
    const r = zkinfer(['ceremony', step, build2, '--chunk', '2', '--ptau', f.ptau]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /chunk circuit is for another model\.quant\.json/);
  }

  const out = join(tmp, 'o3');
  const args = ['accuracy', build2, '--dataset', f.dataset, '--chunk', '2', '--out', out, '--workers', '1'];
  const r = zkinfer(args);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /holds keys from a phase-2 ceremony .* for another model or zkinfer version, which dev keys would replace; run a new ceremony \(zkinfer ceremony init .* --chunk 2/,
  );

  const forced = zkinferOk([...args, '--force']);
  assert.match(forced.stderr, /--force: replacing keys from a phase-2 ceremony/);
  assert.match(
    forced.stderr,
    /a ceremony was started in .*: `zkinfer ceremony finalize .* --chunk 2` installs its key/,
  );
  const setup = readJson(join(build2, 'accuracy', 'chunk-2', 'setup.json'));
  assert.equal(setup['kind'], 'dev');
  assert.equal(setup['ceremony'], undefined);

  // Phase-2 keys on a ptau are not replaced by dev keys either (setup.json is what the decision reads).
  const ptauSetup = readJson(join(f.chunkDir, 'setup.json'))['ptau'];
  const setupPath = join(build2, 'accuracy', 'chunk-2', 'setup.json');
  writeFileSync(setupPath, JSON.stringify({ ...setup, kind: 'ptau', warning: undefined, ptau: ptauSetup }));
  const toDev = zkinfer(args);
  assert.equal(toDev.code, 2, toDev.stderr);
  assert.match(
    toDev.stderr,
    /holds phase-2 keys on .*local-2\^10\.ptau \(one local contribution\), which dev keys would replace; pass --ptau .* to use them, or pass --force/,
  );
});

test("the verifier's recompile from ONNX + settings.json gives the ceremony chunk key's model id", () => {
  const circuit = readJson(join(f.chunkDir, 'circuit.json'));
  const rec = recompileChunkCircuit({ modelPath: f.onnx, settingsPath: f.settings, chunkSize: 2 });
  assert.equal(rec.modelId, circuit['modelId']);
  assert.equal(rec.r1csSha256, circuit['r1csSha256']);
  assert.equal(rec.quantizedSha256, circuit['quantizedSha256']);
  assert.deepEqual(rec.encoding, circuit['accuracy'].encoding);
  assert.ok(Buffer.from(rec.r1cs).equals(readFileSync(join(f.chunkDir, 'circuit.r1cs'))));
  assert.equal(rec.onnxMatchesSettings, true);
  assert.equal(readJson(f.chunkVkey)['zkinfer'].modelId, rec.modelId, "the ceremony key's model id");
});
