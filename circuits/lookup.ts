/**
 * LogUp (log-derivative) lookups inside the R1CS builder: range checks by limbs and exact
 * function tables, for the two-round Groth16 ("ultragroth", docs/security.md).
 *
 * The argument. Every lookup value f_i (a linear combination of round-1 wires) must lie in a
 * table {t_j} of distinct field elements. The prover commits, in round 1, to every model wire and
 * to the multiplicities m_j (how many lookups hit t_j); the challenge c is then drawn from that
 * commitment, and round 2 proves
 *
 *     Σ_i 1/(c − f_i) = Σ_j m_j/(c − t_j)
 *
 * with one inverse wire per lookup, `inv_i·(c − f_i) = 1`, one per table entry,
 * `tinv_j·(c − t_j) = m_j`, and one balance constraint per table, `0·0 = Σ inv_i − Σ tinv_j`
 * (the long sums sit on the C side, which the prover never multiplies through: see
 * range-check.ts). Both sides are rational functions of c; they agree as functions exactly when
 * the multiset {f_i} equals {t_j with multiplicity m_j} (the field's characteristic exceeds the
 * number of lookups), and two different ones agree at no more than n + N points, so a c drawn
 * after the commitment catches a wrong value except with probability (n + N)/p. Several tables
 * (the limb table, each function table) each get their own balance with the same c.
 *
 * Range checks (`range`): x ∈ [0, 2^bits) is split into limbs of K = limbBits bits, least
 * significant first, each looked up in the table [0, 2^K). A top limb l of width w < K is looked
 * up twice, as l and as l·2^(K−w): l < 2^K as an integer, so l·2^(K−w) < 2^(2K) cannot wrap the
 * field, and l·2^(K−w) < 2^K then means l < 2^w. A limb of width 1 is a boolean constraint.
 *
 * Function tables (`table`): key u ∈ [0, 2^n), value y = T(u). With o = −min T and S the limb
 * multiple that holds max T + o, the value is y' = y + o, range-checked by S/K full limbs, and
 * the single integer f = u·2^S + y' is looked up in {u·2^S + T(u) + o}. Both u < 2^n (range
 * checked by limbs) and y' < 2^S, so f < 2^(n+S) < p is the integer u·2^S + y' and its table
 * entry fixes the pair (u, y): one challenge serves every table. Cost for an 8-bit key and a
 * value of at most K bits: 2 lookups for the key (1 when K = 8), 1 for y', 1 for f.
 *
 * The builder calls {@link LookupArgument.finalize} before it orders the wires, so the
 * multiplicities are round-1 wires, the challenge is the last public input (the last public
 * signal), and the inverses are the last wires: round 2. This module imports nothing from
 * builder.ts (the builder imports it); it sees the builder through {@link LookupBuilderPort}.
 */
import { fieldInv } from './field.js';
import { WitnessRangeError } from './witness-error.js';
import {
  checkLimbBits,
  RANGE_TABLE_NAME,
  type LookupBuilderPort,
  type LookupConfig,
  type LookupInfo,
  type LookupLog,
  type LookupLogTable,
  type LookupSignal,
  type LookupTable,
} from './lookup-config.js';
import { tableShape } from './lookup-cost.js';

export * from './lookup-config.js';
export { lookupTableCost, rangeCheckCost } from './lookup-cost.js';
export { completeLookupWitness } from './lookup-witness.js';

/** One table's lookups so far. */
class TableState {
  readonly counts: Uint32Array;
  readonly lcs: Array<ReadonlyMap<number, bigint>> = [];
  entryOf = new Int32Array(64);
  n = 0;

  constructor(
    private readonly owner: { pending: number },
    readonly name: string,
    readonly entries: readonly bigint[],
    readonly source?: LookupTable,
    readonly shape?: ReturnType<typeof tableShape>,
  ) {
    this.counts = new Uint32Array(entries.length);
  }

  record(f: LookupSignal, entry: number, witnessOnly: boolean): void {
    if (this.n === this.entryOf.length) {
      const grown = new Int32Array(this.n * 2);
      grown.set(this.entryOf);
      this.entryOf = grown;
    }
    this.entryOf[this.n++] = entry;
    this.owner.pending++;
    this.counts[entry]!++;
    if (!witnessOnly) this.lcs.push(f.lc);
  }
}

/** The lookups of one build; created by the builder when `BuilderOptions.lookup` is set. */
export class LookupArgument {
  readonly limbBits: number;
  private readonly tables = new Map<string, TableState>();
  private readonly checked = new WeakSet<readonly bigint[]>();
  private nRound2 = 0;
  private finalized = false;
  /** Lookups recorded and not yet emitted: the builder counts their constraints from the start. */
  pending = 0;

  constructor(config: LookupConfig) {
    this.limbBits = checkLimbBits(config.limbBits);
  }

  private rangeTable(): TableState {
    let t = this.tables.get(RANGE_TABLE_NAME);
    if (!t) {
      t = new TableState(
        this,
        RANGE_TABLE_NAME,
        Array.from({ length: 2 ** this.limbBits }, (_, j) => BigInt(j)),
      );
      this.tables.set(RANGE_TABLE_NAME, t);
    }
    return t;
  }

  private open(): void {
    if (this.finalized) throw new Error('lookup after the circuit was finalized');
  }

  /** Proves the limb s ∈ [0, 2^w), w ≤ K (see the module comment). */
  private limb(b: LookupBuilderPort, s: LookupSignal, w: number): void {
    if (w === 1) {
      b.assertBool(s);
      return;
    }
    const t = this.rangeTable();
    t.record(s, Number(s.value), b.witnessOnly);
    if (w < this.limbBits) {
      const scaled = b.linear([[s, 1n << BigInt(this.limbBits - w)]]);
      t.record(scaled, Number(scaled.value), b.witnessOnly);
    }
  }

  private checkValue(v: bigint, bits: number): void {
    if (!Number.isInteger(bits) || bits < 1 || bits > 250) throw new Error(`bit width ${bits} out of range 1..250`);
    if (v < 0n || v >= 1n << BigInt(bits))
      throw new WitnessRangeError(`value ${v} does not fit in ${bits} unsigned bits`);
  }

  /**
   * Proves x ∈ [0, 2^bits): every limb but the top one is a fresh wire, the top one is
   * (x − Σ lower limbs)/2^offset, a combination (no wire, no sum constraint; x then sits on the
   * B side of the top limb's lookups). {@link rangeCheckCost} constraints.
   */
  range(b: LookupBuilderPort, x: LookupSignal, bits: number): void {
    this.open();
    this.checkValue(x.value, bits);
    const k = this.limbBits;
    const nLimbs = Math.ceil(bits / k);
    const terms: Array<[LookupSignal, bigint]> = [[x, 1n]];
    for (let j = 0; j < nLimbs - 1; j++) {
      const l = b.wire((x.value >> BigInt(j * k)) & ((1n << BigInt(k)) - 1n));
      this.limb(b, l, k);
      terms.push([l, -(1n << BigInt(j * k))]);
    }
    const off = (nLimbs - 1) * k;
    const top = nLimbs === 1 ? x : b.linear([[b.linear(terms), fieldInv(1n << BigInt(off))]]);
    this.limb(b, { lc: top.lc, value: x.value >> BigInt(off) }, bits - off);
  }

  /**
   * A fresh value v ∈ [0, 2^bits) made of limb wires (one wire when bits ≤ K): returns the
   * combination Σ limb_j·2^(jK). {@link rangeCheckCost} constraints.
   */
  ranged(b: LookupBuilderPort, value: bigint, bits: number): LookupSignal {
    this.open();
    this.checkValue(value, bits);
    const k = this.limbBits;
    const terms: Array<[LookupSignal, bigint]> = [];
    for (let off = 0; off < bits; off += k) {
      const w = Math.min(k, bits - off);
      const l = b.wire((value >> BigInt(off)) & ((1n << BigInt(w)) - 1n));
      this.limb(b, l, w);
      terms.push([l, 1n << BigInt(off)]);
    }
    return terms.length === 1 ? terms[0]![0] : b.linear(terms);
  }

  /** T(key) for a function table; {@link lookupTableCost} constraints (see the module comment). */
  table(b: LookupBuilderPort, table: LookupTable, key: LookupSignal): LookupSignal {
    this.open();
    const state = this.functionTable(table);
    const { keyBits, offset, slotBits } = state.shape!;
    this.checkValue(key.value, keyBits);
    this.range(b, key, keyBits);
    const u = Number(key.value);
    const y = table.values[u]!;
    const shifted = this.ranged(b, y + offset, slotBits);
    const f = b.linear([
      [key, 1n << BigInt(slotBits)],
      [shifted, 1n],
    ]);
    state.record(f, u, b.witnessOnly);
    return b.linear([[shifted, 1n]], -offset);
  }

  private functionTable(table: LookupTable): TableState {
    if (table.name === RANGE_TABLE_NAME) throw new Error(`table name '${RANGE_TABLE_NAME}' is the limb table's`);
    let state = this.tables.get(table.name);
    if (!state) {
      const shape = tableShape(table, this.limbBits);
      if (shape.keyBits + shape.slotBits > 250) throw new Error(`table '${table.name}' values too wide`);
      const entries = table.values.map((v, u) => (BigInt(u) << BigInt(shape.slotBits)) + v + shape.offset);
      state = new TableState(this, table.name, entries, table, shape);
      this.tables.set(table.name, state);
      this.checked.add(table.values);
    } else if (!this.checked.has(table.values)) {
      const same = state.source?.values;
      if (!same || same.length !== table.values.length || same.some((v, i) => v !== table.values[i]))
        throw new Error(`two different tables named '${table.name}'`);
      this.checked.add(table.values);
    }
    return state;
  }

  /**
   * Emits the argument (called by the builder's finalize before it orders the wires): the
   * multiplicities (round 1), the challenge (a public input, the last one), then per table the
   * inverses and their constraints and the balance (round 2).
   */
  finalize(b: LookupBuilderPort): void {
    this.open();
    this.finalized = true;
    const tables = [...this.tables.values()];
    const mult = tables.map((t) => t.entries.map((_, j) => b.wire(BigInt(t.counts[j]!))));
    const c = b.wire(0n, 'public-input');
    const one = b.constant(1n);
    const zero = b.constant(0n);
    this.pending = 0; // counted since each lookup; emitted now
    tables.forEach((t, k) => {
      const sum: Array<[LookupSignal, bigint]> = [];
      for (let i = 0; i < t.n; i++) {
        const inv = b.wire(0n);
        const f = t.lcs[i] ? { lc: t.lcs[i]!, value: 0n } : zero;
        b.assertMul(
          inv,
          b.linear([
            [c, 1n],
            [f, -1n],
          ]),
          one,
        );
        sum.push([inv, 1n]);
      }
      t.entries.forEach((e, j) => {
        const inv = b.wire(0n);
        b.assertMul(inv, b.linear([[c, 1n]], -e), mult[k]![j]!);
        sum.push([inv, -1n]);
      });
      b.assertMul(zero, zero, b.linear(sum));
      t.lcs.length = 0;
      this.nRound2 += t.n + t.entries.length;
    });
  }

  /** The layout in iden3 indices, once the builder has ordered the wires. */
  layout(nWires: number, nPubOut: number, nPubIn: number): { lookup: LookupInfo; lookupLog: LookupLog } {
    const round2Start = nWires - this.nRound2;
    const tables = [...this.tables.values()];
    let multiplicityStart = round2Start - tables.reduce((s, t) => s + t.entries.length, 0);
    let inverseStart = round2Start;
    const log: LookupLogTable[] = tables.map((t) => {
      const row = {
        name: t.name,
        entries: t.entries,
        entryOf: t.entryOf.slice(0, t.n),
        multiplicityStart,
        inverseStart,
      };
      multiplicityStart += t.entries.length;
      inverseStart += t.n + t.entries.length;
      return row;
    });
    const lookup: LookupInfo = {
      round2Start,
      challengeWire: nPubOut + nPubIn,
      limbBits: this.limbBits,
      nLookups: tables.reduce((s, t) => s + t.n, 0),
      tables: tables.map((t) => ({ name: t.name, size: t.entries.length, lookups: t.n })),
    };
    return { lookup, lookupLog: { tables: log } };
  }
}
