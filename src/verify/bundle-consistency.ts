/**
 * The checks of a bundle against its own embedded key that need no pairing and no pinned key:
 * what `calldata` runs before printing arguments for `verifyProof` (the same functions `verify`
 * runs as its `format`, `vkey`, `public-signals` and `bundle-fields` checks). A bundle whose
 * signal count differs from its key's nPublic would give calldata for a function the exported
 * verifier does not have.
 */
import { UserError } from '../core/errors.js';
import { readJsonFile } from '../core/json.js';
import { assertBundleShape, type ProofBundle } from '../formats/bundle.js';
import { assertVerificationKey, vkeyHash } from '../formats/vkey.js';
import type { CheckName } from './check-result.js';
import { checkCommitmentFields, checkKeyFields } from './check-signals.js';

/** A failed consistency check: its name (as `verify` reports it) and why. */
export interface ConsistencyProblem {
  readonly check: CheckName;
  readonly detail: string;
}

/** The first check a well-formed bundle fails against its embedded key, or undefined. */
export function bundleConsistencyProblem(bundle: ProofBundle, where: string): ConsistencyProblem | undefined {
  const key = bundle.vkey;
  assertVerificationKey(key, `${where}: field "vkey"`);
  const hash = vkeyHash(key);
  if (hash !== bundle.vkeyHash)
    return {
      check: 'vkey',
      detail: `the embedded key's hash ${hash.slice(0, 16)}… differs from the bundle's ${bundle.vkeyHash.slice(0, 16)}…`,
    };
  if (bundle.publicSignals.length !== key.nPublic)
    return {
      check: 'public-signals',
      detail: `${bundle.publicSignals.length} public signals, the key expects ${key.nPublic}`,
    };
  const fields = checkKeyFields(bundle, key.zkinfer) ?? checkCommitmentFields(bundle);
  return fields ? { check: 'bundle-fields', detail: fields } : undefined;
}

/**
 * Reads a bundle through the shared JSON reader (duplicate keys, depth, NaN refused), checks its
 * shape and its consistency with its embedded key.
 * @throws UserError naming the file and the failed check.
 */
export function readConsistentBundle(path: string): ProofBundle {
  const raw = readJsonFile(path, 'proof bundle');
  assertBundleShape(raw, path);
  const problem = bundleConsistencyProblem(raw, path);
  if (problem)
    throw new UserError(`${path}: inconsistent proof bundle: check ${problem.check} fails: ${problem.detail}`);
  return raw;
}
