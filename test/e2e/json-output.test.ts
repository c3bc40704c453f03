/**
 * Every command's --json output against its published schema (src/cli/output-schemas.ts) and
 * the one vocabulary of docs/json-output.md, on one build of the shipped digits MLP: quantize,
 * compile, setup, prove, verify, inspect, export-verifier, keys, schemas; and the error object
 * of exit 1 and exit 2.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { OUTPUT_SCHEMAS, outputSchemaFile, outputSchemaText } from '../../src/cli/output-schemas.js';
import { CLI, MODELS, ROOT } from '../helpers/paths.js';

let tmp: string;
let build: string;

interface Run {
  readonly code: number | null;
  readonly json: Record<string, unknown>;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs zkinfer with --json and a private key store; stdout must be exactly one JSON object. */
function zk(args: string[]): Run {
  const r = spawnSync(process.execPath, [CLI, ...args, '--json'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, ZKINFER_CONFIG_DIR: join(tmp, 'config') },
  });
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, `zkinfer ${args.join(' ')}: one JSON line on stdout\n${r.stdout}\n${r.stderr}`);
  return { code: r.status, json: JSON.parse(lines[0]!) as Record<string, unknown>, stdout: r.stdout, stderr: r.stderr };
}

/** Keys that the vocabulary replaced (docs/json-output.md), anywhere in an output. */
const RETIRED = ['nConstraints', 'verified', 'passed', 'tool', 'warning', 'exitCode', 'milliseconds'];

/** Walks an output: no retired key, every duration rounded to milliseconds, gas a number. */
function assertVocabulary(v: unknown, where: string): void {
  if (Array.isArray(v)) return v.forEach((x, i) => assertVocabulary(x, `${where}[${i}]`));
  if (!v || typeof v !== 'object') return;
  for (const [k, x] of Object.entries(v)) {
    const at = `${where}.${k}`;
    assert.ok(!RETIRED.includes(k), `${at}: retired key`);
    if (k === 'seconds' || k.endsWith('Seconds') || k.endsWith('PerSecond')) {
      const nums = typeof x === 'number' ? [x] : Object.values(x as object);
      for (const n of nums) assert.equal(Math.round((n as number) * 1000) / 1000, n, `${at}: rounded to ms`);
    }
    if (k === 'gas') assert.equal(typeof x, 'number', `${at}: gas is a number`);
    assertVocabulary(x, at);
  }
}

/** Checks a run against the command's schema, the envelope rules and the vocabulary. */
function assertOutput(r: Run, command: string, code: number): Record<string, unknown> {
  assert.equal(r.code, code, `${command}: exit ${code}\n${r.stdout}\n${r.stderr}`);
  const schema = OUTPUT_SCHEMAS[r.json['error'] && !('checks' in r.json) && code !== 1 ? 'error' : command]!;
  const parsed = schema.safeParse(r.json);
  assert.ok(parsed.success, `${command}: ${parsed.error?.message}\n${r.stdout}`);
  assert.equal(r.json['ok'], code === 0);
  assert.equal(r.json['command'], command);
  assert.equal(r.json['error'] === undefined, code === 0, `${command}: error present exactly on failure`);
  if (code !== 0) assert.equal((r.json['error'] as { code: number }).code, code);
  // Every warning in the JSON was also on stderr, with the one prefix.
  for (const w of r.json['warnings'] as string[]) assert.ok(r.stderr.includes(`zkinfer: warning: ${w}`), w);
  assertVocabulary(r.json, command);
  return r.json;
}

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'zkinfer-json-'));
  build = join(tmp, 'digits');
});
after(() => rmSync(tmp, { recursive: true, force: true }));

test('every stage command prints one envelope that matches its schema', () => {
  const q = assertOutput(
    zk([
      'quantize',
      join(MODELS, 'digits-mlp.onnx'),
      '--out',
      build,
      '--calibration',
      join(MODELS, 'calibration.json'),
    ]),
    'quantize',
    0,
  );
  assert.equal(q['zkinfer'], JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  const c = assertOutput(zk(['compile', build]), 'compile', 0);
  assert.ok((c['constraints'] as number) > 0);
  const s = assertOutput(zk(['setup', build]), 'setup', 0);
  // The dev-setup warning: in the one warnings array, not a `warning` field.
  assert.match((s['warnings'] as string[]).join('\n'), /dev setup/);
  const p = assertOutput(zk(['prove', build, '--input', join(MODELS, 'samples', 'digit-3.json')]), 'prove', 0);
  assert.equal(p['prediction'], 3);
  const v = assertOutput(zk(['verify', p['bundle'] as string, '--vkey', join(build, 'vkey.json')]), 'verify', 0);
  assert.equal(v['valid'], true);
  assert.match((v['warnings'] as string[]).join('\n'), /dev setup/);
  assertOutput(zk(['inspect', build]), 'inspect', 0);
  assertOutput(zk(['inspect', join(MODELS, 'digits-mlp.onnx')]), 'inspect', 0);
  assertOutput(zk(['export-verifier', build, '--out', join(tmp, 'verifier')]), 'export-verifier', 0);
  assertOutput(zk(['keys', 'add', join(build, 'vkey.json'), '--name', 'digits']), 'keys add', 0);
  const list = assertOutput(zk(['keys', 'list']), 'keys list', 0);
  assert.deepEqual(
    (list['keys'] as Array<{ name: string }>).map((k) => k.name),
    ['digits'],
  );
  assertOutput(zk(['schemas', '--out', join(tmp, 'schemas')]), 'schemas', 0);

  // Exit 1: an invalid proof still prints the report, with ok false and the error object.
  const bundle = JSON.parse(readFileSync(p['bundle'] as string, 'utf8'));
  bundle.publicSignals[0] = String(BigInt(bundle.publicSignals[0]) + 1n);
  const forged = join(tmp, 'forged.proof.json');
  writeFileSync(forged, JSON.stringify(bundle));
  const bad = assertOutput(zk(['verify', forged, '--vkey', join(build, 'vkey.json')]), 'verify', 1);
  assert.equal(bad['valid'], false);
  assert.match((bad['error'] as { message: string }).message, /^invalid: \S+ check failed/);
});

test('exit 2 with --json prints the error object, for a bad file and for a bad flag', () => {
  const missing = zk(['verify', join(tmp, 'nope.proof.json'), '--allow-unpinned']);
  assertOutput(missing, 'verify', 2);
  assert.match((missing.json['error'] as { message: string }).message, /nope\.proof\.json/);
  // The same line on stderr as without --json.
  assert.match(missing.stderr, /^zkinfer: .*nope\.proof\.json/m);
  const flag = zk(['compile', join(tmp, 'digits'), '--bogus']);
  assert.equal(flag.code, 2);
  assert.ok(OUTPUT_SCHEMAS['error']!.safeParse(flag.json).success, flag.stdout);
  assert.match((flag.json['error'] as { message: string }).message, /--bogus/);
});

test('schemas/output holds exactly the generated schema of each command output (run `npm run schemas`)', () => {
  const dir = join(ROOT, 'schemas', 'output');
  const commands = Object.keys(OUTPUT_SCHEMAS);
  assert.deepEqual(readdirSync(dir).sort(), commands.map(outputSchemaFile).sort());
  for (const c of commands) assert.equal(readFileSync(join(dir, outputSchemaFile(c)), 'utf8'), outputSchemaText(c), c);
  // The envelope is in every one of them.
  for (const c of commands) {
    const s = JSON.parse(outputSchemaText(c)) as { anyOf?: Array<{ required: string[] }>; required?: string[] };
    for (const r of s.anyOf?.map((x) => x.required) ?? [s.required!])
      for (const k of ['ok', 'zkinfer', 'warnings']) assert.ok(r.includes(k), `${c}: ${k}`);
  }
});
