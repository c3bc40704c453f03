/**
 * File-system errors the user can cause (an output path that is a file, below a file, a
 * directory where a file goes, a read-only or full disk, a name too long) as one-line
 * {@link UserError}s naming the path: exit 2, never "internal error … this is a bug". Used by the
 * atomic writer, so every artifact write translates them the same way.
 */
import { UserError } from './errors.js';

/** What each user-caused errno means, in words. */
const USER_FS_ERRORS: Readonly<Record<string, string>> = {
  EEXIST: 'a file with that name exists where a directory is needed',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EISDIR: 'is a directory; a file path is needed',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENAMETOOLONG: 'file name too long',
  ENOENT: 'no such file or directory',
  ELOOP: 'too many levels of symbolic links',
  EMLINK: 'too many links',
};

/** The errno code of `e`, if it is a Node file-system error. */
export function errnoCode(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether `e` is a file-system error the user's path or disk causes (see {@link USER_FS_ERRORS}). */
export function isUserFsError(e: unknown): boolean {
  const code = errnoCode(e);
  return code !== undefined && Object.hasOwn(USER_FS_ERRORS, code);
}

/**
 * `e` as a one-line {@link UserError} naming `path` (`<path>: cannot <verb>: <why> (<CODE>)`) when it is
 * a user-caused file-system error; any other error is returned unchanged (a bug stays a bug).
 */
export function fsUserError(e: unknown, path: string, verb = 'write'): unknown {
  if (e instanceof UserError || !isUserFsError(e)) return e;
  const code = errnoCode(e)!;
  return new UserError(`${path}: cannot ${verb}: ${USER_FS_ERRORS[code]} (${code})`, { cause: e });
}
