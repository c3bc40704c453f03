/**
 * The outcome of one verification check: shared by the bundle verifier, the claim verifier
 * (src/accuracy/verify-claim.ts) and the checks both run from other files (key pinning, model
 * binding, ceremony, trusted setup), so a check has one name and one meaning wherever it runs.
 */

/**
 * Names of the checks, in the order they run. Bundles and claims share `format`, `pin`, `vkey`,
 * `model-id`, `ceremony`, `public-signals`, `proof` and `trusted-setup`; `bundle-fields`,
 * `opening`, `input-commitment` and `chain` are bundles' only; `weights` (the W pin) and
 * `weights-opening` run for hashed-weights keys only; `chunks`, `dataset-commitment`,
 * `dataset-pin`, `count` and `min-accuracy` are claims' only. `proof-system` (the proof's protocol is
 * the key's) runs for both; `challenge` (ultragroth: the last public signal is the hash of C₁ and
 * the other signals) runs before `proof` for ultragroth keys only.
 */
export type CheckName =
  | 'format'
  | 'pin'
  | 'vkey'
  | 'model-id'
  | 'weights'
  | 'weights-opening'
  | 'ceremony'
  | 'bundle-fields'
  | 'chunks'
  | 'public-signals'
  | 'dataset-commitment'
  | 'dataset-pin'
  | 'opening'
  | 'input-commitment'
  | 'proof-system'
  | 'challenge'
  | 'proof'
  | 'count'
  | 'min-accuracy'
  | 'chain'
  | 'trusted-setup';

/** One check's outcome; `unverified` marks a check that passed only on labels or because the user waived it. */
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
