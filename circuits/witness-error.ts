/**
 * The error a gadget throws while computing a witness when a value does not fit the range the
 * circuit was compiled for. In its own module so that both the range checks (range-check.ts) and
 * the lookup argument (lookup.ts, which the builder imports) can throw it without an import cycle.
 */

/** Thrown while computing a witness when a value does not fit the range the circuit was compiled for. */
export class WitnessRangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WitnessRangeError';
  }
}
