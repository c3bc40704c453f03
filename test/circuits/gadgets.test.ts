/**
 * Gadget tests: every gadget's witness satisfies its constraints, every non-input wire is
 * pinned (changing any one of them by ±1 breaks a constraint), constraint counts match the
 * cost functions, and requantize agrees with an independent integer implementation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BuiltCircuit, findViolatedConstraint, R1csBuilder, Signal } from '../../circuits/builder.js';
import { FIELD_PRIME, fieldMod, toSigned } from '../../circuits/field.js';
import { bitDecompose, bitDecomposeCost, WitnessRangeError } from '../../circuits/range-check.js';
import { isZero, IS_ZERO_COST } from '../../circuits/is-zero.js';
import {
  requantize,
  requantizeAccBits,
  requantizeCost,
  requantizeValue,
  RequantizeParams,
} from '../../circuits/requantize.js';
import { linearLayer } from '../../circuits/linear.js';
import { linearTerms } from '../../src/formats/linear-spec.js';
import { requantizeNumber } from '../../src/quantize/quantized-model.js';
import { prng } from '../../tools/onnx/write-onnx.js';

/** Uniform bigint in [lo, hi]. */
function randBig(rnd: () => number, lo: bigint, hi: bigint): bigint {
  const span = hi - lo + 1n;
  let r = 0n;
  for (let i = 0; i < 4; i++) r = (r << 32n) | BigInt(Math.floor(rnd() * 2 ** 32));
  return lo + (r % span);
}

/** Straightforward reference: floor division written out, then clamp. Independent of the code under test. */
function refRequantize(acc: bigint, shift: number, outBits: number, lowerOffset: bigint): bigint {
  const d = 1n << BigInt(shift);
  let q = acc / d; // truncates toward zero
  if (acc % d !== 0n && acc < 0n) q -= 1n; // ... so step down for negative non-multiples
  const lo = -lowerOffset;
  const hi = (1n << BigInt(outBits)) - 1n - lowerOffset;
  if (q < lo) return lo;
  if (q > hi) return hi;
  return q;
}

/** Index of the first wire that is neither the constant, an output nor an input. */
function firstInternal(c: BuiltCircuit): number {
  return 1 + c.nPubOut + c.nPubIn + c.nPrvIn;
}

/**
 * Asserts the witness satisfies the system and that changing any one of the given wires by
 * +1 or −1 (mod p) violates some constraint.
 */
function assertSoundWitness(c: BuiltCircuit, what: string, alsoOutputs: boolean): void {
  assert.equal(c.witness.length, c.nWires, `${what}: witness length`);
  assert.equal(findViolatedConstraint(c.constraints, c.witness), -1, `${what}: honest witness must satisfy`);
  const wires: number[] = [];
  if (alsoOutputs) for (let i = 1; i <= c.nPubOut; i++) wires.push(i);
  for (let i = firstInternal(c); i < c.nWires; i++) wires.push(i);
  for (const i of wires) {
    for (const delta of [1n, FIELD_PRIME - 1n]) {
      const w = c.witness.slice();
      w[i] = (w[i]! + delta) % FIELD_PRIME;
      assert.notEqual(
        findViolatedConstraint(c.constraints, w),
        -1,
        `${what}: wire ${i} ${delta === 1n ? '+1' : '-1'} must violate a constraint`,
      );
    }
  }
}

/** A requantize circuit: public input acc, requantized value exposed as the single output. */
function requantizeCircuit(
  acc: bigint,
  p: RequantizeParams,
  witnessOnly = false,
): { c: BuiltCircuit; gadgetConstraints: number; result: bigint } {
  const b = new R1csBuilder({ witnessOnly });
  const a = b.input(acc, 'public');
  const y = requantize(b, a, p);
  const gadgetConstraints = b.nConstraints;
  b.exposeOutput(y);
  const c = b.finalize();
  return { c, gadgetConstraints, result: toSigned(c.witness[1]!) };
}

test('bitDecompose: witness satisfies, every bit is pinned, cost matches, range enforced', () => {
  const rnd = prng(1);
  for (const n of [1, 2, 3, 8, 17, 64]) {
    const max = (1n << BigInt(n)) - 1n;
    const values = [0n, 1n, max, max >> 1n, (max >> 1n) + 1n, randBig(rnd, 0n, max)].filter((v) => v <= max);
    for (const v of values) {
      const b = new R1csBuilder();
      const x = b.input(v, 'private');
      const bits = bitDecompose(b, x, n);
      assert.equal(b.nConstraints, bitDecomposeCost(n), `n=${n}: cost`);
      assert.equal(bits.length, n);
      // Bits are least significant first and reassemble to v.
      let back = 0n;
      bits.forEach((s, i) => {
        assert.ok(s.value === 0n || s.value === 1n);
        back += s.value << BigInt(i);
      });
      assert.equal(back, v);
      const c = b.finalize();
      assertSoundWitness(c, `bitDecompose(${v}, ${n})`, false);
      // The input itself is bound too: x+1 breaks the decomposition unless it still fits —
      // it would then need different bits, which the fixed witness does not have.
      // (For n = 1 the single bit is x itself, so there a change to x within {0, 1} is legitimate.)
      if (n > 1) {
        const w = c.witness.slice();
        w[1] = (w[1]! + 1n) % FIELD_PRIME;
        assert.notEqual(
          findViolatedConstraint(c.constraints, w),
          -1,
          `bitDecompose(${v}, ${n}): input change detected`,
        );
      }
    }
    // Out of range values are refused while computing the witness.
    for (const bad of [-1n, max + 1n]) {
      const b = new R1csBuilder();
      assert.throws(() => bitDecompose(b, b.input(bad, 'private'), n), WitnessRangeError);
    }
  }
  assert.throws(() => bitDecompose(new R1csBuilder(), new R1csBuilder().constant(0n), 0), /bit width/);
});

test('bitDecompose: a field element ≥ 2^n has no satisfying bit assignment (exhaustive, n = 4)', () => {
  // Build the circuit once for x = 0, then for every candidate x and every bit pattern check
  // that only the true decomposition of an in-range x satisfies the constraints.
  const n = 4;
  const b = new R1csBuilder();
  b.input(0n, 'public');
  bitDecompose(b, b.input(0n, 'public'), n);
  const c = b.finalize();
  // Wires: 1 = unused public, 2 = x, 3.. = the n−1 explicit bits.
  for (const x of [0n, 5n, 15n, 16n, 17n, 31n, FIELD_PRIME - 1n, FIELD_PRIME - 16n]) {
    let satisfying = 0;
    for (let pattern = 0; pattern < 1 << (n - 1); pattern++) {
      const w = c.witness.slice();
      w[2] = x;
      for (let i = 0; i < n - 1; i++) w[3 + i] = BigInt((pattern >> i) & 1);
      if (findViolatedConstraint(c.constraints, w) === -1) satisfying++;
    }
    assert.equal(satisfying, x < 16n ? 1 : 0, `x = ${x}`);
  }
});

test('isZero: zero, small, negative and large values; helpers pinned; cost 3', () => {
  for (const v of [0n, 1n, -1n, 2n, 12345n, FIELD_PRIME - 1n, 1n << 200n, FIELD_PRIME]) {
    const b = new R1csBuilder();
    const x = b.input(v, 'public');
    const z = isZero(b, x);
    assert.equal(b.nConstraints, IS_ZERO_COST);
    assert.equal(z.value, fieldMod(v) === 0n ? 1n : 0n, `isZero(${v})`);
    b.exposeOutput(z);
    const c = b.finalize();
    assert.equal(c.witness[1], fieldMod(v) === 0n ? 1n : 0n);
    assertSoundWitness(c, `isZero(${v})`, true);
  }
});

test('isZero: for x ≠ 0 no assignment of (z, inv) other than (0, 1/x) satisfies', () => {
  const b = new R1csBuilder();
  isZero(b, b.input(0n, 'public'));
  const c = b.finalize();
  // x = 0: z must be 1 (claiming "nonzero" for zero is impossible whatever inv is).
  for (const inv of [0n, 1n, 7n]) {
    const w = c.witness.slice();
    w[1] = 0n;
    w[2] = 0n;
    w[3] = inv;
    assert.notEqual(findViolatedConstraint(c.constraints, w), -1, `x=0 with z=0, inv=${inv}`);
  }
  // x = 5: claiming z = 1 is impossible.
  for (const inv of [0n, 1n, 5n]) {
    const w = c.witness.slice();
    w[1] = 5n;
    w[2] = 1n;
    w[3] = inv;
    assert.notEqual(findViolatedConstraint(c.constraints, w), -1, `x=5 with z=1, inv=${inv}`);
  }
});

/** Parameter sets: ReLU and signed, with and without overflow bits, shift 0. */
function paramCases(): Array<{ name: string; lo: bigint; hi: bigint; p: RequantizeParams }> {
  const mk = (name: string, shift: number, outBits: number, signed: boolean, lo: bigint, hi: bigint) => {
    const lowerOffset = signed ? 1n << BigInt(outBits - 1) : 0n;
    const base = { shift, outBits, lowerOffset };
    return { name, lo, hi, p: { ...base, accBits: requantizeAccBits(lo, hi, base) } };
  };
  return [
    mk('relu s=3 a=4 wide range (overflow bits)', 3, 4, false, -3000n, 3000n),
    mk('signed s=3 a=4 wide range (overflow bits)', 3, 4, true, -3000n, 3000n),
    mk('relu s=2 a=8 narrow range (no overflow bits)', 2, 8, false, -200n, 200n),
    mk('signed s=2 a=8 narrow range (no overflow bits)', 2, 8, true, -200n, 200n),
    mk('relu shift 0 a=3', 0, 3, false, -20n, 20n),
    mk('signed shift 0 a=3', 0, 3, true, -20n, 20n),
    mk('signed shift 0 a=8 tight', 0, 8, true, -128n, 127n),
    mk('relu s=0 a=2 only negatives', 0, 2, false, -9n, -1n),
    mk('relu s=5 a=8 only large positives', 5, 8, false, 10000n, 90000n),
    mk('signed s=10 a=8 huge asymmetric', 10, 8, true, -(1n << 40n), 1n << 20n),
    mk('signed s=0 a=16', 0, 16, true, -(1n << 20n), (1n << 20n) - 1n),
  ];
}

test('requantize: overflow and no-overflow cases are both covered', () => {
  const kinds = paramCases().map(({ p }) => p.accBits - 1 - p.shift - p.outBits > 0);
  assert.ok(kinds.includes(true) && kinds.includes(false));
});

test('requantize: boundary accumulators satisfy, are sound, cost matches, value matches reference', () => {
  for (const { name, lo, hi, p } of paramCases()) {
    const d = 1n << BigInt(p.shift);
    const outLo = -p.lowerOffset;
    const outHi = (1n << BigInt(p.outBits)) - 1n - p.lowerOffset;
    // Ends of the accumulator range, zero, and both sides of each clamp threshold and of a rounding step.
    const candidates = [
      lo,
      lo + 1n,
      hi - 1n,
      hi,
      0n,
      -1n,
      1n,
      outLo * d,
      outLo * d - 1n,
      outHi * d,
      outHi * d + d - 1n,
      outHi * d + d,
      d - 1n,
      -d,
      -d - 1n,
    ];
    const accs = [...new Set(candidates.filter((v) => v >= lo && v <= hi))];
    let clampedLow = 0;
    let clampedHigh = 0;
    for (const acc of accs) {
      const { c, gadgetConstraints, result } = requantizeCircuit(acc, p);
      const expected = refRequantize(acc, p.shift, p.outBits, p.lowerOffset);
      assert.equal(result, expected, `${name}: acc ${acc}`);
      assert.equal(requantizeValue(acc, p), expected, `${name}: requantizeValue(${acc})`);
      assert.equal(gadgetConstraints, requantizeCost(p), `${name}: cost`);
      if (expected === outLo && acc < outLo * d) clampedLow++;
      if (expected === outHi && acc >= (outHi + 1n) * d) clampedHigh++;
      assertSoundWitness(c, `${name}, acc ${acc}`, true);
    }
    if (lo < outLo * d) assert.ok(clampedLow > 0, `${name}: exercised clamping low`);
    if (hi >= (outHi + 1n) * d) assert.ok(clampedHigh > 0, `${name}: exercised clamping high`);
  }
});

test('requantize: random and exhaustive accumulators match the reference (circuit, requantizeValue, requantizeNumber)', () => {
  const rnd = prng(42);
  for (const { name, lo, hi, p } of paramCases()) {
    const span = hi - lo;
    const accs: bigint[] = [];
    if (span <= 700n) for (let v = lo; v <= hi; v++) accs.push(v);
    else {
      // Exhaustive around the clamp thresholds and zero, random elsewhere.
      const d = 1n << BigInt(p.shift);
      for (const centre of [0n, -p.lowerOffset * d, ((1n << BigInt(p.outBits)) - p.lowerOffset) * d]) {
        for (let v = centre - 3n * d - 2n; v <= centre + 3n * d + 2n; v++) if (v >= lo && v <= hi) accs.push(v);
      }
      for (let i = 0; i < 300; i++) accs.push(randBig(rnd, lo, hi));
    }
    for (const acc of accs) {
      const expected = refRequantize(acc, p.shift, p.outBits, p.lowerOffset);
      // Witness-only mode (as the prover runs it) must give the same wire values as full mode.
      const full = requantizeCircuit(acc, p);
      assert.equal(full.result, expected, `${name}: circuit on acc ${acc}`);
      assert.equal(findViolatedConstraint(full.c.constraints, full.c.witness), -1, `${name}: acc ${acc} satisfies`);
      assert.equal(requantizeValue(acc, p), expected, `${name}: requantizeValue(${acc})`);
      if (acc >= BigInt(Number.MIN_SAFE_INTEGER) && acc <= BigInt(Number.MAX_SAFE_INTEGER)) {
        // `+ 0` folds −0 (what requantizeNumber returns for a ReLU clamp to zero) into 0.
        assert.equal(
          requantizeNumber(Number(acc), p.shift, p.outBits, Number(p.lowerOffset)) + 0,
          Number(expected),
          `${name}: requantizeNumber(${acc})`,
        );
      }
    }
  }
});

test('requantize: witness-only mode yields the identical witness and constraint count', () => {
  const rnd = prng(7);
  for (const { name, lo, hi, p } of paramCases()) {
    for (let i = 0; i < 20; i++) {
      const acc = randBig(rnd, lo, hi);
      const full = requantizeCircuit(acc, p);
      const wo = requantizeCircuit(acc, p, true);
      assert.deepEqual(wo.c.witness, full.c.witness, `${name}: acc ${acc}`);
      assert.equal(wo.c.nConstraints, full.c.nConstraints);
      assert.equal(wo.c.constraints.length, 0);
      assert.equal(full.c.constraints.length, full.c.nConstraints);
    }
  }
});

test('requantizeAccBits: every value in range is provable with B, and B − 1 fails for some value', () => {
  const rnd = prng(99);
  const cases: Array<[bigint, bigint, number, number, boolean]> = [];
  for (let i = 0; i < 60; i++) {
    const shift = Math.floor(rnd() * 8);
    const outBits = 2 + Math.floor(rnd() * 7);
    const signed = rnd() < 0.5;
    const mag = 1n << BigInt(Math.floor(rnd() * 24));
    const a = randBig(rnd, -mag, mag);
    const b = randBig(rnd, -mag, mag);
    cases.push([a < b ? a : b, a < b ? b : a, shift, outBits, signed]);
  }
  cases.push([0n, 0n, 0, 2, false], [-1n, -1n, 0, 2, true], [0n, 255n, 0, 8, false], [-128n, 127n, 0, 8, true]);
  for (const [lo, hi, shift, outBits, signed] of cases) {
    const base = { shift, outBits, lowerOffset: signed ? 1n << BigInt(outBits - 1) : 0n };
    const B = requantizeAccBits(lo, hi, base);
    const p = { ...base, accBits: B };
    const what = `[${lo}, ${hi}] s=${shift} a=${outBits} ${signed ? 'signed' : 'relu'}: B=${B}`;
    // The decomposed value is affine in acc, so the range ends are the extreme cases.
    for (const acc of [lo, hi]) {
      const { c, result } = requantizeCircuit(acc, p);
      assert.equal(result, refRequantize(acc, shift, outBits, base.lowerOffset), what);
      assert.equal(findViolatedConstraint(c.constraints, c.witness), -1, what);
    }
    // One bit fewer must fail for lo or hi (either in the range check or the width guard).
    const smaller = { ...p, accBits: B - 1 };
    const fails = [lo, hi].some((acc) => {
      try {
        requantizeCircuit(acc, smaller);
        return false;
      } catch {
        return true;
      }
    });
    assert.ok(fails, `${what}: B − 1 should not suffice`);
  }
});

test('requantize: an accumulator outside the compiled range is refused at witness time', () => {
  const base = { shift: 2, outBits: 4, lowerOffset: 8n };
  const p = { ...base, accBits: requantizeAccBits(-100n, 100n, base) };
  // Something far beyond the range the width was chosen for.
  assert.throws(() => requantizeCircuit(1n << BigInt(p.accBits + 1), p), WitnessRangeError);
  assert.throws(() => requantizeCircuit(-(1n << BigInt(p.accBits + 1)), p), WitnessRangeError);
});

test('linearLayer: zero constraints, outputs equal Σ w·x + b computed independently, outputs pinned', () => {
  const rnd = prng(5);
  for (let trial = 0; trial < 5; trial++) {
    const nIn = 1 + Math.floor(rnd() * 6);
    const nOut = 1 + Math.floor(rnd() * 5);
    const x = Array.from({ length: nIn }, () => Math.floor(rnd() * 511) - 255);
    const weight = Array.from({ length: nIn * nOut }, () => (rnd() < 0.2 ? 0 : Math.floor(rnd() * 255) - 127));
    const bias = Array.from({ length: nOut }, () => Math.floor(rnd() * 20001) - 10000);
    const b = new R1csBuilder();
    const xs: Signal[] = x.map((v) => b.input(BigInt(v), 'public'));
    const spec = { type: 'dense' as const, inFeatures: nIn, outFeatures: nOut };
    const y = linearLayer(b, xs, linearTerms(spec), weight, bias);
    assert.equal(b.nConstraints, 0, 'linear layers are free');
    y.forEach((s) => b.exposeOutput(s));
    const c = b.finalize();
    assert.equal(c.nConstraints, nOut);
    for (let j = 0; j < nOut; j++) {
      let e = bias[j]!;
      for (let i = 0; i < nIn; i++) e += weight[j * nIn + i]! * x[i]!;
      assert.equal(y[j]!.value, BigInt(e));
      assert.equal(toSigned(c.witness[1 + j]!), BigInt(e), `output ${j}`);
    }
    assertSoundWitness(c, `linear ${nIn}→${nOut}`, true);
    // Changing an input changes what the outputs must be (unless every weight on it is zero).
    for (let i = 0; i < nIn; i++) {
      const used = Array.from({ length: nOut }, (_, j) => weight[j * nIn + i]).some((w) => w !== 0);
      const w = c.witness.slice();
      w[1 + nOut + i] = (w[1 + nOut + i]! + 1n) % FIELD_PRIME;
      assert.equal(findViolatedConstraint(c.constraints, w) !== -1, used, `input ${i}`);
    }
  }
});

test('gadget chain: linear → requantize → linear → signed requantize satisfies and is sound', () => {
  const rnd = prng(11);
  const b = new R1csBuilder();
  const x = Array.from({ length: 4 }, () => b.input(BigInt(Math.floor(rnd() * 256)), 'public'));
  const w1 = Array.from({ length: 12 }, () => Math.floor(rnd() * 255) - 127);
  const h = linearLayer(b, x, linearTerms({ type: 'dense', inFeatures: 4, outFeatures: 3 }), w1, [100, -100, 0]);
  const lim = 4n * 127n * 255n + 100n;
  const relu = (s: Signal) => {
    const base = { shift: 7, outBits: 8, lowerOffset: 0n };
    return requantize(b, s, { ...base, accBits: requantizeAccBits(-lim, lim, base) });
  };
  const a = h.map(relu);
  const w2 = Array.from({ length: 6 }, () => Math.floor(rnd() * 255) - 127);
  const o = linearLayer(b, a, linearTerms({ type: 'dense', inFeatures: 3, outFeatures: 2 }), w2, [0, 0]);
  const lim2 = 3n * 127n * 255n;
  const base2 = { shift: 6, outBits: 8, lowerOffset: 128n };
  const out = o.map((s) => requantize(b, s, { ...base2, accBits: requantizeAccBits(-lim2, lim2, base2) }));
  out.forEach((s) => b.exposeOutput(s));
  const c = b.finalize();
  // Independent recomputation of the chain.
  const xv = x.map((s) => s.value);
  const hv = [0, 1, 2].map((j) =>
    [0, 1, 2, 3].reduce((acc, i) => acc + BigInt(w1[j * 4 + i]!) * xv[i]!, BigInt([100, -100, 0][j]!)),
  );
  const av = hv.map((v) => refRequantize(v, 7, 8, 0n));
  const ov = [0, 1].map((j) => [0, 1, 2].reduce((acc, i) => acc + BigInt(w2[j * 3 + i]!) * av[i]!, 0n));
  const yv = ov.map((v) => refRequantize(v, 6, 8, 128n));
  assert.deepEqual([toSigned(c.witness[1]!), toSigned(c.witness[2]!)], yv);
  assertSoundWitness(c, 'chain', true);
});
