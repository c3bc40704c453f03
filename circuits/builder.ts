/**
 * The R1CS builder every gadget writes into. One pass over the model both emits the rank-1
 * constraints and computes the witness, so there is no separate witness generator that could
 * drift from the constraints. Linear operations (sums, constant multiples) produce linear
 * combinations, not wires, and therefore cost no constraints at all; only products, bit
 * decompositions and outputs do.
 */
import { FIELD_PRIME, fieldMod } from './field.js';
import { EMPTY_LC, LcStore, ONE_LC, PackedLc } from './packed-lc.js';
import { LookupArgument, LookupConfig, LookupInfo, LookupLog, LookupTable } from './lookup.js';

export { PackedLc } from './packed-lc.js';

/**
 * A linear combination: wire index → coefficient, coefficients reduced into [0, p). The builder
 * makes {@link PackedLc}s (sorted, packed in a typed array); a plain Map reads the same.
 */
export type Lc = ReadonlyMap<number, bigint>;

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
  /** Set when the build has lookups (BuilderOptions.lookup): where the argument's wires are. */
  readonly lookup?: LookupInfo;
  /** The lookups' private log, for completeLookupWitness (circuits/lookup.ts). */
  readonly lookupLog?: LookupLog;
}

/** How big the system under construction is, for {@link BuilderOptions.onGrowth}. */
export interface BuilderSize {
  readonly constraints: number;
  readonly wires: number;
  /** Linear-combination terms stored so far (including ones no longer referenced). */
  readonly terms: number;
}

/** Options for {@link R1csBuilder}. */
export interface BuilderOptions {
  /**
   * Skip recording linear combinations and constraints and only compute the witness. The wire
   * allocation is identical, so the witness lines up with a circuit compiled in full mode.
   */
  readonly witnessOnly?: boolean;
  /**
   * Called every {@link GROWTH_STEP} stored terms or wires: where a caller checks the heap and
   * throws before V8 would abort the process (src/compile/memory-guard.ts).
   */
  readonly onGrowth?: (size: BuilderSize) => void;
  /** Range checks and table functions by LogUp lookups (circuits/lookup.ts); absent: by bits. */
  readonly lookup?: LookupConfig;
}

/** Terms or wires between two {@link BuilderOptions.onGrowth} calls. */
export const GROWTH_STEP = 1 << 16;

const ROLE_CODES: readonly WireRole[] = ['one', 'output', 'public-input', 'private-input', 'internal'];
const ROLE_CODE = new Map(ROLE_CODES.map((r, i) => [r, i]));
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MAX = Number.MAX_SAFE_INTEGER;

/** Incrementally builds an R1CS and its witness. */
export class R1csBuilder {
  readonly witnessOnly: boolean;
  /** The lookup configuration gadgets read to choose limbs over bits (undefined: bits). */
  readonly lookup: LookupConfig | undefined;
  private readonly lookupState: LookupArgument | undefined;
  private readonly onGrowth: BuilderOptions['onGrowth'];
  private roles = new Uint8Array(1024);
  private readonly values: bigint[] = [1n];
  private readonly constraints: Constraint[] = [];
  private constraintCount = 0;
  private readonly divisionHints: Array<readonly [number, number]> = [];
  private readonly store = new LcStore();
  private nextGrowthCheck = GROWTH_STEP;
  private finalized: BuiltCircuit | undefined;
  // Scratch of linear(): per wire the running coefficient, and the call that last touched it.
  private acc = new Float64Array(0);
  private stamp = new Int32Array(0);
  private stampNow = 0;
  private touched = new Int32Array(1024);

  constructor(options: BuilderOptions = {}) {
    this.witnessOnly = options.witnessOnly ?? false;
    this.onGrowth = options.onGrowth;
    this.lookupState = options.lookup ? new LookupArgument(options.lookup) : undefined;
    this.lookup = this.lookupState ? { limbBits: this.lookupState.limbBits } : undefined;
  }

  private lookups(): LookupArgument {
    if (!this.lookupState) throw new Error('lookup in a build without lookups (BuilderOptions.lookup)');
    return this.lookupState;
  }

  /** Proves 0 ≤ x < 2^bits by limb lookups (circuits/lookup.ts: rangeCheckCost constraints). */
  lookupRange(x: Signal, bits: number): void {
    this.lookups().range(this, x, bits);
  }

  /** T(key) of a function table by one lookup (circuits/lookup.ts: lookupTableCost constraints). */
  lookupTable(table: LookupTable, key: Signal): Signal {
    return this.lookups().table(this, table, key);
  }

  /**
   * Number of constraints emitted so far (counted in witness-only mode too), including one per
   * lookup, which the lookup argument emits at finalize.
   */
  get nConstraints(): number {
    return this.constraintCount + (this.lookupState?.pending ?? 0);
  }

  /** Number of wires allocated so far, including the constant-one wire. */
  get nWires(): number {
    return this.values.length;
  }

  /** A constant; costs nothing. */
  constant(value: bigint): Signal {
    if (this.witnessOnly || value === 0n) return { lc: EMPTY_LC, value };
    if (value === 1n) return { lc: ONE_LC, value };
    return { lc: this.pack([0], [fieldMod(value)]), value };
  }

  /** Allocates a new wire holding `value`. */
  wire(value: bigint, role: WireRole = 'internal'): Signal {
    const id = this.values.length;
    this.values.push(value);
    if (id >= this.roles.length) {
      const grown = new Uint8Array(this.roles.length * 2);
      grown.set(this.roles);
      this.roles = grown;
    }
    this.roles[id] = ROLE_CODE.get(role)!;
    if (this.witnessOnly) {
      if (id >= this.nextGrowthCheck) this.growth();
      return { lc: EMPTY_LC, value };
    }
    const start = this.alloc(1);
    this.store.wires[start] = id;
    this.store.coefs[start] = 1;
    return { lc: new PackedLc(this.store, start, 1), value };
  }

  /** Allocates an input wire; public inputs become public signals after the outputs. */
  input(value: bigint, visibility: 'public' | 'private'): Signal {
    return this.wire(value, visibility === 'public' ? 'public-input' : 'private-input');
  }

  /** `Σ k·s + constant` with signed integer coefficients; free. */
  linear(terms: ReadonlyArray<readonly [Signal, bigint]>, constant = 0n): Signal {
    let value = constant;
    for (const [s, k] of terms) value += k * s.value;
    if (this.witnessOnly) return { lc: EMPTY_LC, value };
    return { lc: this.linearFast(terms, constant) ?? this.linearExact(terms, constant), value };
  }

  /**
   * linear() in floating point, exact while every product and partial sum is a safe integer
   * (weights times small coefficients: nearly always); undefined when one is not. Signed
   * coefficients equal the field ones mod p, so the result is the same combination.
   */
  private linearFast(terms: ReadonlyArray<readonly [Signal, bigint]>, constant: bigint): PackedLc | undefined {
    let total = 1;
    for (const [s, k] of terms) {
      if (k === 0n) continue;
      if (!(s.lc instanceof PackedLc) || !s.lc.allSmall || k > SAFE || k < -SAFE) return undefined;
      total += s.lc.size;
    }
    if (constant > SAFE || constant < -SAFE) return undefined;
    this.ensureScratch(total);
    const { acc, stamp, touched } = this;
    const now = ++this.stampNow;
    let n = 0;
    const add = (w: number, v: number): boolean => {
      if (stamp[w] !== now) {
        stamp[w] = now;
        acc[w] = v;
        touched[n++] = w;
        return true;
      }
      const next = acc[w]! + v;
      acc[w] = next;
      return next <= MAX && next >= -MAX;
    };
    if (constant !== 0n) add(0, Number(constant));
    for (const [s, k] of terms) {
      if (k === 0n) continue;
      const kn = Number(k);
      const { store, start, size } = s.lc as PackedLc;
      const { wires, coefs } = store;
      for (let i = start; i < start + size; i++) {
        const v = kn * coefs[i]!;
        if (!(v <= MAX && v >= -MAX) || !add(wires[i]!, v)) return undefined;
      }
    }
    const wires = touched.subarray(0, n).sort();
    let kept = 0;
    for (let i = 0; i < n; i++) if (acc[wires[i]!] !== 0) kept++;
    const start = this.alloc(kept);
    const { wires: sw, coefs: sc } = this.store;
    let j = start;
    for (let i = 0; i < n; i++) {
      const w = wires[i]!;
      const c = acc[w]!;
      if (c === 0) continue;
      sw[j] = w;
      sc[j++] = c;
    }
    return new PackedLc(this.store, start, kept);
  }

  /** linear() in field arithmetic, for coefficients beyond 2^53. */
  private linearExact(terms: ReadonlyArray<readonly [Signal, bigint]>, constant: bigint): PackedLc {
    const lc = new Map<number, bigint>();
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
    const wires = [...lc.keys()].sort((x, y) => x - y);
    return this.pack(
      wires,
      wires.map((w) => lc.get(w)!),
    );
  }

  /** A combination from sorted wires and their field coefficients. */
  private pack(wires: readonly number[], coefficients: readonly bigint[]): PackedLc {
    const start = this.alloc(wires.length);
    wires.forEach((w, i) => this.store.put(start + i, w, coefficients[i]!));
    return new PackedLc(this.store, start, wires.length);
  }

  /** Reserves `n` terms in the store, calling onGrowth every GROWTH_STEP terms or wires. */
  private alloc(n: number): number {
    const start = this.store.alloc(n);
    if (this.store.used >= this.nextGrowthCheck || this.values.length >= this.nextGrowthCheck) this.growth();
    return start;
  }

  private growth(): void {
    const terms = this.store.used;
    this.nextGrowthCheck = Math.max(terms, this.values.length) + GROWTH_STEP;
    this.onGrowth?.({ constraints: this.constraintCount, wires: this.values.length, terms });
  }

  private ensureScratch(terms: number): void {
    if (this.acc.length < this.values.length) {
      const size = Math.max(1024, this.values.length * 2);
      const stamp = new Int32Array(size);
      stamp.set(this.stamp);
      this.stamp = stamp;
      this.acc = new Float64Array(size);
    }
    if (this.touched.length < terms) this.touched = new Int32Array(terms * 2);
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

  /**
   * Moves the combinations the constraints use into a store of exactly their size: the
   * intermediate ones (about half of all terms written) and the growth slack are then freed with
   * the builder. Signals outside every constraint keep reading the old store.
   */
  private compact(): void {
    const old = this.store;
    const moved = new Int32Array(old.used).fill(-1);
    let total = 0;
    const each = (fn: (lc: PackedLc) => void) => {
      for (const k of this.constraints)
        for (const lc of [k.a, k.b, k.c]) if (lc instanceof PackedLc && lc.store === old) fn(lc);
    };
    each((lc) => {
      if (lc.size > 0 && moved[lc.start] === -1) {
        moved[lc.start] = -2;
        total += lc.size;
      }
    });
    const fresh = new LcStore(total, old);
    each((lc) => {
      if (lc.size > 0 && moved[lc.start]! < 0) moved[lc.start] = fresh.copyFrom(old, lc.start, lc.size);
      lc.start = lc.size > 0 ? moved[lc.start]! : 0;
      lc.store = fresh;
    });
  }

  /** Marks constraints `product` and `bound` as a remainder division for the determinism checker (no constraint). */
  hintDivision(product: number, bound: number): void {
    if (!this.witnessOnly) this.divisionHints.push([product, bound]);
  }

  /**
   * Reorders wires into iden3 order (1, outputs, public inputs, private inputs, rest) and returns
   * the system. The combinations are renumbered in place rather than copied (a copy would double
   * the builder's peak memory), so afterwards the signals of this builder name wires by their
   * final index. The builder is done: a second call returns the same system.
   */
  finalize(): BuiltCircuit {
    if (this.finalized) return this.finalized;
    // The argument's wires come last in their roles: round 2 ends the witness (lookup.ts).
    this.lookupState?.finalize(this);
    const n = this.values.length;
    const newIndex = new Int32Array(n);
    const witness: bigint[] = new Array(n);
    const counts = [0, 0, 0, 0, 0];
    let next = 0;
    for (let role = 0; role < ROLE_CODES.length; role++) {
      for (let i = 0; i < n; i++) {
        if (this.roles[i] !== role) continue;
        newIndex[i] = next;
        witness[next] = fieldMod(this.values[i]!);
        next++;
        counts[role]!++;
      }
    }
    // Every combination of this builder is in its store; other ones (a hand-made Map) are copied.
    this.store.remap(newIndex);
    const remap = (lc: Lc): Lc => (lc instanceof PackedLc ? lc : new Map([...lc].map(([w, c]) => [newIndex[w]!, c])));
    const constraints = this.constraints;
    this.compact();
    for (let i = 0; i < constraints.length; i++) {
      const k = constraints[i]!;
      const [a, b, c] = [remap(k.a), remap(k.b), remap(k.c)];
      if (a !== k.a || b !== k.b || c !== k.c) constraints[i] = { a, b, c };
    }
    this.finalized = {
      nWires: n,
      nPubOut: counts[1]!,
      nPubIn: counts[2]!,
      nPrvIn: counts[3]!,
      constraints,
      nConstraints: this.constraintCount,
      witness,
      ...(this.divisionHints.length && !this.witnessOnly ? { divisions: this.divisionHints } : {}),
      ...this.lookupState?.layout(n, counts[1]!, counts[2]!),
    };
    return this.finalized;
  }
}

export { evalLc, findViolatedConstraint } from './lc-eval.js';
