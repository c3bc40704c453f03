/**
 * Gadgets built with LogUp lookups (circuits/lookup.ts), for the gadget-lookup-*.test.ts files:
 * build a gadget over private inputs, complete its witness for a challenge, count what it emits,
 * and play a cheating prover who changes round-1 wires, recounts the multiplicities honestly for
 * the changed lookups and recomputes every round-2 wire for the same challenge — so the only
 * constraint left to catch the change is the argument's balance.
 */
import assert from 'node:assert/strict';
import { BuiltCircuit, evalLc, findViolatedConstraint, R1csBuilder, Signal } from '../../circuits/builder.js';
import { FIELD_PRIME, fieldInv, fieldMod, toSigned } from '../../circuits/field.js';
import { completeLookupWitness } from '../../circuits/lookup.js';
import { checkDeterminism, describeUndetermined } from '../../src/compile/determinism-check.js';
import { assertEveryNonInputWirePinned } from './soundness-helpers.js';

/** A challenge in no table of these tests. */
export const CHALLENGE = 0x2c1b0a99887766554433221100ffeeddccbbaa9988776655443322110fedcban;

/** A gadget built with lookups, its completed witness and what it emitted. */
export interface LookupGadget<T> {
  /** The round-1 build (challenge and round-2 wires not yet set). */
  readonly circuit: BuiltCircuit;
  /** The same circuit with the witness completed for {@link CHALLENGE}. */
  readonly full: BuiltCircuit;
  /** Constraints the gadget emitted (the builder counts a lookup's constraint when it is made). */
  readonly emitted: number;
  readonly result: T;
  /** The exposed outputs as signed integers (when `expose` returned signals). */
  readonly out: bigint[];
}

/**
 * Builds `body` over private inputs `xs` with lookups of limb width `limbBits`; `expose` picks the
 * signals to expose as outputs (none by default, so a signal's wires are the gadget's own).
 */
export function lookupGadget<T>(
  xs: readonly bigint[],
  body: (b: R1csBuilder, x: Signal[]) => T,
  limbBits: number,
  expose: (result: T) => Signal[] = () => [],
): LookupGadget<T> {
  const b = new R1csBuilder({ lookup: { limbBits } });
  const x = xs.map((v) => b.input(v, 'private'));
  const result = body(b, x);
  const own = b.nConstraints;
  const outputs = expose(result);
  for (const s of outputs) b.exposeOutput(s);
  const circuit = b.finalize();
  const full = { ...circuit, witness: completeLookupWitness(circuit, CHALLENGE) };
  return {
    circuit,
    full,
    emitted: own,
    result,
    out: full.witness.slice(1, 1 + outputs.length).map(toSigned),
  };
}

/** The honest completed witness satisfies, ±1 on any non-input wire is caught, the checker forces every wire. */
export function assertLookupGadgetSound(g: LookupGadget<unknown>, what: string): void {
  assert.equal(findViolatedConstraint(g.full.constraints, g.full.witness), -1, `${what}: honest witness satisfies`);
  assertEveryNonInputWirePinned(g.full, what);
  const r = checkDeterminism(g.full);
  assert.ok(r.determined, `${what}: ${describeUndetermined(r)}`);
}

/** Index of each table's balance constraint (tables' blocks end the system, in `lookup.tables` order). */
export function balanceConstraints(c: BuiltCircuit): number[] {
  const tables = c.lookup!.tables;
  let at = c.nConstraints - tables.reduce((s, t) => s + t.lookups + t.size + 1, 0);
  return tables.map((t) => {
    at += t.lookups + t.size + 1;
    return at - 1;
  });
}

/**
 * A cheater's witness: `tamper` changes round-1 wires of the honest round-1 witness; then every
 * multiplicity is recounted for the lookups' new values and every round-2 wire recomputed for
 * the challenge. Returns the witness.
 */
export function cheat(c: BuiltCircuit, tamper: (w: bigint[]) => void, challenge = CHALLENGE): bigint[] {
  const info = c.lookup!;
  const w = c.witness.slice();
  tamper(w);
  w[info.challengeWire] = 0n;
  let at = c.nConstraints - info.tables.reduce((s, t) => s + t.lookups + t.size + 1, 0);
  for (const [k, t] of c.lookupLog!.tables.entries()) {
    const lookups = info.tables[k]!.lookups;
    const index = new Map(t.entries.map((e, j) => [e, j]));
    const counts = new Array<bigint>(t.entries.length).fill(0n);
    // Lookup i's constraint is inv·(c − f) = 1: with c = 0 its B side evaluates to −f.
    for (let i = 0; i < lookups; i++) {
      const j = index.get(fieldMod(-evalLc(c.constraints[at + i]!.b, w)));
      if (j !== undefined) counts[j]! += 1n;
    }
    counts.forEach((m, j) => (w[t.multiplicityStart + j] = m));
    at += lookups + t.entries.length + 1;
  }
  w[info.challengeWire] = challenge;
  for (const k of c.constraints) {
    const a = [...k.a.keys()];
    if (a.length !== 1 || a[0]! < info.round2Start) continue;
    w[a[0]!] = (evalLc(k.c, w) * fieldInv(evalLc(k.b, w))) % FIELD_PRIME;
  }
  return w;
}

/** Asserts the cheater's witness fails, and fails exactly at a balance: every other constraint holds. */
export function assertOnlyBalanceCatches(c: BuiltCircuit, w: readonly bigint[], what: string): void {
  const balances = new Set(balanceConstraints(c));
  const violated = c.constraints.flatMap((k, i) =>
    (evalLc(k.a, w) * evalLc(k.b, w) - evalLc(k.c, w)) % FIELD_PRIME === 0n ? [] : [i],
  );
  assert.ok(violated.length > 0, `${what}: the cheater's witness satisfies every constraint`);
  assert.ok(
    violated.every((i) => balances.has(i)),
    `${what}: constraints ${violated.filter((i) => !balances.has(i)).join(', ')} fail besides the balance`,
  );
}

/** The wire of `s`'s term with coefficient `coef` (a limb of a limb sum). */
export function wireWithCoefficient(s: Signal, coef: bigint): number {
  const hit = [...s.lc].find(([w, k]) => w !== 0 && k === fieldMod(coef));
  if (!hit) throw new Error(`no term with coefficient ${coef}`);
  return hit[0];
}
