/**
 * What the queue commands say while they wait, without a database: flags refused before any
 * input is read, pg-boss states in zkinfer's words, the collect command printed on an interrupt
 * (password never shown, pasteable), and the progress reporter on a terminal (a cli-progress bar)
 * and off one (sparse lines, a heartbeat in long waits).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { spawnSync } from 'node:child_process';
import { main } from '../../src/cli/main.js';
import { collectCommand } from '../../src/cli/queue-commands.js';
import { provenSoFar, shellArg, signalExitCode } from '../../src/cli/interrupt.js';
import { checkQueueUrl, queueLocation } from '../../src/queue/job-queue.js';
import { batchJobState } from '../../src/queue/queue-collect.js';
import { createProgressReporter, type BatchProgress } from '../../src/runtime/progress.js';
import { zkinfer } from '../helpers/cli.js';

/** Runs the CLI in this process (a child process costs seconds of module loading) and captures stderr. */
async function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof write;
  try {
    return { code: await main(args), stderr };
  } finally {
    process.stderr.write = write;
  }
}

test('prove refuses a non-postgres --queue and queue-only flags before reading the build or inputs', async () => {
  // Neither the build directory nor the inputs exist: the flag is what the one line names.
  assert.deepEqual(
    await cli(['prove', 'no-such-build', '--inputs', 'no-such-inputs', '--queue', 'mysql://u:pw@db/x']),
    {
      code: 2,
      stderr:
        'zkinfer: --queue mysql://u:***@db/x: expected a postgres:// URL (postgres://user:password@host:port/database)\n',
    },
  );
  assert.deepEqual(await cli(['prove', 'no-such-build', '--inputs', 'no-such-inputs', '--no-wait']), {
    code: 2,
    stderr: 'zkinfer: --no-wait applies to --queue only\n',
  });
  assert.deepEqual(await cli(['prove', 'no-such-build', '--inputs', 'x', '--job-timeout', '5']), {
    code: 2,
    stderr: 'zkinfer: --job-timeout applies to --queue only\n',
  });
  const status = await cli(['queue', 'status', 'abc', '--queue', 'redis://h/0']);
  assert.equal(status.code, 2);
  assert.match(status.stderr, /^zkinfer: --queue redis:\/\/h\/0: expected a postgres:\/\/ URL/);
  // The same from a real process, once: no stack trace, nothing on stdout.
  const real = zkinfer(['prove', 'no-such-build', '--inputs', 'no-such-inputs', '--queue', 'mysql://x']);
  assert.deepEqual([real.code, real.stdout], [2, '']);
  assert.match(real.stderr, /^zkinfer: --queue mysql:\/\/x: expected a postgres:\/\/ URL .*\n$/);
});

test('accuracy refuses a non-postgres --queue and flags that do not apply before reading the build or dataset', async () => {
  const base = ['accuracy', 'no-such-build', '--dataset', 'no-such-data.jsonl', '--out', 'no-such-out'];
  assert.deepEqual(await cli([...base, '--queue', 'mysql://u:pw@db/x']), {
    code: 2,
    stderr:
      'zkinfer: --queue mysql://u:***@db/x: expected a postgres:// URL (postgres://user:password@host:port/database)\n',
  });
  assert.deepEqual(await cli([...base, '--queue', 'postgres://h/db', '--workers', '2']), {
    code: 2,
    stderr:
      'zkinfer: --workers applies to local proving; with --queue, start `zkinfer worker BUILD --queue URL` processes instead\n',
  });
  assert.deepEqual(await cli([...base, '--job-timeout', '30']), {
    code: 2,
    stderr: 'zkinfer: --job-timeout applies to --queue only\n',
  });
});

test('URLs in messages: postgres:// and postgresql:// pass; the location names host and database only', () => {
  checkQueueUrl('postgres://u:p@h:5432/db');
  checkQueueUrl('postgresql://h/db');
  assert.throws(() => checkQueueUrl('http://h/db'), /expected a postgres:\/\/ URL/);
  assert.equal(queueLocation('postgres://zk:s3cret@db.example:5433/jobs'), 'db.example:5433/jobs');
  assert.equal(queueLocation('postgres://zk:s3cret@db.example/'), 'db.example/(default database)');
});

test("pg-boss states in zkinfer's words", () => {
  assert.equal(batchJobState('created'), 'pending');
  assert.equal(batchJobState('retry'), 'retrying');
  assert.equal(batchJobState('active'), 'active');
  assert.equal(batchJobState('completed'), 'done');
  assert.equal(batchJobState('completed', false), 'failed', 'a job completed with a final error failed');
  assert.equal(batchJobState('failed'), 'failed');
  assert.equal(batchJobState('cancelled'), 'cancelled');
});

test('the collect command printed on an interrupt: pasteable, never with the password', () => {
  const saved = process.env['ZKINFER_QUEUE'];
  delete process.env['ZKINFER_QUEUE'];
  try {
    assert.equal(
      collectCommand('3f2a9c0d1e4b5a6f7081', 'postgres://zk:s3cret@db:5432/zk', 'my proofs'),
      "zkinfer queue collect 3f2a9c0d1e4b5a6f7081 --queue 'postgres://zk:***@db:5432/zk' --out 'my proofs' --wait (*** stands for the password of --queue)",
    );
    assert.equal(
      collectCommand('3f2a9c0d1e4b5a6f7081', 'postgres://db/zk', 'out'),
      'zkinfer queue collect 3f2a9c0d1e4b5a6f7081 --queue postgres://db/zk --out out --wait',
    );
    // From $ZKINFER_QUEUE, which `queue collect` reads itself: left out, so the command is exact.
    process.env['ZKINFER_QUEUE'] = 'postgres://zk:s3cret@db:5432/zk';
    assert.equal(
      collectCommand('3f2a9c0d1e4b5a6f7081', 'postgres://zk:s3cret@db:5432/zk', 'out'),
      'zkinfer queue collect 3f2a9c0d1e4b5a6f7081 --out out --wait',
    );
  } finally {
    if (saved === undefined) delete process.env['ZKINFER_QUEUE'];
    else process.env['ZKINFER_QUEUE'] = saved;
  }
  // What shellArg quotes survives a real shell unchanged.
  for (const arg of ["it's here", 'a b', 'postgres://u:***@h/d?x=1&y=2', 'plain/path-1.json'])
    assert.equal(spawnSync('sh', ['-c', `printf %s ${shellArg(arg)}`], { encoding: 'utf8' }).stdout, arg);
  assert.equal(signalExitCode('SIGINT'), 130);
  assert.equal(signalExitCode('SIGTERM'), 143);
  assert.equal(provenSoFar(undefined), 'nothing proven yet');
  assert.equal(
    provenSoFar({ done: 4, total: 10, proved: 2, skipped: 1, failed: 1, seconds: 3 }),
    '3/10 proven, 1 failed',
  );
});

/** A writable stream collecting what is written, posing as a terminal or not. */
function sink(tty: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  let text = '';
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  }) as unknown as NodeJS.WriteStream & { isTTY: boolean; columns: number };
  w.isTTY = tty;
  w.columns = 200;
  return { stream: w, text: () => text };
}

const snap = (done: number, total: number, seconds: number): BatchProgress => ({
  done,
  total,
  proved: done,
  skipped: 0,
  failed: 0,
  seconds,
});

test('on a terminal: a cli-progress bar with the counts and what the open jobs do; notices do not break it', async () => {
  const { stream, text } = sink(true);
  const r = createProgressReporter({ stream, tty: true });
  r.update(snap(0, 4, 0));
  r.status('0 active, 4 waiting for a worker');
  r.log('enqueued 4 jobs on db:5432/zk; waiting for workers (0/4 done)');
  await new Promise((res) => setTimeout(res, 400));
  r.update(snap(1, 4, 2));
  r.status('1 active, 2 waiting for a worker');
  await new Promise((res) => setTimeout(res, 400));
  r.finish();
  const out = text();
  assert.match(out, /\[-{24}\] 0\/4 \(0%\) 0\.00 proofs\/s ETA --; 0 active, 4 waiting for a worker/);
  assert.match(out, /\[#{6}-{18}\] 1\/4 \(25%\) \d\.\d\d proofs\/s ETA \d+s; 1 active, 2 waiting for a worker/);
  assert.match(out, /enqueued 4 jobs on db:5432\/zk; waiting for workers \(0\/4 done\)\n/);
  assert.ok(out.endsWith('\n'), 'the cursor is left on a fresh line');
});

test('off a terminal: nothing per poll, a line per finished tenth, a heartbeat after a quiet spell', async () => {
  const { stream, text } = sink(false);
  const r = createProgressReporter({ stream, tty: false, heartbeatMs: 200 });
  r.update(snap(0, 20, 0));
  for (let i = 0; i < 5; i++) r.status('0 active, 20 waiting for a worker');
  assert.equal(text(), '', 'no line for 0/N or for polls within the heartbeat interval');
  await new Promise((res) => setTimeout(res, 250));
  r.status('0 active, 20 waiting for a worker');
  r.status('0 active, 20 waiting for a worker');
  assert.match(text(), /^progress 0\/20 \(0%\) 0\.00 proofs\/s ETA --; 0 active, 20 waiting for a worker\n$/);
  r.update(snap(1, 20, 1));
  r.update(snap(2, 20, 2));
  r.update(snap(3, 20, 3));
  r.finish();
  assert.deepEqual(
    text()
      .trimEnd()
      .split('\n')
      .map((l) => l.replace(/ ETA.*| in .*/, '')),
    [
      'progress 0/20 (0%) 0.00 proofs/s',
      'progress 2/20 (10%) 1.00 proofs/s',
      // finish() on an unfinished batch says where it stopped.
      'progress 3/20 (15%) 1.00 proofs/s',
    ],
  );
});
