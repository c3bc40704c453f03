/**
 * The determinism checker (src/compile/determinism-check.ts) on the table, comparison,
 * selection and division gadgets and on whole circuits using them: every wire is forced by
 * the inputs, and dropping any one constraint frees a wire.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BuiltCircuit, R1csBuilder, Signal } from '../../circuits/builder.js';
import { Comparison, compare, select } from '../../circuits/compare.js';
import { divConst, divConstLayout } from '../../circuits/div-const.js';
import { tableLookup } from '../../circuits/table-lookup.js';
import { buildCircuit } from '../../src/compile/build-circuit.js';
import { checkDeterminism, describeUndetermined } from '../../src/compile/determinism-check.js';
import { readCalibrationFile } from '../../src/onnx/input-file.js';
import { loadOnnx } from '../../src/onnx/load-onnx.js';
import { lowerGraph } from '../../src/quantize/lower-graph.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import { quantizeInput } from '../../src/quantize/quantize-input.js';
import { join } from 'node:path';
import { MODELS } from '../helpers/paths.js';

const checker = { checkDeterminism, describeUndetermined };

function gadget(xs: readonly bigint[], body: (b: R1csBuilder, x: Signal[]) => Signal[]): BuiltCircuit {
  const b = new R1csBuilder();
  const x = xs.map((v) => b.input(v, 'private'));
  for (const s of body(b, x)) b.exposeOutput(s);
  return b.finalize();
}

/** Every wire forced in each circuit; without any one constraint, some wire of some circuit is free. */
function assertTight(circuits: BuiltCircuit[], what: string): void {
  for (const c of circuits) {
    const r = checker.checkDeterminism(c);
    assert.ok(r.determined, `${what}: ${checker.describeUndetermined(r)}`);
  }
  const n = circuits[0]!.constraints.length;
  for (let i = 0; i < n; i++) {
    const freed = circuits.some((c) => {
      const constraints = c.constraints.filter((_, j) => j !== i);
      return !checker.checkDeterminism({ ...c, constraints, nConstraints: constraints.length }).determined;
    });
    assert.ok(freed, `${what}: constraint ${i} of ${n} is redundant`);
  }
}

const random = (n: number) => Array.from({ length: n }, (_, i) => BigInt(((i * 7919) % 211) - 105));

test('determinism: table lookups of 8, 5 and 3 bits, random and saturating tables', () => {
  for (const [bits, lo] of [
    [8, -128n],
    [5, 0n],
    [3, -4n],
  ] as const) {
    const table = random(2 ** bits);
    assertTight(
      [0, 2 ** bits - 1, 2 ** (bits - 1)].map((u) =>
        gadget([lo + BigInt(u)], (b, [x]) => [tableLookup(b, x!, { domainLo: lo, bits, table })]),
      ),
      `${bits}-bit table`,
    );
  }
  const sat = Array.from({ length: 256 }, (_, u) => BigInt(Math.min(200, Math.max(40, u))));
  assertTight(
    [0n, 130n, 255n].map((v) => gadget([v], (b, [x]) => [tableLookup(b, x!, { domainLo: 0n, bits: 8, table: sat })])),
    'saturating table',
  );
});

test('determinism: comparisons (both outcomes), select, floor division', () => {
  for (const op of ['eq', 'lt', 'le', 'gt', 'ge'] as Comparison[]) {
    assertTight(
      [
        [3n, -2n],
        [-2n, 3n],
        [1n, 1n],
      ].map((xs) => gadget(xs, (b, [x, y]) => [compare(b, x!, y!, op, 6)])),
      op,
    );
  }
  assertTight(
    [
      [-1n, 3n, 4n],
      [5n, 3n, 4n],
    ].map((xs) => gadget(xs, (b, [c, x, y]) => [select(b, compare(b, c!, x!, 'lt', 6), x!, y!)])),
    'select',
  );
  for (const d of [3n, 7n, 8n]) {
    const p = { divisor: d, ...divConstLayout(-60n, 60n, d) };
    assertTight(
      [-60n, -1n, 0n, 37n, 60n].map((v) => gadget([v], (b, [x]) => [divConst(b, x!, p)])),
      `divConst by ${d}`,
    );
    const t = { ...p, trunc: true, signBits: 8 };
    assertTight(
      [-60n, -7n, -1n, 0n, 37n, 60n].map((v) => gadget([v], (b, [x]) => [divConst(b, x!, t)])),
      `divConst by ${d} toward zero`,
    );
  }
});

test('determinism: the whole digits-sigmoid circuit', () => {
  const M = (f: string) => join(MODELS, f);
  const g = loadOnnx(M('digits-sigmoid.onnx'));
  const cal = readCalibrationFile(M('calibration.json'), g.input.shape);
  const q = quantizeGraph(lowerGraph(g), cal);
  const r = checker.checkDeterminism(buildCircuit(q, quantizeInput(q, cal[0]!)).circuit);
  assert.ok(r.determined, checker.describeUndetermined(r));
});
