/**
 * Errors that the CLI reports as one line with exit code 2: the user's input was unreadable,
 * malformed or unsupported. Anything else escaping a command is a bug: the CLI's global guard
 * prints one line and "this is a bug in zkinfer, please report" (details with --debug), exit 3.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

// Control characters (C0, DEL, C1) and the two JavaScript line terminators a terminal may break on.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * Quotes a name taken from a user's file (node, tensor, attribute, field) for an error
 * message: double quotes, with quotes, backslashes, newlines, NUL and every other control
 * character escaped, so a hostile name can neither break the one-line error nor fake output.
 */
export function quote(name: unknown): string {
  const s = typeof name === 'string' ? name : String(name);
  return JSON.stringify(s).replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Makes a message one printable line: control characters (newlines included) are escaped. */
export function oneLine(message: string): string {
  return message.replace(UNPRINTABLE, (c) => (c === '\n' ? '\\n' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
