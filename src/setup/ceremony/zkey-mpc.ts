/**
 * Reads the phase-2 record of a snarkjs Groth16 `.zkey` (section 10: the circuit hash and the
 * ordered contributions, see snarkjs `zkey_utils.js` readMPCParams) without loading the key's
 * point sections, and turns each contribution into JSON: name, kind, contribution hash (the
 * blake2b-512 snarkjs prints to the contributor) and its public key in uncompressed form, so a
 * transcript can be checked later without the zkey.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { UserError } from '../../core/errors.js';
import { bn128, Curve } from '../snarkjs-internals.js';
import type { ContributionKey, ContributionRecord } from '../../formats/ceremony.js';
import { decodeUltragrothMpc, ULTRAGROTH_PROTOCOL_ID, type MpcPokPart } from '../zkey-file.js';
import { ultragrothContributionHash } from './ultragroth-contribute.js';
import { fullCurve } from './ultragroth-key.js';
import { describeParams } from './ultragroth-verify.js';

/** Section 10 of a zkey. */
export interface ZkeyMpc {
  /** snarkjs's circuit hash: blake2b-512 over the initial key made from the r1cs and the ptau. */
  readonly csHash: string;
  readonly contributions: ContributionRecord[];
  /** Which key: a snarkjs Groth16 one, or an ultragroth one (its contributions carry `delta1Key`). */
  readonly protocol: 'groth16' | 'ultragroth';
}

function readSection(path: string, wanted: number): Buffer {
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(12);
    if (readSync(fd, head, 0, 12, 0) !== 12 || head.toString('latin1', 0, 4) !== 'zkey')
      throw new UserError(`${path}: not a snarkjs .zkey file (no "zkey" magic)`);
    const n = head.readUInt32LE(8);
    let pos = 12;
    const sec = Buffer.alloc(12);
    for (let i = 0; i < n && pos + 12 <= size; i++) {
      readSync(fd, sec, 0, 12, pos);
      const id = sec.readUInt32LE(0);
      const len = Number(sec.readBigUInt64LE(4));
      if (id === wanted) {
        if (pos + 12 + len > size) break;
        const body = Buffer.alloc(len);
        readSync(fd, body, 0, len, pos + 12);
        return body;
      }
      pos += 12 + len;
    }
    throw new UserError(`${path}: .zkey file is truncated or has no section ${wanted}`);
  } finally {
    closeSync(fd);
  }
}

/** Re-encodes a stored (LE Montgomery) point uncompressed, the form snarkjs hashes. */
function uncompressed(curve: Curve, group: 'G1' | 'G2', lem: Buffer): Buffer {
  const g = curve[group];
  const out = Buffer.alloc(g.F.n8 * 2);
  g.toRprUncompressed(out, 0, g.fromRprLEM(lem, 0));
  return out;
}

/** blake2b-512 of a contribution's public key: snarkjs's contribution hash. */
export function contributionHash(key: ContributionKey): string {
  const h = createHash('blake2b512');
  for (const f of [key.deltaAfter, key.g1S, key.g1Sx, key.g2Spx, key.transcript]) h.update(Buffer.from(f, 'hex'));
  return h.digest('hex');
}

/** The contract's ultragroth section 10, as records (the δ part in `key`, the δ₁ part in `delta1Key`). */
async function ultragrothMpc(path: string, b: Buffer): Promise<ZkeyMpc> {
  const curve = await bn128();
  let mpc;
  try {
    mpc = decodeUltragrothMpc(b);
  } catch (e) {
    throw new UserError(`${path}: malformed phase-2 section of the ultragroth key (${(e as Error).message})`);
  }
  const keyOf = (p: MpcPokPart): ContributionKey => ({
    deltaAfter: uncompressed(curve, 'G1', Buffer.from(p.after)).toString('hex'),
    g1S: uncompressed(curve, 'G1', Buffer.from(p.g1S)).toString('hex'),
    g1Sx: uncompressed(curve, 'G1', Buffer.from(p.g1Sx)).toString('hex'),
    g2Spx: uncompressed(curve, 'G2', Buffer.from(p.g2Spx)).toString('hex'),
    transcript: Buffer.from(p.transcript).toString('hex'),
  });
  const contributions = await Promise.all(
    mpc.contributions.map(async (c, i) => {
      const info = describeParams(c, i + 1, ultragrothContributionHash(await fullCurve(), c));
      return { ...info, key: keyOf(c.delta), delta1Key: keyOf(c.delta1) };
    }),
  );
  return { csHash: Buffer.from(mpc.csHash).toString('hex'), contributions, protocol: 'ultragroth' };
}

/** Reads the circuit hash and contributions of a zkey file (snarkjs Groth16 or ultragroth). */
export async function readZkeyMpc(path: string): Promise<ZkeyMpc> {
  const b = readSection(path, 10);
  if (readSection(path, 1).readUInt32LE(0) === ULTRAGROTH_PROTOCOL_ID) return ultragrothMpc(path, b);
  const curve = await bn128();
  const bad = (): UserError => new UserError(`${path}: malformed phase-2 section of the .zkey file`);
  if (b.length < 68) throw bad();
  const csHash = b.subarray(0, 64).toString('hex');
  const n = b.readUInt32LE(64);
  let o = 68;
  const take = (len: number): Buffer => {
    if (o + len > b.length) throw bad();
    const r = b.subarray(o, o + len);
    o += len;
    return r;
  };
  const contributions: ContributionRecord[] = [];
  for (let i = 0; i < n; i++) {
    const key: ContributionKey = {
      deltaAfter: uncompressed(curve, 'G1', take(64)).toString('hex'),
      g1S: uncompressed(curve, 'G1', take(64)).toString('hex'),
      g1Sx: uncompressed(curve, 'G1', take(64)).toString('hex'),
      g2Spx: uncompressed(curve, 'G2', take(128)).toString('hex'),
      transcript: take(64).toString('hex'),
    };
    const type = take(4).readUInt32LE(0);
    const params = take(take(4).readUInt32LE(0));
    let name = '';
    let iterationsExp: number | undefined;
    let beaconHash: string | undefined;
    for (let p = 0; p < params.length;) {
      const t = params[p++]!;
      if (t === 1 || t === 3) {
        const len = params[p++]!;
        const v = params.subarray(p, p + len);
        p += len;
        if (t === 1) name = v.toString('utf8');
        else beaconHash = v.toString('hex');
      } else if (t === 2) iterationsExp = params[p++]!;
      else throw bad();
    }
    contributions.push({
      index: i + 1,
      name,
      kind: type === 1 ? 'beacon' : 'contribution',
      hash: contributionHash(key),
      key,
      ...(type === 1 && beaconHash !== undefined && iterationsExp !== undefined
        ? { beacon: { hash: beaconHash, iterationsExp } }
        : {}),
    });
  }
  return { csHash, contributions, protocol: 'groth16' };
}
