/**
 * The one rule for accuracy and agreement thresholds, on the command line (`--min-accuracy`,
 * `--max-disagreement`, `--target-agreement`) and in `zkinfer.gate.json` (`minAccuracy`,
 * `maxDisagreement`) alike: a fraction in [0, 1] (`0.95`) or a percentage written with `%`
 * (`95%`). A bare number above 1 (`95`) is refused rather than guessed at: `1` would otherwise
 * mean 100 % or 1 % depending on which reading won. For the same reason a percentage strictly
 * between 0 % and 1 % (`0.95%`) is refused: it is a fraction with a `%` added as often as it is
 * meant, so it must be written as the fraction (`0.0095`) — and the error offers `95%` too.
 */
import { quote, UserError } from './errors.js';

const PERCENT = /^\s*([+-]?(?:\d+\.?\d*|\.\d+))\s*%\s*$/;
const FRACTION = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?\s*$/i;

/** How a threshold may be written, for help texts and error messages. */
export const THRESHOLD_FORMS = 'a fraction in [0, 1] or a percentage with %, e.g. 0.95 or 95%';

/**
 * Parses a threshold given as `value` (a flag's text, or a JSON number or string from a config file) into a
 * fraction in [0, 1]; throws {@link UserError} naming `name` (a flag or `file: field x`) otherwise.
 */
export function parseThreshold(value: unknown, name: string): number {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value : undefined;
  const bad = (why: string): never => {
    throw new UserError(`${name}: ${why}; write ${THRESHOLD_FORMS}`);
  };
  if (text === undefined) return bad(`expected a number or a percentage string, got ${typeof value}`);
  const pct = PERCENT.exec(text);
  if (pct) {
    const x = Number(pct[1]);
    if (!(x >= 0 && x <= 100)) return bad(`${quote(text)} is not a percentage in [0%, 100%]`);
    if (x > 0 && x < 1)
      throw new UserError(
        `${name}: ${quote(text)} is a percentage below 1 %, which reads as a fraction with % added: write the percentage ${tidy(x * 100)}% if you meant that, or the fraction ${tidy(x / 100)} for ${pct[1]} % (${THRESHOLD_FORMS})`,
      );
    // Without binary noise (14.3% is 0.143, not 0.14300000000000002), so it equals the fraction written out.
    return Number((x / 100).toPrecision(15));
  }
  if (!FRACTION.test(text)) return bad(`${quote(text)} is not a number`);
  const x = Number(text);
  if (x > 1 && x <= 100)
    throw new UserError(
      `${name}: ${quote(text)} is above 1: write the fraction ${tidy(x / 100)} or the percentage ${tidy(x)}% (${THRESHOLD_FORMS})`,
    );
  if (!(x >= 0 && x <= 1)) return bad(`${quote(text)} is out of range`);
  return x;
}

/** `x` as a plain decimal without binary rounding noise (0.14300000000000002 → 0.143), so a suggested form parses as shown. */
function tidy(x: number): string {
  return String(Number(x.toPrecision(12)));
}

/** A commander option parser for a threshold flag (see {@link parseThreshold}). */
export function thresholdOption(flag: string): (v: string) => number {
  return (v: string) => parseThreshold(v, flag);
}
