/**
 * Errors that the CLI reports as one line with exit code 2: the user's input was unreadable,
 * malformed or unsupported. Anything else escaping a command is a bug: the CLI's global guard
 * prints one line and "this is a bug in zkinfer, please report" (details with --debug), exit 3.
 */
export class UserError extends Error {
  /** `options.cause` keeps the underlying error for debugging; the printed one-line message is `message` alone. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UserError';
  }
}

// Control characters (C0, DEL, C1) and the two JavaScript line terminators a terminal may break on;
// JSON.stringify leaves C1 and U+2028/2029 as they are.
// eslint-disable-next-line no-control-regex -- matching control characters is this pattern's purpose.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const escapeUnprintable = (s: string) =>
  s.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * A name from a user's file, safe to print inside a one-line message: control characters,
 * quotes and backslashes are escaped JSON-style and very long names are cut, so a node named
 * "a\nb" cannot split an error over two lines or forge a second message.
 */
export function quoteName(name: string, max = 200): string {
  const cut = name.length > max ? `${name.slice(0, max)}…` : name;
  return escapeUnprintable(JSON.stringify(cut).slice(1, -1));
}

/** {@link quoteName} inside double quotes, for any value (non-strings are converted first). */
export function quote(name: unknown): string {
  return `"${quoteName(typeof name === 'string' ? name : String(name))}"`;
}

/** Makes a message one printable line: control characters (newlines included) are escaped. */
export function oneLine(message: string): string {
  return message.replace(UNPRINTABLE, (c) =>
    c === '\n' ? '\\n' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * zkinfer built a circuit whose constraints leave some wire free (the determinism check of
 * `compile` found it): a bug in zkinfer, not in the user's input. The CLI reports it as one
 * line with exit code 3 and writes no artifact, since a proof for such a circuit could be forged.
 */
export class UnderconstrainedCircuitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnderconstrainedCircuitError';
  }
}
