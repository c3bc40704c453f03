/**
 * The table function's cost per evaluation for the lookups bench: sigmoid on a signed 8-bit
 * input (scale 2^−5), measured as tools/bench/bench-table-functions.ts measures it (compiled
 * circuits of a one-op model minus the same circuit without the op), with the standard bit
 * decompositions and with LogUp lookups. A lookup argument pays for its table once (one
 * constraint per entry and a balance), so the per-evaluation figure is the slope between two
 * element counts and the table's share is reported apart.
 */
import { DEFAULT_LIMB_BITS } from '../../circuits/lookup.js';
import { buildCircuit, type BuildOptions } from '../../src/compile/build-circuit.js';
import type { QuantizedModel } from '../../src/quantize/quantized-model.js';
import { quantizeTable } from '../../src/quantize/quantize-table.js';
import { evalUnary } from '../../src/quantize/unary-functions.js';
import type { LookupsVariant, TableFunctionRow } from './bench-lookups-args.js';

const FRAC = 5;
const FN = 'Sigmoid';

function sigmoidModel(n: number, withOp: boolean): QuantizedModel {
  const floats = Array.from({ length: 256 }, (_, u) => evalUnary(FN, (u - 128) * 2 ** -FRAC, {}, 0));
  const state = {
    frac: FRAC,
    kind: 'act' as const,
    lo: new Array<number>(n).fill(-128),
    hi: new Array<number>(n).fill(127),
  };
  const { op } = quantizeTable(
    FN,
    'x',
    'y',
    { fn: FN, attrs: {} },
    state,
    { min: Math.min(...floats), max: Math.max(...floats) },
    8,
  );
  return {
    formatVersion: 1,
    input: { name: 'x', shape: [1, n], frac: FRAC, bits: 8, lo: -128, hi: 127 },
    output: withOp
      ? { name: 'y', shape: [1, n], frac: 0, lo: -(2 ** 40), hi: 2 ** 40 }
      : { name: 'x', shape: [1, n], frac: 0, lo: -(2 ** 40), hi: 2 ** 40 },
    ops: withOp ? [op] : [],
  };
}

/**
 * buildCircuit's options for one variant: the builder's LogUp switch (issue-20 contract,
 * `BuilderOptions.lookup = { limbBits }`, passed through buildCircuit by the plumbing); an
 * undefined limb width is the compile command's default.
 */
function variantOptions(v: LookupsVariant): BuildOptions {
  return v.proofSystem === 'groth16' ? {} : { lookup: { limbBits: v.limbBits ?? DEFAULT_LIMB_BITS } };
}

/** Constraints the sigmoid op adds to an n-element model under `variant`. */
function opConstraints(n: number, variant: LookupsVariant): number {
  const count = (m: QuantizedModel) => {
    const { circuit } = buildCircuit(m, new Array<number>(n).fill(0), {
      witnessOnly: true,
      ...variantOptions(variant),
    });
    // An option the builder ignored would report the bit decompositions as the lookup figure.
    if (variant.proofSystem === 'ultragroth' && circuit.lookup === undefined)
      throw new Error('buildCircuit made no lookups for an ultragroth variant');
    return circuit.nConstraints;
  };
  return count(sigmoidModel(n, true)) - count(sigmoidModel(n, false));
}

/** Sigmoid per evaluation with each variant (errors become the row's `error`). */
export function measureTableFunction(variants: readonly LookupsVariant[]): TableFunctionRow[] {
  // Two element counts far enough apart that the table's one-off share is plain in the difference.
  const [n1, n2] = [4, 36];
  return variants.map((variant) => {
    try {
      const c1 = opConstraints(n1, variant);
      const c2 = opConstraints(n2, variant);
      const perEvaluation = (c2 - c1) / (n2 - n1);
      return { variant, op: FN, perEvaluation, fixed: c1 - n1 * perEvaluation };
    } catch (e) {
      return { variant, op: FN, perEvaluation: NaN, fixed: NaN, error: (e as Error).message.split('\n')[0]! };
    }
  });
}
