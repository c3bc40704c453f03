/**
 * The inputs of a batch: every `.json` / `.pb` file of a directory, or the lines of a JSON-lines
 * file. Listing only names the items; reading and checking each one happens in the worker that
 * proves it, so one bad input fails alone and file reading overlaps with proving.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { UserError } from '../core/errors.js';
import { InputLayout, parseInputText, readInputFile } from '../onnx/input-file.js';

/** One input of a batch. */
export interface BatchInput {
  /** Bundle name stem: the file's stem, or `<file stem>-<line number>` for a JSON-lines item. */
  readonly name: string;
  /** Where the input came from, as error messages and bundles name it (`file` or `file:line`). */
  readonly source: string;
  /** An input file to read (directory listings). */
  readonly path?: string;
  /** The JSON text of the input (JSON-lines items). */
  readonly text?: string;
}

const INPUT_EXTENSIONS = new Set(['.json', '.pb']);

/**
 * Lists the inputs at `path`: a directory (its `.json` and `.pb` files, sorted by name, not
 * recursive) or a JSON-lines file (one JSON array or `{"input": [...]}` per non-blank line).
 * Throws {@link UserError} when `path` cannot be read or holds no input.
 */
export function listBatchInputs(path: string): BatchInput[] {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    throw new UserError(`${path}: cannot read inputs (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const items = isDir ? listDirectory(path) : listJsonLines(path);
  if (items.length === 0)
    throw new UserError(
      isDir
        ? `${path}: no input files (.json or .pb) in this directory`
        : `${path}: no inputs (expected one JSON input per line)`,
    );
  return items;
}

function listDirectory(dir: string): BatchInput[] {
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true })
      .filter((d) => !d.isDirectory() && INPUT_EXTENSIONS.has(extname(d.name).toLowerCase()))
      .map((d) => d.name);
  } catch (e) {
    throw new UserError(`${dir}: cannot list inputs (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return names.sort().map((n) => ({ name: basename(n, extname(n)), source: join(dir, n), path: join(dir, n) }));
}

function listJsonLines(file: string): BatchInput[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`${file}: cannot read inputs (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (text.includes('\u0000') || text.includes('\ufffd'))
    throw new UserError(`${file}: binary data or invalid UTF-8, not a JSON-lines file of inputs`);
  const stem = basename(file, extname(file));
  const items: BatchInput[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    items.push({ name: `${stem}-${i + 1}`, source: `${file}:${i + 1}`, text: line });
  }
  return items;
}

/** Reads and checks one batch input against the model's input shape; throws {@link UserError}. */
export function readBatchInput(item: BatchInput, shape: InputLayout): Float64Array {
  if (item.path !== undefined) return readInputFile(item.path, shape);
  return parseInputText(item.text ?? '', shape, item.source);
}
