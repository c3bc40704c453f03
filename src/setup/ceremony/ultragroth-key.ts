/**
 * The ultragroth key as the phase-2 ceremony sees it (the contract's layout, src/setup/zkey-file.ts):
 * the zkey container split into sections, the initial key made from a powers of tau (snarkjs
 * `zkey new` with δ = 1, converted: protocol id, δ₁ = 1, section 11, snarkjs's empty section 10),
 * and the verification key of a finished key (snarkjs refuses to export one for protocol 0x5547).
 */
import { utils as ffUtils } from 'ffjavascript';
import * as snarkjs from 'snarkjs';
import {
  decodeRound1Section,
  decodeUltragrothMpc,
  encodeRound1Section,
  ULTRAGROTH_PROTOCOL_ID,
  type Round1Section,
} from '../zkey-file.js';
import { bn128 } from '../snarkjs-internals.js';

/** ffjavascript ships no types: its curve is used untyped, as src/setup/dev does. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type FullCurve = any;

/** The bn128 curve snarkjs uses, with the whole ffjavascript API. */
export async function fullCurve(): Promise<FullCurve> {
  return (await bn128()) as FullCurve;
}

/** Byte offsets inside section 2 (snarkjs's Groth16 header). */
export const HEADER = { nVars: 72, nPublic: 76, domainSize: 80, delta1: 468, delta2: 532, size: 660 } as const;

/** A zkey split into its sections, in file order. */
export interface ZkeySections {
  readonly version: number;
  readonly order: number[];
  readonly sections: Map<number, Uint8Array>;
}

/** Splits a zkey file's bytes into sections; throws an Error naming what is malformed. */
export function splitZkey(bytes: Uint8Array): ZkeySections {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 12 || b.toString('latin1', 0, 4) !== 'zkey') throw new Error('not a .zkey file (no "zkey" magic)');
  const n = b.readUInt32LE(8);
  const sections = new Map<number, Uint8Array>();
  const order: number[] = [];
  let pos = 12;
  for (let i = 0; i < n; i++) {
    if (pos + 12 > b.length) throw new Error('.zkey file is truncated');
    const id = b.readUInt32LE(pos);
    const len = Number(b.readBigUInt64LE(pos + 4));
    if (pos + 12 + len > b.length) throw new Error(`.zkey section ${id} is truncated`);
    if (sections.has(id)) throw new Error(`.zkey section ${id} appears twice`);
    sections.set(id, b.subarray(pos + 12, pos + 12 + len));
    order.push(id);
    pos += 12 + len;
  }
  if (pos !== b.length) throw new Error('.zkey file has trailing bytes');
  return { version: b.readUInt32LE(4), order, sections };
}

/** The file's bytes as chunks to write back to back. */
export function joinZkey(z: ZkeySections): Uint8Array[] {
  const head = Buffer.alloc(12);
  head.write('zkey', 0, 'latin1');
  head.writeUInt32LE(z.version, 4);
  head.writeUInt32LE(z.order.length, 8);
  const out: Uint8Array[] = [head];
  for (const id of z.order) {
    const data = z.sections.get(id)!;
    const sh = Buffer.alloc(12);
    sh.writeUInt32LE(id, 0);
    sh.writeBigUInt64LE(BigInt(data.length), 4);
    out.push(sh, data);
  }
  return out;
}

/** A section, or an Error naming the missing one. */
export function section(z: ZkeySections, id: number): Uint8Array {
  const s = z.sections.get(id);
  if (!s) throw new Error(`.zkey has no section ${id}`);
  return s;
}

/** What a ceremony needs from an ultragroth key's header and round sections. */
export interface UltragrothLayout {
  readonly nVars: number;
  readonly nPublic: number;
  readonly domainSize: number;
  readonly round1: Round1Section;
  /** Points of section 8 that belong to round-1 wires (the first ones: wires nPublic+1 … round2Start−1). */
  readonly nRound1Points: number;
}

/** Reads and checks the layout of an ultragroth key (protocol id, section 11, section sizes). */
export function ultragrothLayout(z: ZkeySections): UltragrothLayout {
  const protocol = Buffer.from(section(z, 1)).readUInt32LE(0);
  if (protocol !== ULTRAGROTH_PROTOCOL_ID)
    throw new Error(`not an ultragroth key (protocol id ${protocol}, expected ${ULTRAGROTH_PROTOCOL_ID})`);
  const h = Buffer.from(section(z, 2));
  if (h.length !== HEADER.size) throw new Error(`header section (2) has ${h.length} bytes, expected ${HEADER.size}`);
  const nVars = h.readUInt32LE(HEADER.nVars);
  const nPublic = h.readUInt32LE(HEADER.nPublic);
  const domainSize = h.readUInt32LE(HEADER.domainSize);
  const round1 = decodeRound1Section(section(z, 11));
  checkRound1({ nVars, nPublic }, round1);
  const sizes: Array<[number, number]> = [
    [8, (nVars - nPublic - 1) * 64],
    [9, domainSize * 64],
    [3, (nPublic + 1) * 64],
  ];
  for (const [id, size] of sizes)
    if (section(z, id).length !== size)
      throw new Error(`section ${id} has ${section(z, id).length} bytes, expected ${size}`);
  return { nVars, nPublic, domainSize, round1, nRound1Points: round1.round2Start - nPublic - 1 };
}

/** The round split the contract fixes: the challenge is the last public signal, round 2 inside the private wires. */
export function checkRound1(
  k: { nVars: number; nPublic: number },
  r: { round2Start: number; challengeWire: number },
): void {
  if (k.nPublic < 1 || r.challengeWire !== k.nPublic)
    throw new Error(`the challenge must be the last public signal (wire ${k.nPublic}), not wire ${r.challengeWire}`);
  if (!Number.isInteger(r.round2Start) || r.round2Start < k.nPublic + 1 || r.round2Start > k.nVars)
    throw new Error(`round-2 start ${r.round2Start} outside [${k.nPublic + 1}, ${k.nVars}]`);
}

/** A file path or a snarkjs in-memory file (`{ type: 'mem', data }`). */
export type SnarkjsFile = string | { type: 'mem'; data?: Uint8Array };

/** Options of {@link ultragrothInitKey}. */
export interface UltragrothInitOptions {
  readonly r1cs: SnarkjsFile;
  readonly ptau: SnarkjsFile;
  /** The round split of the build (circuit.json's `lookup.round2Start` / `challengeWire`). */
  readonly round1: { readonly round2Start: number; readonly challengeWire: number };
  /** snarkjs logger for `zkey new`'s progress. */
  readonly logger?: unknown;
}

/**
 * The initial ultragroth key: snarkjs `zkey new` (δ = 1, section 8 the unscaled L_i, section 9 from
 * the ptau, section 10 its circuit hash and no contribution) with protocol id 0x5547 and a section
 * 11 holding the round split and δ₁ = 1 (the generators). Every contribution then moves δ and δ₁.
 * Deterministic in (r1cs, ptau, round split): `ceremony verify` rebuilds it to compare against.
 * @throws Error when snarkjs cannot set the circuit up with this ptau, or the round split is invalid.
 */
export async function ultragrothInitKey(o: UltragrothInitOptions): Promise<{ zkey: Uint8Array[]; csHash: string }> {
  const mem: { type: 'mem'; data?: Uint8Array } = { type: 'mem' };
  const csHash = await snarkjs.zKey.newZKey(o.r1cs, o.ptau, mem, o.logger);
  if (!(csHash instanceof Uint8Array) || !mem.data)
    throw new Error('snarkjs could not set up the circuit with this powers-of-tau file (is it prepared for phase 2?)');
  const z = splitZkey(mem.data);
  const h = Buffer.from(section(z, 2));
  checkRound1({ nVars: h.readUInt32LE(HEADER.nVars), nPublic: h.readUInt32LE(HEADER.nPublic) }, o.round1);
  const curve = await fullCurve();
  const g1 = new Uint8Array(64);
  const g2 = new Uint8Array(128);
  curve.G1.toRprLEM(g1, 0, curve.G1.g);
  curve.G2.toRprLEM(g2, 0, curve.G2.g);
  const protocol = Buffer.alloc(4);
  protocol.writeUInt32LE(ULTRAGROTH_PROTOCOL_ID, 0);
  z.sections.set(1, protocol);
  // snarkjs's empty section 10 (csHash ‖ u32 0) is already the ultragroth layout with no contribution.
  decodeUltragrothMpc(section(z, 10));
  z.sections.set(11, encodeRound1Section({ ...o.round1, delta1G1: g1, delta1G2: g2 }));
  z.order.push(11);
  return { zkey: joinZkey(z), csHash: Buffer.from(csHash).toString('hex') };
}

/**
 * The verification key of an ultragroth zkey, in the contract's JSON (snarkjs's groth16 fields,
 * `protocol: 'ultragroth'`, `vk_delta1_2`, `challenge`), as the dev setup writes it.
 */
export async function ultragrothVerificationKey(bytes: Uint8Array): Promise<Record<string, unknown>> {
  const z = splitZkey(bytes);
  const k = ultragrothLayout(z);
  const curve = await fullCurve();
  const h = section(z, 2);
  const g1 = (b: Uint8Array, o: number) => curve.G1.toObject(curve.G1.fromRprLEM(b, o));
  const g2 = (b: Uint8Array, o: number) => curve.G2.toObject(curve.G2.fromRprLEM(b, o));
  const alpha1 = curve.G1.fromRprLEM(h, 84);
  const beta2 = curve.G2.fromRprLEM(h, 212);
  const ic = section(z, 3);
  const vkey = {
    protocol: 'ultragroth',
    curve: curve.name,
    nPublic: k.nPublic,
    vk_alpha_1: curve.G1.toObject(alpha1),
    vk_beta_2: curve.G2.toObject(beta2),
    vk_gamma_2: g2(h, 340),
    vk_delta_2: g2(h, HEADER.delta2),
    vk_alphabeta_12: curve.Gt.toObject(await curve.pairing(alpha1, beta2)),
    IC: Array.from({ length: k.nPublic + 1 }, (_, i) => g1(ic, i * 64)),
    vk_delta1_2: curve.G2.toObject(curve.G2.fromRprLEM(k.round1.delta1G2, 0)),
    challenge: { index: k.nPublic - 1, hash: 'keccak256' },
  };
  return ffUtils.stringifyBigInts(vkey) as Record<string, unknown>;
}
