/**
 * The linear quantizer (Gemm, MatMul, Conv and the affine maps fused into them). With fixed
 * weights the integer weights are circuit constants and the accumulator's range is computed from
 * their values. With hashed weights (issue 21) they are private witnesses, so nothing the circuit
 * is built from may depend on them: the weight scale (`weightFrac`) and the bias width
 * (`biasBits`) are recorded calibration decisions, and the accumulator's range assumes every
 * weight at ±2^(weightBits−1) and every bias at ±2^(biasBits−1). Replaying another model's
 * decisions (quantize --settings) then gives the same architecture; a value that does not fit the
 * replayed widths is clamped, and counted in one warning per layer.
 */
import { quote, UserError } from '../core/errors.js';
import type { LinearOp } from './float-ir.js';
import { linearTerms } from '../formats/linear-spec.js';
import { MAX_BIAS_BITS } from '../formats/quantized-schema.js';
import { signedRange, signedWidth } from '../formats/hashed-weights.js';
import { FRAC_BOUNDS } from './calibration-decisions.js';
import { chooseFrac, QuantizeContext } from './quantize-context.js';
import type { TensorState } from './quantize-ops.js';

/** A layer's integer weights and biases, with the widths a hashed model records. */
interface LinearValues {
  readonly weightFrac: number;
  readonly weight: number[];
  readonly bias: number[];
  readonly widths?: { readonly weightBits: number; readonly biasBits: number };
}

/** Clamps into [lo, hi], counting the values that did not fit (in range, the value itself: -0 stays -0). */
function clamper(lo: number, hi: number): { readonly clamp: (v: number) => number; readonly count: () => number } {
  let n = 0;
  return {
    clamp: (v) => {
      if (v >= lo && v <= hi) return v;
      n++;
      return Math.max(lo, Math.min(hi, v));
    },
    count: () => n,
  };
}

function linearValues(c: QuantizeContext, op: LinearOp, xFrac: number): LinearValues {
  const wb = c.widths.weightBits;
  const limit = 2 ** (wb - 1) - 1;
  const hashed = c.mode.weights === 'hashed';
  let maxW = 0;
  for (const w of op.weight) maxW = Math.max(maxW, Math.abs(w));
  const calibrated = () => chooseFrac(maxW, limit);
  // Hashed: the scale is part of the architecture, so it is a decision another model can replay.
  const wf = hashed
    ? c.decisions.int(op.name, 'weightFrac', calibrated, FRAC_BOUNDS.min, FRAC_BOUNDS.max)
    : calibrated();
  const w = clamper(-limit, limit);
  const weight = Array.from(op.weight, (v) => w.clamp(Math.round(v * 2 ** wf)));
  const accFrac = xFrac + wf;
  const bias = Array.from(op.bias, (v) => Math.round(v * 2 ** accFrac));
  if (!hashed) return { weightFrac: wf, weight, bias };
  const biasBits = c.decisions.int(op.name, 'biasBits', () => signedWidth(bias), 1, MAX_BIAS_BITS);
  const r = signedRange(biasBits);
  const b = clamper(r.lo, r.hi);
  const clampedBias = bias.map(b.clamp);
  if (w.count() + b.count() > 0)
    c.mode.warn(
      `node ${quote(op.name)}: ${w.count()} of ${weight.length} weights and ${b.count()} of ${bias.length} biases do not fit the replayed widths ` +
        `(weightFrac ${wf}, weightBits ${wb}, biasBits ${biasBits}) and were clamped`,
    );
  return { weightFrac: wf, weight, bias: clampedBias, widths: { weightBits: wb, biasBits } };
}

/**
 * Worst-case accumulator range per output: from the weight values (fixed), or from the widths
 * alone (hashed: each term within ±2^(weightBits−1)·max|x|, each bias within ±2^(biasBits−1)).
 */
function accumulatorRange(op: LinearOp, v: LinearValues, x: TensorState): { lo: number[]; hi: number[] } {
  const t = linearTerms(op.spec);
  const lo: number[] = new Array(t.nOut);
  const hi: number[] = new Array(t.nOut);
  const wMax = v.widths && 2 ** (v.widths.weightBits - 1);
  const bMax = v.widths && 2 ** (v.widths.biasBits - 1);
  for (let j = 0; j < t.nOut; j++) {
    let l = bMax === undefined ? v.bias[t.biasIndex[j]!]! : -bMax;
    let h = bMax === undefined ? l : bMax;
    for (let k = t.offsets[j]!; k < t.offsets[j + 1]!; k++) {
      const i = t.inputIndex[k]!;
      if (wMax === undefined) {
        const w = v.weight[t.weightIndex[k]!]!;
        const a = w * x.lo[i]!;
        const b = w * x.hi[i]!;
        l += Math.min(a, b);
        h += Math.max(a, b);
      } else {
        const m = wMax * Math.max(Math.abs(x.lo[i]!), Math.abs(x.hi[i]!));
        l -= m;
        h += m;
      }
    }
    if (!Number.isSafeInteger(l) || !Number.isSafeInteger(h))
      throw new UserError(
        `node ${quote(op.name)}: accumulator exceeds 2^53; use fewer --weight-bits or --activation-bits`,
      );
    lo[j] = l;
    hi[j] = h;
  }
  return { lo, hi };
}

/** Quantizes one linear layer into the context. */
export function quantizeLinear(c: QuantizeContext, op: LinearOp): void {
  // Chained linear layers: materialize a signed activation so sums stay small. A product of
  // two activations carries twice their bits, which a linear layer uses for free (E[x²]).
  const input = c.materialize(
    op.name,
    op.input,
    false,
    op.input,
    'input',
    c.productAccs.has(op.input) ? Math.min(16, 2 * c.bitsOf(`${op.name}::input`)) : undefined,
  );
  const x = c.state(input);
  const v = linearValues(c, op, x.frac);
  const { lo, hi } = accumulatorRange(op, v, x);
  const { weightFrac, weight, bias } = v;
  c.emit(op.output, {
    op: {
      kind: 'linear',
      name: op.name,
      input,
      output: op.output,
      spec: op.spec,
      weightFrac,
      weight,
      bias,
      ...v.widths,
    },
    state: { frac: x.frac + weightFrac, kind: 'acc', lo, hi },
  });
}
