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
 */
import { randomBytes } from 'node:crypto';
import type { ProofBundle } from '../../formats/bundle.js';
import type { Elem, FfCurve } from './curve-api.js';
import { R } from './curve-api.js';
import { groupScalars, groupsFrom, multiExp, type ScalarGroup, witnessMultiExp } from './msm.js';
import { parseProvingKey, type ProvingKey } from './proving-key.js';
import { quotientScalars } from './quotient.js';

/** snarkjs's proof object: decimal strings, affine points written projectively with z = 1. */
export type SnarkjsProof = ProofBundle['proof'];

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
  /** Blinding, affine conversion and the JSON shape. */
  readonly finishMs: number;
}

/** A proof with its public signals and, when profiled, where the time went. */
export interface Groth16Proof {
  readonly proof: SnarkjsProof;
  readonly publicSignals: string[];
  readonly timings?: ProveTimings;
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
   */
  async prove(witness: readonly bigint[], options: { profile?: boolean } = {}): Promise<Groth16Proof> {
    const pk = this.key;
    if (witness.length !== pk.nVars)
      throw new Error(`witness of ${witness.length} wires for a key of ${pk.nVars} wires`);
    const t0 = performance.now();
    const wBytes = witnessBytes(witness);
    const groups = groupScalars(witness, 0);
    const prepareMs = performance.now() - t0;
    const { sums, timings } = options.profile
      ? await this.profiledSums(wBytes, groups)
      : { sums: await this.overlappedSums(wBytes, groups), timings: undefined };
    const t1 = performance.now();
    const proof = this.blind(sums);
    const publicSignals = witness.slice(1, pk.nPublic + 1).map((w) => String(((w % R) + R) % R));
    const finishMs = performance.now() - t1;
    return { proof, publicSignals, ...(timings ? { timings: { prepareMs, ...timings, finishMs } } : {}) };
  }

  /** The five MSMs, the H one after the quotient, all queued at once. */
  private async overlappedSums(wBytes: Uint8Array, groups: ScalarGroup[]): Promise<Sums> {
    const { key: pk, curve } = this;
    const g1 = { curve, name: 'G1' } as const;
    const h = quotientScalars(curve, pk, wBytes).then(({ scalars }) => multiExp(g1, pk.h, scalars, 32));
    const [a, b1, b2, c] = await Promise.all([
      witnessMultiExp(g1, pk.a, groups, 0),
      witnessMultiExp(g1, pk.b1, groups, 0),
      witnessMultiExp({ curve, name: 'G2' }, pk.b2, groups, 0),
      witnessMultiExp(g1, pk.c, groupsFrom(groups, pk.nPublic + 1), pk.nPublic + 1),
    ]);
    return { a, b1, b2, c, h: await h };
  }

  /** The same sums one step at a time, each step timed. */
  private async profiledSums(
    wBytes: Uint8Array,
    groups: ScalarGroup[],
  ): Promise<{ sums: Sums; timings: Omit<ProveTimings, 'prepareMs' | 'finishMs'> }> {
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
    const [c, msmCMs] = await time(() => witnessMultiExp(g1, pk.c, groupsFrom(groups, pk.nPublic + 1), pk.nPublic + 1));
    // h is full width and nearly all nonzero: one plain MSM over every H point, no grouping.
    const [h, msmHMs] = await time(() => multiExp(g1, pk.h, scalars, 32));
    return { sums: { a, b1, b2, c, h }, timings: { ...q, msmAMs, msmB1Ms, msmB2Ms, msmCMs, msmHMs } };
  }

  /** Adds the key's α, β, δ terms and the blinding r, s; returns snarkjs's JSON shape. */
  private blind(m: Sums): SnarkjsProof {
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
    const g1 = (p: Elem): [string, string, '1'] => {
      const [x, y] = strings(G1.toObject(G1.toAffine(p)));
      return [x!, y!, '1'];
    };
    const [bx, by] = (G2.toObject(G2.toAffine(piB)) as bigint[][]).map(strings);
    return {
      pi_a: g1(piA),
      pi_b: [
        [bx![0]!, bx![1]!],
        [by![0]!, by![1]!],
        ['1', '0'],
      ],
      pi_c: g1(piC),
      protocol: 'groth16',
      curve: 'bn128',
    };
  }
}
