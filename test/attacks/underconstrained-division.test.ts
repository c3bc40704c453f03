/**
 * Witnesses with two solutions offered to the determinism checker: marked remainder divisions
 * whose t is not range-checked, or whose remainder uses one bit weight twice, must never be
 * reported determined; the well-formed shape still is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findViolatedConstraint, R1csBuilder, Signal } from '../../circuits/builder.js';
import { checkDeterminism } from '../../src/compile/determinism-check.js';

/**
 * A hand-made remainder division q·d = n − r, 1·t = d − 1 − r, marked for rule 4 of the
 * determinism checker, with the quotient, remainder and t given as weighted wires (weight,
 * value, boolean?) so a malformed shape can be written down.
 */
function markedDivision(
  n: bigint,
  d: bigint,
  q: Array<[bigint, bigint, boolean]>,
  r: Array<[bigint, bigint, boolean]>,
  t: Array<[bigint, bigint, boolean]>,
) {
  const b = new R1csBuilder();
  const [ns, ds] = [b.input(n, 'private'), b.input(d, 'private')];
  const lc = (parts: Array<[bigint, bigint, boolean]>): Signal =>
    b.linear(
      parts.map(([w, v, bool]) => {
        const s = b.wire(v);
        if (bool) b.assertBool(s);
        return [s, w] as [Signal, bigint];
      }),
    );
  const [qs, rs, ts] = [lc(q), lc(r), lc(t)];
  const k = b.nConstraints;
  b.assertMul(qs, ds, b.sub(ns, rs));
  b.assertMul(
    b.constant(1n),
    ts,
    b.linear(
      [
        [ds, 1n],
        [rs, -1n],
      ],
      -1n,
    ),
  );
  b.hintDivision(k, k + 1);
  return b.finalize();
}

test('determinism rule 4: marked divisions with two satisfying witnesses (t not range-checked; a remainder bit weight used twice) are never reported determined', () => {
  const bits = (v: bigint, w: number): Array<[bigint, bigint, boolean]> =>
    Array.from({ length: w }, (_, i) => [1n << BigInt(i), (v >> BigInt(i)) & 1n, true]);
  // t a free wire: 20 = 2·7 + 6 (t = 0) and 20 = 1·7 + 13 (t = −7) both satisfy.
  const freeT = [
    markedDivision(20n, 7n, bits(2n, 4), bits(6n, 4), [[1n, 0n, false]]),
    markedDivision(20n, 7n, bits(1n, 4), bits(13n, 4), [[1n, -7n, false]]),
  ];
  // r = r0 + r1 (weight 1 twice): r = 1 has two bit patterns.
  const dupR = [
    [1n, 0n],
    [0n, 1n],
  ].map(([a, c]) =>
    markedDivision(
      5n,
      2n,
      bits(2n, 2),
      [
        [1n, a!, true],
        [1n, c!, true],
      ],
      bits(0n, 1),
    ),
  );
  for (const [what, pair] of [
    ['t not range-checked', freeT],
    ['remainder weight used twice', dupR],
  ] as const) {
    for (const c of pair) {
      assert.equal(findViolatedConstraint(c.constraints, c.witness), -1, `${what}: the witness satisfies`);
      assert.equal(checkDeterminism(c).determined, false, `${what}: reported determined`);
    }
    assert.equal(pair[0]!.constraints.length, pair[1]!.constraints.length);
    assert.notDeepEqual(pair[0]!.witness, pair[1]!.witness, `${what}: two different witnesses for the same inputs`);
  }
  // The well-formed shape is proven.
  assert.ok(checkDeterminism(markedDivision(20n, 7n, bits(2n, 4), bits(6n, 4), bits(0n, 4))).determined);
});
