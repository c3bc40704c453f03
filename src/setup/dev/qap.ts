/**
 * The field side of the development setup: the QAP of an R1CS evaluated at a secret τ, turned
 * into the exact scalars whose generator multiples form a snarkjs Groth16 proving key.
 *
 * Everything here mirrors snarkjs 0.7.6 (`zkey_new.js` plus the phase-2 division by δ):
 *
 * - Rows are the r1cs constraints followed by nPublic + 1 rows `A = signal_s` (B = C = 0) for
 *   s = 0 … nPublic, which make the public inputs linearly independent. The domain is the
 *   smallest power of two 2^k with 2^k > nConstraints + nPublic, with generator ω = Fr.w[k].
 * - Row c is the Lagrange polynomial L_c of that domain, L_c(τ) = ω^c (τ^n − 1) / (n (τ − ω^c)),
 *   so u_i(τ) = Σ_c A[c][i]·L_c(τ), likewise v_i (B) and w_i (C).
 * - A_i = u_i, B_i = v_i (in G1 and G2), IC_i = (β u_i + α v_i + w_i)/γ for i ≤ nPublic and
 *   C_i = (β u_i + α v_i + w_i)/δ otherwise.
 * - H is not powers of τ. The prover evaluates (A·B − C) on the odd coset x_j = ω₂ₙ^(2j+1) of
 *   the doubled domain and multiplies with the H points directly; since Z(x_j) = −2 there,
 *   Σ_j P(x_j)·L^(2n)_(2j+1)(τ) = Z(τ)·h(τ). Hence H_j = L^(2n)_(2j+1)(τ)/δ
 *   = x_j (τ^(2n) − 1) / (2n (τ − x_j) δ), for j = 0 … n − 1 (snarkjs takes these same points
 *   from the prepared ptau's 2n-point Lagrange section, odd indices).
 */
import { FIELD_PRIME, fieldInv } from '../../../circuits/field.js';
import type { R1csFile } from '../../compile/r1cs-file.js';
import { SCALAR_BYTES } from './fixed-base.js';

const P = FIELD_PRIME;
/** Two-adicity of the BN254 scalar field; snarkjs handles 2n = 2^28 with a different H layout. */
const FR_TWO_ADICITY = 28;

/** Sizes that fix the shape of the key. */
export interface KeyLayout {
  readonly nVars: number;
  /** Public signals, outputs first, not counting the constant one. */
  readonly nPublic: number;
  readonly nConstraints: number;
  /** log2 of the domain size. */
  readonly power: number;
  readonly domainSize: number;
}

/** The secret trapdoor of one setup. Whoever knows it can forge proofs for this key. */
export interface ToxicWaste {
  tau: bigint;
  alpha: bigint;
  beta: bigint;
  gamma: bigint;
  delta: bigint;
  /**
   * δ₁ of an ultragroth key (docs/security.md): the round-1 private wires' points are divided by
   * it instead of δ. Absent for Groth16 keys.
   */
  delta1?: bigint;
}

/** Where each zkey section lives in the concatenated scalar buffers (in points). */
export interface ScalarLayout {
  /** G1 order: IC, C, A, B1, H. */
  readonly g1: {
    readonly ic: number;
    readonly c: number;
    readonly a: number;
    readonly b1: number;
    readonly h: number;
    readonly total: number;
  };
  /** G2 holds only B2. */
  readonly g2Total: number;
}

/** floor(log2(v)) for v ≥ 1, as snarkjs's `log2` computes it. */
function floorLog2(v: number): number {
  return 31 - Math.clz32(v);
}

/** The key shape snarkjs derives from an r1cs. */
export function keyLayout(r1cs: R1csFile): KeyLayout {
  const nPublic = r1cs.nPubOut + r1cs.nPubIn;
  const nConstraints = r1cs.constraints.length;
  if (nConstraints + nPublic === 0) throw new Error('circuit has no constraints and no public signals');
  const power = floorLog2(nConstraints + nPublic) + 1;
  if (power >= FR_TWO_ADICITY)
    throw new Error(`circuit too big: domain 2^${power} needs 2^${power + 1} roots of unity`);
  return { nVars: r1cs.nWires, nPublic, nConstraints, power, domainSize: 2 ** power };
}

/** Offsets of the sections inside the scalar buffers handed to the workers. */
export function scalarLayout(k: KeyLayout): ScalarLayout {
  const ic = 0;
  const c = ic + k.nPublic + 1;
  const a = c + (k.nVars - k.nPublic - 1);
  const b1 = a + k.nVars;
  const h = b1 + k.nVars;
  return { g1: { ic, c, a, b1, h, total: h + k.domainSize }, g2Total: k.nVars };
}

function mulMod(a: bigint, b: bigint): bigint {
  return (a * b) % P;
}

function powMod(base: bigint, exp: bigint): bigint {
  let result = 1n;
  let b = base % P;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
  }
  return result;
}

/** Inverts every (non-zero) element with one field inversion (Montgomery's trick), in place. */
function batchInverse(xs: bigint[]): void {
  const prefix: bigint[] = new Array(xs.length);
  let acc = 1n;
  for (let i = 0; i < xs.length; i++) {
    prefix[i] = acc;
    acc = (acc * xs[i]!) % P;
  }
  let inv = fieldInv(acc);
  for (let i = xs.length - 1; i >= 0; i--) {
    const x = xs[i]!;
    xs[i] = (inv * prefix[i]!) % P;
    inv = (inv * x) % P;
  }
}

/** Writes v (< 2^256) as 32 little-endian bytes at point index `i`. */
function putScalar(view: DataView, i: number, v: bigint): void {
  const o = i * SCALAR_BYTES;
  view.setBigUint64(o, BigInt.asUintN(64, v), true);
  view.setBigUint64(o + 8, BigInt.asUintN(64, v >> 64n), true);
  view.setBigUint64(o + 16, BigInt.asUintN(64, v >> 128n), true);
  view.setBigUint64(o + 24, v >> 192n, true);
}

/**
 * Computes every key scalar. `omega` must be ffjavascript's Fr.w[power] and `omega2` its
 * Fr.w[power + 1] (ω₂² = ω), so the Lagrange basis matches the FFTs of snarkjs's prover.
 * Returns the G1 scalars (IC, C, A, B1, H) and the G2 scalars (B2) as 32-byte LE integers.
 * With `round2Start` (an ultragroth key; `w.delta1` required), the private wires below it are
 * divided by δ₁ and the rest by δ.
 */
export function keyScalars(
  r1cs: R1csFile,
  k: KeyLayout,
  w: ToxicWaste,
  omega: bigint,
  omega2: bigint,
  round2Start?: number,
): { g1: Uint8Array; g2: Uint8Array } {
  const { nVars, nPublic, nConstraints: m, domainSize: n } = k;
  const rows = m + nPublic + 1;

  // L_c(τ) for the rows actually used; the remaining rows are all-zero in every matrix.
  const lagrange: bigint[] = new Array(rows);
  const omegaPow: bigint[] = new Array(rows);
  let x = 1n;
  for (let c = 0; c < rows; c++) {
    omegaPow[c] = x;
    lagrange[c] = (w.tau - x + P) % P;
    x = mulMod(x, omega);
  }
  batchInverse(lagrange);
  const zOverN = mulMod((powMod(w.tau, BigInt(n)) - 1n + P) % P, fieldInv(BigInt(n)));
  for (let c = 0; c < rows; c++) lagrange[c] = mulMod(mulMod(omegaPow[c]!, zOverN), lagrange[c]!);

  // Sums are reduced once per wire rather than once per term.
  const u: bigint[] = new Array(nVars).fill(0n);
  const v: bigint[] = new Array(nVars).fill(0n);
  const wc: bigint[] = new Array(nVars).fill(0n);
  for (let c = 0; c < m; c++) {
    const { a, b, c: cc } = r1cs.constraints[c]!;
    const l = lagrange[c]!;
    for (const [i, coef] of a) u[i] = u[i]! + coef * l;
    for (const [i, coef] of b) v[i] = v[i]! + coef * l;
    for (const [i, coef] of cc) wc[i] = wc[i]! + coef * l;
  }
  for (let s = 0; s <= nPublic; s++) u[s] = u[s]! + lagrange[m + s]!;

  const sl = scalarLayout(k);
  const g1 = new Uint8Array(sl.g1.total * SCALAR_BYTES);
  const g2 = new Uint8Array(sl.g2Total * SCALAR_BYTES);
  const g1v = new DataView(g1.buffer);
  const g2v = new DataView(g2.buffer);
  const gammaInv = fieldInv(w.gamma);
  const deltaInv = fieldInv(w.delta);
  if (round2Start !== undefined && w.delta1 === undefined) throw new Error('an ultragroth key needs δ₁');
  const delta1Inv = round2Start === undefined ? deltaInv : fieldInv(w.delta1!);
  const split = round2Start ?? nPublic + 1;
  for (let i = 0; i < nVars; i++) {
    const ui = u[i]! % P;
    const vi = v[i]! % P;
    const ki = (w.beta * ui + w.alpha * vi + wc[i]!) % P;
    if (i <= nPublic) putScalar(g1v, sl.g1.ic + i, mulMod(ki, gammaInv));
    else putScalar(g1v, sl.g1.c + i - nPublic - 1, mulMod(ki, i < split ? delta1Inv : deltaInv));
    putScalar(g1v, sl.g1.a + i, ui);
    putScalar(g1v, sl.g1.b1 + i, vi);
    putScalar(g2v, i, vi);
  }

  const hs: bigint[] = new Array(n);
  const xs: bigint[] = new Array(n);
  x = omega2;
  for (let j = 0; j < n; j++) {
    xs[j] = x;
    hs[j] = (w.tau - x + P) % P;
    x = mulMod(x, omega);
  }
  batchInverse(hs);
  const hFactor = mulMod(mulMod((powMod(w.tau, BigInt(2 * n)) - 1n + P) % P, fieldInv(BigInt(2 * n))), deltaInv);
  for (let j = 0; j < n; j++) putScalar(g1v, sl.g1.h + j, mulMod(mulMod(xs[j]!, hFactor), hs[j]!));
  return { g1, g2 };
}

/** Whether τ avoids the 2n-point domain (then it avoids the n-point domain and the odd coset too). */
export function tauUsable(tau: bigint, domainSize: number): boolean {
  return tau !== 0n && powMod(tau, BigInt(2 * domainSize)) !== 1n;
}
