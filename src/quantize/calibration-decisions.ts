/**
 * Every choice the quantizer takes from calibration data, in one place, so that a verifier can
 * replay a published quantization without the calibration set (`verify --model`).
 *
 * A choice is made through {@link CalibrationDecisions.int} or `flag`: while calibrating it is computed
 * from the calibration statistics and recorded under (op name, choice name); when replaying
 * (`pinned`) the recorded value is returned instead and the computation never runs. settings.json
 * stores the record as `quantization.decisions`. An op that routes its calibration-dependent
 * choices through `int`/`flag` (or through QuantizeContext's requantize/table helpers, which do) is
 * replayable with no further code.
 */
import { UserError } from '../core/errors.js';

/** One recorded choice: a fractional width, a shift, a range end or a flag. */
export type DecisionValue = number | boolean;

/** Recorded choices, keyed by op name (or `::input`, `::input:NAME` for graph inputs), then choice name. */
export type DecisionRecord = Record<string, Record<string, DecisionValue>>;

/**
 * Bounds of a replayed fractional width or shift: whatever calibration of finite float64
 * values can choose (2^±1023: the finite double range), so an absurd value in an edited
 * file is refused before it reaches the arithmetic.
 */
export const FRAC_BOUNDS = { min: -1023, max: 1023 } as const;

/** Key of the shared scale of the float graph inputs. */
export const INPUT_DECISION = '::input';

/** Key of the integer range of graph input `name`. */
export function integerInputDecision(name: string): string {
  return `${INPUT_DECISION}:${name}`;
}

/** Makes or replays calibration-dependent choices and keeps the record of them. */
export class CalibrationDecisions {
  /** Every choice made or replayed, in the order they were taken (written to settings.json). */
  readonly record: DecisionRecord = {};
  private readonly replay: DecisionRecord | undefined;
  private readonly source: string;

  /**
   * @param replay recorded choices to reuse instead of calibrating (a published settings.json)
   * @param source where `replay` came from, for error messages
   */
  constructor(replay?: DecisionRecord, source = 'settings.json') {
    this.replay = replay;
    this.source = source;
  }

  /** Whether choices are replayed rather than calibrated. */
  get replaying(): boolean {
    return this.replay !== undefined;
  }

  /** Every (op, choice) pair of the replayed record, in file order (none when calibrating). */
  replayedKeys(): [string, string][] {
    return Object.entries(this.replay ?? {}).flatMap(([op, r]) => Object.keys(r).map((k): [string, string] => [op, k]));
  }

  /**
   * The integer choice `choice` of op `op` (a fractional width, shift or range end):
   * `calibrate()` when calibrating, the recorded value when replaying, which must lie in
   * `[min, max]` (what calibration could have chosen; anything else is a malformed file).
   */
  int(
    op: string,
    choice: string,
    calibrate: () => number,
    min = Number.MIN_SAFE_INTEGER,
    max = Number.MAX_SAFE_INTEGER,
  ): number {
    const v = this.decide(op, choice, 'integer', calibrate) as number;
    if (this.replay && (v < min || v > max))
      throw new UserError(`${this.source}: decision "${choice}" for "${op}" must be in ${min}..${max}, got ${v}`);
    return v;
  }

  /** The yes/no choice `choice` of op `op` (e.g. whether a requantize clips at zero). */
  flag(op: string, choice: string, calibrate: () => boolean): boolean {
    return this.decide(op, choice, 'boolean', calibrate) as boolean;
  }

  private decide(
    op: string,
    choice: string,
    type: 'integer' | 'boolean',
    calibrate: () => DecisionValue,
  ): DecisionValue {
    let v: DecisionValue;
    if (this.replay) {
      const r = Object.hasOwn(this.replay, op) ? this.replay[op] : undefined;
      const rec = r && Object.hasOwn(r, choice) ? r[choice] : undefined;
      // A missing or mistyped record is the settings file's fault, never a reason to calibrate.
      if (rec === undefined)
        throw new UserError(
          `${this.source}: no recorded decision "${choice}" for "${op}" (settings.json belongs to another model or predates recorded decisions: re-run zkinfer quantize)`,
        );
      if (type === 'integer' ? !Number.isSafeInteger(rec) : typeof rec !== 'boolean')
        throw new UserError(
          `${this.source}: decision "${choice}" for "${op}" must be ${type === 'integer' ? 'an integer' : 'true or false'}, got ${JSON.stringify(rec)}`,
        );
      v = rec;
    } else {
      v = calibrate();
    }
    (this.record[op] ??= {})[choice] = v;
    return v;
  }
}

/** Range of a tensor over the calibration runs of the float graph. */
export function calibrationStats(
  samples: readonly Map<string, Float64Array>[],
  name: string,
): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const s of samples)
    for (const v of s.get(name)!) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  return { min, max };
}
