/**
 * The packed linear combinations of the builder (circuits/packed-lc.ts) against a plain
 * Map<wire, field coefficient> reference: the float fast path, its fall-back to field arithmetic
 * past 2^53, interned big coefficients, finalize's renumbering, and the r1cs bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Constraint, Lc, R1csBuilder, Signal } from '../../circuits/builder.js';
import { FIELD_PRIME, fieldMod } from '../../circuits/field.js';
import { decodeR1cs, encodeR1cs } from '../../src/compile/r1cs-file.js';

/** Σ k·s + constant the way the Map builder computed it. */
function reference(terms: ReadonlyArray<readonly [Signal, bigint]>, constant: bigint): Map<number, bigint> {
  const lc = new Map<number, bigint>();
  if (constant !== 0n) lc.set(0, fieldMod(constant));
  for (const [s, k] of terms) {
    if (k === 0n) continue;
    for (const [w, c] of s.lc) {
      const next = ((lc.get(w) ?? 0n) + fieldMod(k) * c) % FIELD_PRIME;
      if (next === 0n) lc.delete(w);
      else lc.set(w, next);
    }
  }
  return lc;
}

function assertSameLc(actual: Lc, expected: ReadonlyMap<number, bigint>, what: string): void {
  const sorted = [...expected].sort((x, y) => x[0] - y[0]);
  assert.deepEqual([...actual], sorted, what);
  assert.equal(actual.size, expected.size, what);
  for (const [w, c] of expected) assert.equal(actual.get(w), c, `${what}: wire ${w}`);
  assert.equal(actual.get(10_000), undefined);
}

test('linear matches field arithmetic: small, cancelling, near 2^53 and beyond, big constants', () => {
  const b = new R1csBuilder();
  const x = Array.from({ length: 6 }, (_, i) => b.wire(BigInt(i + 2)));
  const big = FIELD_PRIME - 12345678901234567890123n;
  const cases: Array<[ReadonlyArray<readonly [Signal, bigint]>, bigint]> = [
    [x.map((s, i) => [s, BigInt(i - 3)] as const), 7n],
    // x0 − x0: the term cancels and disappears, as in the Map.
    [
      [
        [x[0]!, 5n],
        [x[1]!, 1n],
        [x[0]!, -5n],
      ],
      0n,
    ],
    // Products past 2^53: the float path must give up and the field path take over.
    [
      [
        [x[2]!, 2n ** 52n],
        [x[2]!, 2n ** 52n],
        [x[3]!, -(2n ** 53n) + 1n],
      ],
      -(2n ** 60n),
    ],
    [[[x[4]!, big]], big],
  ];
  const made: Signal[] = [];
  for (const [i, [terms, constant]] of cases.entries()) {
    const s = b.linear(terms, constant);
    assertSameLc(s.lc, reference(terms, constant), `case ${i}`);
    made.push(s);
  }
  // Combinations of combinations, including one holding an interned big coefficient.
  const nested: Array<[Signal, bigint]> = [
    [made[0]!, 3n],
    [made[3]!, -2n],
    [made[2]!, 1n],
  ];
  assertSameLc(b.linear(nested, 1n).lc, reference(nested, 1n), 'nested');
});

test('finalize renumbers into iden3 order, keeps each combination sorted, and writes the Map builder bytes', () => {
  const b = new R1csBuilder();
  const x = b.input(3n, 'private');
  const y = b.input(4n, 'public');
  const p = b.mul(b.linear([[x, 2n]], 1n), y);
  const s = b.linear(
    [
      [p, -1n],
      [x, 9n],
      [y, 1n],
    ],
    FIELD_PRIME - 1n,
  );
  b.exposeOutput(s);
  const circuit = b.finalize();
  assert.deepEqual([circuit.nPubOut, circuit.nPubIn, circuit.nPrvIn], [1, 1, 1]);
  // Wires now: 0 one, 1 output, 2 y (public), 3 x (private), 4 p.
  assertSameLc(p.lc, new Map([[4, 1n]]), 'p after finalize');
  assertSameLc(
    s.lc,
    new Map([
      [0, FIELD_PRIME - 1n],
      [2, 1n],
      [3, 9n],
      [4, FIELD_PRIME - 1n],
    ]),
    's after finalize',
  );
  // The same system as plain Maps, inserted in reverse order: the bytes must not change.
  const asMaps = (lc: Lc) => new Map([...lc].reverse());
  const mapped: Constraint[] = circuit.constraints.map((k) => ({ a: asMaps(k.a), b: asMaps(k.b), c: asMaps(k.c) }));
  const bytes = encodeR1cs(circuit);
  assert.deepEqual(encodeR1cs({ ...circuit, constraints: mapped }), bytes);
  // And a decoded file re-encodes to itself and reads back every coefficient exactly.
  const decoded = decodeR1cs(bytes);
  assert.deepEqual(encodeR1cs({ ...circuit, constraints: decoded.constraints }), bytes);
  decoded.constraints.forEach((k, i) => assert.deepEqual([...k.a], [...circuit.constraints[i]!.a], `a of ${i}`));
  assert.equal(b.finalize(), circuit);
});

test('r1cs round trip keeps coefficients of every size: 2^k up to 2^252, p − small, interned repeats', () => {
  const b = new R1csBuilder();
  const xs = Array.from({ length: 34 }, (_, i) => b.input(BigInt(i), 'private'));
  const wide = b.linear(
    xs.map((x, i) => [x, i === 33 ? -7n : 1n << BigInt(8 * i)] as const),
    FIELD_PRIME - 3n,
  );
  // Only the bytes matter here, not whether the witness satisfies the constraints.
  b.assertMul(wide, b.constant(1n), b.constant(0n));
  b.assertEqual(b.linear(xs.slice(0, 32).map((x, i) => [x, 1n << BigInt(8 * i)] as const)), b.constant(0n));
  const circuit = b.finalize();
  const decoded = decodeR1cs(encodeR1cs(circuit));
  decoded.constraints.forEach((k, i) => {
    const orig = circuit.constraints[i]!;
    for (const side of ['a', 'b', 'c'] as const) assert.deepEqual([...k[side]], [...orig[side]], `${side} of ${i}`);
  });
  assert.equal([...decoded.constraints[0]!.a].find(([w]) => w === 32)?.[1], fieldMod(1n << 248n));
});
