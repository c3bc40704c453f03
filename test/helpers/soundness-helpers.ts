/**
 * Soundness assertions every gadget test can make in one line (see test/gadget-soundness.test.ts
 * for examples):
 *
 *   const { circuit, result } = gadgetCircuit([5n, -3n], (b, [x, y]) => max2(b, x!, y!, 8));
 *   assertFullyConstrained(circuit, 'max2');                  // the determinism checker forces every wire
 *   assertEveryConstraintNeeded([c1, c2, c3], 'max2');       // dropping any constraint frees a wire
 *   assertMultiWireTamperFails(circuit, tampered, 'max2');   // a coordinated multi-wire change is caught
 *   assertMultiWireTamperFails(circuit, spliceWitness(circuit, donor), 'max2');
 *   assertEveryNonInputWirePinned(circuit, 'max2');          // ±1 on any non-input wire is caught
 *
 * - {@link gadgetCircuit} builds over private inputs and exposes no outputs, so a signal's wire
 *   index in the builder is its index in the finished circuit ({@link wireOf}).
 * - The determinism checker's verdict is per witness (a product's factor that is zero at one
 *   input can leave a wire free that another input forces), so {@link assertEveryConstraintNeeded}
 *   takes several circuits of the same structure built at different inputs and requires, for
 *   every constraint, that removing it frees a wire in at least one of them. Pick inputs that
 *   take every branch of the gadget (e.g. both signs of a comparison, clamped and not).
 * - {@link spliceWitness} makes the strongest generic adversarial witness: every non-input wire
 *   (or those in a range) copied from an honest witness of the same circuit at another input,
 *   so all those wires are mutually consistent and only the seam to the real inputs can break.
 */
import assert from 'node:assert/strict';
import { BuiltCircuit, findViolatedConstraint, R1csBuilder, Signal } from '../../circuits/builder.js';
import { FIELD_PRIME, toSigned } from '../../circuits/field.js';
import { checkDeterminism, DeterminismResult, describeUndetermined } from '../../src/compile/determinism-check.js';

/** First wire after the constant, outputs and inputs. */
export function firstInternalWire(c: BuiltCircuit): number {
  return 1 + c.nPubOut + c.nPubIn + c.nPrvIn;
}

/**
 * Builds `body` over private inputs `xs` without exposing outputs. Wires keep their allocation
 * order (1, inputs, then the gadget's wires), so {@link wireOf} maps signals to witness indices.
 */
export function gadgetCircuit<T>(
  xs: readonly bigint[],
  body: (b: R1csBuilder, x: Signal[]) => T,
): { circuit: BuiltCircuit; result: T } {
  const b = new R1csBuilder();
  const x = xs.map((v) => b.input(v, 'private'));
  const result = body(b, x);
  return { circuit: b.finalize(), result };
}

/**
 * Builds `body` over private inputs `xs` (into `b`, a fresh builder by default), exposes its
 * outputs, and returns the circuit, the outputs as signed integers and the gadget's constraints.
 */
export function exposedCircuit(
  xs: readonly bigint[],
  body: (b: R1csBuilder, x: Signal[]) => Signal[],
  b = new R1csBuilder(),
): { c: BuiltCircuit; out: bigint[]; cost: number } {
  const x = xs.map((v) => b.input(v, 'private'));
  const before = b.nConstraints;
  const y = body(b, x);
  const cost = b.nConstraints - before;
  for (const s of y) b.exposeOutput(s);
  const c = b.finalize();
  return { c, out: c.witness.slice(1, 1 + y.length).map(toSigned), cost };
}

/** The wire index of a signal that is exactly one wire (coefficient 1); throws otherwise. */
export function wireOf(s: Signal): number {
  const [entry, ...rest] = [...s.lc];
  if (!entry || rest.length > 0 || entry[1] !== 1n) throw new Error('signal is not a single wire');
  return entry[0];
}

/** Asserts the honest witness satisfies `c` and the determinism checker forces every wire from the inputs. */
export function assertFullyConstrained(c: BuiltCircuit, what = 'circuit'): DeterminismResult {
  // The checker itself first evaluates every constraint on the witness and throws on a violated
  // one: one pass over a large circuit instead of two.
  let r: DeterminismResult;
  try {
    r = checkDeterminism(c);
  } catch (e) {
    assert.fail(`${what}: honest witness must satisfy (${(e as Error).message})`);
  }
  assert.ok(r.determined, `${what}: ${describeUndetermined(r)}`);
  return r;
}

/** `c` without constraint `i`. */
export function withoutConstraint(c: BuiltCircuit, i: number): BuiltCircuit {
  const constraints = c.constraints.filter((_, j) => j !== i);
  return { ...c, constraints, nConstraints: constraints.length };
}

/**
 * Asserts that for every constraint index (or each in `only`), removing it from the circuits
 * (same structure, different witnesses) leaves at least one wire undetermined in at least one
 * of them. Returns the smallest number of free wires seen per removal, for diagnostics.
 */
export function assertEveryConstraintNeeded(
  circuits: readonly BuiltCircuit[],
  what: string,
  only?: readonly number[],
): number[] {
  assert.ok(circuits.length > 0, `${what}: no circuits`);
  const n = circuits[0]!.constraints.length;
  for (const c of circuits) assert.equal(c.constraints.length, n, `${what}: circuits differ in structure`);
  for (const c of circuits) assertFullyConstrained(c, what);
  const indices = only ?? Array.from({ length: n }, (_, i) => i);
  const freed: number[] = [];
  for (const i of indices) {
    let most = 0;
    for (const c of circuits) {
      most = Math.max(most, checkDeterminism(withoutConstraint(c, i), { maxReported: 0 }).nUndetermined);
      if (most > 0) break;
    }
    assert.ok(
      most > 0,
      `${what}: removing constraint ${i} of ${n} leaves every wire determined at all ${circuits.length} witnesses`,
    );
    freed.push(most);
  }
  return freed;
}

/**
 * Asserts that `tampered` — a witness for `c` that keeps the constant and every input but
 * changes at least two other wires — violates some constraint. Returns how many wires changed.
 */
export function assertMultiWireTamperFails(c: BuiltCircuit, tampered: readonly bigint[], what = 'circuit'): number {
  assert.equal(tampered.length, c.witness.length, `${what}: tampered witness length`);
  assert.equal(findViolatedConstraint(c.constraints, c.witness), -1, `${what}: honest witness must satisfy`);
  const firstInput = 1 + c.nPubOut;
  const endInput = firstInternalWire(c);
  assert.equal(tampered[0], 1n, `${what}: the constant wire must stay 1`);
  for (let w = firstInput; w < endInput; w++)
    assert.equal(tampered[w], c.witness[w], `${what}: input wire ${w} must stay as given`);
  let changed = 0;
  for (let w = 0; w < c.nWires; w++) if (tampered[w] !== c.witness[w]) changed++;
  assert.ok(changed >= 2, `${what}: a multi-wire tamper must change at least two wires, changed ${changed}`);
  assert.notEqual(
    findViolatedConstraint(c.constraints, tampered),
    -1,
    `${what}: tampered witness (${changed} wires changed) satisfies every constraint`,
  );
  return changed;
}

/**
 * The witness of `honest` with its non-input wires in [from, to) (default: all of them, outputs
 * included) replaced by those of `donor`, the same circuit built at another input.
 */
export function spliceWitness(
  honest: BuiltCircuit,
  donor: BuiltCircuit,
  range: { from?: number; to?: number } = {},
): bigint[] {
  assert.equal(donor.nWires, honest.nWires, 'donor must be the same circuit');
  assert.equal(donor.constraints.length, honest.constraints.length, 'donor must be the same circuit');
  const w = honest.witness.slice();
  const firstInput = 1 + honest.nPubOut;
  const endInput = firstInternalWire(honest);
  for (let i = range.from ?? 1; i < (range.to ?? honest.nWires); i++) {
    if (i >= firstInput && i < endInput) continue;
    w[i] = donor.witness[i]!;
  }
  return w;
}

/**
 * The honest witness satisfies the circuit, and changing any wire but the constant and the
 * inputs by +1 or −1 breaks a constraint.
 */
export function assertEveryNonInputWirePinned(c: BuiltCircuit, what = 'circuit'): void {
  assert.equal(findViolatedConstraint(c.constraints, c.witness), -1, `${what}: honest witness satisfies`);
  const firstInput = 1 + c.nPubOut;
  const firstInternal = firstInput + c.nPubIn + c.nPrvIn;
  for (let i = 1; i < c.nWires; i++) {
    if (i >= firstInput && i < firstInternal) continue;
    for (const d of [1n, FIELD_PRIME - 1n]) {
      const w = c.witness.slice();
      w[i] = (w[i]! + d) % FIELD_PRIME;
      assert.notEqual(
        findViolatedConstraint(c.constraints, w),
        -1,
        `${what}: wire ${i} of ${c.nWires} ${d === 1n ? '+1' : '−1'} not caught`,
      );
    }
  }
}
