/**
 * `zkinfer ptau info|get` against a real HTTP server on 127.0.0.1 (the URL base overridden
 * with --url or $ZKINFER_PTAU_URL) serving a locally made 2^8 ptau under the published name:
 * the published hash is still required (a mismatch exits 2 naming both hashes and leaves no
 * file), --blake2b names another file's hash, a cached file with the right hash is not
 * downloaded again and a corrupt one is, and `--ptau` messages point at `ptau get`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createDevPtau } from '../../tools/bench/bench-gas.js';
import { shutdown } from '../../src/runtime/curve.js';
import { PUBLISHED_PTAU, PUBLISHED_PTAU_BASE_URL } from '../../src/setup/ptau/ptau-table.js';
import { CLI, ROOT } from '../helpers/paths.js';
import { writeTinyModel } from '../helpers/trusted-fixtures.js';
import type { CliRun } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'zkinfer-ptau-get-'));
const cache = join(tmp, 'cache');
const NAME_08 = 'powersOfTau28_hez_final_08.ptau';
let ptau: Buffer;
let ptauHash: string;
let server: Server;
let base: string;
/** Requests the server answered, by path. */
const hits: string[] = [];

before(async () => {
  ptau = Buffer.from((await createDevPtau({ power: 8 })).data!);
  ptauHash = createHash('blake2b512').update(ptau).digest('hex');
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url !== `/ptau/${NAME_08}`) return void res.writeHead(404).end('not here');
    res.writeHead(200, { 'content-length': ptau.length }).end(ptau);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const addr = server.address() as { port: number };
  base = `http://127.0.0.1:${addr.port}/ptau/`;
});
after(async () => {
  server.close();
  rmSync(tmp, { recursive: true, force: true });
  await shutdown();
});

/** bin/zkinfer in a child process without blocking this one (the server answers meanwhile). */
function zk(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((ok) => {
    const p = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, ZKINFER_CACHE_DIR: cache, ...env },
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => ok({ code, stdout, stderr }));
  });
}
const show = (r: CliRun) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
/** Files of the cache (temporary downloads included). */
const cached = () => (existsSync(join(cache, 'ptau')) ? readdirSync(join(cache, 'ptau')) : []);

test("every published file's URL is the one snarkjs's README links", () => {
  const readme = readFileSync(
    join(dirname(createRequire(import.meta.url).resolve('snarkjs')), '..', 'README.md'),
    'utf8',
  );
  for (const p of PUBLISHED_PTAU) assert.ok(readme.includes(`(${PUBLISHED_PTAU_BASE_URL}${p.name})`), p.name);
});

test('ptau info prints the power a build needs and the published name, URL and blake2b', async () => {
  const build = join(tmp, 'build');
  const model = join(tmp, 'tiny.onnx');
  const input = join(tmp, 'x.json');
  writeTinyModel(model);
  writeFileSync(input, JSON.stringify([0.5, -0.25, 0.75, 0.1]));
  assert.equal((await zk(['quantize', model, '--out', build, '--input', input])).code, 0);
  assert.equal((await zk(['compile', build])).code, 0);
  const circuit = JSON.parse(readFileSync(join(build, 'circuit.json'), 'utf8')) as { power: number };
  const r = await zk(['ptau', 'info', build, '--json'], { ZKINFER_PTAU_URL: base });
  assert.equal(r.code, 0, show(r));
  const info = JSON.parse(r.stdout) as Record<string, unknown>;
  const power = Math.max(8, circuit.power);
  const published = PUBLISHED_PTAU.find((p) => p.power === power)!;
  assert.equal(info['needed'], circuit.power);
  assert.equal(info['power'], power);
  assert.equal(info['name'], published.name);
  assert.equal(info['blake2b'], published.blake2b);
  assert.equal(info['url'], `${base}${published.name}`);
  assert.equal(info['path'], join(cache, 'ptau', published.name));
  const human = await zk(['ptau', 'get', build, '--dry-run']);
  assert.equal(human.code, 0, show(human));
  assert.ok(human.stdout.includes(`${PUBLISHED_PTAU_BASE_URL}${published.name}`), show(human));
  assert.match(human.stdout, new RegExp(`needs a powers-of-tau file of power ≥ ${circuit.power}`));
  assert.deepEqual(hits, [], 'info and --dry-run download nothing');
  // A missing --ptau file and an uncached power both say how to get one.
  const missing = await zk(['setup', build, '--ptau', join(tmp, 'nowhere.ptau')]);
  assert.equal(missing.code, 2, show(missing));
  assert.ok(missing.stderr.includes(`zkinfer ptau get ${build}`), show(missing));
  const uncached = await zk(['setup', build, '--ptau', '12']);
  assert.equal(uncached.code, 2, show(uncached));
  assert.match(uncached.stderr, /not cached yet; `zkinfer ptau get --power 12`/);
  assert.equal((await zk(['ptau', 'info', build, '--power', '7'])).code, 2);
});

test('a download from an overridden URL must still have the published hash: exit 2 naming both, nothing kept', async () => {
  const r = await zk(['ptau', 'get', '--power', '8', '--url', base]);
  assert.equal(r.code, 2, show(r));
  assert.equal(r.stderr.trim().split('\n').at(-1)!.includes(ptauHash), true, show(r));
  assert.ok(r.stderr.includes(PUBLISHED_PTAU[0]!.blake2b), show(r));
  assert.deepEqual(cached(), []);
  const notFound = await zk(['ptau', 'get', '--power', '9', '--url', base]);
  assert.equal(notFound.code, 2, show(notFound));
  assert.match(notFound.stderr, /HTTP 404/);
  assert.deepEqual(cached(), []);
});

test('with --blake2b the file is downloaded, checked, cached once, and fetched again only when the cached copy is corrupt', async () => {
  hits.length = 0;
  const args = ['ptau', 'get', '--power', '8', '--blake2b', ptauHash];
  const first = await zk(args, { ZKINFER_PTAU_URL: base });
  assert.equal(first.code, 0, show(first));
  const path = first.stdout.trim();
  // Not the published file, so not under the published name (identifyPtau would refuse it there).
  assert.equal(path, join(cache, 'ptau', `ptau-8-${ptauHash.slice(0, 16)}.ptau`));
  assert.ok(readFileSync(path).equals(ptau));
  assert.match(first.stderr, /100% of \d+ bytes/);
  assert.deepEqual(cached(), [`ptau-8-${ptauHash.slice(0, 16)}.ptau`]);
  assert.equal(hits.length, 1);
  const second = await zk(args, { ZKINFER_PTAU_URL: base });
  assert.equal(second.code, 0, show(second));
  assert.equal(second.stdout.trim(), path);
  assert.match(second.stderr, /not downloaded again/);
  assert.equal(hits.length, 1);
  writeFileSync(path, Buffer.concat([ptau.subarray(0, 100), Buffer.alloc(10)]));
  const repaired = await zk(args, { ZKINFER_PTAU_URL: base });
  assert.equal(repaired.code, 0, show(repaired));
  assert.ok(readFileSync(path).equals(ptau));
  assert.equal(hits.length, 2);
  // --out puts it elsewhere; a different file already there is not overwritten.
  const out = join(tmp, 'mine.ptau');
  writeFileSync(out, 'something else');
  const refused = await zk([...args, '--url', base, '--out', out]);
  assert.equal(refused.code, 2, show(refused));
  assert.equal(readFileSync(out, 'utf8'), 'something else');
  rmSync(out);
  const placed = await zk([...args, '--url', base, '--out', out]);
  assert.equal(placed.code, 0, show(placed));
  assert.equal(placed.stdout.trim(), out);
  assert.ok(readFileSync(out).equals(ptau));
});
