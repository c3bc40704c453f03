/**
 * Errors that the CLI reports as one line with exit code 2: the user's input was unreadable,
 * malformed or unsupported. Anything else escaping a command is a bug and shows a stack trace.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/**
 * A name from a user's file, safe to print inside a one-line message: control characters,
 * quotes and backslashes are escaped JSON-style and very long names are cut, so a node named
 * "a\nb" cannot split an error over two lines or forge a second message.
 */
export function quoteName(name: string, max = 200): string {
  const cut = name.length > max ? `${name.slice(0, max)}…` : name;
  return JSON.stringify(cut).slice(1, -1);
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
