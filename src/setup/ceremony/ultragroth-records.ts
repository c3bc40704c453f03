/**
 * The chain check of an ultragroth key from its ceremony transcript alone (what a verifier has:
 * the vkey and the transcript inside it, no zkey): the records' δ and δ₁ public keys are turned
 * back into the key's section-10 contributions and both PoK chains are verified, ending at the
 * vkey's δ and δ₁ (G2). Used by `--require-trusted-setup` through verifyContributionChain.
 */
import { utils } from 'ffjavascript';
import type { ContributionKey, ContributionRecord } from '../../formats/ceremony.js';
import type { MpcPokPart, UltragrothContribution } from '../zkey-file.js';
import { sameRatio } from '../snarkjs-internals.js';
import { ultragrothContributionHash } from './ultragroth-contribute.js';
import { fullCurve, type FullCurve } from './ultragroth-key.js';
import { verifyUltragrothChain } from './ultragroth-verify.js';

type Verdict = { readonly ok: true } | { readonly ok: false; readonly index?: number; readonly detail: string };

function part(curve: FullCurve, k: ContributionKey): MpcPokPart {
  const lem = (group: 'G1' | 'G2', hex: string): Uint8Array => {
    const out = new Uint8Array(group === 'G1' ? 64 : 128);
    curve[group].toRprLEM(out, 0, curve[group].fromRprUncompressed(Buffer.from(hex, 'hex'), 0));
    return out;
  };
  return {
    after: lem('G1', k.deltaAfter),
    g1S: lem('G1', k.g1S),
    g1Sx: lem('G1', k.g1Sx),
    g2Spx: lem('G2', k.g2Spx),
    transcript: new Uint8Array(Buffer.from(k.transcript, 'hex')),
  };
}

/** snarkjs's params bytes of a record (name; beacon iterations and hash). */
function params(c: ContributionRecord): Uint8Array {
  const name = Buffer.from(c.name, 'utf8');
  const out: number[] = name.length ? [1, name.length, ...name] : [];
  if (c.kind === 'beacon' && c.beacon) {
    const h = Buffer.from(c.beacon.hash, 'hex');
    out.push(2, c.beacon.iterationsExp, 3, h.length, ...h);
  }
  return new Uint8Array(out);
}

/**
 * Verifies an ultragroth transcript's contributions: every record must carry its δ₁ part, hash
 * to its recorded hash, and both chains must hold and end at `vkDelta2` / `vkDelta1_2` (snarkjs
 * JSON G2 points).
 */
export async function verifyUltragrothRecords(input: {
  csHash: string;
  contributions: readonly ContributionRecord[];
  vkDelta2?: unknown;
  vkDelta1_2: unknown;
}): Promise<Verdict> {
  const curve = await fullCurve();
  const contributions: UltragrothContribution[] = [];
  for (const c of input.contributions) {
    const who = `${c.kind} ${c.index}${c.name ? ` ("${c.name}")` : ''}`;
    if (!c.delta1Key)
      return { ok: false, index: c.index, detail: `${who}: records no δ₁ update (every contribution must move δ₁)` };
    let u: UltragrothContribution;
    try {
      u = {
        delta: part(curve, c.key),
        delta1: part(curve, c.delta1Key),
        type: c.kind === 'beacon' ? 1 : 0,
        params: params(c),
      };
    } catch {
      return { ok: false, index: c.index, detail: `${who}: public key is not made of valid curve points` };
    }
    if (ultragrothContributionHash(curve, u) !== c.hash)
      return { ok: false, index: c.index, detail: `${who}: recorded contribution hash does not match its public keys` };
    contributions.push(u);
  }
  const chain = await verifyUltragrothChain({ csHash: Buffer.from(input.csHash, 'hex'), contributions });
  if (!chain.ok) return chain;
  const ends = [
    ['δ', input.vkDelta2, contributions.at(-1)?.delta.after],
    ['δ₁', input.vkDelta1_2, contributions.at(-1)?.delta1.after],
  ] as const;
  for (const [name, vk, after] of ends) {
    if (vk === undefined) continue;
    let g2;
    try {
      g2 = curve.G2.fromObject(utils.unstringifyBigInts(vk));
    } catch {
      return { ok: false, detail: `the verification key's ${name} is not a G2 point` };
    }
    const end = after ? curve.G1.fromRprLEM(after, 0) : curve.G1.g;
    if (!(await sameRatio(curve, curve.G1.g, end, curve.G2.g, g2)))
      return {
        ok: false,
        detail: `the verification key's ${name} is not the ${name} the ${contributions.length} recorded contribution(s) produce`,
      };
  }
  return { ok: true };
}
