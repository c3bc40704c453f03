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
