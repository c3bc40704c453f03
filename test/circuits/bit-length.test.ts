/**
 * Exact bit widths: every boundary 2^k − 1, 2^k, 2^k + 1 for k = 0…250, where a floating-point
 * log2 is wrong from k = 49 on (the bug that let packed outputs spill between slots), and the
 * interval range check admits exactly [lo, hi], power-of-two wide or not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bitLength, ceilLog2, rangeBits } from '../../circuits/bit-length.js';
import { findViolatedConstraint, R1csBuilder } from '../../circuits/builder.js';
import { FIELD_PRIME } from '../../circuits/field.js';
import { assertInInterval, intervalCheckCost } from '../../circuits/range-check.js';

test('bitLength, ceilLog2 and rangeBits are exact at every power of two up to 2^250', () => {
  assert.equal(bitLength(0n), 1);
  for (let k = 0; k <= 250; k++) {
    const p = 1n << BigInt(k);
    assert.equal(bitLength(p), k + 1, `bitLength(2^${k})`);
    if (k > 0) assert.equal(bitLength(p - 1n), k, `bitLength(2^${k} − 1)`);
    assert.equal(bitLength(p + 1n), k === 0 ? 2 : k + 1, `bitLength(2^${k} + 1)`);
    assert.equal(ceilLog2(p), k, `ceilLog2(2^${k})`);
    assert.equal(ceilLog2(p + 1n), k + 1, `ceilLog2(2^${k} + 1)`);
    // The packing width of a range exactly 2^k wide needs k + 1 bits: [0, 2^k] has 2^k + 1 values.
    assert.equal(rangeBits(-5n, p - 5n), k + 1, `rangeBits over 2^${k}`);
  }
  assert.throws(() => bitLength(-1n));
  assert.throws(() => rangeBits(3n, 2n));
});

function intervalCircuit(lo: bigint, hi: bigint, x: bigint) {
  const b = new R1csBuilder();
  const s = b.input(x, 'public');
  assertInInterval(b, s, lo, hi);
  return b.finalize();
}

test('assertInInterval admits exactly [lo, hi], whatever the other wires say', () => {
  for (const [lo, hi] of [
    [0n, 255n],
    [-128n, 127n],
    [-3n, 9n],
    [5n, 5n],
    [0n, 40n],
  ] as const) {
    const honest = intervalCircuit(lo, hi, lo);
    assert.equal(honest.nConstraints, intervalCheckCost(lo, hi));
    for (const x of [lo, hi, (lo + hi) / 2n]) {
      const c = intervalCircuit(lo, hi, x);
      assert.equal(findViolatedConstraint(c.constraints, c.witness), -1, `${x} in [${lo}, ${hi}] rejected`);
    }
    // Outside: the prover sets the input and searches every assignment of the bit wires
    // (exhaustive for these widths) — none satisfies the constraints.
    for (const x of [lo - 1n, hi + 1n, hi + 2n, lo - 300n, FIELD_PRIME / 2n]) {
      const c = intervalCircuit(lo, hi, lo);
      const free = c.nWires - 2;
      assert.ok(free <= 22, 'exhaustive search is small');
      for (let m = 0; m < 1 << free; m++) {
        const w = c.witness.slice();
        w[1] = ((x % FIELD_PRIME) + FIELD_PRIME) % FIELD_PRIME;
        for (let j = 0; j < free; j++) w[2 + j] = BigInt((m >> j) & 1);
        assert.ok(findViolatedConstraint(c.constraints, w) >= 0, `${x} accepted in [${lo}, ${hi}] with bits ${m}`);
      }
    }
  }
});
