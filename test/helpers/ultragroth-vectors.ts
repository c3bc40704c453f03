/**
 * Valid ultragroth test vectors made from a known trapdoor, independent of any prover.
 *
 * Every secret is a random scalar: α, β, γ, δ, δ₁ and one per IC point (IC_i = ic_i·G1, so no τ
 * is involved). A proof takes random A = a·G1, B = b·G2 and C₁ = c₁·G1, computes the challenge
 * from C₁ and the statement exactly as the contract does, and solves the verification equation
 *   a·b = α·β + x·γ + c₁·δ₁ + c·δ,   x = ic_0 + Σ_i pub_i·ic_{i+1}
 * for the discrete logarithm c of C = c·G1. The result satisfies
 * e(A,B) = e(α,β)·e(IC(pub),γ)·e(C₁,δ₁)·e(C,δ) for the published key: a real valid proof (not a
 * mock), only not a proof of any circuit — which is all a verifier can check. Knowing the
 * trapdoor also lets a test make pairing-valid proofs of statements the contract must refuse
 * for another reason (a wrong challenge, a signal ≥ r), so each check is seen doing the work.
 */
import { randomBytes } from 'node:crypto';
import { buildBn128 } from 'ffjavascript';
import { keccak256, type Hex } from 'viem';
import { FIELD_PRIME } from '../../src/core/bn254.js';

const R = FIELD_PRIME;
const mod = (v: bigint): bigint => ((v % R) + R) % R;

function randomScalar(): bigint {
  for (;;) {
    const v = BigInt(`0x${randomBytes(32).toString('hex')}`) % R;
    if (v !== 0n) return v;
  }
}

function inverse(v: bigint): bigint {
  let [a, b, x, y] = [mod(v), R, 1n, 0n];
  while (b !== 0n) {
    const q = a / b;
    [a, b, x, y] = [b, a - q * b, y, x - q * y];
  }
  return mod(x);
}

const word = (v: bigint): string => v.toString(16).padStart(64, '0');

/**
 * The challenge as the contract and the off-chain verifier define it: keccak256 over 32-byte
 * big-endian words C₁.x, C₁.y, pub_0 … pub_{n−2} (the signals as given, not reduced), mod r.
 */
export function challengeFor(c1: readonly [bigint, bigint], statement: readonly bigint[]): bigint {
  const data = `0x${[...c1, ...statement].map(word).join('')}` as Hex;
  return BigInt(keccak256(data)) % R;
}

/** An ultragroth proof in zkinfer's JSON shape, with its public signals. */
export interface UltragrothVector {
  readonly proof: {
    readonly pi_a: string[];
    readonly pi_b: string[][];
    readonly pi_c: string[];
    readonly pi_c1: string[];
    readonly protocol: 'ultragroth';
    readonly curve: 'bn128';
  };
  readonly publicSignals: string[];
}

/** Options of {@link UltragrothVectorKey.prove}. */
export interface VectorProofOptions {
  /** The first nPublic − 1 signals (any 256-bit values); random scalars when absent. */
  readonly statement?: readonly bigint[];
  /** The last signal; the correct challenge when absent. The proof satisfies the pairing either way. */
  readonly challenge?: bigint;
}

/** A verification key with its trapdoor. */
export interface UltragrothVectorKey {
  /** The vkey.json fields of an ultragroth key (no zkinfer metadata). */
  readonly vkey: Record<string, unknown> & { readonly nPublic: number; readonly protocol: 'ultragroth' };
  /** A fresh proof that satisfies the pairing equation for its public signals. */
  prove(options?: VectorProofOptions): UltragrothVector;
  /**
   * The pairing equation checked directly with ffjavascript (no hash, no encoding checks):
   * whether e(−A,B)·e(α,β)·e(IC(pub),γ)·e(C₁,δ₁)·e(C,δ) = 1, signals taken mod r. Lets a test
   * see that a vector it expects refused for another reason still satisfies the pairing.
   */
  pairingHolds(v: UltragrothVector): Promise<boolean>;
  /** Releases the curve. */
  close(): Promise<void>;
}

// ffjavascript ships no types.
type Curve = any;

const str = (v: unknown): unknown => (Array.isArray(v) ? v.map(str) : String(v));

/** Makes a random ultragroth verification key with `nPublic` public signals (the last is the challenge). */
export async function ultragrothVectorKey(options: { nPublic: number }): Promise<UltragrothVectorKey> {
  const curve: Curve = await buildBn128(true);
  const { G1, G2 } = curve;
  const g1 = (s: bigint) => G1.toAffine(G1.timesScalar(G1.g, s));
  const g2 = (s: bigint) => G2.toAffine(G2.timesScalar(G2.g, s));
  const obj1 = (s: bigint) => G1.toObject(g1(s)) as bigint[];
  const obj2 = (s: bigint) => G2.toObject(g2(s)) as bigint[][];
  const [alpha, beta, gamma, delta, delta1] = [0, 0, 0, 0, 0].map(randomScalar) as [
    bigint,
    bigint,
    bigint,
    bigint,
    bigint,
  ];
  const ic = Array.from({ length: options.nPublic + 1 }, randomScalar);
  const vkey = {
    protocol: 'ultragroth' as const,
    curve: 'bn128',
    nPublic: options.nPublic,
    vk_alpha_1: str(obj1(alpha)),
    vk_beta_2: str(obj2(beta)),
    vk_gamma_2: str(obj2(gamma)),
    vk_delta_2: str(obj2(delta)),
    vk_delta1_2: str(obj2(delta1)),
    vk_alphabeta_12: str(curve.Gt.toObject(curve.pairing(g1(alpha), g2(beta)))),
    IC: ic.map((s) => str(obj1(s))),
    challenge: { index: options.nPublic - 1, hash: 'keccak256' },
  };
  const prove = (o: VectorProofOptions = {}): UltragrothVector => {
    const statement = o.statement ?? Array.from({ length: options.nPublic - 1 }, randomScalar);
    if (statement.length !== options.nPublic - 1) throw new Error(`statement needs ${options.nPublic - 1} signals`);
    const [a, b, c1] = [randomScalar(), randomScalar(), randomScalar()];
    const c1Point = obj1(c1);
    const challenge = o.challenge ?? challengeFor([c1Point[0]!, c1Point[1]!], statement);
    const pub = [...statement, challenge];
    // The EVM's ecMul and the off-chain verifier both use signals mod r.
    const x = pub.reduce((acc, s, i) => mod(acc + mod(s) * ic[i + 1]!), ic[0]!);
    const c = mod((a * b - alpha * beta - x * gamma - c1 * delta1) * inverse(delta));
    return {
      proof: {
        pi_a: str(obj1(a)) as string[],
        pi_b: str(obj2(b)) as string[][],
        pi_c: str(obj1(c)) as string[],
        pi_c1: str(c1Point) as string[],
        protocol: 'ultragroth',
        curve: 'bn128',
      },
      publicSignals: pub.map(String),
    };
  };
  // Reads the published key, not the trapdoor, so an encoding slip in the key would show here.
  const pairingHolds = async (v: UltragrothVector): Promise<boolean> => {
    const p1 = (p: unknown) => G1.fromObject((p as string[]).map(BigInt));
    const p2 = (p: unknown) => G2.fromObject((p as string[][]).map((c) => c.map(BigInt)));
    const icPoints = vkey.IC.map(p1);
    let acc = icPoints[0];
    v.publicSignals.forEach((s, i) => (acc = G1.add(acc, G1.timesScalar(icPoints[i + 1], mod(BigInt(s))))));
    const pairs = [
      [G1.neg(p1(v.proof.pi_a)), p2(v.proof.pi_b)],
      [p1(vkey.vk_alpha_1), p2(vkey.vk_beta_2)],
      [acc, p2(vkey.vk_gamma_2)],
      [p1(v.proof.pi_c1), p2(vkey.vk_delta1_2)],
      [p1(v.proof.pi_c), p2(vkey.vk_delta_2)],
    ];
    return (await curve.pairingEq(...pairs.flat())) as boolean;
  };
  return { vkey, prove, pairingHolds, close: () => curve.terminate() };
}
