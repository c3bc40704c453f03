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
import { FIELD_PRIME, fieldMod } from '../../circuits/field.js';
import { UnderconstrainedCircuitError } from '../core/errors.js';
import { divisionUnknowns } from './division-rule.js';
import { SIDE_A, SIDE_B, SIDE_C, boundedLayout, booleanWires, BoolForm, wireIndex } from './determinism-forms.js';
import { LookupRule, lookupRules, uniqueWindow } from './determinism-lookups.js';
import { completeLookupWitness } from '../../circuits/lookup.js';

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
  /** Lookup tables whose block did not verify, so gave no facts (determinism-lookups.ts). */
  readonly lookupProblems?: readonly string[];
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
    /** Per wire the width it is bounded to: 1 for booleans, a limb width for looked-up limbs, 0: none. */
    private readonly width: Uint8Array,
    /** Rules of the pseudo-constraints from index `nReal` on (determinism-lookups.ts). */
    private readonly rules: readonly LookupRule[] = [],
    private readonly nReal = constraints.length,
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
    if (!this.width[w]) this.nb[i]! += by;
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

  /**
   * Applies rules 1 and 2 to one linear equation (plus −β with β ∈ [0, 2^betaWidth) when
   * betaWidth > 0); returns whether it forced anything.
   */
  private solveLinear(terms: Map<number, bigint>, betaWidth: number): boolean {
    if (terms.size === 1 && !betaWidth) {
      for (const w of terms.keys()) this.learn(w);
      return true;
    }
    for (const w of terms.keys()) if (!this.width[w]) return false;
    const coefs = [...terms.values()];
    const widths = [...terms.keys()].map((w) => this.width[w]!);
    if (betaWidth) {
      coefs.push(FIELD_PRIME - 1n);
      widths.push(betaWidth);
    }
    if (!boundedLayout(coefs, widths)) return false;
    for (const w of terms.keys()) this.learn(w);
    return true;
  }

  /** Unknown wire terms of `lc` and the value of its known part (constant included). */
  private splitKnown(lc: Lc): { terms: Map<number, bigint>; known: bigint } {
    const terms = new Map<number, bigint>();
    let known = 0n;
    for (const [w, v] of lc) {
      if (this.known[w]) known += v * this.witness[w]!;
      else terms.set(w, v);
    }
    return { terms, known: known % FIELD_PRIME };
  }

  /** The lookup rules (determinism-lookups.ts) on pseudo-constraint i. */
  private examineRule(i: number, rule: LookupRule): void {
    if (rule.kind === 'multiplicity') {
      if (this.uAll[i] !== 0) return;
      for (const m of rule.wires) this.learn(m);
      return;
    }
    if (this.nb[i] !== 0 || this.uAll[i] === 0) return;
    const { terms, known } = this.splitKnown(this.constraints[i]!.a);
    if (rule.kind === 'form') {
      this.solveLinear(terms, rule.width);
      return;
    }
    const layout = boundedLayout(
      [...terms.values()],
      [...terms.keys()].map((w) => this.width[w]!),
    );
    if (layout && uniqueWindow(rule.entries, known, layout.scale, layout.span))
      for (const w of terms.keys()) this.learn(w);
  }

  private examine(i: number): void {
    if (i >= this.nReal) {
      this.examineRule(i, this.rules[i - this.nReal]!);
      return;
    }
    const k = this.constraints[i]!;
    if (this.uAll[i] === 0) {
      this.done[i] = 1;
      return;
    }
    if (this.uA[i] === 0 && this.solveLinear(this.linearUnknowns(k.b, evalLc(k.a, this.witness), k.c), 0)) return;
    if (this.uB[i] === 0 && this.solveLinear(this.linearUnknowns(k.a, evalLc(k.b, this.witness), k.c), 0)) return;
    const f = this.forms.get(i);
    if (f && this.nb[i] === 0) {
      const terms = new Map<number, bigint>();
      for (const [w, c] of f.vars) if (!this.known[w]) terms.set(w, c);
      if (terms.size > 0) this.solveLinear(terms, 1);
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
  const { constraints, nWires } = circuit;
  if (constraints.length !== circuit.nConstraints)
    throw new Error('determinism check needs a circuit built with constraints, not witness-only');
  const witness = lookupWitness(circuit);
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
  const lookups = lookupRules(constraints, circuit.lookup, nWires, circuit, known);
  const width = lookups.bound;
  for (let w = 0; w < nWires; w++) if (boolWire[w]) width[w] = 1;
  const all = lookups.virtual.length ? [...constraints, ...lookups.virtual] : constraints;
  const index = wireIndex(all, nWires);
  const prop = new Propagation(all, witness, known, boolWire, forms, index, width, lookups.rules, nK);
  for (let i = 0; i < all.length; i++) prop.enqueue(i);
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
    ...(lookups.problems.length ? { lookupProblems: lookups.problems } : {}),
    milliseconds: performance.now() - started,
  };
}

/** Challenge the checker completes a lookup build's round-1 witness with: not in any table (entries < 2^250). */
const CHECK_CHALLENGE = FIELD_PRIME - 0x5eedn;

/**
 * The witness to analyse: a lookup build's round-1 witness (challenge still 0) is completed for a
 * fixed challenge first, since its inverses are only defined once c is.
 */
function lookupWitness(circuit: BuiltCircuit): readonly bigint[] {
  const { lookup, lookupLog, witness } = circuit;
  if (!lookup || !lookupLog || witness[lookup.challengeWire] !== 0n) return witness;
  return completeLookupWitness(circuit, CHECK_CHALLENGE);
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
