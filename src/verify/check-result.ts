/**
 * The outcome of one verification check: shared by the bundle verifier and the checks it runs
 * from other files (model binding, trusted setup), which must not import the verifier itself.
 */

/** Names of the checks, in the order they run. */
export type CheckName =
  | 'format'
  | 'pin'
  | 'vkey'
  | 'model-id'
  | 'bundle-fields'
  | 'public-signals'
  | 'opening'
  | 'input-commitment'
  | 'proof'
  | 'chain'
  | 'trusted-setup';

/** One check's outcome; `unverified` marks a check that passed only because the user waived it. */
export interface CheckResult {
  readonly check: CheckName;
  readonly ok: boolean;
  readonly detail: string;
  readonly unverified?: true;
}

/** A passed check. */
export const pass = (check: CheckName, detail: string): CheckResult => ({ check, ok: true, detail });

/** A failed check. */
export const fail = (check: CheckName, detail: string): CheckResult => ({ check, ok: false, detail });
