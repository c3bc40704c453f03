/**
 * zkinfer's own Groth16 prover for snarkjs's key files. One {@link Groth16Prover} per proving
 * key parses the zkey once and keeps it in memory; each proof takes a witness (zkinfer computes
 * witnesses itself) and returns the proof and public signals in exactly snarkjs's JSON shape, so
 * snarkjs.groth16.verify and the exported Solidity verifier accept them.
 *
 * With the witness w, the key's points and fresh r, s:
 *   π_A = α₁ + Σ wᵢ·Aᵢ + r·δ₁,   π_B = β₂ + Σ wᵢ·B₂ᵢ + s·δ₂,   B₁ = β₁ + Σ wᵢ·B₁ᵢ + s·δ₁,
 *   π_C = Σ_private wᵢ·Cᵢ + Σ hⱼ·Hⱼ + s·π_A + r·B₁ − r·s·δ₁,
 * the same construction as snarkjs's groth16_prove.js; r and s come from node's CSPRNG, so two
 * proofs of one witness differ and reveal nothing beyond the public signals.
 *
 * An ultragroth key (two rounds, docs/security.md) proves in two steps: {@link Groth16Prover.commitRound1}
 * makes C₁ = Σ_{round 1} wᵢ·Kᵢ + r₁·[δ]₁ (section 8's round-1 points are over δ₁) and the
 * challenge c = keccak256(C₁, public signals); the caller's completeRound2(c) returns the full
 * witness; {@link Groth16Prover.proveRound2} makes A, B and C over the round-2 wires, with
 * −r₁·[δ₁]₁ in C so that e(C₁, δ₁)·e(C, δ) carries no blinding.
 */
import { randomBytes } from 'node:crypto';
import type { ProofBundle } from '../../formats/bundle.js';
import type { Elem, FfCurve } from './curve-api.js';
import { R } from './curve-api.js';
import { groupScalars, groupsFrom, multiExp, type ScalarGroup, witnessMultiExp } from './msm.js';
import { parseProvingKey, type ProvingKey } from './proving-key.js';
import { quotientScalars } from './quotient.js';
import { ultragrothChallenge } from './ultragroth-challenge.js';

/** snarkjs's proof object: decimal strings, affine points written projectively with z = 1. */
export type SnarkjsProof = ProofBundle['proof'];

/** A two-round proof: snarkjs's shape plus the round-1 commitment C₁. */
export type UltragrothProof = Omit<SnarkjsProof, 'protocol'> & {
  readonly pi_c1: [string, string, '1'];
  readonly protocol: 'ultragroth';
};

/** Draws of r₁ before giving up when completeRound2 keeps refusing the challenge. */
const MAX_CHALLENGE_ATTEMPTS = 4;

/** Round 1 of an ultragroth proof: the commitment, its blinding and the challenge drawn from it. */
export interface Round1Commitment {
  /** C₁ (Jacobian, ffjavascript form). */
  readonly point: Elem;
  /** C₁ affine, decimal strings. */
  readonly c1: [string, string];
  /** r₁ as an ffjavascript Fr element; C must subtract r₁·[δ₁]₁. */
  readonly r1: Elem;
  /** keccak256(C₁, the round-1 witness's public signals but the last) mod r. */
  readonly challenge: bigint;
  /** The C₁ multi-exponentiation and the hash, in milliseconds. */
  readonly msmC1Ms: number;
  readonly challengeMs: number;
}

/** Where one proof's time went, in milliseconds. */
export interface ProveTimings {
  /** Witness to bytes and grouping by scalar width. */
  readonly prepareMs: number;
  /** QAP evaluation of A, B, C on the domain. */
  readonly qapMs: number;
  /** The six FFTs and the pointwise A·B − C (the h scalars). */
  readonly fftMs: number;
  readonly msmAMs: number;
  readonly msmB1Ms: number;
  readonly msmB2Ms: number;
  readonly msmCMs: number;
  readonly msmHMs: number;
  /** Ultragroth round 1: the C₁ multi-exponentiation over the round-1 wires (0 for Groth16). */
  readonly msmC1Ms: number;
  /** Ultragroth round 1: C₁ to affine and the keccak256 challenge (0 for Groth16). */
  readonly challengeMs: number;
  /** Blinding, affine conversion and the JSON shape. */
  readonly finishMs: number;
}

/** A proof with its public signals and, when profiled, where the time went. */
export interface Groth16Proof {
  readonly proof: SnarkjsProof;
  readonly publicSignals: string[];
  readonly timings?: ProveTimings;
}

/** A two-round proof with its public signals (the last is the challenge). */
export interface UltragrothProofResult {
  readonly proof: UltragrothProof;
  readonly publicSignals: string[];
  readonly timings?: ProveTimings;
}

/** Options of {@link Groth16Prover.prove}. */
export interface ProveOptions {
  /** Run the steps one after another and report each one's time. */
  readonly profile?: boolean;
  /**
   * Ultragroth keys only (required there, refused for Groth16 keys): given the challenge, the
   * full witness (challenge and round-2 wires set). May throw when c hits a looked-up value:
   * the prover then redraws r₁ (a new C₁, a new c), a bounded number of times.
   */
  readonly completeRound2?: (challenge: bigint) => bigint[];
}

/** The multi-exponentiations of one proof, before the key's terms and the blinding. */
interface Sums {
  readonly a: Elem;
  readonly b1: Elem;
  readonly b2: Elem;
  readonly c: Elem;
  readonly h: Elem;
}

/** A uniformly random nonzero scalar from the OS CSPRNG (512 bits reduced mod r: negligible bias). */
export function randomScalar(): bigint {
  for (;;) {
    const v = BigInt(`0x${randomBytes(64).toString('hex')}`) % R;
    if (v !== 0n) return v;
  }
}

/** The witness as 32-byte LE standard-form field elements (the wasm QAP evaluation reads these). */
function witnessBytes(witness: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(witness.length * 32);
  const view = new DataView(out.buffer);
  witness.forEach((w, i) => {
    let v = w >= 0n && w < R ? w : ((w % R) + R) % R;
    for (let k = 0; k < 4; k++, v >>= 64n) view.setBigUint64(i * 32 + 8 * k, BigInt.asUintN(64, v), true);
  });
  return out;
}

const strings = (xs: unknown): string[] => (xs as bigint[]).map(String);

/** Proves with one proving key, kept in memory across proofs. */
export class Groth16Prover {
  readonly key: ProvingKey;
  private readonly curve: FfCurve;

  private constructor(curve: FfCurve, key: ProvingKey) {
    this.curve = curve;
    this.key = key;
  }

  /**
   * Parses `zkey` (bytes of a snarkjs Groth16 `.zkey`) for proving on `curve`; throws
   * ProvingKeyError on anything else.
   */
  static create(curve: FfCurve, zkey: Uint8Array): Groth16Prover {
    return new Groth16Prover(curve, parseProvingKey(zkey));
  }

  /**
   * Proves a full witness (wire 0 is the constant 1, then the public signals). The witness is
   * not checked against the constraints here: an unsatisfying one yields a proof that fails
   * verification (callers check the witness against the r1cs first, as zkinfer's prove does).
   * By default the witness MSMs run while h is computed (they do not depend on it), so a
   * multi-threaded curve has work for every thread; `profile` runs the steps one after another
   * and reports each step's time instead.
   *
   * For an ultragroth key `witness` is the round-1 witness (challenge and round-2 wires may be
   * anything) and `completeRound2` is required: both rounds run here.
   */
  prove(witness: readonly bigint[], options?: { profile?: boolean }): Promise<Groth16Proof>;
  prove(
    witness: readonly bigint[],
    options: ProveOptions & { completeRound2: (challenge: bigint) => bigint[] },
  ): Promise<UltragrothProofResult>;
  async prove(witness: readonly bigint[], options: ProveOptions = {}): Promise<Groth16Proof | UltragrothProofResult> {
    const pk = this.key;
    if (witness.length !== pk.nVars)
      throw new Error(`witness of ${witness.length} wires for a key of ${pk.nVars} wires`);
    if (pk.protocol === 'groth16') {
      if (options.completeRound2) throw new Error('completeRound2 given for a Groth16 (one-round) key');
      return (await this.proveWith(witness, undefined, options.profile)) as Groth16Proof;
    }
    if (!options.completeRound2) throw new Error('an ultragroth key needs completeRound2 (two rounds)');
    let lastError: unknown;
    for (let attempt = 0; attempt < MAX_CHALLENGE_ATTEMPTS; attempt++) {
      const commitment = await this.commitRound1(witness);
      let full: bigint[];
      try {
        full = options.completeRound2(commitment.challenge);
      } catch (e) {
        // c hit a looked-up value (probability ~ lookups/r): a fresh r₁ gives a fresh c.
        lastError = e;
        continue;
      }
      this.checkCompleted(witness, full, commitment.challenge);
      return this.proveRound2(full, commitment, { profile: options.profile });
    }
    throw lastError instanceof Error ? lastError : new Error(String(lastError));
  }

  /** The completed witness must keep every round-1 wire (C₁ commits to them) and carry c. */
  private checkCompleted(round1: readonly bigint[], full: readonly bigint[], challenge: bigint): void {
    const { nVars, round1: r } = this.key;
    if (full.length !== nVars) throw new Error(`completeRound2 returned ${full.length} wires, expected ${nVars}`);
    const mod = (v: bigint) => ((v % R) + R) % R;
    if (mod(full[r!.challengeWire]!) !== challenge) throw new Error('completeRound2 did not set the challenge wire to c');
    for (let i = 0; i < r!.round2Start; i++)
      if (i !== r!.challengeWire && mod(full[i]!) !== mod(round1[i]!))
        throw new Error(`completeRound2 changed round-1 wire ${i}, which C₁ already commits to`);
  }

  /**
   * Round 1 of an ultragroth proof: C₁ = Σ_{i ∈ [nPublic+1, round2Start)} wᵢ·Kᵢ + r₁·[δ]₁ with a
   * fresh r₁ (redrawn in the negligible case C₁ = ∞), and c = keccak256(C₁, pub_0 … pub_{n−2}).
   * Exposed so tests can attack the rounds separately; {@link prove} is the honest composition.
   */
  async commitRound1(witness: readonly bigint[]): Promise<Round1Commitment> {
    const { key: pk, curve } = this;
    const r = pk.round1;
    if (!r) throw new Error('commitRound1 needs an ultragroth key');
    if (witness.length !== pk.nVars)
      throw new Error(`witness of ${witness.length} wires for a key of ${pk.nVars} wires`);
    const { G1, Fr } = curve;
    const t0 = performance.now();
    const groups = groupScalars(witness.slice(0, r.round2Start), pk.nPublic + 1);
    const sum = await witnessMultiExp({ curve, name: 'G1' }, pk.c, groups, pk.nPublic + 1);
    const msmC1Ms = performance.now() - t0;
    const delta = G1.fromRprLEM(pk.delta1, 0);
    for (;;) {
      const t1 = performance.now();
      const r1 = Fr.e(randomScalar());
      const point = G1.add(sum, G1.timesFr(delta, r1));
      if (G1.isZero(point)) continue; // probability ~2^-254
      const [x, y] = strings(G1.toObject(G1.toAffine(point)));
      const c1: [string, string] = [x!, y!];
      const publicSignals = witness.slice(1, pk.nPublic + 1).map((w) => String(((w % R) + R) % R));
      const challenge = ultragrothChallenge(c1, publicSignals);
      return { point, c1, r1, challenge, msmC1Ms, challengeMs: performance.now() - t1 };
    }
  }

  /**
   * Round 2 of an ultragroth proof for the full witness `full` and the round-1 commitment: A, B
   * and C = Σ_{round 2} wᵢ·Kᵢ + Σ hⱼ·Hⱼ + s·A + r·B₁ − r·s·[δ]₁ − r₁·[δ₁]₁. Nothing is checked:
   * a witness that does not match the commitment yields a proof the verifier rejects.
   */
  async proveRound2(
    full: readonly bigint[],
    commitment: Round1Commitment,
    options: { profile?: boolean } = {},
  ): Promise<UltragrothProofResult> {
    if (!this.key.round1) throw new Error('proveRound2 needs an ultragroth key');
    const res = await this.proveWith(full, commitment, options.profile);
    const timings = res.timings && {
      ...res.timings,
      msmC1Ms: commitment.msmC1Ms,
      challengeMs: commitment.challengeMs,
    };
    return { ...(res as UltragrothProofResult), ...(timings ? { timings } : {}) };
  }

  /** Both systems' A, B, C; with a round-1 commitment, C covers the round-2 wires only. */
  private async proveWith(
    witness: readonly bigint[],
    commitment: Round1Commitment | undefined,
    profile: boolean | undefined,
  ): Promise<Groth16Proof | UltragrothProofResult> {
    const pk = this.key;
    if (witness.length !== pk.nVars)
      throw new Error(`witness of ${witness.length} wires for a key of ${pk.nVars} wires`);
    const t0 = performance.now();
    const wBytes = witnessBytes(witness);
    const groups = groupScalars(witness, 0);
    const cFrom = commitment ? pk.round1!.round2Start : pk.nPublic + 1;
    const prepareMs = performance.now() - t0;
    const { sums, timings } = profile
      ? await this.profiledSums(wBytes, groups, cFrom)
      : { sums: await this.overlappedSums(wBytes, groups, cFrom), timings: undefined };
    const t1 = performance.now();
    const proof = this.blind(sums, commitment);
    const publicSignals = witness.slice(1, pk.nPublic + 1).map((w) => String(((w % R) + R) % R));
    const finishMs = performance.now() - t1;
    const all = timings && { prepareMs, ...timings, msmC1Ms: 0, challengeMs: 0, finishMs };
    return { proof, publicSignals, ...(all ? { timings: all } : {}) } as Groth16Proof | UltragrothProofResult;
  }

  /** The five MSMs, the H one after the quotient, all queued at once. */
  private async overlappedSums(wBytes: Uint8Array, groups: ScalarGroup[], cFrom: number): Promise<Sums> {
    const { key: pk, curve } = this;
    const g1 = { curve, name: 'G1' } as const;
    const h = quotientScalars(curve, pk, wBytes).then(({ scalars }) => multiExp(g1, pk.h, scalars, 32));
    const [a, b1, b2, c] = await Promise.all([
      witnessMultiExp(g1, pk.a, groups, 0),
      witnessMultiExp(g1, pk.b1, groups, 0),
      witnessMultiExp({ curve, name: 'G2' }, pk.b2, groups, 0),
      witnessMultiExp(g1, pk.c, groupsFrom(groups, cFrom), pk.nPublic + 1),
    ]);
    return { a, b1, b2, c, h: await h };
  }

  /** The same sums one step at a time, each step timed. */
  private async profiledSums(
    wBytes: Uint8Array,
    groups: ScalarGroup[],
    cFrom: number,
  ): Promise<{ sums: Sums; timings: Omit<ProveTimings, 'prepareMs' | 'finishMs' | 'msmC1Ms' | 'challengeMs'> }> {
    const { key: pk, curve } = this;
    const g1 = { curve, name: 'G1' } as const;
    const time = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
      const t = performance.now();
      const r = await f();
      return [r, performance.now() - t];
    };
    const { scalars, timings: q } = await quotientScalars(curve, pk, wBytes);
    const [a, msmAMs] = await time(() => witnessMultiExp(g1, pk.a, groups, 0));
    const [b1, msmB1Ms] = await time(() => witnessMultiExp(g1, pk.b1, groups, 0));
    const [b2, msmB2Ms] = await time(() => witnessMultiExp({ curve, name: 'G2' }, pk.b2, groups, 0));
    const [c, msmCMs] = await time(() => witnessMultiExp(g1, pk.c, groupsFrom(groups, cFrom), pk.nPublic + 1));
    // h is full width and nearly all nonzero: one plain MSM over every H point, no grouping.
    const [h, msmHMs] = await time(() => multiExp(g1, pk.h, scalars, 32));
    return { sums: { a, b1, b2, c, h }, timings: { ...q, msmAMs, msmB1Ms, msmB2Ms, msmCMs, msmHMs } };
  }

  /**
   * Adds the key's α, β, δ terms and the blinding r, s (and −r₁·[δ₁]₁ with a round-1
   * commitment); returns snarkjs's JSON shape, plus pi_c1 for ultragroth.
   */
  private blind(m: Sums, commitment?: Round1Commitment): SnarkjsProof | UltragrothProof {
    const { G1, G2, Fr } = this.curve;
    const pk = this.key;
    const p1 = (b: Uint8Array) => G1.fromRprLEM(b, 0);
    const p2 = (b: Uint8Array) => G2.fromRprLEM(b, 0);
    const r = Fr.e(randomScalar());
    const s = Fr.e(randomScalar());
    const delta1 = p1(pk.delta1);
    const piA = G1.add(G1.add(m.a, p1(pk.alpha1)), G1.timesFr(delta1, r));
    const piB = G2.add(G2.add(m.b2, p2(pk.beta2)), G2.timesFr(p2(pk.delta2), s));
    const b1 = G1.add(G1.add(m.b1, p1(pk.beta1)), G1.timesFr(delta1, s));
    let piC = G1.add(m.c, m.h);
    piC = G1.add(piC, G1.timesFr(piA, s));
    piC = G1.add(piC, G1.timesFr(b1, r));
    piC = G1.add(piC, G1.timesFr(delta1, Fr.neg(Fr.mul(r, s))));
    if (commitment) piC = G1.add(piC, G1.timesFr(p1(pk.round1!.delta1G1), Fr.neg(commitment.r1)));
    const g1 = (p: Elem): [string, string, '1'] => {
      const [x, y] = strings(G1.toObject(G1.toAffine(p)));
      return [x!, y!, '1'];
    };
    const [bx, by] = (G2.toObject(G2.toAffine(piB)) as bigint[][]).map(strings);
    const common: Omit<SnarkjsProof, 'protocol' | 'curve'> = {
      pi_a: g1(piA),
      pi_b: [
        [bx![0]!, bx![1]!],
        [by![0]!, by![1]!],
        ['1', '0'],
      ],
      pi_c: g1(piC),
    };
    return commitment
      ? { ...common, pi_c1: [commitment.c1[0], commitment.c1[1], '1'], protocol: 'ultragroth', curve: 'bn128' }
      : { ...common, protocol: 'groth16', curve: 'bn128' };
  }
}
