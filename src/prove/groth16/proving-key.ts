/**
 * The proving key of a snarkjs Groth16 `.zkey`, parsed once and kept in memory across proofs.
 * Layout (snarkjs `zkey_utils.js`, the same bytes src/setup/zkey-file.ts writes): the iden3
 * container "zkey" of `u32 id, u64 size, data` sections; section 1 the protocol (1 = Groth16),
 * 2 the header (field sizes and moduli, nVars, nPublic, domainSize, then α₁ β₁ β₂ γ₂ δ₁ δ₂),
 * 4 the QAP coefficients of A and B, 5/6/7/8/9 the A, B₁, B₂, C and H point vectors. Points are
 * affine little-endian Montgomery, the form ffjavascript's multiExpAffine reads, so the sections
 * are used as they are, without conversion (subarrays of the file: no copy).
 */
import { BASE_FIELD_PRIME, FIELD_PRIME } from '../../core/bn254.js';

const N8 = 32;
const G1_SIZE = 2 * N8;
const G2_SIZE = 4 * N8;
/** Bytes of one coefficient entry of section 4: matrix, row, signal (u32 each) and the value. */
export const COEF_SIZE = 12 + N8;

/** A parsed Groth16 proving key; every buffer is a view of the zkey's bytes. */
export interface ProvingKey {
  readonly nVars: number;
  readonly nPublic: number;
  readonly domainSize: number;
  /** log2(domainSize). */
  readonly power: number;
  /** Header points, affine LE Montgomery (64 bytes in G1, 128 in G2). */
  readonly alpha1: Uint8Array;
  readonly beta1: Uint8Array;
  readonly beta2: Uint8Array;
  readonly delta1: Uint8Array;
  readonly delta2: Uint8Array;
  /** Section 4 without its count: `nCoefs` entries of {@link COEF_SIZE} bytes. */
  readonly coefs: Uint8Array;
  readonly nCoefs: number;
  readonly a: Uint8Array;
  readonly b1: Uint8Array;
  readonly b2: Uint8Array;
  /** Points of the private wires only (nVars − nPublic − 1). */
  readonly c: Uint8Array;
  readonly h: Uint8Array;
}

/** Thrown on a zkey this prover cannot use; callers name the file. */
export class ProvingKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProvingKeyError';
  }
}

function sectionsOf(z: Uint8Array): Map<number, Uint8Array> {
  const view = new DataView(z.buffer, z.byteOffset, z.byteLength);
  if (z.length < 12 || Buffer.from(z.subarray(0, 4)).toString('ascii') !== 'zkey')
    throw new ProvingKeyError('not a zkey file');
  const n = view.getUint32(8, true);
  const sections = new Map<number, Uint8Array>();
  let o = 12;
  for (let i = 0; i < n; i++) {
    if (o + 12 > z.length) throw new ProvingKeyError('truncated section header');
    const id = view.getUint32(o, true);
    const size = Number(view.getBigUint64(o + 4, true));
    o += 12;
    if (o + size > z.length) throw new ProvingKeyError(`section ${id} runs past the end of the file`);
    if (sections.has(id)) throw new ProvingKeyError(`section ${id} appears twice`);
    sections.set(id, z.subarray(o, o + size));
    o += size;
  }
  return sections;
}

function readField(view: DataView, o: number): bigint {
  let v = 0n;
  for (let i = 3; i >= 0; i--) v = (v << 64n) | view.getBigUint64(o + 8 * i, true);
  return v;
}

function section(s: Map<number, Uint8Array>, id: number, name: string, size?: number): Uint8Array {
  const b = s.get(id);
  if (!b) throw new ProvingKeyError(`no ${name} section (${id})`);
  if (size !== undefined && b.length !== size)
    throw new ProvingKeyError(`${name} section (${id}) has ${b.length} bytes, expected ${size}`);
  return b;
}

/** The Groth16 header's sizes, checked to be BN254's. */
function header(h: Uint8Array): { nVars: number; nPublic: number; domainSize: number; points: Uint8Array } {
  const view = new DataView(h.buffer, h.byteOffset, h.byteLength);
  const points = 3 * G1_SIZE + 3 * G2_SIZE;
  if (h.length !== 4 + N8 + 4 + N8 + 12 + points) throw new ProvingKeyError(`header of ${h.length} bytes`);
  if (view.getUint32(0, true) !== N8 || readField(view, 4) !== BASE_FIELD_PRIME)
    throw new ProvingKeyError('base field is not BN254');
  if (view.getUint32(4 + N8, true) !== N8 || readField(view, 8 + N8) !== FIELD_PRIME)
    throw new ProvingKeyError('scalar field is not BN254');
  const o = 8 + 2 * N8;
  return {
    nVars: view.getUint32(o, true),
    nPublic: view.getUint32(o + 4, true),
    domainSize: view.getUint32(o + 8, true),
    points: h.subarray(o + 12),
  };
}

/**
 * Every coefficient names matrix A or B, a row inside the domain and an existing wire: the wasm
 * QAP evaluation indexes memory with them unchecked.
 */
function checkCoefficients(coefs: Uint8Array, nCoefs: number, nVars: number, domainSize: number): void {
  const view = new DataView(coefs.buffer, coefs.byteOffset, coefs.byteLength);
  for (let i = 0, o = 0; i < nCoefs; i++, o += COEF_SIZE) {
    const [m, row, signal] = [view.getUint32(o, true), view.getUint32(o + 4, true), view.getUint32(o + 8, true)];
    if (m > 1 || row >= domainSize || signal >= nVars)
      throw new ProvingKeyError(`coefficient ${i} (matrix ${m}, row ${row}, wire ${signal}) is out of range`);
  }
}

/** Parses a Groth16 zkey; throws {@link ProvingKeyError} on any other content or a size mismatch. */
export function parseProvingKey(zkey: Uint8Array): ProvingKey {
  const s = sectionsOf(zkey);
  const protocol = section(s, 1, 'protocol', 4);
  if (new DataView(protocol.buffer, protocol.byteOffset, 4).getUint32(0, true) !== 1)
    throw new ProvingKeyError('not a Groth16 key');
  const { nVars, nPublic, domainSize, points } = header(section(s, 2, 'header'));
  const power = Math.log2(domainSize);
  if (!Number.isInteger(power) || power < 1 || power > 28) throw new ProvingKeyError(`domain size ${domainSize}`);
  if (nPublic + 1 > nVars) throw new ProvingKeyError(`${nPublic} public signals but ${nVars} wires`);
  const coefSection = section(s, 4, 'coefficients');
  const nCoefs =
    coefSection.length >= 4 ? new DataView(coefSection.buffer, coefSection.byteOffset).getUint32(0, true) : -1;
  if (coefSection.length !== 4 + nCoefs * COEF_SIZE) throw new ProvingKeyError('coefficient section size');
  checkCoefficients(coefSection.subarray(4), nCoefs, nVars, domainSize);
  let o = 0;
  const take = (n: number) => points.subarray(o, (o += n));
  const [alpha1, beta1, beta2] = [take(G1_SIZE), take(G1_SIZE), take(G2_SIZE)];
  take(G2_SIZE); // γ₂ is the verifier's alone
  const [delta1, delta2] = [take(G1_SIZE), take(G2_SIZE)];
  return {
    nVars,
    nPublic,
    domainSize,
    power,
    alpha1,
    beta1,
    beta2,
    delta1,
    delta2,
    coefs: coefSection.subarray(4),
    nCoefs,
    a: section(s, 5, 'A', nVars * G1_SIZE),
    b1: section(s, 6, 'B1', nVars * G1_SIZE),
    b2: section(s, 7, 'B2', nVars * G2_SIZE),
    c: section(s, 8, 'C', (nVars - nPublic - 1) * G1_SIZE),
    h: section(s, 9, 'H', domainSize * G1_SIZE),
  };
}
