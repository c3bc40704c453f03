/**
 * What the terminal on the other end wants, decided once for the whole process: whether to draw
 * progress (only on a TTY, never with --quiet or --json), whether to print informational messages
 * (not with --quiet) and whether color is allowed (NO_COLOR, --no-color, or not a TTY say no). The
 * CLI sets it from its global flags ({@link configureTerminal}); everything that draws asks here,
 * so the rule lives in one place.
 */

/** The process-wide output preferences. */
export interface TerminalOptions {
  /** --quiet: no progress and no informational messages (errors, warnings and results stay). */
  readonly quiet?: boolean;
  /** --no-color (NO_COLOR in the environment says the same). */
  readonly noColor?: boolean;
  /** --json: stdout is one JSON document, so nothing is drawn in place on stderr either. */
  readonly json?: boolean;
}

let current: TerminalOptions = {};

/** Sets the preferences (the CLI calls it once per command, from argv). */
export function configureTerminal(opts: TerminalOptions): void {
  current = { ...opts };
}

/** The current preferences. */
export function terminalOptions(): TerminalOptions {
  return current;
}

/** True with --quiet. */
export function isQuiet(): boolean {
  return current.quiet ?? false;
}

/**
 * True when progress may be drawn in place on `stream` (default stderr): it is a terminal and
 * neither --quiet nor --json was given. Pipes, CI logs and files get no progress bars.
 */
export function isInteractive(stream: { readonly isTTY?: boolean } = process.stderr): boolean {
  return Boolean(stream.isTTY) && !current.quiet && !current.json;
}

/**
 * True when ANSI color may be written to `stream`: a terminal, no --no-color, and no NO_COLOR
 * in the environment (any non-empty value, as https://no-color.org says).
 */
export function useColor(stream: { readonly isTTY?: boolean } = process.stderr): boolean {
  const noColorEnv = (process.env['NO_COLOR'] ?? '') !== '';
  return Boolean(stream.isTTY) && !noColorEnv && !current.noColor;
}
