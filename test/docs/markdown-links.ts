/**
 * A small Markdown link checker for the project's documentation (no Markdown parser is a
 * dependency): finds inline links `[text](target)`, images and reference definitions outside code
 * fences, code spans and HTML comments, and checks every relative target against the file tree
 * and, for `#anchor` targets in .md files, against the headings of the target file (GitHub's slugs).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

export interface Link {
  readonly file: string;
  readonly line: number;
  readonly target: string;
}

export interface BrokenLink extends Link {
  readonly reason: string;
}

/** Replaces fenced code blocks, HTML comments and code spans with spaces, keeping line breaks. */
export function stripCode(text: string): string {
  const lines = text.split('\n');
  let fence: { char: string; len: number } | undefined;
  const out = lines.map((line) => {
    const m = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fence) {
      if (m && m[1]![0] === fence.char && m[1]!.length >= fence.len && line.trim() === m[1]) fence = undefined;
      return '';
    }
    if (m) {
      fence = { char: m[1]![0]!, len: m[1]!.length };
      return '';
    }
    return line;
  });
  const blank = (s: string) => s.replace(/[^\n]/g, ' ');
  return out
    .join('\n')
    .replace(/<!--[\s\S]*?-->/g, blank)
    .replace(/(`+)(?!`)[\s\S]*?[^`]\1(?!`)/g, blank);
}

/** Every link target in a Markdown text, with its line number. */
export function findLinks(file: string, text: string): Link[] {
  const links: Link[] = [];
  const stripped = stripCode(text);
  const lineOf = (index: number) => stripped.slice(0, index).split('\n').length;
  // [text](target "title") and ![alt](target); the text may hold one level of nested brackets.
  const inline =
    /!?\[(?:[^[\]]|\[[^[\]]*\])*\]\(\s*(<[^>]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g;
  for (const m of stripped.matchAll(inline))
    links.push({ file, line: lineOf(m.index), target: m[1]!.replace(/^<|>$/g, '') });
  const definition = /^ {0,3}\[[^\]]+\]:\s*(\S+)/gm;
  for (const m of stripped.matchAll(definition))
    links.push({ file, line: lineOf(m.index), target: m[1]!.replace(/^<|>$/g, '') });
  return links;
}

/** GitHub's anchor for a heading text (github-slugger's rules, without the duplicate counter). */
export function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images: their text
    .replace(/<[^>]+>/g, '') // inline HTML
    .replace(/`/g, '')
    .replace(/(\*\*|__|\*)(.+?)\1/g, '$2'); // emphasis markers
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a Markdown text: one per heading (duplicates get -1, -2, …) and explicit ids. */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const add = (base: string) => {
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  };
  const lines = stripCode(text).split('\n');
  const raw = text.split('\n');
  lines.forEach((line, i) => {
    const atx = /^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/.exec(line);
    // A heading's code spans were blanked by stripCode: take its text from the raw line.
    if (atx) add(slug(/^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/.exec(raw[i]!)![1]!));
    else if (
      i > 0 &&
      /^ {0,3}(=+|-+)[ \t]*$/.test(line) &&
      lines[i - 1]!.trim() !== '' &&
      !/^ {0,3}[-*+>|]/.test(lines[i - 1]!)
    )
      add(slug(raw[i - 1]!));
  });
  for (const m of text.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) out.add(m[1]!);
  return out;
}

/** Checks every relative link of the given Markdown files; returns the broken ones. */
export function checkLinks(root: string, files: readonly string[]): BrokenLink[] {
  const broken: BrokenLink[] = [];
  const anchorCache = new Map<string, Set<string>>();
  for (const file of files) {
    const path = resolve(root, file);
    for (const link of findLinks(file, readFileSync(path, 'utf8'))) {
      const t = link.target;
      if (/^[a-z][a-z0-9+.-]*:/i.test(t) || t.startsWith('//')) continue; // http(s), mailto, …
      const hash = t.indexOf('#');
      const pathPart = hash >= 0 ? t.slice(0, hash) : t;
      const anchor = hash >= 0 ? decodeURIComponent(t.slice(hash + 1)) : undefined;
      let targetPath: string;
      try {
        targetPath = pathPart === '' ? path : resolve(dirname(path), decodeURIComponent(pathPart));
      } catch {
        broken.push({ ...link, reason: 'malformed percent-encoding' });
        continue;
      }
      if (!targetPath.startsWith(resolve(root))) {
        broken.push({ ...link, reason: 'points outside the repository' });
        continue;
      }
      if (!existsSync(targetPath)) {
        broken.push({ ...link, reason: `no such file: ${relative(root, targetPath)}` });
        continue;
      }
      if (anchor === undefined || anchor === '' || !targetPath.endsWith('.md')) continue;
      let set = anchorCache.get(targetPath);
      if (!set) anchorCache.set(targetPath, (set = anchors(readFileSync(targetPath, 'utf8'))));
      if (!set.has(anchor)) broken.push({ ...link, reason: `no heading #${anchor} in ${relative(root, targetPath)}` });
    }
  }
  return broken;
}

/** `file:line: target (reason)`, one per line. */
export function formatBroken(broken: readonly BrokenLink[]): string {
  return broken.map((b) => `${b.file}:${b.line}: ${b.target} (${b.reason})`).join('\n');
}
