/**
 * Determinism checker: proves, mechanically, that a circuit's constraints leave no wire free
 * once its inputs are fixed — the under-constrained-signal analysis of Picus or Circomspect,
 * specialised to the gadgets of circuits/.
 *
 * Starting from the fixed wires (the constant 1 and every public and private input, never the
 * outputs), it propagates "this wire is forced" to a fixpoint with three sound rules:
 *  1. linear: when A (or B) of `A·B = C` is fully known with value a, the constraint is the
 *     linear equation a·B − C = 0; if exactly one unknown wire has a non-zero coefficient
 *     there, it is forced. Whether a is zero is read from the witness, so the verdict holds
 *     for that witness's input (as Picus-style propagation at a concrete input does): a wire
 *     forced at one input can be free at another when a product's factor is zero there.
 *  2. boolean decomposition: a constraint `(V + a0)·(λV + b0) = 0` says the linear form V takes
 *     one of two values, i.e. F = (V + a0)/(a0 − b0/λ) is 0 or 1. A wire whose F is the wire
 *     itself (or 1 − wire) is a boolean wire. A linear equation (from rule 1, or F − β = 0 with
 *     β a fresh boolean standing for F itself) whose unknowns are all boolean wires and whose
 *     coefficients are γ·2^e with distinct e spanning at most 253 bits has exactly one solution,
 *     since Σ 2^e·bit < 2^253 < p cannot wrap around the field: every unknown is forced. This
 *     covers both layouts of circuits/range-check.ts (the sum constraint, and the compact one
 *     whose top bit is a linear combination inside its own boolean constraint).
 *  3. a constraint with no unknown wire left is finished.
 *  4. remainder division (circuits/divide.ts), tried on the constraint pairs the circuit marks
 *     (`divisions`) and verified here, so a wrong mark proves nothing: `Q·D = C` and
 *     `1·T = D − 1 − R` with D and N = C + R forced, and Q − const, R and T each a sum of
 *     distinct powers 2^0..2^(w−1) of boolean wires. Then 0 ≤ R ≤ D − 1 in the integers and
 *     Q·D + R = N has one solution when wQ + max(wR, wT) + 2 < 253 (no side can wrap): every
 *     bit of Q, R and T is forced.
 * Every rule only ever concludes "forced", never a value (the witness holds the values), so a
 * wire reported undetermined may in truth be forced by an argument these rules cannot make —
 * but a wire reported determined is forced by every satisfying assignment with these inputs.
 *
 * Cost: every wire is indexed to the constraints that mention it; a constraint is re-examined
 * only when one of its counters (unknown wires per side, unknown non-boolean wires) reaches a
 * state in which some rule could fire, so long accumulators are scanned about once.
 */
import { BuiltCircuit, Constraint, evalLc, findViolatedConstraint, Lc } from '../../circuits/builder.js';
import { FIELD_PRIME, fieldInv, fieldMod } from '../../circuits/field.js';
import { UnderconstrainedCircuitError } from '../core/errors.js';
import { divisionUnknowns } from './division-rule.js';

/** A wire the constraints do not force, with a constraint that mentions it (−1: none does). */
export interface UndeterminedWire {
  readonly wire: number;
  readonly role: 'output' | 'internal';
  readonly constraint: number;
}

/** Outcome of {@link checkDeterminism}. */
export interface DeterminismResult {
  /** True when every wire is forced by the fixed wires. */
  readonly determined: boolean;
  /** Undetermined wires in index order (at most `maxReported` of them). */
  readonly undetermined: readonly UndeterminedWire[];
  /** How many wires are undetermined in total. */
  readonly nUndetermined: number;
  readonly nWires: number;
  readonly nFixed: number;
  readonly nConstraints: number;
  /** Wall-clock time of the analysis. */
  readonly milliseconds: number;
}

/** Options of {@link checkDeterminism}. */
export interface DeterminismOptions {
  /** Wires taken as given; default: the constant 1 and every public and private input wire. */
  readonly fixed?: Iterable<number>;
  /** Cap on the length of `undetermined` (the count is always exact); default 100. */
  readonly maxReported?: number;
}

const SIDE_A = 1;
const SIDE_B = 2;
const SIDE_C = 4;
/** Exponents searched when recognising γ·2^e coefficients. */
const MAX_EXP = 260;

let pow2Table: Map<bigint, number> | undefined;

/** 2^e mod p → e for |e| ≤ MAX_EXP (negative e: powers of 1/2). */
function pow2Exponents(): Map<bigint, number> {
  if (pow2Table) return pow2Table;
  const t = new Map<bigint, number>();
  const half = fieldInv(2n);
  let up = 1n;
  let down = 1n;
  for (let e = 0; e <= MAX_EXP; e++) {
    t.set(up, e);
    if (e > 0) t.set(down, -e);
    up = (up * 2n) % FIELD_PRIME;
    down = (down * half) % FIELD_PRIME;
  }
  pow2Table = t;
  return t;
}

/** The wires of `lc` except the constant, and its constant term. */
function split(lc: Lc): { vars: Array<[number, bigint]>; constant: bigint } {
  const vars: Array<[number, bigint]> = [];
  let constant = 0n;
  for (const [w, c] of lc) {
    if (w === 0) constant = c;
    else vars.push([w, c]);
  }
  return { vars, constant };
}

/**
 * For a constraint `(V + a0)·(λV + b0) = 0` returns the 0/1-valued form F as wire terms plus a
 * constant, or undefined when the constraint has another shape.
 */
export function booleanForm(k: Constraint): { vars: Array<[number, bigint]>; constant: bigint } | undefined {
  if (k.c.size !== 0 || k.a.size === 0 || k.b.size === 0) return undefined;
  const a = split(k.a);
  const b = split(k.b);
  if (a.vars.length === 0 || a.vars.length !== b.vars.length) return undefined;
  const [w0, a0c] = a.vars[0]!;
  const b0c = k.b.get(w0);
  if (b0c === undefined) return undefined;
  // B's wire part must be λ times A's: b_w·a_w0 = b_w0·a_w for every wire.
  for (const [w, aw] of a.vars) {
    const bw = k.b.get(w);
    if (bw === undefined || (bw * a0c) % FIELD_PRIME !== (b0c * aw) % FIELD_PRIME) return undefined;
  }
  const lambda = a0c === b0c ? 1n : (b0c * fieldInv(a0c)) % FIELD_PRIME;
  const d = fieldMod(a.constant - (lambda === 1n ? b.constant : b.constant * fieldInv(lambda)));
  if (d === 0n) return undefined; // a double root: V is a single value, not two
  const dInv = d === 1n ? 1n : fieldInv(d);
  return { vars: a.vars.map(([w, c]) => [w, (c * dInv) % FIELD_PRIME]), constant: (a.constant * dInv) % FIELD_PRIME };
}

/**
 * Whether Σ coef·x = known with every x ∈ {0,1} has one solution: the coefficients are γ·2^e
 * with distinct e spanning at most 253 bits.
 */
function uniqueBinary(coefs: readonly bigint[]): boolean {
  if (coefs.length === 0) return false;
  const table = pow2Exponents();
  const inv0 = fieldInv(coefs[0]!);
  const exps: number[] = [];
  for (const c of coefs) {
    const e = table.get((c * inv0) % FIELD_PRIME);
    if (e === undefined) return false;
    exps.push(e);
  }
  exps.sort((x, y) => x - y);
  for (let i = 1; i < exps.length; i++) if (exps[i] === exps[i - 1]) return false;
  return exps[exps.length - 1]! - exps[0]! <= 252;
}

/** Boolean forms of the constraints that have one (by constraint index), and the boolean wires. */
function booleanWires(
  constraints: readonly Constraint[],
  nWires: number,
): { forms: Map<number, BoolForm>; boolWire: Uint8Array } {
  const forms = new Map<number, BoolForm>();
  const boolWire = new Uint8Array(nWires);
  for (let i = 0; i < constraints.length; i++) {
    const f = booleanForm(constraints[i]!);
    if (!f) continue;
    forms.set(i, f);
    if (f.vars.length === 1) {
      const [w, c] = f.vars[0]!;
      if ((c === 1n && f.constant === 0n) || (c === FIELD_PRIME - 1n && f.constant === 1n)) boolWire[w] = 1;
    }
  }
  return { forms, boolWire };
}

type BoolForm = { vars: Array<[number, bigint]>; constant: bigint };

const lcs = (k: Constraint): [Lc, number][] => [
  [k.a, SIDE_A],
  [k.b, SIDE_B],
  [k.c, SIDE_C],
];

/**
 * Index wire → (constraint, sides), in CSR form: wire w's entries are [start[w], start[w+1]).
 * A wire on several sides of one constraint gets one entry; stamp[w] = i + 1 marks it seen in
 * constraint i and slot[w] holds its entry while i is being filled.
 */
function wireIndex(
  constraints: readonly Constraint[],
  nWires: number,
): { start: Int32Array; entryK: Int32Array; entrySide: Uint8Array } {
  const nK = constraints.length;
  const stamp = new Int32Array(nWires);
  const count = new Int32Array(nWires + 1);
  for (let i = 0; i < nK; i++) {
    for (const [lc] of lcs(constraints[i]!)) {
      for (const w of lc.keys()) {
        if (w === 0 || stamp[w] === i + 1) continue;
        stamp[w] = i + 1;
        count[w + 1]!++;
      }
    }
  }
  for (let w = 0; w < nWires; w++) count[w + 1]! += count[w]!;
  const start = count;
  const entryK = new Int32Array(start[nWires]!);
  const entrySide = new Uint8Array(start[nWires]!);
  const fill = start.slice(0, nWires);
  const slot = new Int32Array(nWires);
  stamp.fill(0);
  for (let i = 0; i < nK; i++) {
    for (const [lc, side] of lcs(constraints[i]!)) {
      for (const w of lc.keys()) {
        if (w === 0) continue;
        if (stamp[w] !== i + 1) {
          stamp[w] = i + 1;
          const e = fill[w]!++;
          slot[w] = e;
          entryK[e] = i;
        }
        entrySide[slot[w]!]! |= side;
      }
    }
  }
  return { start, entryK, entrySide };
}

/**
 * The propagation state: which wires are known, and per constraint the counters of unknowns that
 * decide whether a rule may fire.
 */
class Propagation {
  private readonly uAll: Int32Array;
  private readonly uA: Int32Array;
  private readonly uB: Int32Array;
  private readonly uC: Int32Array;
  private readonly nb: Int32Array;
  private readonly done: Uint8Array;
  private readonly queued: Uint8Array;
  private readonly queue: number[] = [];

  constructor(
    private readonly constraints: readonly Constraint[],
    private readonly witness: readonly bigint[],
    readonly known: Uint8Array,
    readonly boolWire: Uint8Array,
    private readonly forms: ReadonlyMap<number, BoolForm>,
    readonly index: { start: Int32Array; entryK: Int32Array; entrySide: Uint8Array },
  ) {
    const nK = constraints.length;
    [this.uAll, this.uA, this.uB, this.uC, this.nb] = [0, 1, 2, 3, 4].map(() => new Int32Array(nK)) as [
      Int32Array,
      Int32Array,
      Int32Array,
      Int32Array,
      Int32Array,
    ];
    this.done = new Uint8Array(nK);
    this.queued = new Uint8Array(nK);
    const { start, entryK, entrySide } = index;
    for (let w = 1; w < known.length; w++) {
      if (known[w]) continue;
      for (let e = start[w]!; e < start[w + 1]!; e++) this.count(entryK[e]!, entrySide[e]!, w, 1);
    }
  }

  /** Adds `by` to constraint i's counters for unknown wire w on sides `s`. */
  private count(i: number, s: number, w: number, by: number): void {
    this.uAll[i]! += by;
    if (s & SIDE_A) this.uA[i]! += by;
    if (s & SIDE_B) this.uB[i]! += by;
    if (s & SIDE_C) this.uC[i]! += by;
    if (!this.boolWire[w]) this.nb[i]! += by;
  }

  private mayFire(i: number): boolean {
    const { uAll, uA, uB, uC, nb } = this;
    return uAll[i]! <= 1 || nb[i] === 0 || ((uA[i] === 0 || uB[i] === 0) && uC[i]! <= 1);
  }

  enqueue(i: number): void {
    if (!this.done[i] && !this.queued[i] && this.mayFire(i)) {
      this.queued[i] = 1;
      this.queue.push(i);
    }
  }

  learn(w: number): void {
    if (this.known[w]) return;
    this.known[w] = 1;
    const { start, entryK, entrySide } = this.index;
    for (let e = start[w]!; e < start[w + 1]!; e++) {
      const i = entryK[e]!;
      this.count(i, entrySide[e]!, w, -1);
      this.enqueue(i);
    }
  }

  /** Unknown wire terms of `scale·X − C` (X = A or B), merged, zero coefficients dropped. */
  private linearUnknowns(x: Lc, scale: bigint, c: Lc): Map<number, bigint> {
    const m = new Map<number, bigint>();
    if (scale !== 0n) for (const [w, v] of x) if (!this.known[w]) m.set(w, (v * scale) % FIELD_PRIME);
    for (const [w, v] of c) if (!this.known[w]) m.set(w, fieldMod((m.get(w) ?? 0n) - v));
    for (const [w, v] of m) if (v === 0n) m.delete(w);
    return m;
  }

  /** Applies rules 1 and 2 to one linear equation; returns whether it forced anything. */
  private solveLinear(terms: Map<number, bigint>, extraBeta: boolean): boolean {
    if (terms.size === 1 && !extraBeta) {
      for (const w of terms.keys()) this.learn(w);
      return true;
    }
    for (const w of terms.keys()) if (!this.boolWire[w]) return false;
    const coefs = [...terms.values()];
    if (extraBeta) coefs.push(FIELD_PRIME - 1n);
    if (!uniqueBinary(coefs)) return false;
    for (const w of terms.keys()) this.learn(w);
    return true;
  }

  private examine(i: number): void {
    const k = this.constraints[i]!;
    if (this.uAll[i] === 0) {
      this.done[i] = 1;
      return;
    }
    if (this.uA[i] === 0 && this.solveLinear(this.linearUnknowns(k.b, evalLc(k.a, this.witness), k.c), false)) return;
    if (this.uB[i] === 0 && this.solveLinear(this.linearUnknowns(k.a, evalLc(k.b, this.witness), k.c), false)) return;
    const f = this.forms.get(i);
    if (f && this.nb[i] === 0) {
      const terms = new Map<number, bigint>();
      for (const [w, c] of f.vars) if (!this.known[w]) terms.set(w, c);
      if (terms.size > 0) this.solveLinear(terms, true);
    }
  }

  drain(): void {
    while (this.queue.length > 0) {
      const i = this.queue.pop()!;
      this.queued[i] = 0;
      this.examine(i);
      if (this.uAll[i] === 0) this.done[i] = 1;
    }
  }

  /** Rule 4 after the others have run dry, repeated while it forces something. */
  divisions(marked: Iterable<readonly [number, number]>): void {
    const pending = new Set(marked);
    for (let progress = true; progress;) {
      progress = false;
      for (const h of pending) {
        const wires = divisionUnknowns(this.constraints, h, this.boolWire, this.known);
        if (!wires) continue;
        pending.delete(h);
        for (const w of wires) this.learn(w);
        progress = true;
        this.drain();
      }
    }
  }
}

/**
 * Runs the propagation on `circuit` (its constraints and its witness, which must satisfy them)
 * and reports every wire the fixed wires do not force. Throws when the witness violates a
 * constraint, since the zero/non-zero decisions would then be meaningless.
 */
export function checkDeterminism(circuit: BuiltCircuit, options: DeterminismOptions = {}): DeterminismResult {
  const started = performance.now();
  const { constraints, witness, nWires } = circuit;
  if (constraints.length !== circuit.nConstraints)
    throw new Error('determinism check needs a circuit built with constraints, not witness-only');
  const violated = findViolatedConstraint(constraints, witness);
  if (violated !== -1) throw new Error(`determinism check: the witness violates constraint ${violated}`);
  const nK = constraints.length;

  const known = new Uint8Array(nWires);
  const fixed = options.fixed ?? defaultFixed(circuit);
  known[0] = 1;
  for (const w of fixed) known[w] = 1;
  let nFixed = 0;
  for (let w = 0; w < nWires; w++) nFixed += known[w]!;

  const { forms, boolWire } = booleanWires(constraints, nWires);
  const index = wireIndex(constraints, nWires);
  const prop = new Propagation(constraints, witness, known, boolWire, forms, index);
  for (let i = 0; i < nK; i++) prop.enqueue(i);
  prop.drain();
  prop.divisions(circuit.divisions ?? []);

  const { start, entryK } = index;
  const maxReported = options.maxReported ?? 100;
  const undetermined: UndeterminedWire[] = [];
  let nUndetermined = 0;
  for (let w = 1; w < nWires; w++) {
    if (known[w]) continue;
    nUndetermined++;
    if (undetermined.length < maxReported) {
      undetermined.push({
        wire: w,
        role: w <= circuit.nPubOut ? 'output' : 'internal',
        constraint: start[w + 1]! > start[w]! ? entryK[start[w]!]! : -1,
      });
    }
  }
  return {
    determined: nUndetermined === 0,
    undetermined,
    nUndetermined,
    nWires,
    nFixed,
    nConstraints: nK,
    milliseconds: performance.now() - started,
  };
}

/** The constant 1 and every public and private input wire (iden3 order: 1, outputs, inputs, rest). */
export function defaultFixed(circuit: Pick<BuiltCircuit, 'nPubOut' | 'nPubIn' | 'nPrvIn'>): number[] {
  const first = 1 + circuit.nPubOut;
  return Array.from({ length: circuit.nPubIn + circuit.nPrvIn }, (_, j) => first + j);
}

/** One line naming the first undetermined wire, for error messages. */
export function describeUndetermined(r: DeterminismResult): string {
  const u = r.undetermined[0];
  if (!u) return `all ${r.nWires} wires are determined by the inputs`;
  const where = u.constraint >= 0 ? `appears in constraint ${u.constraint}` : 'appears in no constraint';
  return `${r.nUndetermined} of ${r.nWires} wires are not determined by the inputs; first: ${u.role} wire ${u.wire} (${where})`;
}

/**
 * Runs {@link checkDeterminism} and throws {@link UnderconstrainedCircuitError} naming the first
 * free wire when any wire is undetermined; returns the result otherwise.
 */
export function requireDetermined(circuit: BuiltCircuit, options: DeterminismOptions = {}): DeterminismResult {
  const r = checkDeterminism(circuit, options);
  if (!r.determined)
    throw new UnderconstrainedCircuitError(
      `compiled circuit is under-constrained (a zkinfer bug; nothing written): ${describeUndetermined(r)}`,
    );
  return r;
}
