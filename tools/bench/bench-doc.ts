/**
 * Writes the bench's markdown into docs/benchmarks.md. Each section of a run replaces the block
 * between the lines `<!-- bench:KEY -->` and `<!-- /bench:KEY -->` (each alone on its line); text outside the markers (the notes
 * written by people) is kept, and so are the blocks of sections this run did not measure. A
 * section whose markers are missing is appended at the end of the file.
 */

/** The sections run-bench.ts prints, in the order it prints them. */
export const BENCH_SECTIONS = [
  'machine',
  'models',
  'setup',
  'batch',
  'gas',
  'ops',
  'products',
  'composite',
  'accuracy',
  'accuracy-scale',
  'sequence',
  'trees',
  'hashed-weights',
  'lookups',
  'builder-memory',
  'prover',
  'queue',
  'summary',
] as const;
export type BenchSection = (typeof BENCH_SECTIONS)[number];

export interface SectionText {
  readonly key: string;
  readonly markdown: string;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The marker pair's block for one section. */
export function benchBlock(key: string, markdown: string): string {
  return `<!-- bench:${key} -->\n${markdown.trim()}\n<!-- /bench:${key} -->`;
}

/** `doc` with each section's block replaced (or appended when the doc has no markers for it). */
export function updateBenchDoc(doc: string, sections: readonly SectionText[]): string {
  let out = doc;
  for (const { key, markdown } of sections) {
    if (!markdown.trim()) continue;
    const block = benchBlock(key, markdown);
    const re = new RegExp(`^<!-- bench:${escape(key)} -->$[\\s\\S]*?^<!-- /bench:${escape(key)} -->$`, 'm');
    // A function replacement: the markdown may hold `$` sequences that a string would expand.
    out = re.test(out) ? out.replace(re, () => block) : `${out.trimEnd()}\n\n${block}\n`;
  }
  return out;
}

/** The keys of a doc's marker pairs, or an error naming an unclosed or unopened one. */
export function benchMarkers(doc: string): string[] {
  const keys: string[] = [];
  const opened: string[] = [];
  for (const m of doc.matchAll(/^<!-- (\/?)bench:([\w-]+) -->$/gm)) {
    if (!m[1]) {
      if (opened.length) throw new Error(`bench:${m[2]} opens inside bench:${opened.at(-1)}`);
      opened.push(m[2]!);
    } else {
      if (opened.pop() !== m[2]) throw new Error(`/bench:${m[2]} closes a block it did not open`);
      keys.push(m[2]!);
    }
  }
  if (opened.length) throw new Error(`bench:${opened[0]} is never closed`);
  return keys;
}
