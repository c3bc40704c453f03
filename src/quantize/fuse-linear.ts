/**
 * Graph rewrites on the lowered float graph that make the circuit cheaper and the quantized
 * model more accurate, each exact in real arithmetic:
 *  - MaxPool is moved before a ReLU or Clip that feeds only it (max commutes with any
 *    monotonic non-decreasing map, and so does the requantize that implements them), so the
 *    rescale + ReLU runs on the pooled, smaller tensor;
 *  - two linear layers in a row (possibly with reshapes between) become one: an elementwise
 *    affine layer (BatchNormalization, Mul/Add with constants) is folded into the weights of
 *    its neighbour when the neighbour's weight sharing allows, and any other pair is composed
 *    into explicit terms when the result stays small. Each saved layer saves a requantize.
 */
import type { FloatGraph, FloatOp, LinearOp } from './float-ir.js';
import { opInputs } from './float-ir.js';
import { foldAffineAfter } from './lower-context.js';
import { linearTerms, sparseSpec } from '../formats/linear-spec.js';

/** Largest composed layer, in terms, that {@link fuseFloatGraph} will create. */
export const COMPOSE_LIMIT = 1 << 16;

function useCounts(g: FloatGraph): Map<string, number> {
  const uses = new Map<string, number>([[g.output.name, 1]]);
  for (const op of g.ops) for (const i of opInputs(op)) uses.set(i, (uses.get(i) ?? 0) + 1);
  return uses;
}

/** True when the layer maps output j to input j alone. */
function isDiagonal(op: LinearOp): boolean {
  const t = linearTerms(op.spec);
  if (t.nIn !== t.nOut) return false;
  for (let j = 0; j < t.nOut; j++)
    if (t.offsets[j + 1]! - t.offsets[j]! !== 1 || t.inputIndex[t.offsets[j]!] !== j) return false;
  return true;
}

/** Diagonal `a` then `l`: scales fold into l's weights, shifts into its biases. */
function foldBefore(a: LinearOp, l: LinearOp): LinearOp | undefined {
  const ta = linearTerms(a.spec);
  const t = linearTerms(l.spec);
  const s = (i: number) => a.weight[ta.weightIndex[i]!]!;
  const sh = (i: number) => a.bias[ta.biasIndex[i]!]!;
  const weight = new Float64Array(l.weight.length).fill(NaN);
  const bias = new Float64Array(l.bias.length).fill(NaN);
  for (let j = 0; j < t.nOut; j++) {
    let b = l.bias[t.biasIndex[j]!]!;
    for (let k = t.offsets[j]!; k < t.offsets[j + 1]!; k++) {
      const w = t.weightIndex[k]!;
      const i = t.inputIndex[k]!;
      const v = l.weight[w]! * s(i);
      if (Number.isNaN(weight[w]!)) weight[w] = v;
      else if (weight[w] !== v) return undefined;
      b += l.weight[w]! * sh(i);
    }
    const bi = t.biasIndex[j]!;
    if (Number.isNaN(bias[bi]!)) bias[bi] = b;
    else if (Math.abs(bias[bi]! - b) > 1e-9 * (1 + Math.abs(b))) return undefined;
  }
  return {
    ...l,
    input: a.input,
    weight: weight.map((w, i) => (Number.isNaN(w) ? l.weight[i]! : w)),
    bias: bias.map((b, i) => (Number.isNaN(b) ? l.bias[i]! : b)),
  };
}

/** `a` then `l` as explicit terms, or undefined when larger than {@link COMPOSE_LIMIT}. */
function compose(a: LinearOp, l: LinearOp): LinearOp | undefined {
  const ta = linearTerms(a.spec);
  const t = linearTerms(l.spec);
  const outputs: Array<{ inputs: number[]; weights: number[]; bias: number }> = [];
  const weight: number[] = [];
  const bias: number[] = [];
  for (let j = 0; j < t.nOut; j++) {
    const acc = new Map<number, number>();
    let b = l.bias[t.biasIndex[j]!]!;
    for (let k = t.offsets[j]!; k < t.offsets[j + 1]!; k++) {
      const w2 = l.weight[t.weightIndex[k]!]!;
      const m = t.inputIndex[k]!;
      b += w2 * a.bias[ta.biasIndex[m]!]!;
      for (let q = ta.offsets[m]!; q < ta.offsets[m + 1]!; q++) {
        const i = ta.inputIndex[q]!;
        acc.set(i, (acc.get(i) ?? 0) + w2 * a.weight[ta.weightIndex[q]!]!);
      }
    }
    if (weight.length + acc.size > COMPOSE_LIMIT) return undefined;
    const inputs = [...acc.keys()].sort((x, y) => x - y);
    outputs.push({ inputs, weights: inputs.map((_, n) => weight.length + n), bias: j });
    for (const i of inputs) weight.push(acc.get(i)!);
    bias.push(b);
  }
  const spec = sparseSpec(ta.nIn, weight.length, bias.length, outputs);
  return {
    kind: 'linear',
    name: `${a.name}+${l.name}`,
    input: a.input,
    output: l.output,
    spec,
    weight: Float64Array.from(weight),
    bias: Float64Array.from(bias),
  };
}

function fuseLinearPair(a: LinearOp, l: LinearOp): LinearOp | undefined {
  if (isDiagonal(a)) {
    const f = foldBefore(a, l);
    if (f) return { ...f, name: `${a.name}+${l.name}` };
  }
  if (isDiagonal(l)) {
    const t = linearTerms(l.spec);
    const scale = Float64Array.from({ length: t.nOut }, (_, j) => l.weight[t.weightIndex[j]!]!);
    const shift = Float64Array.from({ length: t.nOut }, (_, j) => l.bias[t.biasIndex[j]!]!);
    const f = foldAffineAfter(a, scale, shift);
    if (f) return { ...f, name: `${a.name}+${l.name}`, output: l.output };
  }
  return compose(a, l);
}

/** One rewrite, or false when none applies. */
function rewriteOnce(g: FloatGraph, ops: FloatOp[]): boolean {
  const uses = useCounts({ ...g, ops });
  const producer = new Map(ops.map((op) => [op.output, op] as const));
  for (let idx = 0; idx < ops.length; idx++) {
    const op = ops[idx]!;
    if (op.kind === 'maxpool') {
      const r = producer.get(op.input);
      if (r && (r.kind === 'relu' || r.kind === 'clamp') && uses.get(r.output) === 1) {
        const pooled = `${r.output}::pooled`;
        ops[ops.indexOf(r)] = { ...op, input: r.input, output: pooled };
        ops[idx] = { ...r, input: pooled, output: op.output };
        g.shapes.set(pooled, g.shapes.get(op.output)!);
        return true;
      }
    }
    if (op.kind !== 'linear') continue;
    const chain: FloatOp[] = [];
    let t = op.input;
    let p = producer.get(t);
    while (p && p.kind === 'reshape' && uses.get(t) === 1) {
      chain.push(p);
      t = p.input;
      p = producer.get(t);
    }
    if (!p || p.kind !== 'linear' || uses.get(t) !== 1) continue;
    const fused = fuseLinearPair(p, op);
    if (!fused) continue;
    ops[idx] = fused;
    for (const dead of [p, ...chain]) ops.splice(ops.indexOf(dead), 1);
    return true;
  }
  return false;
}

/** Applies the rewrites until none applies. */
export function fuseFloatGraph(g: FloatGraph): FloatGraph {
  const ops = [...g.ops];
  while (rewriteOnce(g, ops));
  return { ...g, ops };
}
