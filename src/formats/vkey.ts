/**
 * Validation of a Groth16 verification key before anything uses it (verify, export-verifier,
 * prove's self-check): protocol groth16 and curve bn128 first (anything else is refused at
 * once: a bls12381 key must not reach snarkjs, which would try to build that curve), then every
 * coordinate a canonical decimal field element below p, every point affine (z = 1) and on its
 * curve. A key that passes cannot smuggle text into the Solidity template.
 */
import { z } from 'zod';
import { quote, UserError } from '../core/errors.js';
import type { Groth16VerificationKey } from '../chain/verifier-contract.js';
import { validate } from '../core/json.js';
import { BASE_FIELD_PRIME } from '../core/bn254.js';

/** Canonical decimal: no sign, no leading zeros, no hex, at most 78 digits. */
const DECIMAL = /^(0|[1-9][0-9]{0,77})$/;

const coord = z.string().regex(DECIMAL, 'not a canonical decimal number');
const g1 = z.tuple([coord, coord, coord]);
const fp2 = z.tuple([coord, coord]);
const g2 = z.tuple([fp2, fp2, fp2]);

/** Structure of a snarkjs Groth16 verification key (zkinfer's `zkinfer` metadata is optional). */
export const vkeySchema = z
  .looseObject({
    protocol: z.literal('groth16'),
    curve: z.literal('bn128'),
    nPublic: z.number().int().min(0).max(100_000),
    vk_alpha_1: g1,
    vk_beta_2: g2,
    vk_gamma_2: g2,
    vk_delta_2: g2,
    vk_alphabeta_12: z.array(z.array(z.array(coord).length(2)).length(3)).length(2).optional(),
    IC: z.array(g1).min(1).max(100_001),
  })
  .meta({ id: 'zkinfer-vkey', title: 'Groth16 verification key (bn128)', description: 'snarkjs verification_key.json; every coordinate a canonical decimal below p, points affine and on the curve.' });

const mod = (a: bigint) => ((a % BASE_FIELD_PRIME) + BASE_FIELD_PRIME) % BASE_FIELD_PRIME;
type Fp2 = [bigint, bigint];
const f2mul = ([a, b]: Fp2, [c, d]: Fp2): Fp2 => [mod(a * c - b * d), mod(a * d + b * c)];
const f2add = ([a, b]: Fp2, [c, d]: Fp2): Fp2 => [mod(a + c), mod(b + d)];
/** b' = 3 / (9 + u), the constant of the sextic twist E': y² = x³ + b' that holds G2. */
const TWIST_B: Fp2 = [
  19485874751759354771024239261021720505790618469301721065564631296452457478373n,
  266929791119991161246907387137283842545076965332900288569378510910307636690n,
];

function onG1(x: bigint, y: bigint): boolean {
  return mod(y * y) === mod(x * x * x + 3n);
}

function onG2(x: Fp2, y: Fp2): boolean {
  const lhs = f2mul(y, y);
  const rhs = f2add(f2mul(f2mul(x, x), x), TWIST_B);
  return lhs[0] === rhs[0] && lhs[1] === rhs[1];
}

/**
 * Validates a parsed verification key and returns it typed. Throws {@link UserError}:
 * `<where>: malformed verification key: field IC[2][0]: …`.
 */
export function validateVkey(value: unknown, where: string): Groth16VerificationKey {
  // Protocol and curve first, on their own, so an unsupported key is named as such at once.
  const head = value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  if (head['protocol'] !== 'groth16') throw new UserError(`${where}: verification key protocol ${quote(head['protocol'])} is not supported (expected groth16)`);
  if (head['curve'] !== 'bn128') throw new UserError(`${where}: verification key curve ${quote(head['curve'])} is not supported (expected bn128)`);
  const vk = validate(vkeySchema, value, where, 'verification key');
  const fail = (field: string, msg: string) => new UserError(`${where}: malformed verification key: field ${field}: ${msg}`);
  const fe = (s: string, field: string): bigint => {
    const v = BigInt(s);
    if (v >= BASE_FIELD_PRIME) throw fail(field, 'not a field element (≥ p)');
    return v;
  };
  const point1 = (p: readonly string[], field: string) => {
    const [x, y, z] = p.map((c, i) => fe(c, `${field}[${i}]`)) as [bigint, bigint, bigint];
    if (z !== 1n) throw fail(field, 'not affine (z must be 1)');
    if (!onG1(x, y)) throw fail(field, 'not a point on the bn128 curve (G1)');
  };
  const point2 = (p: readonly (readonly string[])[], field: string) => {
    const c = p.map((pair, i) => pair.map((s, j) => fe(s, `${field}[${i}][${j}]`)) as Fp2);
    if (c[2]![0] !== 1n || c[2]![1] !== 0n) throw fail(field, 'not affine (z must be [1, 0])');
    if (!onG2(c[0]!, c[1]!)) throw fail(field, 'not a point on the bn128 twist (G2)');
  };
  point1(vk.vk_alpha_1, 'vk_alpha_1');
  point2(vk.vk_beta_2, 'vk_beta_2');
  point2(vk.vk_gamma_2, 'vk_gamma_2');
  point2(vk.vk_delta_2, 'vk_delta_2');
  if (vk.IC.length !== vk.nPublic + 1) throw fail('IC', `has ${vk.IC.length} points for nPublic ${vk.nPublic} (needs ${vk.nPublic + 1})`);
  vk.IC.forEach((p, i) => point1(p, `IC[${i}]`));
  vk.vk_alphabeta_12?.forEach((a, i) => a.forEach((b, j) => b.forEach((s, k) => fe(s, `vk_alphabeta_12[${i}][${j}][${k}]`))));
  return vk as unknown as Groth16VerificationKey;
}
