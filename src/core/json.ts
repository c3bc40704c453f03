/**
 * Reading user-supplied JSON safely: a nesting-depth guard before JSON.parse (a file nested
 * 100,000 deep would otherwise overflow the stack inside the parser or in any recursive walk
 * after it), plain errors for NaN/Infinity, duplicate keys refused, and zod validation that
 * names the file and the first offending field on one line. Every artifact and input reader
 * goes through here.
 */
import { readFileSync } from 'node:fs';
import { visit } from 'jsonc-parser';
import type { z } from 'zod';
import { quote, UserError } from './errors.js';

/** Deepest nesting of arrays and objects any zkinfer file needs (inputs are ≤ 6 deep). */
export const MAX_JSON_DEPTH = 64;

/**
 * Depth of the deepest array/object nesting in `text`, stopping as soon as it passes `limit`.
 * One linear scan that skips string contents, so brackets inside strings do not count.
 */
export function jsonDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/**
 * The first key that appears twice in one object of (valid JSON) `text`, with its 1-based line.
 * JSON.parse keeps the last of two equal keys and other parsers the first, so a bundle with a
 * duplicate key could mean one thing to zkinfer and another to the next tool: refused instead.
 * jsonc-parser's visitor reports every property without building a tree.
 */
export function duplicateJsonKey(text: string): { key: string; line: number } | undefined {
  const open: Array<Set<string>> = [];
  let found: { key: string; line: number } | undefined;
  visit(text, {
    onObjectBegin: () => {
      open.push(new Set());
    },
    onObjectEnd: () => {
      open.pop();
    },
    onObjectProperty: (key, _offset, _length, line) => {
      const keys = open[open.length - 1];
      if (!keys || found) return;
      if (keys.has(key)) found = { key, line: line + 1 };
      else keys.add(key);
    },
  });
  return found;
}

/**
 * Parses JSON text from `where` (a file name, or `file:line`). Throws {@link UserError} for
 * nesting deeper than {@link MAX_JSON_DEPTH}, NaN/Infinity outside strings, a duplicate key, or
 * any syntax error.
 */
export function parseJsonText(text: string, where: string, what = 'JSON'): unknown {
  if (jsonDepth(text) > MAX_JSON_DEPTH)
    throw new UserError(`${where}: ${what} nested deeper than ${MAX_JSON_DEPTH} levels`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    // NaN and Infinity are not JSON; say so plainly rather than "Unexpected token" (but only
    // outside strings: a `"note": "Infinity"` field is fine and parses).
    const bare = text.replace(/"(?:[^"\\]|\\.)*"/g, '""');
    if (/(?<![\w.])-?(NaN|Infinity)\b/.test(bare))
      throw new UserError(
        `${where}: ${what === 'JSON' ? 'file' : what} contains NaN or Infinity, which JSON cannot hold; values must be finite numbers`,
      );
    throw new UserError(`${where}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  const dup = duplicateJsonKey(text);
  if (dup)
    throw new UserError(
      `${where}:${dup.line}: key ${quote(dup.key)} appears twice in one object; JSON readers disagree on which one counts`,
    );
  return value;
}

/** Reads and parses a JSON file, naming it in every error. */
export function readJsonFile(path: string, what = 'JSON'): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`${path}: cannot read ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseJsonText(text, path, what);
}

/** A zod issue path as `a.b[2].c`, keys quoted when they are not plain identifiers. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const k of path) {
    if (typeof k === 'number') s += `[${k}]`;
    else if (typeof k === 'string' && /^[A-Za-z_$][\w$]*$/.test(k)) s += s ? `.${k}` : k;
    else s += `[${quote(String(k))}]`;
  }
  return s || '(top level)';
}

/**
 * Validates `value` against `schema`; on failure throws one {@link UserError}:
 * `<where>: field <path>: <message>`. Unknown fields are stripped, never an error, unless the
 * schema itself is strict.
 */
export function validate<S extends z.ZodType>(schema: S, value: unknown, where: string, what?: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more)` : '';
  throw new UserError(
    `${where}: ${what ? `malformed ${what}: ` : ''}field ${fieldPath(issue.path)}: ${issue.message}${more}`,
  );
}

/** Reads, parses and validates a JSON file in one step. */
export function readValidatedJson<S extends z.ZodType>(path: string, schema: S, what: string): z.output<S> {
  return validate(schema, readJsonFile(path, what), path, what);
}
