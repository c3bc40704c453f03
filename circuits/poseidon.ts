/**
 * Poseidon over the BN254 scalar field, bit-for-bit compatible with circomlibjs 0.1.7
 * (`buildPoseidon`) and circomlib's `poseidon.circom`: width t = nInputs + 1, capacity element
 * 0 first, 8 full rounds, partial rounds from the table below, S-box x^5.
 *
 * The gadget follows the optimized schedule of circomlibjs's `poseidon_opt.js` (the Neptune
 * trick: constants C pre-folded through the MDS matrix, a dense P matrix before the partial
 * rounds and sparse S vectors inside them). It computes the same permutation as the textbook
 * schedule, but each partial round touches 2t − 1 coefficients instead of t², so the builder
 * spends far less time combining linear combinations. Linear layers are free; the only
 * constraints are the S-boxes, three each (x², x⁴, x⁵). The S-box of the capacity element in
 * round 0 acts on the constant 0 + C[0], so it is evaluated at compile time and costs nothing.
 *
 * The constants are imported at load time from the installed circomlibjs package (the very
 * module its `buildPoseidon` uses), so there is no second copy that could drift.
 */
import { R1csBuilder, Signal } from './builder.js';
import { FIELD_PRIME, fieldMod } from './field.js';

/** Most inputs one Poseidon call accepts (t ≤ 17, the largest width circomlibjs has constants for). */
export const POSEIDON_MAX_INPUTS = 16;

const N_ROUNDS_F = 8;
/** Partial rounds for t = 2..17, as in circomlibjs and circomlib. */
const N_ROUNDS_P = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68] as const;

interface RawConstants {
  readonly C: string[][];
  readonly S: string[][];
  readonly M: string[][][];
  readonly P: string[][][];
}

interface WidthConstants {
  readonly C: bigint[];
  readonly S: bigint[];
  readonly M: bigint[][];
  readonly P: bigint[][];
}

// The package's `exports` map only exposes its entry point, so the constants module is located
// next to it and imported by file URL, which the exports map does not govern.
const constantsUrl = new URL('./src/poseidon_constants_opt.js', import.meta.resolve('circomlibjs'));
const rawConstants = ((await import(constantsUrl.href)) as { default: RawConstants }).default;
if (rawConstants.C.length !== N_ROUNDS_P.length) {
  throw new Error(
    `circomlibjs Poseidon constants cover ${rawConstants.C.length} widths, expected ${N_ROUNDS_P.length}`,
  );
}

const widthCache = new Map<number, WidthConstants>();

/** Constants for width t, parsed from circomlibjs's hex strings once per width. */
function constantsFor(t: number): WidthConstants {
  let k = widthCache.get(t);
  if (k === undefined) {
    const i = t - 2;
    k = {
      C: rawConstants.C[i]!.map((s) => BigInt(s)),
      S: rawConstants.S[i]!.map((s) => BigInt(s)),
      M: rawConstants.M[i]!.map((row) => row.map((s) => BigInt(s))),
      P: rawConstants.P[i]!.map((row) => row.map((s) => BigInt(s))),
    };
    widthCache.set(t, k);
  }
  return k;
}

function checkArity(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > POSEIDON_MAX_INPUTS) {
    throw new Error(`Poseidon takes 1..${POSEIDON_MAX_INPUTS} inputs, got ${n}`);
  }
}

/** Constraints {@link poseidon} emits for `nInputs` inputs: 3 per S-box, minus the constant one. */
export function poseidonCost(nInputs: number): number {
  checkArity(nInputs);
  const t = nInputs + 1;
  return 3 * (N_ROUNDS_F * t + N_ROUNDS_P[t - 2]! - 1);
}

function pow5(x: bigint): bigint {
  const x2 = (x * x) % FIELD_PRIME;
  return (((x2 * x2) % FIELD_PRIME) * x) % FIELD_PRIME;
}

/** A free linear combination whose value is kept reduced, so witness values never grow past p². */
function lin(b: R1csBuilder, terms: ReadonlyArray<readonly [Signal, bigint]>, constant = 0n): Signal {
  const s = b.linear(terms, constant);
  return { lc: s.lc, value: fieldMod(s.value) };
}

/** x^5 in three constraints; every intermediate is a wire pinned by its own product. */
function sbox(b: R1csBuilder, x: Signal): Signal {
  const x2 = b.wire((x.value * x.value) % FIELD_PRIME);
  b.assertMul(x, x, x2);
  const x4 = b.wire((x2.value * x2.value) % FIELD_PRIME);
  b.assertMul(x2, x2, x4);
  const x5 = b.wire((x4.value * x.value) % FIELD_PRIME);
  b.assertMul(x4, x, x5);
  return x5;
}

/** out[i] = Σ_j m[j][i] · state[j] (circomlibjs stores the matrices transposed). */
function mix(b: R1csBuilder, state: readonly Signal[], m: readonly bigint[][]): Signal[] {
  return state.map((_, i) =>
    lin(
      b,
      state.map((s, j) => [s, m[j]![i]!] as const),
    ),
  );
}

/**
 * Poseidon hash of 1..16 field elements, returned as a linear combination of S-box wires.
 * Equals circomlibjs's `buildPoseidon()(inputs)` on the input values (taken mod p).
 * Costs {@link poseidonCost} constraints and allocates no wire that is not pinned by one.
 */
export function poseidon(b: R1csBuilder, inputs: readonly Signal[]): Signal {
  checkArity(inputs.length);
  const t = inputs.length + 1;
  const nRoundsP = N_ROUNDS_P[t - 2]!;
  const { C, S, M, P } = constantsFor(t);
  const half = N_ROUNDS_F / 2;

  // Round 0: the capacity element is the constant 0, so its S-box is computed here for free.
  let state: Signal[] = [b.constant(pow5(C[0]!)), ...inputs.map((x, i) => sbox(b, lin(b, [[x, 1n]], C[i + 1]!)))];
  for (let r = 0; r < half; r++) {
    if (r > 0) state = state.map((x) => sbox(b, x));
    state = state.map((x, i) => lin(b, [[x, 1n]], C[(r + 1) * t + i]!));
    state = mix(b, state, r < half - 1 ? M : P);
  }

  // Partial rounds with the sparse matrices: only state[0] goes through an S-box; the other
  // elements stay linear combinations, growing by one term per round (at most t + nRoundsP).
  for (let r = 0; r < nRoundsP; r++) {
    const base = (2 * t - 1) * r;
    const s0 = lin(b, [[sbox(b, state[0]!), 1n]], C[(half + 1) * t + r]!);
    state[0] = s0;
    const next0 = lin(
      b,
      state.map((s, j) => [s, S[base + j]!] as const),
    );
    for (let k = 1; k < t; k++)
      state[k] = lin(b, [
        [state[k]!, 1n],
        [s0, S[base + t + k - 1]!],
      ]);
    state[0] = next0;
  }

  for (let r = 0; r < half - 1; r++) {
    state = state.map((x, i) => lin(b, [[sbox(b, x), 1n]], C[(half + 1) * t + nRoundsP + r * t + i]!));
    state = mix(b, state, M);
  }
  // Last round: only the first element of the final mix is the hash.
  const last = state.map((x) => sbox(b, x));
  return lin(
    b,
    last.map((s, j) => [s, M[j]![0]!] as const),
  );
}

/** The circomlibjs hasher: takes field-element-like values, returns its internal representation. */
interface CircomlibPoseidon {
  (inputs: bigint[]): unknown;
  F: { toObject(x: unknown): bigint };
}

let hasher: Promise<CircomlibPoseidon> | undefined;

/**
 * Off-circuit Poseidon of 1..16 values (reduced mod p) using circomlibjs's own `buildPoseidon`,
 * the reference the gadget is tested against. The instance is built once and cached; it runs
 * single-threaded (no workers), so it keeps nothing alive that would stop Node from exiting.
 */
export async function poseidonHashValues(values: readonly bigint[]): Promise<bigint> {
  checkArity(values.length);
  // Imported lazily: circomlibjs's entry point pulls in ethers and more, which circuit
  // compilation alone never needs.
  hasher ??= (async () => {
    // circomlibjs bundles its own ffjavascript, whose module initializer sets
    // globalThis.curve_bn128 = null. That would orphan snarkjs's multi-threaded curve (and its
    // worker threads, so the process would never exit): keep the reference across the import.
    const g = globalThis as { curve_bn128?: unknown };
    const curve = g.curve_bn128;
    const m = (await import('circomlibjs')) as { buildPoseidon(): Promise<CircomlibPoseidon> };
    if (curve && !g.curve_bn128) g.curve_bn128 = curve;
    return m.buildPoseidon();
  })();
  const h = await hasher;
  return h.F.toObject(h(values.map(fieldMod)));
}
