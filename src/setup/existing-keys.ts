/**
 * Keys already in a build directory, and the one rule for replacing them: never silently.
 * Every proof made with a key fails verification (`vkey`) once the key is replaced, and a key
 * from a multi-party ceremony cannot be made again by anyone alone, so `setup`, `run`, `demo`
 * and `ceremony init` refuse to overwrite keys unless the caller passes `force` — and then say
 * which key was replaced by which (old and new vkey hash).
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { artifactPath } from '../formats/paths.js';
import { readSetupInfo } from '../formats/build-dir.js';
import { readJsonFile } from '../core/json.js';
import { sha256Hex } from '../core/hash.js';
import { UserError } from '../core/errors.js';
import { vkeyHash } from '../formats/vkey.js';
import type { SetupInfo } from '../formats/setup.js';

/** Keys found in a build directory. */
export interface ExistingKeys {
  /** What they are, for messages: "dev key", "ptau key (…)", "3-party ceremony key". */
  readonly kind: string;
  /** The vkey hash (see `zkinfer keys hash`), or the zkey's sha256 when there is no readable key. */
  readonly hash: string;
  /** setup.json, when readable. */
  readonly setup?: SetupInfo;
}

/** What a setup record describes, in words: "dev key", "ptau key (one local contribution on NAME)", "3-party ceremony key". */
export function describeSetup(setup: Pick<SetupInfo, 'kind' | 'ptau' | 'ceremony'>): string {
  if (setup.ceremony) return `${setup.ceremony.contributors.length}-party ceremony key`;
  if (setup.kind === 'ptau')
    return `ptau key (one local contribution on ${setup.ptau?.name ?? 'a powers-of-tau file'})`;
  return 'dev key';
}

/** The keys in `buildDir` (setup.json, vkey.json or circuit.zkey), or undefined when it has none. */
export function existingKeys(buildDir: string): ExistingKeys | undefined {
  const has = (a: 'setup' | 'vkey' | 'zkey') => existsSync(artifactPath(buildDir, a));
  if (!has('setup') && !has('vkey') && !has('zkey')) return undefined;
  try {
    const setup = readSetupInfo(buildDir);
    return { kind: describeSetup(setup), hash: setup.vkeyHash, setup };
  } catch {
    // An unreadable or missing setup.json still guards the key next to it.
  }
  try {
    const vkey = readJsonFile(artifactPath(buildDir, 'vkey'), 'verification key');
    const meta = (vkey as { zkinfer?: { setup?: unknown } }).zkinfer;
    const kind = typeof meta?.setup === 'string' ? `${meta.setup} key` : 'key of unknown origin';
    return { kind, hash: vkeyHash(vkey) };
  } catch {
    // No readable vkey.json either: the zkey alone is still a key.
  }
  if (has('zkey'))
    return { kind: 'proving key of unknown origin', hash: sha256Hex(readFileSync(artifactPath(buildDir, 'zkey'))) };
  return { kind: 'unreadable key files', hash: 'unknown' };
}

/** The one-line refusal to replace `keys` in `dir` by `what`. */
export function keyReplacementRefusal(dir: string, keys: ExistingKeys, what: string): UserError {
  return new UserError(
    `${dir}: already holds a ${keys.kind} (vkey hash ${keys.hash}) that ${what} would replace, and every proof made with it would then fail verification; pass --force to replace it`,
  );
}

/** The stderr line printed when keys were replaced with `force`. */
export function keyReplacementNotice(dir: string, old: ExistingKeys, newKind: string, newHash: string): string {
  return `${dir}: replaced the ${old.kind} (vkey hash ${old.hash}) by a ${newKind} (vkey hash ${newHash}); proofs made with the old key no longer verify against this build`;
}

/**
 * The one-line refusal to rewrite the circuit files under `keys` in `dir` (`quantize --out`, `compile`, a gate
 * re-quantizing its `build`): the keys would stay but no longer be the circuit's, so every proof made with them
 * would fail verification. `how` says what the caller can do instead (e.g. "pass --force …").
 */
export function staleKeysRefusal(dir: string, keys: ExistingKeys, what: string, how: string): UserError {
  return new UserError(
    `${dir}: already holds a ${keys.kind} (vkey hash ${keys.hash}); ${what} would rewrite the circuit it was made for, and every proof made with it would then fail verification; ${how}`,
  );
}

/** The hashes of a compiled circuit that keys are made for. */
export interface CircuitHashes {
  readonly quantizedSha256: string;
  readonly r1csSha256: string;
  readonly modelId: string;
}

/** Whether the keys of a build serve a circuit, and which of the build's model files no longer match them. */
export interface KeyFit {
  readonly serve: boolean;
  /** Build files (model.quant.json, circuit.r1cs) that differ from what the keys were made for. */
  readonly stale: readonly string[];
}

/**
 * Whether the keys in `buildDir` serve `circuit`: setup.json readable and made for exactly this
 * circuit (same model.quant.json, circuit.r1cs and model id). Key files that setup.json no longer
 * describes (circuit.zkey or vkey.json missing or changed) are a {@link UserError} saying how to
 * get them back, since `setup` would make other keys and every earlier proof would fail. The
 * build's own model.quant.json and circuit.r1cs are compared too and listed in `stale` when they
 * changed since setup (e.g. `zkinfer quantize` wrote another model into the build).
 */
export function keysFitCircuit(buildDir: string, have: ExistingKeys, circuit: CircuitHashes): KeyFit {
  const s = have.setup;
  if (!s) return { serve: false, stale: [] };
  checkKeyFile(buildDir, have, 'zkey', (p) => sha256Hex(readFileSync(p)) === s.hashes.zkey);
  checkKeyFile(
    buildDir,
    have,
    'vkey',
    (p) => vkeyHash(readJsonFile(p, 'verification key')) === s.hashes.vkey && s.hashes.vkey === s.vkeyHash,
  );
  const stale = (['quantized', 'r1cs'] as const)
    .map((a) => artifactPath(buildDir, a))
    .filter((p, i) => {
      const want = i === 0 ? s.hashes.quantized : s.hashes.r1cs;
      return !existsSync(p) || sha256Hex(readFileSync(p)) !== want;
    });
  const serve =
    s.hashes.quantized === circuit.quantizedSha256 &&
    s.hashes.r1cs === circuit.r1csSha256 &&
    s.modelId === circuit.modelId;
  return { serve, stale };
}

/** Refuses a key file that is missing or does not match setup.json, saying how to restore it. */
function checkKeyFile(buildDir: string, have: ExistingKeys, a: 'zkey' | 'vkey', matches: (p: string) => boolean): void {
  const path = artifactPath(buildDir, a);
  const present = existsSync(path);
  if (present && matches(path)) return;
  const ceremony = have.setup?.ceremony ? ', or re-run `zkinfer ceremony finalize` on the ceremony' : '';
  throw new UserError(
    `${path}: ${present ? 'does not match setup.json (its hash differs)' : 'missing'}, so the ${have.kind} (vkey hash ${have.hash}) cannot be used; restore this key's ${basename(path)} from a backup${ceremony} (--force would make new keys, and every proof made with the old ones would then fail verification)`,
  );
}
