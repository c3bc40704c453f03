/**
 * Byte layout of a snarkjs 0.7.6 Groth16 `.zkey` (see snarkjs `zkey_utils.js` / `zkey_new.js`):
 * the iden3 binary container ("zkey", version 1, 10 sections of `u32 id, u64 size, data`),
 * integers little-endian, field elements 32-byte LE, points affine (x, y) in LE Montgomery form
 * with (0, 0) for infinity. Sections are emitted in the order `zkey new` writes them
 * (1, 2, 4, 3, 9, 8, 5, 6, 7, 10); readers find them by id, so the order is cosmetic.
 */
import { BASE_FIELD_PRIME, FIELD_PRIME } from '../core/bn254.js';
import type { R1csFile } from '../compile/r1cs-file.js';
import type { KeyLayout } from './dev/qap.js';

const N8 = 32;
const GROTH16_PROTOCOL_ID = 1;
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
 */
export function encodeZkey(
  r1cs: R1csFile,
  k: KeyLayout,
  hp: HeaderPoints,
  ps: PointSections,
  csHash: Uint8Array,
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
  file.writeUInt32LE(10, 8);
  const protocol = Buffer.alloc(4);
  protocol.writeUInt32LE(GROTH16_PROTOCOL_ID, 0);
  const contributions = Buffer.alloc(68);
  contributions.set(csHash, 0);

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
  return out;
}
