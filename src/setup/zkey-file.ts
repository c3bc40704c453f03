/**
 * Byte layout of a snarkjs 0.7.6 Groth16 `.zkey` (see snarkjs `zkey_utils.js` / `zkey_new.js`):
 * the iden3 binary container ("zkey", version 1, 10 sections of `u32 id, u64 size, data`),
 * integers little-endian, field elements 32-byte LE, points affine (x, y) in LE Montgomery form
 * with (0, 0) for infinity. Sections are emitted in the order `zkey new` writes them
 * (1, 2, 4, 3, 9, 8, 5, 6, 7, 10); readers find them by id, so the order is cosmetic.
 *
 * The two-round "ultragroth" key (docs/security.md) is the same container with protocol id
 * {@link ULTRAGROTH_PROTOCOL_ID} (snarkjs refuses it instead of misusing it), section 8 holding
 * round-1 points over δ₁ and round-2 points over δ, an extra section 11 ({@link Round1Section}),
 * and a section 10 whose contributions move δ and δ₁ ({@link encodeUltragrothMpc}).
 */
import { BASE_FIELD_PRIME, FIELD_PRIME } from '../core/bn254.js';
import type { R1csFile } from '../compile/r1cs-file.js';
import type { KeyLayout } from './dev/qap.js';

const N8 = 32;
const GROTH16_PROTOCOL_ID = 1;
/** Section 1 of an ultragroth key: "UG", a value snarkjs does not know, so it refuses the key. */
export const ULTRAGROTH_PROTOCOL_ID = 0x5547;
/** Bytes of section 11: round2Start, challengeWire (u32 each), δ₁ in G1 (64) and in G2 (128). */
export const ROUND1_SECTION_SIZE = 8 + 64 + 128;

/** Section 11 of an ultragroth key: where round 2 starts, the challenge's wire, and δ₁. */
export interface Round1Section {
  /** First round-2 wire; round-1 wires are [nPublic + 1, round2Start). */
  readonly round2Start: number;
  /** The challenge's wire: the last public signal (wire nPublic). */
  readonly challengeWire: number;
  /** δ₁ in G1, affine LE Montgomery (64 bytes). */
  readonly delta1G1: Uint8Array;
  /** δ₁ in G2, affine LE Montgomery (128 bytes). */
  readonly delta1G2: Uint8Array;
}

/** Encodes section 11 ({@link Round1Section}). */
export function encodeRound1Section(r: Round1Section): Uint8Array {
  if (r.delta1G1.length !== 64 || r.delta1G2.length !== 128) throw new Error('δ₁ points must be 64 and 128 bytes');
  const b = Buffer.alloc(ROUND1_SECTION_SIZE);
  b.writeUInt32LE(r.round2Start, 0);
  b.writeUInt32LE(r.challengeWire, 4);
  b.set(r.delta1G1, 8);
  b.set(r.delta1G2, 72);
  return b;
}

/** Decodes section 11; the points are views of `b` (no copy). Throws on a wrong size. */
export function decodeRound1Section(b: Uint8Array): Round1Section {
  if (b.length !== ROUND1_SECTION_SIZE)
    throw new Error(`round-1 section (11) has ${b.length} bytes, expected ${ROUND1_SECTION_SIZE}`);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    round2Start: view.getUint32(0, true),
    challengeWire: view.getUint32(4, true),
    delta1G1: b.subarray(8, 72),
    delta1G2: b.subarray(72, ROUND1_SECTION_SIZE),
  };
}

/** One proof of knowledge of a δ or δ₁ update, snarkjs's layout (all LE Montgomery affine points). */
export interface MpcPokPart {
  /** The key's δ (or δ₁) in G1 after this contribution (64 bytes). */
  readonly after: Uint8Array;
  readonly g1S: Uint8Array;
  readonly g1Sx: Uint8Array;
  /** 128 bytes. */
  readonly g2Spx: Uint8Array;
  /** 64 bytes. */
  readonly transcript: Uint8Array;
}

/** One ultragroth contribution: both updates, then snarkjs's type and raw params bytes. */
export interface UltragrothContribution {
  readonly delta: MpcPokPart;
  readonly delta1: MpcPokPart;
  readonly type: number;
  readonly params: Uint8Array;
}

const POK_SIZES = [64, 64, 64, 128, 64] as const;

/**
 * Section 10 of an ultragroth key: csHash (64) ‖ u32 n ‖ per contribution the δ part exactly as
 * snarkjs writes it, the δ₁ part in the same layout, u32 type, u32 paramsLen, params.
 * With no contribution this is byte-identical to snarkjs's empty section 10.
 */
export function encodeUltragrothMpc(csHash: Uint8Array, contributions: readonly UltragrothContribution[]): Uint8Array {
  if (csHash.length !== 64) throw new Error('csHash must be 64 bytes');
  const parts: Uint8Array[] = [csHash];
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v, 0);
    return b;
  };
  parts.push(u32(contributions.length));
  for (const c of contributions) {
    for (const part of [c.delta, c.delta1]) {
      const fields = [part.after, part.g1S, part.g1Sx, part.g2Spx, part.transcript];
      fields.forEach((f, i) => {
        if (f.length !== POK_SIZES[i]) throw new Error(`contribution field ${i} has ${f.length} bytes`);
        parts.push(f);
      });
    }
    parts.push(u32(c.type), u32(c.params.length), c.params);
  }
  return Buffer.concat(parts);
}

/** Decodes {@link encodeUltragrothMpc}'s layout; every field is a copy. Throws on a malformed section. */
export function decodeUltragrothMpc(b: Uint8Array): { csHash: Uint8Array; contributions: UltragrothContribution[] } {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  let o = 0;
  const take = (n: number): Uint8Array => {
    if (o + n > buf.length) throw new Error('contributions section (10) is truncated');
    return Uint8Array.prototype.slice.call(buf, o, (o += n));
  };
  const u32 = () => Buffer.from(take(4)).readUInt32LE(0);
  const csHash = take(64);
  const n = u32();
  const contributions: UltragrothContribution[] = [];
  const pok = (): MpcPokPart => {
    const [after, g1S, g1Sx, g2Spx, transcript] = POK_SIZES.map((size) => take(size)) as [
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
    ];
    return { after, g1S, g1Sx, g2Spx, transcript };
  };
  for (let i = 0; i < n; i++) {
    const [delta, delta1] = [pok(), pok()];
    const type = u32();
    contributions.push({ delta, delta1, type, params: take(u32()) });
  }
  if (o !== buf.length) throw new Error('contributions section (10) has trailing bytes');
  return { csHash, contributions };
}
/** Montgomery R = 2^256 mod r; snarkjs stores coefficients multiplied by R² (see `writeCoef`). */
const R_MOD = (1n << 256n) % FIELD_PRIME;
const R2 = (R_MOD * R_MOD) % FIELD_PRIME;

/** Header points, each already affine LE Montgomery (64 bytes in G1, 128 in G2). */
export interface HeaderPoints {
  readonly alpha1: Uint8Array;
  readonly beta1: Uint8Array;
  readonly beta2: Uint8Array;
  readonly gamma2: Uint8Array;
  readonly delta1: Uint8Array;
  readonly delta2: Uint8Array;
}

/** Point sections, each the concatenation of affine LE Montgomery points. */
export interface PointSections {
  readonly ic: Uint8Array;
  readonly c: Uint8Array;
  readonly a: Uint8Array;
  readonly b1: Uint8Array;
  readonly b2: Uint8Array;
  readonly h: Uint8Array;
}

function putField(view: DataView, o: number, v: bigint): void {
  for (let i = 0; i < 4; i++) {
    view.setBigUint64(o + 8 * i, BigInt.asUintN(64, v), true);
    v >>= 64n;
  }
}

function sectionHeader(id: number, size: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt32LE(id, 0);
  b.writeBigUInt64LE(BigInt(size), 4);
  return b;
}

function grothHeader(k: KeyLayout, hp: HeaderPoints): Buffer {
  const b = Buffer.alloc(4 + N8 + 4 + N8 + 12 + 3 * 64 + 3 * 128);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let o = 0;
  view.setUint32(o, N8, true);
  o += 4;
  putField(view, o, BASE_FIELD_PRIME);
  o += N8;
  view.setUint32(o, N8, true);
  o += 4;
  putField(view, o, FIELD_PRIME);
  o += N8;
  view.setUint32(o, k.nVars, true);
  o += 4;
  view.setUint32(o, k.nPublic, true);
  o += 4;
  view.setUint32(o, k.domainSize, true);
  o += 4;
  for (const p of [hp.alpha1, hp.beta1, hp.beta2, hp.gamma2, hp.delta1, hp.delta2]) {
    b.set(p, o);
    o += p.length;
  }
  return b;
}

/**
 * Section 4: the A and B matrix entries the prover needs to evaluate the QAP, in r1cs order,
 * followed by the public-input rows `(matrix 0, row m + s, signal s, 1)`. C is not stored: the
 * prover recomputes it as A·B row by row.
 */
function coefficients(r1cs: R1csFile, k: KeyLayout): Buffer {
  let count = k.nPublic + 1;
  for (const c of r1cs.constraints) count += c.a.size + c.b.size;
  const entry = 12 + N8;
  const b = Buffer.alloc(4 + count * entry);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  view.setUint32(0, count, true);
  let o = 4;
  const put = (matrix: number, row: number, signal: number, value: bigint) => {
    view.setUint32(o, matrix, true);
    view.setUint32(o + 4, row, true);
    view.setUint32(o + 8, signal, true);
    putField(view, o + 12, ((value % FIELD_PRIME) * R2) % FIELD_PRIME);
    o += entry;
  };
  r1cs.constraints.forEach((c, row) => {
    for (const [s, v] of c.a) put(0, row, s, v);
    for (const [s, v] of c.b) put(1, row, s, v);
  });
  for (let s = 0; s <= k.nPublic; s++) put(0, k.nConstraints + s, s, 1n);
  return b;
}

/**
 * Encodes the whole `.zkey` as a list of chunks (to be written back to back), avoiding one big
 * concatenation copy. `csHash` is the 64-byte circuit hash stored in the contributions section.
 * With `ultragroth`, writes the two-round key: protocol {@link ULTRAGROTH_PROTOCOL_ID}, section
 * 11 and section 10 with the given contributions (none for a dev key); `ps.c` must then already
 * hold round-1 points over δ₁.
 */
export function encodeZkey(
  r1cs: R1csFile,
  k: KeyLayout,
  hp: HeaderPoints,
  ps: PointSections,
  csHash: Uint8Array,
  ultragroth?: { readonly round1: Round1Section; readonly contributions?: readonly UltragrothContribution[] },
): Uint8Array[] {
  const expect = (name: string, buf: Uint8Array, n: number, size: number) => {
    if (buf.length !== n * size) throw new Error(`zkey section ${name}: ${buf.length} bytes, expected ${n * size}`);
  };
  expect('IC', ps.ic, k.nPublic + 1, 64);
  expect('C', ps.c, k.nVars - k.nPublic - 1, 64);
  expect('A', ps.a, k.nVars, 64);
  expect('B1', ps.b1, k.nVars, 64);
  expect('B2', ps.b2, k.nVars, 128);
  expect('H', ps.h, k.domainSize, 64);
  if (csHash.length !== 64) throw new Error('csHash must be 64 bytes');

  const file = Buffer.alloc(12);
  file.write('zkey', 0, 'ascii');
  file.writeUInt32LE(1, 4);
  file.writeUInt32LE(ultragroth ? 11 : 10, 8);
  const protocol = Buffer.alloc(4);
  protocol.writeUInt32LE(ultragroth ? ULTRAGROTH_PROTOCOL_ID : GROTH16_PROTOCOL_ID, 0);
  const contributions = encodeUltragrothMpc(csHash, ultragroth?.contributions ?? []);

  const out: Uint8Array[] = [file];
  const section = (id: number, data: Uint8Array) => out.push(sectionHeader(id, data.length), data);
  section(1, protocol);
  section(2, grothHeader(k, hp));
  section(4, coefficients(r1cs, k));
  section(3, ps.ic);
  section(9, ps.h);
  section(8, ps.c);
  section(5, ps.a);
  section(6, ps.b1);
  section(7, ps.b2);
  section(10, contributions);
  if (ultragroth) section(11, encodeRound1Section(ultragroth.round1));
  return out;
}
