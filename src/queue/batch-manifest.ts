/**
 * Batches of queued jobs: a small manifest table (`zkinfer.queue_batch`) naming the jobs of one
 * submission, so `queue status` / `queue collect` can find them later from any machine. Split
 * out of job-queue.ts, which creates the table on connecting.
 */
import type PgBoss from 'pg-boss';
import { sha256Hex } from '../core/hash.js';
import { UserError } from '../core/errors.js';

/** One item of a batch: a job, or an input the submitter could not even enqueue. */
export interface BatchEntry {
  /** Output name stem (bundle `<name>.proof.json`). */
  readonly name: string;
  /** Where the input came from (file or file:line). */
  readonly source: string;
  readonly jobId?: string;
  /** Why the item was not enqueued (unreadable input). */
  readonly error?: string;
}

/** A submission: which queue, which jobs, and what the submitter recorded about them. */
export interface BatchManifest {
  readonly batchId: string;
  readonly kind: string;
  readonly keyHash: string;
  /** The build directory on the submitting machine (collect verifies with its vkey.json). */
  readonly buildDir: string;
  readonly entries: BatchEntry[];
}

/** Creates zkinfer's batch table (schema `zkinfer`) when it is missing; called on every connection. */
export async function ensureBatchTable(boss: PgBoss): Promise<void> {
  const db = boss.getDb();
  const ddl = [
    'CREATE SCHEMA IF NOT EXISTS zkinfer',
    'CREATE TABLE IF NOT EXISTS zkinfer.queue_batch (id text PRIMARY KEY, manifest jsonb NOT NULL, created_on timestamptz NOT NULL DEFAULT now())',
  ];
  for (const sql of ddl) {
    try {
      await db.executeSql(sql, []);
    } catch (e) {
      // Two clients creating it at once: one wins with a unique violation, the table exists either way.
      if ((e as { code?: string }).code !== '23505') throw e;
    }
  }
}

/** A batch id: the same submission (same key, same entries) always gets the same id. */
export function batchIdFor(kind: string, keyHash: string, entries: readonly BatchEntry[]): string {
  return sha256Hex(
    kind,
    '\0',
    keyHash,
    '\0',
    JSON.stringify(entries.map((e) => [e.name, e.jobId ?? '', e.error ?? ''])),
  ).slice(0, 20);
}

/** Stores a batch manifest (a rerun of the same submission finds it already there). */
export async function saveBatch(boss: PgBoss, manifest: BatchManifest): Promise<void> {
  await boss
    .getDb()
    .executeSql('INSERT INTO zkinfer.queue_batch (id, manifest) VALUES ($1, $2::jsonb) ON CONFLICT (id) DO NOTHING', [
      manifest.batchId,
      JSON.stringify(manifest),
    ]);
}

/** Loads a batch manifest; throws {@link UserError} when there is none with that id. */
export async function loadBatch(boss: PgBoss, batchId: string): Promise<BatchManifest> {
  const { rows } = await boss.getDb().executeSql('SELECT manifest FROM zkinfer.queue_batch WHERE id = $1', [batchId]);
  if (rows.length === 0)
    throw new UserError(
      `batch ${batchId}: not found in the queue database (printed by \`zkinfer prove … --queue URL --no-wait\`)`,
    );
  return rows[0].manifest as BatchManifest;
}
