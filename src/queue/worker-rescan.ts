/**
 * A running worker's look for accuracy chunk keys made (or replaced) after it started: every
 * {@link KEY_RESCAN_SECONDS}, one scan at a time, new keys get their queue and a directory whose
 * key changed stops serving the old one. Split out of queue-worker.ts.
 */
import type PgBoss from 'pg-boss';
import { ensureQueue } from './job-queue.js';
import { CHUNK_KIND, chunkKeyCache, chunkKeys, type ServedKey } from './worker-keys.js';

/** Seconds between looks for new accuracy chunk keys in the build directory. */
export const KEY_RESCAN_SECONDS = 5;

/** One served queue: its name and the key it is for. */
export interface ServedQueue extends ServedKey {
  readonly queue: string;
}

/** What a rescan reads and updates of a running worker. */
export interface RescanState {
  readonly buildDir: string;
  /** The queues served, in fetch order; appended to when new chunk keys appear. */
  readonly served: ServedQueue[];
  /** Verdicts on chunk key directories, kept while their files do not change. */
  readonly keyCache: ReturnType<typeof chunkKeyCache>;
  readonly boss: PgBoss;
  readonly emit: (e: { type: 'keys'; message: string }) => void;
}

/**
 * Looks for chunk keys made (or replaced) since the last look: new ones get their queue, and a
 * directory whose key changed stops serving the old key (its jobs are for keys no longer here).
 */
async function rescanKeys(w: RescanState, kinds: readonly string[], said: Set<string>): Promise<void> {
  if (!kinds.includes(CHUNK_KIND)) return;
  const { keys, skipped } = chunkKeys(w.buildDir, w.keyCache);
  for (const line of skipped) {
    if (said.has(line)) continue;
    said.add(line);
    w.emit({ type: 'keys', message: line });
  }
  const now = new Map(keys.map((k) => [k.keyDir, k.keyHash]));
  for (let i = w.served.length - 1; i >= 0; i--) {
    const q = w.served[i]!;
    if (q.kind === CHUNK_KIND && now.get(q.keyDir) !== q.keyHash) {
      w.served.splice(i, 1);
      w.emit({
        type: 'keys',
        message: `${q.keyDir}: key ${q.keyHash.slice(0, 16)}… gone; its queue is no longer served`,
      });
    }
  }
  for (const k of keys) {
    if (w.served.some((q) => q.kind === k.kind && q.keyHash === k.keyHash)) continue;
    w.served.push({ ...k, queue: await ensureQueue(w.boss, k.kind, k.keyHash) });
    w.emit({ type: 'keys', message: `serving ${k.kind} jobs for key ${k.keyHash.slice(0, 16)}… (${k.keyDir})` });
  }
}

/** Rescans the build for chunk keys every {@link KEY_RESCAN_SECONDS}, one scan at a time, until stopped. */
export function startRescans(
  w: RescanState,
  kinds: readonly string[],
  skipped: readonly string[],
): { stop(): Promise<void> } {
  const said = new Set(skipped);
  for (const line of skipped) w.emit({ type: 'keys', message: line });
  let scanning: Promise<void> | undefined;
  const timer = setInterval(() => {
    scanning ??= rescanKeys(w, kinds, said)
      .catch((e: Error) => w.emit({ type: 'keys', message: `looking for new chunk keys: ${e.message.split('\n')[0]}` }))
      .finally(() => (scanning = undefined));
  }, KEY_RESCAN_SECONDS * 1000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await scanning;
    },
  };
}
