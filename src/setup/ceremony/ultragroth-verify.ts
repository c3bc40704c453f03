/**
 * Verification of an ultragroth key's phase 2 (the counterpart of snarkjs `zkey verify` for the
 * contract's two-round Groth16): both proof-of-knowledge chains — δ and δ₁, each contribution
 * proving it knows the secret that moved each one, bound to every earlier public key by the
 * transcript hash, beacons re-derived from their seed — ending at the key's δ and δ₁; and the key
 * against the initial key rebuilt from the trusted ptau and r1cs: sections 1, 3–7, the header
 * except δ and the round split equal, section 9 and round-2 points of section 8 scaled by
 * exactly δ, round-1 points by exactly δ₁ (random linear combinations and one pairing each, as
 * snarkjs does). The first failure is named: contribution, which of δ/δ₁, or section.
 */
import { createHash, randomBytes } from 'node:crypto';
import { decodeUltragrothMpc, type MpcPokPart, type UltragrothContribution } from '../zkey-file.js';
import { sameRatio, snarkjsInternals } from '../snarkjs-internals.js';
import {
  delta1BeaconSeed,
  hashPokPart,
  transcriptPrefix,
  ultragrothContributionHash,
} from './ultragroth-contribute.js';
import {
  fullCurve,
  HEADER,
  section,
  splitZkey,
  ultragrothLayout,
  type FullCurve,
  type ZkeySections,
} from './ultragroth-key.js';

/** Outcome of a check; `index` (1-based) names the contribution to blame, when one is. */
export type UltragrothVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly detail: string; readonly index?: number; readonly part?: 'δ' | 'δ₁' };

/** A contribution decoded for messages and transcripts. */
export interface UltragrothContributionInfo {
  readonly index: number;
  readonly name: string;
  readonly kind: 'contribution' | 'beacon';
  readonly hash: string;
  readonly beacon?: { readonly hash: string; readonly iterationsExp: number };
}

/** Decodes snarkjs's params bytes (name, beacon iterations and hash). */
export function describeParams(c: UltragrothContribution, index: number, hash: string): UltragrothContributionInfo {
  const p = Buffer.from(c.params);
  let name = '';
  let iterationsExp: number | undefined;
  let beaconHash: string | undefined;
  for (let o = 0; o < p.length;) {
    const t = p[o++]!;
    if (t === 1 || t === 3) {
      const len = p[o++]!;
      const v = p.subarray(o, (o += len));
      if (t === 1) name = v.toString('utf8');
      else beaconHash = v.toString('hex');
    } else if (t === 2) iterationsExp = p[o++]!;
    else throw new Error(`contribution ${index}: unknown parameter ${t}`);
  }
  const beacon = c.type === 1 && beaconHash !== undefined && iterationsExp !== undefined;
  return {
    index,
    name,
    kind: c.type === 1 ? 'beacon' : 'contribution',
    hash,
    ...(beacon ? { beacon: { hash: beaconHash!, iterationsExp: iterationsExp! } } : {}),
  };
}

const who = (c: UltragrothContributionInfo): string => `${c.kind} ${c.index}${c.name ? ` ("${c.name}")` : ''}`;

/** Checks one PoK part against `before` (affine G1); returns why it fails, or undefined. */
async function checkPart(
  curve: FullCurve,
  p: MpcPokPart,
  before: unknown,
  hasher: ReturnType<typeof createHash>,
  hashToG2: (c: FullCurve, h: Uint8Array) => unknown,
): Promise<string | undefined> {
  let g1S, g1Sx, g2Spx, after;
  try {
    [g1S, g1Sx, after] = [p.g1S, p.g1Sx, p.after].map((b) => curve.G1.fromRprLEM(b, 0));
    g2Spx = curve.G2.fromRprLEM(p.g2Spx, 0);
    if (![g1S, g1Sx, after].every((q) => curve.G1.isValid(q)) || !curve.G2.isValid(g2Spx)) throw new Error();
  } catch {
    return 'public key is not made of valid curve points';
  }
  const t = hasher.copy();
  for (const q of [g1S, g1Sx]) {
    const u = new Uint8Array(64);
    curve.G1.toRprUncompressed(u, 0, q);
    t.update(u);
  }
  if (!Buffer.from(t.digest()).equals(Buffer.from(p.transcript)))
    return 'transcript hash does not follow from the earlier contributions (altered or reordered)';
  const g2Sp = hashToG2(curve, p.transcript);
  if (!(await sameRatio(curve, g1S, g1Sx, g2Sp, g2Spx)))
    return 'public key does not prove knowledge of its secret (G1 and G2 ratios differ)';
  if (curve.G1.eq(before, after)) return 'leaves it where it was (secret 1): it must move it';
  if (!(await sameRatio(curve, before, after, g2Sp, g2Spx)))
    return 'its value after does not follow from the public key';
  return undefined;
}

/** Whether a beacon part's g1S, g1Sx expand from the seed (same draws as the contribution). */
function beaconExpands(curve: FullCurve, rng: unknown, p: MpcPokPart): boolean {
  const k = curve.Fr.fromRng(rng);
  const s = curve.G1.toAffine(curve.G1.fromRng(rng));
  return (
    curve.G1.eq(s, curve.G1.fromRprLEM(p.g1S, 0)) &&
    curve.G1.eq(curve.G1.toAffine(curve.G1.timesFr(s, k)), curve.G1.fromRprLEM(p.g1Sx, 0))
  );
}

/** Input of {@link verifyUltragrothChain}. */
export interface UltragrothChainInput {
  readonly csHash: Uint8Array;
  readonly contributions: readonly UltragrothContribution[];
  /** The key's δ (G1, G2) and δ₁ (G1, G2) as LEM bytes; the chains must end there. */
  readonly final?: { deltaG1: Uint8Array; deltaG2: Uint8Array; delta1G1: Uint8Array; delta1G2: Uint8Array };
}

/** Verifies both PoK chains of an ultragroth section 10; names the first broken link. */
export async function verifyUltragrothChain(input: UltragrothChainInput): Promise<UltragrothVerdict> {
  const curve = await fullCurve();
  const { hashToG2, rngFromBeaconParams } = await snarkjsInternals();
  const h2g = hashToG2 as (c: FullCurve, h: Uint8Array) => unknown;
  let delta = curve.G1.g;
  let delta1 = curve.G1.g;
  for (const [i, c] of input.contributions.entries()) {
    const info = describeParams(c, i + 1, ultragrothContributionHash(curve, c));
    const fail = (part: 'δ' | 'δ₁', why: string): UltragrothVerdict => ({
      ok: false,
      index: i + 1,
      part,
      detail: `${who(info)}, ${part} part: ${why}`,
    });
    const hasher = transcriptPrefix(curve, input.csHash, input.contributions.slice(0, i));
    const whyD = await checkPart(curve, c.delta, delta, hasher, h2g);
    if (whyD) return fail('δ', whyD);
    hashPokPart(hasher, curve, c.delta);
    const whyD1 = await checkPart(curve, c.delta1, delta1, hasher, h2g);
    if (whyD1) return fail('δ₁', whyD1);
    if (c.type === 1) {
      if (!info.beacon) return fail('δ', 'beacon without its seed');
      const seed = Buffer.from(info.beacon.hash, 'hex');
      if (!beaconExpands(curve, await rngFromBeaconParams(seed, info.beacon.iterationsExp), c.delta))
        return fail('δ', 'beacon key does not expand from the published beacon seed');
      const seed1 = delta1BeaconSeed(seed);
      if (!beaconExpands(curve, await rngFromBeaconParams(seed1, info.beacon.iterationsExp), c.delta1))
        return fail('δ₁', 'beacon key does not expand from the published beacon seed');
    }
    delta = curve.G1.fromRprLEM(c.delta.after, 0);
    delta1 = curve.G1.fromRprLEM(c.delta1.after, 0);
  }
  if (!input.final) return { ok: true };
  const n = input.contributions.length;
  const f = input.final;
  for (const [name, end, g1, g2] of [
    ['δ', delta, f.deltaG1, f.deltaG2],
    ['δ₁', delta1, f.delta1G1, f.delta1G2],
  ] as const) {
    const p1 = curve.G1.fromRprLEM(g1, 0);
    const p2 = curve.G2.fromRprLEM(g2, 0);
    if (!curve.G1.eq(p1, end))
      return { ok: false, detail: `the key's ${name} is not the ${name} the ${n} recorded contribution(s) produce` };
    if (!(await sameRatio(curve, curve.G1.g, p1, curve.G2.g, p2)))
      return { ok: false, detail: `the key's ${name} in G2 is not its ${name} in G1` };
  }
  return { ok: true };
}

/** The key's final δ and δ₁ points (LEM). */
function finalDeltas(z: ZkeySections): NonNullable<UltragrothChainInput['final']> {
  const h = section(z, 2);
  const r = ultragrothLayout(z).round1;
  return {
    deltaG1: h.subarray(HEADER.delta1, HEADER.delta1 + 64),
    deltaG2: h.subarray(HEADER.delta2, HEADER.delta2 + 128),
    delta1G1: r.delta1G1,
    delta1G2: r.delta1G2,
  };
}

/** The contributions of an ultragroth key, decoded for messages. */
export async function ultragrothContributions(bytes: Uint8Array): Promise<UltragrothContributionInfo[]> {
  const curve = await fullCurve();
  const mpc = decodeUltragrothMpc(section(splitZkey(bytes), 10));
  return mpc.contributions.map((c, i) => describeParams(c, i + 1, ultragrothContributionHash(curve, c)));
}

/**
 * Whether `fin` = `init` scaled by exactly the ratio of `g2Fin` to `g2Init`: one random linear
 * combination of each (4-byte random scalars, as snarkjs) and one pairing.
 */
async function scaledBy(
  curve: FullCurve,
  init: Uint8Array,
  fin: Uint8Array,
  g2Fin: unknown,
  g2Init: unknown,
): Promise<boolean> {
  const n = init.length / 64;
  if (n === 0) return true;
  const scalars = new Uint8Array(randomBytes(4 * n));
  const r1 = await curve.G1.multiExpAffine(init, scalars);
  const r2 = await curve.G1.multiExpAffine(fin, scalars);
  return sameRatio(curve, r1, r2, g2Fin, g2Init);
}

/** Compares a final ultragroth key with the rebuilt initial key and checks both chains; names the first failure. */
export async function verifyUltragrothKey(finalBytes: Uint8Array, initBytes: Uint8Array): Promise<UltragrothVerdict> {
  let fin: ZkeySections, fl: ReturnType<typeof ultragrothLayout>;
  try {
    fin = splitZkey(finalBytes);
    fl = ultragrothLayout(fin);
  } catch (e) {
    return { ok: false, detail: `the key is malformed: ${(e as Error).message}` };
  }
  // The rebuilt key is ours: a malformed one is a bug, thrown.
  const init = splitZkey(initBytes);
  const il = ultragrothLayout(init);
  let mpc;
  try {
    mpc = decodeUltragrothMpc(section(fin, 10));
  } catch (e) {
    return { ok: false, detail: `section 10: ${(e as Error).message}` };
  }
  const initMpc = decodeUltragrothMpc(section(init, 10));
  if (!Buffer.from(mpc.csHash).equals(Buffer.from(initMpc.csHash)))
    return { ok: false, detail: 'section 10: circuit hash is not the one of this circuit and ptau' };
  const chain = await verifyUltragrothChain({ ...mpc, final: finalDeltas(fin) });
  if (!chain.ok) return chain;

  const eq = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
  for (const [id, name] of [
    [1, 'protocol'],
    [3, 'IC'],
    [4, 'coefficients'],
    [5, 'A'],
    [6, 'B1'],
    [7, 'B2'],
  ] as const)
    if (!eq(section(fin, id), section(init, id)))
      return { ok: false, detail: `section ${id} (${name}) differs from the key rebuilt from the r1cs and ptau` };
  const hf = section(fin, 2);
  const hi = section(init, 2);
  if (!eq(hf.subarray(0, HEADER.delta1), hi.subarray(0, HEADER.delta1)))
    return { ok: false, detail: 'section 2 (header) differs from the rebuilt key outside δ' };
  if (fl.round1.round2Start !== il.round1.round2Start || fl.round1.challengeWire !== il.round1.challengeWire)
    return { ok: false, detail: 'section 11: the round split differs from the build’s' };

  const curve = await fullCurve();
  const fd = finalDeltas(fin);
  const id = finalDeltas(init);
  const g2 = (b: Uint8Array) => curve.G2.fromRprLEM(b, 0);
  const split = fl.nRound1Points * 64;
  const lf = section(fin, 8);
  const li = section(init, 8);
  const checks: Array<[string, Uint8Array, Uint8Array, Uint8Array, Uint8Array]> = [
    [
      'section 8 (round-1 points) is not the rebuilt key scaled by 1/δ₁',
      li.subarray(0, split),
      lf.subarray(0, split),
      fd.delta1G2,
      id.delta1G2,
    ],
    [
      'section 8 (round-2 points) is not the rebuilt key scaled by 1/δ',
      li.subarray(split),
      lf.subarray(split),
      fd.deltaG2,
      id.deltaG2,
    ],
    ['section 9 (H) is not the rebuilt key scaled by 1/δ', section(init, 9), section(fin, 9), fd.deltaG2, id.deltaG2],
  ];
  for (const [detail, a, b, gFin, gInit] of checks)
    if (!(await scaledBy(curve, a, b, g2(gFin), g2(gInit)))) return { ok: false, detail };
  return { ok: true };
}
