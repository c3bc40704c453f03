/**
 * Phase-2 contributions to an ultragroth key (the contract's two-round Groth16): every
 * contribution moves δ AND δ₁ by independent secrets d, d₁ — δ ← δ·d, δ₁ ← δ₁·d₁, section 9 and
 * the round-2 points of section 8 × d⁻¹, the round-1 points × d₁⁻¹ — and appends two proofs of
 * knowledge in snarkjs's form (g1S, g1Sx = g1S·d, g2Spx = hashToG2(transcript)·d). The δ part's
 * transcript is snarkjs's (blake2b over the circuit hash, every earlier public key, g1S, g1Sx); the
 * δ₁ part's transcript continues that hash over the whole δ part before its own g1S, g1Sx, so each
 * proof is bound to everything before it. A beacon derives d from the beacon as snarkjs does and
 * d₁ from a second, domain-separated stream ({@link delta1BeaconSeed}).
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { ChaCha } from 'ffjavascript';
import {
  decodeUltragrothMpc,
  encodeRound1Section,
  encodeUltragrothMpc,
  type MpcPokPart,
  type UltragrothContribution,
} from '../zkey-file.js';
import { snarkjsInternals } from '../snarkjs-internals.js';
import { fullCurve, HEADER, joinZkey, section, splitZkey, ultragrothLayout, type FullCurve } from './ultragroth-key.js';

/** Domain separation of the δ₁ beacon stream. */
const DELTA1_BEACON_TAG = 'zkinfer ultragroth delta1 beacon';

/** The seed the δ₁ secret of a beacon expands from: sha256(tag ‖ beacon hash). */
export function delta1BeaconSeed(beaconHash: Uint8Array): Uint8Array {
  return createHash('sha256').update(DELTA1_BEACON_TAG).update(beaconHash).digest();
}

/** A stored (LE Montgomery) point re-encoded uncompressed, the form snarkjs hashes. */
export function uncompressedOf(curve: FullCurve, group: 'G1' | 'G2', lem: Uint8Array): Uint8Array {
  const g = curve[group];
  const out = new Uint8Array(g.F.n8 * 2);
  g.toRprUncompressed(out, 0, g.fromRprLEM(lem, 0));
  return out;
}

/** Hashes one PoK part as snarkjs's hashPubKey hashes a contribution (after, g1S, g1Sx, g2Spx, transcript). */
export function hashPokPart(hasher: Hash, curve: FullCurve, p: MpcPokPart): void {
  hasher.update(uncompressedOf(curve, 'G1', p.after));
  hasher.update(uncompressedOf(curve, 'G1', p.g1S));
  hasher.update(uncompressedOf(curve, 'G1', p.g1Sx));
  hasher.update(uncompressedOf(curve, 'G2', p.g2Spx));
  hasher.update(p.transcript);
}

/** blake2b over the circuit hash and every contribution's two parts: the prefix of the next transcript. */
export function transcriptPrefix(
  curve: FullCurve,
  csHash: Uint8Array,
  contributions: readonly UltragrothContribution[],
): Hash {
  const h = createHash('blake2b512').update(csHash);
  for (const c of contributions) {
    hashPokPart(h, curve, c.delta);
    hashPokPart(h, curve, c.delta1);
  }
  return h;
}

/** The contribution hash shown to contributors: blake2b-512 over both parts. */
export function ultragrothContributionHash(curve: FullCurve, c: UltragrothContribution): string {
  const h = createHash('blake2b512');
  hashPokPart(h, curve, c.delta);
  hashPokPart(h, curve, c.delta1);
  return h.digest('hex');
}

function lem(curve: FullCurve, group: 'G1' | 'G2', p: unknown): Uint8Array {
  const out = new Uint8Array(group === 'G1' ? 64 : 128);
  curve[group].toRprLEM(out, 0, curve[group].toAffine(p));
  return out;
}

/**
 * One PoK part as snarkjs makes it: the secret and g1S from `rng`, the transcript from `hasher`
 * (consumed: a copy is digested), `before` (LEM G1) moved to `after`.
 */
function makePart(
  curve: FullCurve,
  hashToG2: (c: FullCurve, h: Uint8Array) => unknown,
  hasher: Hash,
  rng: unknown,
  before: Uint8Array,
): { part: MpcPokPart; secret: unknown } {
  const secret = curve.Fr.fromRng(rng);
  const g1S = curve.G1.toAffine(curve.G1.fromRng(rng));
  const g1Sx = curve.G1.toAffine(curve.G1.timesFr(g1S, secret));
  const t = hasher.copy();
  for (const p of [g1S, g1Sx]) {
    const u = new Uint8Array(64);
    curve.G1.toRprUncompressed(u, 0, p);
    t.update(u);
  }
  const transcript = new Uint8Array(t.digest());
  const g2Spx = curve.G2.timesFr(hashToG2(curve, transcript), secret);
  const after = curve.G1.timesFr(curve.G1.fromRprLEM(before, 0), secret);
  return {
    part: {
      after: lem(curve, 'G1', after),
      g1S: lem(curve, 'G1', g1S),
      g1Sx: lem(curve, 'G1', g1Sx),
      g2Spx: lem(curve, 'G2', g2Spx),
      transcript,
    },
    secret,
  };
}

/** How the secrets are drawn: a contribution from the CSPRNG and the user's text, a beacon from its public seed. */
export type SecretSource =
  | { readonly kind: 'contribution'; readonly name: string; readonly entropy?: string }
  | { readonly kind: 'beacon'; readonly name: string; readonly beaconHash: Uint8Array; readonly iterationsExp: number };

/** snarkjs's params bytes: name (1), and for a beacon iterations (2) and hash (3). */
function paramsOf(src: SecretSource): Uint8Array {
  const out: number[] = [];
  const name = Buffer.from(src.name, 'utf8');
  if (name.length > 64) throw new Error(`contribution name "${src.name}": at most 64 bytes`);
  if (name.length) out.push(1, name.length, ...name);
  if (src.kind === 'beacon') out.push(2, src.iterationsExp, 3, src.beaconHash.length, ...src.beaconHash);
  return new Uint8Array(out);
}

/** A ChaCha seeded as snarkjs's getRandomRng does: blake2b(64 CSPRNG bytes ‖ entropy). */
function randomRng(entropy: string): unknown {
  const hash = createHash('blake2b512').update(randomBytes(64)).update(entropy, 'utf8').digest();
  return new ChaCha(Array.from({ length: 8 }, (_, i) => hash.readUInt32BE(i * 4)));
}

/** Multiplies every LEM affine point of `points` by `scalar` (ffjavascript's batch key application). */
async function scaleAll(curve: FullCurve, points: Uint8Array, scalar: unknown): Promise<Uint8Array> {
  if (points.length === 0) return points;
  return new Uint8Array(await curve.G1.batchApplyKey(points, scalar, curve.Fr.e(1)));
}

/** What {@link contributeUltragroth} returns. */
export interface UltragrothStep {
  /** The new key, as chunks to write back to back. */
  readonly zkey: Uint8Array[];
  readonly contribution: UltragrothContribution;
  /** blake2b-512 of both public keys (hex). */
  readonly hash: string;
}

/**
 * Adds one contribution (or the beacon) to an ultragroth key's bytes.
 * @throws Error when the key is not an ultragroth key or is malformed.
 */
export async function contributeUltragroth(bytes: Uint8Array, src: SecretSource): Promise<UltragrothStep> {
  const z = splitZkey(bytes);
  const k = ultragrothLayout(z);
  const curve = await fullCurve();
  const { hashToG2, rngFromBeaconParams } = await snarkjsInternals();
  const mpc = decodeUltragrothMpc(section(z, 10));
  const [rngD, rngD1] =
    src.kind === 'beacon'
      ? [
          await rngFromBeaconParams(src.beaconHash, src.iterationsExp),
          await rngFromBeaconParams(delta1BeaconSeed(src.beaconHash), src.iterationsExp),
        ]
      : ((r) => [r, r])(randomRng(src.entropy ?? ''));
  const hasher = transcriptPrefix(curve, mpc.csHash, mpc.contributions);
  const header = new Uint8Array(section(z, 2));
  const d = makePart(curve, hashToG2 as never, hasher, rngD, header.subarray(HEADER.delta1, HEADER.delta1 + 64));
  hashPokPart(hasher, curve, d.part);
  const d1 = makePart(curve, hashToG2 as never, hasher, rngD1, k.round1.delta1G1);
  const contribution: UltragrothContribution = {
    delta: d.part,
    delta1: d1.part,
    type: src.kind === 'beacon' ? 1 : 0,
    params: paramsOf(src),
  };

  header.set(d.part.after, HEADER.delta1);
  const delta2 = curve.G2.timesFr(curve.G2.fromRprLEM(header, HEADER.delta2), d.secret);
  header.set(lem(curve, 'G2', delta2), HEADER.delta2);
  const delta1G2 = curve.G2.timesFr(curve.G2.fromRprLEM(k.round1.delta1G2, 0), d1.secret);
  const invD = curve.Fr.inv(d.secret);
  const invD1 = curve.Fr.inv(d1.secret);
  const l = section(z, 8);
  const split = k.nRound1Points * 64;
  const newL = new Uint8Array(l.length);
  newL.set(await scaleAll(curve, l.subarray(0, split), invD1), 0);
  newL.set(await scaleAll(curve, l.subarray(split), invD), split);

  z.sections.set(2, header);
  z.sections.set(8, newL);
  z.sections.set(9, await scaleAll(curve, section(z, 9), invD));
  z.sections.set(10, encodeUltragrothMpc(mpc.csHash, [...mpc.contributions, contribution]));
  z.sections.set(
    11,
    encodeRound1Section({ ...k.round1, delta1G1: d1.part.after, delta1G2: lem(curve, 'G2', delta1G2) }),
  );
  return { zkey: joinZkey(z), contribution, hash: ultragrothContributionHash(curve, contribution) };
}
