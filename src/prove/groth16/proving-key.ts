/**
 * The proving key of a snarkjs Groth16 `.zkey`, parsed once and kept in memory across proofs.
 * Layout (snarkjs `zkey_utils.js`, the same bytes src/setup/zkey-file.ts writes): the iden3
 * container "zkey" of `u32 id, u64 size, data` sections; section 1 the protocol (1 = Groth16),
 * 2 the header (field sizes and moduli, nVars, nPublic, domainSize, then α₁ β₁ β₂ γ₂ δ₁ δ₂),
 * 4 the QAP coefficients of A and B, 5/6/7/8/9 the A, B₁, B₂, C and H point vectors. Points are
 * affine little-endian Montgomery, the form ffjavascript's multiExpAffine reads, so the sections
 * are used as they are, without conversion (subarrays of the file: no copy).
 *
 * An ultragroth key (protocol 0x5547, src/setup/zkey-file.ts) adds section 11: the round split,
 * the challenge's wire and δ₁; its section 8 holds round-1 points over δ₁.
 */
import { BASE_FIELD_PRIME, FIELD_PRIME } from '../../core/bn254.js';
import { decodeRound1Section, ULTRAGROTH_PROTOCOL_ID } from '../../setup/zkey-file.js';

const N8 = 32;
const G1_SIZE = 2 * N8;
const G2_SIZE = 4 * N8;
/** Bytes of one coefficient entry of section 4: matrix, row, signal (u32 each) and the value. */
export const COEF_SIZE = 12 + N8;

/** The round split of an ultragroth key (section 11). */
export interface Round1Key {
  /** Round-1 wires are [nPublic + 1, round2Start), round-2 wires [round2Start, nVars). */
  readonly round2Start: number;
  /** The challenge's wire, always nPublic (the last public signal). */
  readonly challengeWire: number;
  /** δ₁ in G1 and G2, affine LE Montgomery. */
  readonly delta1G1: Uint8Array;
  readonly delta1G2: Uint8Array;
}

/** A parsed Groth16 proving key; every buffer is a view of the zkey's bytes. */
export interface ProvingKey {
  readonly protocol: 'groth16' | 'ultragroth';
  /** Present exactly for ultragroth keys. */
  readonly round1?: Round1Key;
  readonly nVars: number;
  readonly nPublic: number;
  readonly domainSize: number;
  /** log2(domainSize). */
  readonly power: number;
  /** Header points, affine LE Montgomery (64 bytes in G1, 128 in G2). */
  readonly alpha1: Uint8Array;
  readonly beta1: Uint8Array;
  readonly beta2: Uint8Array;
  /** δ (the final/round-2 one) in G1 and G2; not δ₁ (that is {@link Round1Key}). */
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

/** Section 11 of an ultragroth key, its wires checked against the key's shape. */
function round1Of(s: Map<number, Uint8Array>, nVars: number, nPublic: number): Round1Key {
  let r: Round1Key;
  try {
    r = decodeRound1Section(section(s, 11, 'round-1'));
  } catch (e) {
    throw e instanceof ProvingKeyError ? e : new ProvingKeyError((e as Error).message);
  }
  if (nPublic < 1 || r.challengeWire !== nPublic)
    throw new ProvingKeyError(`challenge wire ${r.challengeWire} is not the last public signal (wire ${nPublic})`);
  if (r.round2Start < nPublic + 1 || r.round2Start > nVars)
    throw new ProvingKeyError(`round-2 start ${r.round2Start} outside [${nPublic + 1}, ${nVars}]`);
  return r;
}

/**
 * Parses a Groth16 or ultragroth zkey; throws {@link ProvingKeyError} on any other content or a
 * size mismatch.
 */
export function parseProvingKey(zkey: Uint8Array): ProvingKey {
  const s = sectionsOf(zkey);
  const protocolSection = section(s, 1, 'protocol', 4);
  const id = new DataView(protocolSection.buffer, protocolSection.byteOffset, 4).getUint32(0, true);
  if (id !== 1 && id !== ULTRAGROTH_PROTOCOL_ID) throw new ProvingKeyError('not a Groth16 key');
  const protocol = id === 1 ? 'groth16' : 'ultragroth';
  if (protocol === 'groth16' && s.has(11)) throw new ProvingKeyError('a Groth16 key with a round-1 section (11)');
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
    protocol,
    ...(protocol === 'ultragroth' ? { round1: round1Of(s, nVars, nPublic) } : {}),
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
