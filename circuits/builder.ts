/**
 * The R1CS builder every gadget writes into. One pass over the model both emits the rank-1
 * constraints and computes the witness, so there is no separate witness generator that could
 * drift from the constraints. Linear operations (sums, constant multiples) produce linear
 * combinations, not wires, and therefore cost no constraints at all; only products, bit
 * decompositions and outputs do.
 */
import { FIELD_PRIME, fieldMod } from './field.js';

/** A linear combination: wire index → coefficient, coefficients reduced into [0, p). */
export type Lc = Map<number, bigint>;

/**
 * A value flowing through the circuit: a linear combination of wires together with the exact
 * integer it evaluates to. `value` is the signed integer for quantized data, or an arbitrary
 * field representative for helper wires such as inverses.
 */
export interface Signal {
  readonly lc: Lc;
  readonly value: bigint;
}

/** Where a wire sits in the iden3 ordering: 1, public outputs, public inputs, private inputs, the rest. */
export type WireRole = 'one' | 'output' | 'public-input' | 'private-input' | 'internal';

/** One rank-1 constraint `<a,w> * <b,w> = <c,w>`. */
export interface Constraint {
  readonly a: Lc;
  readonly b: Lc;
  readonly c: Lc;
}

/** A finished constraint system with wires in iden3 order, plus its witness. */
export interface BuiltCircuit {
  readonly nWires: number;
  readonly nPubOut: number;
  readonly nPubIn: number;
  readonly nPrvIn: number;
  /** Empty when the builder ran in witness-only mode. */
  readonly constraints: Constraint[];
  readonly nConstraints: number;
  /** Field elements, index 0 is the constant 1. */
  readonly witness: bigint[];
  /**
   * Pairs of constraint indices [product, bound] of remainder divisions (circuits/divide.ts):
   * where the determinism checker tries its division rule, which verifies the shape itself.
   */
  readonly divisions?: ReadonlyArray<readonly [number, number]>;
}

/** Options for {@link R1csBuilder}. */
export interface BuilderOptions {
  /**
   * Skip recording linear combinations and constraints and only compute the witness. The wire
   * allocation is identical, so the witness lines up with a circuit compiled in full mode.
   */
  readonly witnessOnly?: boolean;
}

const EMPTY: Lc = new Map();

/** Incrementally builds an R1CS and its witness. */
export class R1csBuilder {
  readonly witnessOnly: boolean;
  private readonly roles: WireRole[] = ['one'];
  private readonly values: bigint[] = [1n];
  private readonly constraints: Constraint[] = [];
  private constraintCount = 0;
  private readonly divisionHints: Array<readonly [number, number]> = [];

  constructor(options: BuilderOptions = {}) {
    this.witnessOnly = options.witnessOnly ?? false;
  }

  /** Number of constraints emitted so far (counted in witness-only mode too). */
  get nConstraints(): number {
    return this.constraintCount;
  }

  /** Number of wires allocated so far, including the constant-one wire. */
  get nWires(): number {
    return this.values.length;
  }

  /** A constant; costs nothing. */
  constant(value: bigint): Signal {
    return { lc: this.witnessOnly || value === 0n ? EMPTY : new Map([[0, fieldMod(value)]]), value };
  }

  /** Allocates a new wire holding `value`. */
  wire(value: bigint, role: WireRole = 'internal'): Signal {
    const id = this.values.length;
    this.values.push(value);
    this.roles.push(role);
    return { lc: this.witnessOnly ? EMPTY : new Map([[id, 1n]]), value };
  }

  /** Allocates an input wire; public inputs become public signals after the outputs. */
  input(value: bigint, visibility: 'public' | 'private'): Signal {
    return this.wire(value, visibility === 'public' ? 'public-input' : 'private-input');
  }

  /** `Σ k·s + constant` with signed integer coefficients; free. */
  linear(terms: ReadonlyArray<readonly [Signal, bigint]>, constant = 0n): Signal {
    let value = constant;
    for (const [s, k] of terms) value += k * s.value;
    if (this.witnessOnly) return { lc: EMPTY, value };
    const lc: Lc = new Map();
    if (constant !== 0n) lc.set(0, fieldMod(constant));
    for (const [s, k] of terms) {
      if (k === 0n) continue;
      const kf = fieldMod(k);
      for (const [w, c] of s.lc) {
        const next = ((lc.get(w) ?? 0n) + kf * c) % FIELD_PRIME;
        if (next === 0n) lc.delete(w);
        else lc.set(w, next);
      }
    }
    return { lc, value };
  }

  /** a + b; free. */
  add(a: Signal, b: Signal): Signal {
    return this.linear([
      [a, 1n],
      [b, 1n],
    ]);
  }

  /** a − b; free. */
  sub(a: Signal, b: Signal): Signal {
    return this.linear([
      [a, 1n],
      [b, -1n],
    ]);
  }

  /** Records `a * b = c`. */
  assertMul(a: Signal, b: Signal, c: Signal): void {
    this.constraintCount++;
    if (!this.witnessOnly) this.constraints.push({ a: a.lc, b: b.lc, c: c.lc });
  }

  /** A new wire constrained to equal `a * b`; one constraint. */
  mul(a: Signal, b: Signal): Signal {
    const c = this.wire(a.value * b.value);
    this.assertMul(a, b, c);
    return c;
  }

  /** Records `a = b` as `(a − b) · 1 = 0`; one constraint. */
  assertEqual(a: Signal, b: Signal): void {
    this.assertMul(this.sub(a, b), this.constant(1n), this.constant(0n));
  }

  /** Records `a · (a − 1) = 0`, forcing a ∈ {0, 1}; one constraint. */
  assertBool(a: Signal): void {
    this.assertMul(a, this.linear([[a, 1n]], -1n), this.constant(0n));
  }

  /** Exposes `s` as the next public output: a new output wire bound to `s` by one constraint. */
  exposeOutput(s: Signal): Signal {
    const out = this.wire(s.value, 'output');
    this.assertEqual(out, s);
    return out;
  }

  /** Marks constraints `product` and `bound` as a remainder division for the determinism checker (no constraint). */
  hintDivision(product: number, bound: number): void {
    if (!this.witnessOnly) this.divisionHints.push([product, bound]);
  }

  /** Reorders wires into iden3 order (1, outputs, public inputs, private inputs, rest) and returns the system. */
  finalize(): BuiltCircuit {
    const order: WireRole[] = ['one', 'output', 'public-input', 'private-input', 'internal'];
    const newIndex = new Int32Array(this.values.length);
    const witness: bigint[] = new Array(this.values.length);
    let next = 0;
    const counts = new Map<WireRole, number>();
    for (const role of order) {
      let n = 0;
      for (let i = 0; i < this.roles.length; i++) {
        if (this.roles[i] !== role) continue;
        newIndex[i] = next;
        witness[next] = fieldMod(this.values[i]!);
        next++;
        n++;
      }
      counts.set(role, n);
    }
    const remap = (lc: Lc): Lc => {
      const out: Lc = new Map();
      for (const [w, c] of lc) out.set(newIndex[w]!, c);
      return out;
    };
    const constraints = this.witnessOnly
      ? []
      : this.constraints.map((k) => ({ a: remap(k.a), b: remap(k.b), c: remap(k.c) }));
    return {
      nWires: this.values.length,
      nPubOut: counts.get('output')!,
      nPubIn: counts.get('public-input')!,
      nPrvIn: counts.get('private-input')!,
      constraints,
      nConstraints: this.constraintCount,
      witness,
      ...(this.divisionHints.length && !this.witnessOnly ? { divisions: this.divisionHints } : {}),
    };
  }
}

/** Evaluates a linear combination on a witness, mod p. */
export function evalLc(lc: Lc, witness: readonly bigint[]): bigint {
  let acc = 0n;
  for (const [w, c] of lc) acc += c * witness[w]!;
  return acc % FIELD_PRIME;
}

/**
 * Returns the index of the first constraint the witness violates, or -1 when every constraint
 * holds. This is the check run before every proof: snarkjs itself does not check the witness.
 */
export function findViolatedConstraint(constraints: readonly Constraint[], witness: readonly bigint[]): number {
  if (witness[0] !== 1n) return 0;
  for (let i = 0; i < constraints.length; i++) {
    const k = constraints[i]!;
    if ((evalLc(k.a, witness) * evalLc(k.b, witness)) % FIELD_PRIME !== evalLc(k.c, witness)) return i;
  }
  return -1;
}
