import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BuiltCircuit, findViolatedConstraint, R1csBuilder } from '../../circuits/builder.js';
import { toSigned } from '../../circuits/field.js';
import { WitnessRangeError } from '../../circuits/range-check.js';
import { tableLookup, tableLookupCost, tableLookupTotalCost, tableWindows } from '../../circuits/table-lookup.js';
import { buildCircuit } from '../../src/compile/build-circuit.js';
import { QuantizedModel, runIntegerModel } from '../../src/quantize/quantized-model.js';
import { quantizeTable } from '../../src/quantize/quantize-table.js';
import { evalUnary, UNARY_FUNCTIONS, UnaryFn } from '../../src/quantize/unary-functions.js';
import { prng } from '../helpers/onnx-fixtures.js';
import { assertEveryNonInputWirePinned } from '../helpers/soundness-helpers.js';

/** One lookup of x in `table` over [lo, lo + 2^bits) as a circuit with x a private input. */
function lookupCircuit(
  x: bigint,
  lo: bigint,
  bits: number,
  table: readonly bigint[],
): { c: BuiltCircuit; out: bigint; cost: number } {
  const b = new R1csBuilder();
  const xs = b.input(x, 'private');
  const y = tableLookup(b, xs, { domainLo: lo, bits, table });
  const cost = b.nConstraints;
  b.exposeOutput(y);
  const c = b.finalize();
  return { c, out: toSigned(c.witness[1]!), cost };
}

function randomTable(bits: number, seed: number): bigint[] {
  const rnd = prng(seed);
  return Array.from({ length: 2 ** bits }, () => BigInt(Math.floor(rnd() * 512) - 256));
}

test('table lookup: cost ≤ 64 beyond the decomposition (38 for 8 bits), formula per width', () => {
  assert.equal(tableLookupCost(8), 38);
  assert.ok(tableLookupCost(8) <= 64);
  assert.equal(tableLookupCost(4), 11);
  assert.equal(tableLookupCost(1), 0);
  assert.deepEqual(tableWindows(7), { low: 4, high: 3 });
  for (const bits of [1, 2, 3, 4, 5, 6, 7, 8]) {
    const table = randomTable(bits, bits);
    const r = lookupCircuit(0n, 0n, bits, table);
    // A random table has no constant row, so the bound is met exactly.
    assert.equal(r.cost, tableLookupTotalCost(bits), `${bits} bits`);
  }
});

test('table lookup: every entry of random 3-, 4-, 6- and 8-bit tables, signed and unsigned domains', () => {
  for (const [bits, lo] of [
    [3, -4n],
    [4, 0n],
    [6, -32n],
    [8, -128n],
    [8, 0n],
  ] as const) {
    const table = randomTable(bits, 10 + bits);
    const b = new R1csBuilder();
    const n = 2 ** bits;
    const ys = Array.from({ length: n }, (_, u) =>
      tableLookup(b, b.input(lo + BigInt(u), 'private'), { domainLo: lo, bits, table }),
    );
    ys.forEach((y) => b.exposeOutput(y));
    const c = b.finalize();
    assert.equal(findViolatedConstraint(c.constraints, c.witness), -1);
    assert.deepEqual(c.witness.slice(1, 1 + n).map(toSigned), table, `${bits}-bit table from ${lo}`);
  }
});

test('table lookup: ±1 on every non-input wire is caught (8-, 5- and 2-bit, several inputs)', () => {
  for (const [bits, lo] of [
    [8, -128n],
    [5, 0n],
    [2, -2n],
  ] as const) {
    const table = randomTable(bits, 20 + bits);
    for (const u of [0, 1, 2 ** bits - 1, Math.floor(2 ** bits / 3)]) {
      const r = lookupCircuit(lo + BigInt(u), lo, bits, table);
      assert.equal(r.out, table[u]);
      assertEveryNonInputWirePinned(r.c, `${bits}-bit lookup of ${u}`);
    }
  }
  // Saturating tables skip products for constant rows; the remaining wires are still pinned.
  const sat = Array.from({ length: 256 }, (_, u) => BigInt(Math.min(200, Math.max(40, u))));
  for (const u of [0, 100, 255])
    assertEveryNonInputWirePinned(lookupCircuit(BigInt(u), 0n, 8, sat).c, `saturating lookup of ${u}`);
});

test('table lookup: the whole witness of a different index (bits, monomials, products, output) is rejected', () => {
  const table = randomTable(8, 31);
  const lo = -128n;
  const honest = (u: number) => lookupCircuit(lo + BigInt(u), lo, 8, table).c;
  for (const u of [0, 77, 128, 255]) {
    const c = honest(u);
    const inputWire = 1 + c.nPubOut;
    for (let v = 0; v < 256; v++) {
      if (v === u) continue;
      // Keep the input, replace every other wire by the consistent witness of index v.
      const w = honest(v).witness.slice();
      w[inputWire] = c.witness[inputWire]!;
      assert.notEqual(findViolatedConstraint(c.constraints, w), -1, `input ${u} accepted the witness of ${v}`);
    }
  }
});

test('table lookup: every suffix of the wires (high-window monomials, indicator products, output) recomputed for another high window is rejected', () => {
  const table = randomTable(8, 41);
  const honest = (u: number) => lookupCircuit(BigInt(u), 0n, 8, table).c;
  for (const u of [0x37, 0xa5]) {
    const c = honest(u);
    const firstInternal = 1 + c.nPubOut + c.nPubIn + c.nPrvIn;
    for (const hi of [0, 3, 9, 15]) {
      const v = (hi << 4) | (u & 15);
      if (v === u) continue;
      const donor = honest(v).witness;
      for (let k = firstInternal; k < c.nWires; k++) {
        // Wires k.. and the output from the witness of v; the bits and wires before k stay honest.
        const w = [...c.witness.slice(0, k), ...donor.slice(k)];
        w[1] = donor[1]!;
        assert.notEqual(
          findViolatedConstraint(c.constraints, w),
          -1,
          `index ${u}: wires from ${k} of index ${v} accepted`,
        );
      }
    }
  }
});

test('table lookup refuses an index outside its domain', () => {
  const table = randomTable(4, 3);
  assert.throws(() => lookupCircuit(16n, 0n, 4, table), WitnessRangeError);
  assert.throws(() => lookupCircuit(-1n, 0n, 4, table), WitnessRangeError);
});

/** A model made of one table op over every value of the domain, as the quantizer builds it. */
function tableModel(
  fn: UnaryFn,
  lo: number,
  bits: number,
  frac: number,
  param?: number,
): { model: QuantizedModel; xq: number[] } {
  const n = 2 ** bits;
  const xq = Array.from({ length: n }, (_, u) => lo + u);
  const floats = xq.map((v) => evalUnary(fn, v * 2 ** -frac, {}, param ?? 0)).filter(Number.isFinite);
  const state = { frac, kind: 'act' as const, lo: xq.slice(), hi: xq.slice() };
  const f = { fn, attrs: {}, ...(param !== undefined ? { param: new Float64Array(n).fill(param) } : {}) };
  const { op, state: out } = quantizeTable(
    fn,
    'x',
    'y',
    f,
    state,
    { min: Math.min(...floats), max: Math.max(...floats) },
    8,
  );
  const model: QuantizedModel = {
    formatVersion: 1,
    input: { name: 'x', shape: [1, n], frac, bits, lo, hi: lo + n - 1 },
    output: { name: 'y', shape: [1, n], frac: out.frac, lo: Math.min(...out.lo), hi: Math.max(...out.hi) },
    ops: [op],
  };
  return { model, xq };
}

test('every table function: circuit == integer reference on the whole 8-bit domain, table ≈ the float function', () => {
  for (const fn of UNARY_FUNCTIONS) {
    const param = fn === 'Pow' ? 2 : fn === 'PRelu' ? 0.25 : undefined;
    for (const lo of fn === 'Log' || fn === 'Sqrt' ? [0] : [-128, 0]) {
      const frac = 5;
      const { model, xq } = tableModel(fn, lo, 8, frac, param);
      const ref = runIntegerModel(model, xq).get('y')!;
      const build = buildCircuit(model, xq);
      assert.equal(findViolatedConstraint(build.circuit.constraints, build.circuit.witness), -1, fn);
      assert.deepEqual(build.output.map(Number), ref, `${fn} from ${lo}: circuit vs integer reference`);
      // The reference samples the float function: within half an output step where it is representable.
      const outFrac = model.output.frac;
      xq.forEach((v, i) => {
        const f = evalUnary(fn, v * 2 ** -frac, {}, param ?? 0);
        const q = Math.round(f * 2 ** outFrac);
        if (Number.isFinite(f) && q >= model.output.lo && q <= model.output.hi)
          assert.ok(Math.abs(ref[i]! * 2 ** -outFrac - f) <= 2 ** -outFrac / 2 + 1e-12, `${fn}(${v})`);
      });
    }
  }
});
