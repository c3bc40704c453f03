/**
 * The one check of an output path, called by each writing command before it does any work: an
 * empty path, a directory path that is a file, a file path that is a directory, a path below a
 * file, or a parent the user cannot write to is a one-line UserError naming the path, before
 * minutes of quantizing or proving are spent and before anything is written. The write layer
 * (atomic-write.ts) still translates what only a write can find (a full disk).
 */
import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from './errors.js';
import { errnoCode, fsUserError } from './fs-errors.js';

/** Options of the output-path checks. */
export interface OutputPathOptions {
  /** The flag or argument the path came from, for the message (default `--out`). */
  readonly flag?: string;
}

/** `stat` of `path`, or undefined when nothing is there (or a parent is a file: the walk goes on up). */
function statIfAny(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw fsUserError(e, path, 'use');
  }
}

/** `dir` (an existing directory) must be writable and searchable, or nothing can be made in it. */
function assertWritableDir(dir: string, forPath: string): void {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    const err = fsUserError(e, dir, 'write there');
    if (err instanceof UserError && dir !== forPath)
      throw new UserError(`${forPath}: cannot be created: ${err.message}`, { cause: e });
    throw err;
  }
}

/** The nearest existing ancestor of a missing `path` must be a directory the user can write to. */
function assertCreatable(path: string): void {
  for (let p = path, parent = dirname(p); parent !== p; p = parent, parent = dirname(p)) {
    const st = statIfAny(parent);
    if (!st) continue;
    if (!st.isDirectory()) throw new UserError(`${path}: cannot be created: ${parent} is a file, not a directory`);
    assertWritableDir(parent, path);
    return;
  }
}

function assertNotEmpty(path: string, flag: string, what: string): void {
  if (path.trim() === '') throw new UserError(`${flag}: empty path; give ${what}`);
}

/**
 * Checks that `dir` can be an output directory: an existing writable directory, or a path that
 * can be created (its nearest existing ancestor is a writable directory).
 * @throws UserError naming the path and what is wrong.
 */
export function checkOutputDir(dir: string, opts: OutputPathOptions = {}): void {
  const flag = opts.flag ?? '--out';
  assertNotEmpty(dir, flag, 'a directory');
  const st = statIfAny(dir);
  if (st && !st.isDirectory()) throw new UserError(`${dir}: exists and is not a directory (${flag} takes a directory)`);
  if (st) assertWritableDir(dir, dir);
  else assertCreatable(dir);
}

/**
 * Checks that `file` can be written as an output file: not a directory, and its directory exists
 * writable or can be created. An existing file is fine (it is replaced atomically).
 * @throws UserError naming the path and what is wrong.
 */
export function checkOutputFile(file: string, opts: OutputPathOptions = {}): void {
  const flag = opts.flag ?? '--out';
  assertNotEmpty(file, flag, 'a file path');
  const st = statIfAny(file);
  if (st?.isDirectory()) throw new UserError(`${file}: is a directory (${flag} takes a file path)`);
  if (st) assertWritableDir(dirname(file), file);
  else assertCreatable(file);
}
