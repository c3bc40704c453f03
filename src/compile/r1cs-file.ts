/**
 * Readers and writers for the iden3 binary formats `.r1cs` (version 1) and `.wtns`
 * (version 2), the formats snarkjs consumes. Field elements are 32-byte little-endian in
 * normal (non-Montgomery) form.
 */
import { FIELD_PRIME } from '../../circuits/field.js';
import type { BuiltCircuit, Constraint, Lc } from '../../circuits/builder.js';
import { isBigSlot, LcStore, PackedLc } from '../../circuits/packed-lc.js';

const N8 = 32;

function writeField(view: DataView, offset: number, v: bigint): void {
  for (let i = 0; i < 4; i++) {
    view.setBigUint64(offset + 8 * i, v & 0xffffffffffffffffn, true);
    v >>= 64n;
  }
}

function readField(view: DataView, offset: number): bigint {
  let v = 0n;
  for (let i = 3; i >= 0; i--) v = (v << 64n) | view.getBigUint64(offset + 8 * i, true);
  return v;
}

function lcSize(lc: Lc): number {
  return 4 + lc.size * (4 + N8);
}

/**
 * Writes the terms of a packed combination (already in wire order) into a zero-filled buffer:
 * a non-negative coefficient below 2^53 is its two low 32-bit words, the rest go through BigInt.
 */
function writePacked(view: DataView, o: number, lc: PackedLc): void {
  for (let i = 0; i < lc.size; i++, o += 4 + N8) {
    view.setUint32(o, lc.wireAt(i), true);
    const s = lc.smallAt(i);
    if (s >= 0 && !isBigSlot(s)) {
      view.setUint32(o + 4, s % 0x100000000, true);
      view.setUint32(o + 8, Math.floor(s / 0x100000000), true);
    } else writeField(view, o + 4, lc.coefficientAt(i));
  }
}

/** Reads `n` terms at `o` into `store` (a file's wires may come in any order, even repeated). */
function readPacked(view: DataView, o: number, n: number, store: LcStore): PackedLc {
  const start = store.alloc(n);
  let sorted = true;
  for (let i = 0; i < n; i++, o += 4 + N8) {
    const w = view.getUint32(o, true);
    // The coefficient is bytes o+4 .. o+36: small when below 2^53, i.e. bytes o+11 .. o+36 clear.
    const hi = view.getUint32(o + 8, true);
    let small = hi < 0x200000;
    for (let b = o + 12; small && b < o + 4 + N8; b += 4) small = view.getUint32(b, true) === 0;
    if (small) {
      store.wires[start + i] = w;
      store.coefs[start + i] = hi * 0x100000000 + view.getUint32(o + 4, true);
    } else store.put(start + i, w, readField(view, o + 4));
    if (i > 0 && w <= store.wires[start + i - 1]!) sorted = false;
  }
  const lc = new PackedLc(store, start, n);
  if (sorted) return lc;
  // A repeated wire (legal in a foreign file): a Map keeps the last one, as before.
  return PackedLc.fromEntries([...new Map(lc.entries())], store);
}

/** Serializes a built circuit as an iden3 `.r1cs` file (header, constraints, wire map). */
export function encodeR1cs(c: BuiltCircuit): Buffer {
  let constraintsSize = 0;
  for (const k of c.constraints) constraintsSize += lcSize(k.a) + lcSize(k.b) + lcSize(k.c);
  const headerSize = 4 + N8 + 4 * 4 + 8 + 4;
  const mapSize = 8 * c.nWires;
  const total = 4 + 4 + 4 + 3 * 12 + headerSize + constraintsSize + mapSize;
  const buf = Buffer.alloc(total);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let o = 0;
  buf.write('r1cs', 0, 'ascii');
  o = 4;
  view.setUint32(o, 1, true);
  o += 4;
  view.setUint32(o, 3, true);
  o += 4;
  const section = (type: number, size: number) => {
    view.setUint32(o, type, true);
    view.setBigUint64(o + 4, BigInt(size), true);
    o += 12;
  };
  section(1, headerSize);
  view.setUint32(o, N8, true);
  o += 4;
  writeField(view, o, FIELD_PRIME);
  o += N8;
  view.setUint32(o, c.nWires, true);
  o += 4;
  view.setUint32(o, c.nPubOut, true);
  o += 4;
  view.setUint32(o, c.nPubIn, true);
  o += 4;
  view.setUint32(o, c.nPrvIn, true);
  o += 4;
  view.setBigUint64(o, BigInt(c.nWires), true);
  o += 8;
  view.setUint32(o, c.constraints.length, true);
  o += 4;
  section(2, constraintsSize);
  const writeLc = (lc: Lc) => {
    view.setUint32(o, lc.size, true);
    o += 4;
    if (lc instanceof PackedLc) {
      writePacked(view, o, lc);
      o += lc.size * (4 + N8);
      return;
    }
    // Sorted wire order makes the file (and so the model id) independent of insertion order.
    for (const w of [...lc.keys()].sort((x, y) => x - y)) {
      view.setUint32(o, w, true);
      writeField(view, o + 4, lc.get(w)!);
      o += 4 + N8;
    }
  };
  for (const k of c.constraints) {
    writeLc(k.a);
    writeLc(k.b);
    writeLc(k.c);
  }
  section(3, mapSize);
  for (let i = 0; i < c.nWires; i++) {
    view.setBigUint64(o, BigInt(i), true);
    o += 8;
  }
  return buf;
}

/** The parts of an `.r1cs` file zkinfer needs back: sizes and constraints. */
export interface R1csFile {
  readonly nWires: number;
  readonly nPubOut: number;
  readonly nPubIn: number;
  readonly nPrvIn: number;
  readonly constraints: Constraint[];
}

function sections(buf: Buffer, magic: string): Map<number, { start: number; size: number }> {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== magic) throw new Error(`not a ${magic} file`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = view.getUint32(8, true);
  const out = new Map<number, { start: number; size: number }>();
  let o = 12;
  for (let i = 0; i < n; i++) {
    if (o + 12 > buf.length) throw new Error(`truncated ${magic} file`);
    const type = view.getUint32(o, true);
    const size = Number(view.getBigUint64(o + 4, true));
    if (o + 12 + size > buf.length) throw new Error(`truncated ${magic} file`);
    out.set(type, { start: o + 12, size });
    o += 12 + size;
  }
  return out;
}

/** Parses an iden3 `.r1cs` file written by {@link encodeR1cs} (or by circom). */
export function decodeR1cs(buf: Buffer): R1csFile {
  const s = sections(buf, 'r1cs');
  const h = s.get(1);
  const body = s.get(2);
  if (!h || !body) throw new Error('r1cs file lacks header or constraints section');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let o = h.start;
  const n8 = view.getUint32(o, true);
  if (n8 !== N8 || readField(view, o + 4) !== FIELD_PRIME)
    throw new Error('r1cs file is not over the BN254 scalar field');
  o += 4 + N8;
  const nWires = view.getUint32(o, true);
  const nPubOut = view.getUint32(o + 4, true);
  const nPubIn = view.getUint32(o + 8, true);
  const nPrvIn = view.getUint32(o + 12, true);
  const nConstraints = view.getUint32(o + 24, true);
  o = body.start;
  // Terms take at least 36 bytes each in the file: an upper bound for the store.
  const store = new LcStore(Math.max(16, Math.floor(body.size / (4 + N8))));
  const readLc = (): Lc => {
    const n = view.getUint32(o, true);
    const lc = readPacked(view, o + 4, n, store);
    o += 4 + n * (4 + N8);
    return lc;
  };
  const constraints: Constraint[] = [];
  for (let i = 0; i < nConstraints; i++) constraints.push({ a: readLc(), b: readLc(), c: readLc() });
  return { nWires, nPubOut, nPubIn, nPrvIn, constraints };
}

/** Serializes a witness as an iden3 `.wtns` file (version 2). */
export function encodeWtns(witness: readonly bigint[]): Buffer {
  const headerSize = 4 + N8 + 4;
  const dataSize = N8 * witness.length;
  const buf = Buffer.alloc(12 + 12 + headerSize + 12 + dataSize);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  buf.write('wtns', 0, 'ascii');
  view.setUint32(4, 2, true);
  view.setUint32(8, 2, true);
  let o = 12;
  view.setUint32(o, 1, true);
  view.setBigUint64(o + 4, BigInt(headerSize), true);
  o += 12;
  view.setUint32(o, N8, true);
  writeField(view, o + 4, FIELD_PRIME);
  view.setUint32(o + 4 + N8, witness.length, true);
  o += headerSize;
  view.setUint32(o, 2, true);
  view.setBigUint64(o + 4, BigInt(dataSize), true);
  o += 12;
  for (const w of witness) {
    writeField(view, o, w);
    o += N8;
  }
  return buf;
}

/** Parses a `.wtns` file into field elements. */
export function decodeWtns(buf: Buffer): bigint[] {
  const s = sections(buf, 'wtns');
  const h = s.get(1);
  const data = s.get(2);
  if (!h || !data) throw new Error('wtns file lacks header or data section');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = view.getUint32(h.start + 4 + N8, true);
  const out: bigint[] = [];
  for (let i = 0; i < n; i++) out.push(readField(view, data.start + i * N8));
  return out;
}
