/**
 * Preloaded (`node --import`) into a bench's `zkinfer` child process: when the process exits it
 * writes its peak resident set size (`process.resourceUsage().maxRSS`, KiB, the kernel's
 * high-water mark for the whole process, worker threads included) to the file named by
 * ZKINFER_BENCH_RSS_FILE. Chosen over `/usr/bin/time -f %M` because a fresh Debian has no
 * `time` package, and over polling /proc because a poll misses the last peak.
 */
import { writeFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

const file = process.env.ZKINFER_BENCH_RSS_FILE;
// Worker threads load this module too; only the main thread's exit is the process's.
if (file && isMainThread)
  process.on('exit', () => {
    try {
      writeFileSync(file, String(process.resourceUsage().maxRSS));
    } catch {
      // The bench reports a missing number; the command's own exit code must not change.
    }
  });
