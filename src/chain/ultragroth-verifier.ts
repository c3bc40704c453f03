/**
 * The Solidity verifier of zkinfer's two-round Groth16 ("ultragroth", see docs/security.md):
 * rendered from a verification key, one function whose body is a single assembly block so that
 * nothing but the checks themselves costs gas.
 *
 * `verifyProof(a, b, c, c1, pub)` answers false (never reverts) unless
 * 1. every proof coordinate is a canonical base-field element (< p) and every public signal a
 *    canonical scalar (< r): no second encoding of the same proof or statement is accepted; and
 *    no proof point is the point at infinity (the precompiles' (0, 0)), which the off-chain
 *    verifier (src/verify/ultragroth.ts) refuses too and an honest prover never makes;
 * 2. the last public signal equals `keccak256(c1.x ‖ c1.y ‖ pub[0] ‖ … ‖ pub[N−2]) mod r`, the
 *    challenge exactly as the prover and the off-chain verifier compute it (32-byte big-endian
 *    words; in calldata `c1` and `pub` are adjacent, so the hash reads them in place);
 * 3. one ecPairing call with five pairs holds: e(−A,B)·e(α,β)·e(IC(pub),γ)·e(C₁,δ₁)·e(C,δ) = 1.
 * A failed precompile (a point off the curve, or too little gas) answers false, as the snarkjs
 * verifier does; callers must give it enough gas (src/chain/rpc.ts finds the least that works).
 */
import { quote, UserError } from '../core/errors.js';
import { BASE_FIELD_PRIME, FIELD_PRIME } from '../core/bn254.js';
import { validateVkey, type Groth16VerificationKey } from '../formats/vkey.js';

/** Name of the contract {@link renderUltragrothVerifierSource} declares. */
export const ULTRAGROTH_CONTRACT_NAME = 'UltraGrothVerifier';

/** An ultragroth verification key: snarkjs's Groth16 fields plus δ₁ in G2 and the challenge's place. */
export interface UltragrothVerificationKey extends Groth16VerificationKey {
  readonly vk_delta1_2: readonly (readonly string[])[];
  readonly challenge: { readonly index: number; readonly hash: 'keccak256' };
}

/**
 * Checks what the contract's text depends on: every point canonical, affine and on its curve
 * (the same checks as {@link validateVkey}, δ₁ included, so no key can smuggle source into the
 * contract), and the challenge being the last public signal hashed with keccak256.
 * @throws {@link UserError} naming the field.
 */
export function validateUltragrothVkey(vkey: unknown, where: string): UltragrothVerificationKey {
  const head = vkey && typeof vkey === 'object' ? (vkey as Record<string, unknown>) : {};
  if (head['protocol'] !== 'ultragroth')
    throw new UserError(`${where}: verification key protocol ${quote(head['protocol'])} is not ultragroth`);
  // Every point through validateVkey's checks: the groth16 part as a groth16 key, then δ₁ in
  // δ's place. (The ultragroth fields are left out of the groth16 copy, which some versions of
  // validateVkey refuse on a groth16 key.)
  const { vk_delta1_2: delta1, challenge: _challenge, ...groth16Part } = head;
  const asGroth16 = { ...groth16Part, protocol: 'groth16' };
  validateVkey(asGroth16, where);
  if (delta1 === undefined)
    throw new UserError(`${where}: malformed verification key: field vk_delta1_2: missing (ultragroth needs δ₁)`);
  try {
    validateVkey({ ...asGroth16, vk_delta_2: delta1 }, where);
  } catch (e) {
    if (e instanceof UserError) throw new UserError(e.message.replace('vk_delta_2', 'vk_delta1_2'));
    throw e;
  }
  const nPublic = head['nPublic'] as number;
  const challenge = head['challenge'] as { index?: unknown; hash?: unknown } | undefined;
  if (challenge?.index !== nPublic - 1 || challenge.hash !== 'keccak256')
    throw new UserError(
      `${where}: malformed verification key: field challenge: must be { index: ${nPublic - 1}, hash: "keccak256" } ` +
        `(the last public signal), got ${quote(JSON.stringify(challenge ?? null))}`,
    );
  if (nPublic < 1) throw new UserError(`${where}: an ultragroth key needs at least the challenge as public signal`);
  return vkey as UltragrothVerificationKey;
}

const hex = (v: bigint): string => `0x${v.toString(16).padStart(64, '0')}`;
const g1 = (p: readonly string[]): [string, string] => [hex(BigInt(p[0]!)), hex(BigInt(p[1]!))];
/** snarkjs writes Fp2 as (c0, c1); the pairing precompile wants (c1, c0). */
const g2 = (p: readonly (readonly string[])[]): string[] =>
  [p[0]![1]!, p[0]![0]!, p[1]![1]!, p[1]![0]!].map((s) => hex(BigInt(s)));

// Memory layout of the pairing input (five 192-byte pairs from 0x80); the IC accumulator is
// built in place in pair 3, with the ecMul scratch right after it (where γ goes last).
const BASE = 0x80;
const pairAt = (k: number): number => BASE + 192 * k;
const word = (off: number): string => `0x${off.toString(16)}`;

function storeWords(at: number, words: readonly string[]): string[] {
  return words.map((w, i) => `mstore(${word(at + 32 * i)}, ${w})`);
}

/** The IC multi-scalar multiplication, unrolled: signal i scales IC[i+1]; zero signals skip it. */
function msmLines(vkey: UltragrothVerificationKey): string[] {
  const acc = pairAt(2);
  const lines = storeWords(acc, g1(vkey.IC[0]!));
  vkey.IC.slice(1).forEach((p, i) => {
    const [x, y] = g1(p);
    lines.push(
      `s := calldataload(add(_pubSignals, ${32 * i}))`,
      'if s {',
      `    mstore(${word(acc + 64)}, ${x})`,
      `    mstore(${word(acc + 96)}, ${y})`,
      `    mstore(${word(acc + 128)}, s)`,
      `    if iszero(staticcall(gas(), 7, ${word(acc + 64)}, 0x60, ${word(acc + 64)}, 0x40)) { fail() }`,
      `    if iszero(staticcall(gas(), 6, ${word(acc)}, 0x80, ${word(acc)}, 0x40)) { fail() }`,
      '}',
    );
  });
  return lines;
}

/**
 * Renders the ultragroth Solidity verifier for `vkey` (GPL-3.0, like zkinfer). Deterministic:
 * the same key gives the same source, so `verify --rpc` can compare deployed code byte for byte.
 * @throws {@link UserError} when the key is not a valid ultragroth key ({@link validateUltragrothVkey}).
 */
export function renderUltragrothVerifierSource(vkey: unknown, where = 'verification key'): string {
  const vk = validateUltragrothVkey(vkey, where);
  const n = vk.nPublic;
  const coordChecks = Array.from(
    { length: 10 },
    (_, i) => `bad := or(bad, iszero(lt(calldataload(${4 + 32 * i}), q)))`,
  );
  const signalChecks = Array.from(
    { length: n },
    (_, i) => `bad := or(bad, iszero(lt(calldataload(add(_pubSignals, ${32 * i})), r)))`,
  );
  const challengeLen = 64 + 32 * (n - 1);
  const body = [
    'function fail() {',
    '    mstore(0, 0)',
    '    return(0, 0x20)',
    '}',
    // The moduli in locals: used as constants, solc (runs 200) would load each use from code
    // with CODECOPY, about 30 gas each instead of a DUP.
    'let q := Q',
    'let r := R',
    '// 1. canonical encodings: proof coordinates below p, public signals below r',
    'let bad := 0',
    ...coordChecks,
    ...signalChecks,
    '// no point at infinity: A, B, C, C1 (calldata words 0-1, 2-5, 6-7, 8-9)',
    ...[
      [0, 1],
      [2, 3, 4, 5],
      [6, 7],
      [8, 9],
    ].map(
      (ws) =>
        `bad := or(bad, iszero(${ws.map((w) => `calldataload(${4 + 32 * w})`).reduce((x, y) => `or(${x}, ${y})`)}))`,
    ),
    'if bad { fail() }',
    '// 2. the challenge: keccak256(c1.x, c1.y, pub[0..N-2]) mod r, read where it lies in calldata',
    `calldatacopy(${word(BASE)}, _pC1, ${word(challengeLen)})`,
    `if iszero(eq(mod(keccak256(${word(BASE)}, ${word(challengeLen)}), r), calldataload(add(_pubSignals, ${32 * (n - 1)})))) { fail() }`,
    '// 3. IC(pub) = IC[0] + sum pub[i] IC[i+1], built in pair 3 of the pairing input',
    'let s := 0',
    ...msmLines(vk),
    '// 4. e(-A, B) e(alpha, beta) e(IC, gamma) e(C1, delta1) e(C, delta) == 1',
    `mstore(${word(pairAt(0))}, calldataload(_pA))`,
    `mstore(${word(pairAt(0) + 32)}, mod(sub(q, calldataload(add(_pA, 32))), q))`,
    `calldatacopy(${word(pairAt(0) + 64)}, _pB, 0x80)`,
    ...storeWords(pairAt(1), [...g1(vk.vk_alpha_1), ...g2(vk.vk_beta_2)]),
    ...storeWords(pairAt(2) + 64, g2(vk.vk_gamma_2)),
    `calldatacopy(${word(pairAt(3))}, _pC1, 0x40)`,
    ...storeWords(pairAt(3) + 64, g2(vk.vk_delta1_2)),
    `calldatacopy(${word(pairAt(4))}, _pC, 0x40)`,
    ...storeWords(pairAt(4) + 64, g2(vk.vk_delta_2)),
    `let ok := staticcall(gas(), 8, ${word(BASE)}, ${word(192 * 5)}, 0, 0x20)`,
    'mstore(0, and(ok, mload(0)))',
    'return(0, 0x20)',
  ];
  return [
    '// SPDX-License-Identifier: GPL-3.0-only',
    '// Generated by zkinfer from an ultragroth verification key; see docs/security.md.',
    'pragma solidity >=0.8.4 <0.9.0;',
    '',
    `contract ${ULTRAGROTH_CONTRACT_NAME} {`,
    `    uint256 constant R = ${FIELD_PRIME};`,
    `    uint256 constant Q = ${BASE_FIELD_PRIME};`,
    '',
    '    /// @notice True iff the proof is valid for the public signals (the last one is the challenge).',
    '    function verifyProof(',
    '        uint256[2] calldata _pA,',
    '        uint256[2][2] calldata _pB,',
    '        uint256[2] calldata _pC,',
    '        uint256[2] calldata _pC1,',
    `        uint256[${n}] calldata _pubSignals`,
    '    ) public view returns (bool) {',
    '        assembly {',
    ...body.map((l) => `            ${l}`),
    '        }',
    '    }',
    '}',
    '',
  ].join('\n');
}
