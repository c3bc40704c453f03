/**
 * Einsum: each output element is a sum over the contracted letters of a product of one
 * element per operand. One operand (transpose, diagonal, sum) or an activation times a
 * constant is a linear layer; two activations are products (products.ts). Ellipses become
 * fresh letters for the broadcast dimensions; without `->`, the output is the letters used
 * once, in alphabetical order (numpy's implicit mode).
 */
import type { OnnxNode } from '../../onnx/onnx-graph.js';
import { sparseSpec } from '../../formats/linear-spec.js';
import { attrStr, emit, LowerContext, Lowering, nodeError, size } from '../lower-context.js';
import { emitProduct } from './products.js';

interface Parsed {
  readonly inputs: string[][];
  readonly output: string[];
  readonly dims: Map<string, number>;
}

/** Parses the equation against the operand shapes (ellipsis letters are the digits 0–9). */
function parse(node: OnnxNode, equation: string, shapes: number[][]): Parsed {
  const eq = equation.replace(/\s+/g, '');
  // Letters only (digits name the ellipsis dimensions here), one arrow, one ellipsis per term,
  // each output letter once: anything else is not an einsum onnxruntime runs, so it must not compile.
  const sides = eq.split('->');
  const termOk = (t: string) => /^[a-zA-Z]*(\.\.\.)?[a-zA-Z]*$/.test(t);
  if (sides.length > 2 || !sides[0]!.split(',').every(termOk) || (sides[1] !== undefined && !termOk(sides[1])))
    throw nodeError(node, `equation ${JSON.stringify(equation)} is not a valid einsum equation`);
  if (sides[1] !== undefined && new Set(sides[1].replace('...', '')).size !== sides[1].replace('...', '').length)
    throw nodeError(node, `equation ${JSON.stringify(equation)} names an output letter twice`);
  const [lhs, rhs] = eq.includes('->') ? (eq.split('->') as [string, string]) : [eq, undefined];
  const terms = lhs.split(',');
  if (terms.length !== shapes.length)
    throw nodeError(
      node,
      `equation ${JSON.stringify(equation)} names ${terms.length} operands, the node has ${shapes.length}`,
    );
  let ellipsisRank = 0;
  const expand = (t: string, rank: number | null): string[] => {
    const [pre, post] = t.includes('...') ? (t.split('...') as [string, string]) : [t, null];
    if (post === null) return [...pre];
    const r = rank === null ? ellipsisRank : rank - pre.length - post.length;
    if (rank !== null) ellipsisRank = Math.max(ellipsisRank, r);
    return [...pre, ...Array.from({ length: r }, (_, i) => String(ellipsisRank - r + i)), ...post];
  };
  const inputs = terms.map((t, k) => expand(t, shapes[k]!.length));
  const dims = new Map<string, number>();
  inputs.forEach((letters, k) => {
    if (letters.length !== shapes[k]!.length)
      throw nodeError(
        node,
        `operand ${k} has rank ${shapes[k]!.length}, the equation gives it ${letters.length} letters`,
      );
    letters.forEach((l, i) => {
      const d = shapes[k]![i]!;
      const prev = dims.get(l);
      if (prev !== undefined && prev !== d && prev !== 1 && d !== 1)
        throw nodeError(node, `letter ${l} has sizes ${prev} and ${d}`);
      dims.set(l, Math.max(prev ?? 1, d));
    });
  });
  let output: string[];
  if (rhs !== undefined) output = expand(rhs, null);
  else {
    const count = new Map<string, number>();
    for (const l of inputs.flat()) count.set(l, (count.get(l) ?? 0) + 1);
    const digits = [...dims.keys()].filter((l) => /\d/.test(l)).sort();
    output = [
      ...digits,
      ...[...count]
        .filter(([l, c]) => c === 1 && !/\d/.test(l))
        .map(([l]) => l)
        .sort(),
    ];
  }
  for (const l of output) if (!dims.has(l)) throw nodeError(node, `output letter ${l} does not occur in an operand`);
  return { inputs, output, dims };
}

/** For each output element, the flat index of each operand for every combination of the contracted letters. */
function terms(p: Parsed, shapes: number[][]): { offsets: number[]; index: number[][] } {
  const contracted = [...p.dims.keys()].filter((l) => !p.output.includes(l));
  const all = [...p.output, ...contracted];
  const extent = all.map((l) => p.dims.get(l)!);
  const strides = p.inputs.map((letters, k) => {
    const st = new Map<string, number>();
    let s = 1;
    for (let i = letters.length - 1; i >= 0; i--) {
      // A broadcast (size-1) dimension does not move; a repeated letter (diagonal) adds its strides.
      if (shapes[k]![i]! !== 1) st.set(letters[i]!, (st.get(letters[i]!) ?? 0) + s);
      s *= shapes[k]![i]!;
    }
    return st;
  });
  const nOut = size(extent.slice(0, p.output.length));
  const inner = size(extent.slice(p.output.length));
  const offsets = [0];
  const index = p.inputs.map(() => [] as number[]);
  const pos = new Array<number>(all.length).fill(0);
  for (let j = 0; j < nOut; j++) {
    for (let t = 0; t < inner; t++) {
      p.inputs.forEach((_, k) =>
        index[k]!.push(all.reduce((acc, l, i) => acc + pos[i]! * (strides[k]!.get(l) ?? 0), 0)),
      );
      for (let i = all.length - 1; i >= 0; i--) {
        if (++pos[i]! < extent[i]!) break;
        pos[i] = 0;
      }
    }
    offsets.push(index[0]!.length);
  }
  return { offsets, index };
}

/** Einsum of one or two operands. */
export const EINSUM_LOWERINGS: Record<string, Lowering> = {
  Einsum(ctx: LowerContext, node: OnnxNode) {
    const names = node.inputs.filter((i) => i !== '');
    if (names.length < 1 || names.length > 2)
      throw nodeError(node, `supports one or two operands, not ${names.length}`);
    const consts = names.map((n) => ctx.consts.get(n));
    const shapes = names.map((n, k) => {
      const s = consts[k]?.dims ?? ctx.shapes.get(n);
      if (!s) throw nodeError(node, `input ${JSON.stringify(n)} is neither a constant nor a computed activation`);
      return [...s];
    });
    const p = parse(node, attrStr(node, 'equation', ''), shapes);
    const outShape = p.output.map((l) => p.dims.get(l)!);
    const t = terms(p, shapes);
    const out = node.outputs[0]!;
    const nOut = t.offsets.length - 1;
    const rows = (k: number, w: (i: number) => number) =>
      Array.from({ length: nOut }, (_, j) => ({
        inputs: t.index[k]!.slice(t.offsets[j], t.offsets[j + 1]),
        weights: t.index[k]!.slice(t.offsets[j], t.offsets[j + 1]).map((_, i) => w(t.offsets[j]! + i)),
        bias: 0,
      }));
    if (names.length === 2 && !consts[0] && !consts[1]) {
      emitProduct(
        ctx,
        {
          name: node.name,
          input: names[0]!,
          other: names[1]!,
          output: out,
          offsets: t.offsets,
          aIndex: t.index[0]!,
          bIndex: t.index[1]!,
        },
        outShape,
      );
      return;
    }
    const x = consts.findIndex((c) => !c);
    if (x < 0) throw nodeError(node, 'every operand is a constant');
    const c = consts[1 - x];
    // One operand: unit weights; an activation times a constant: the constant's elements are the weights.
    const weight = c ? Float64Array.from(c.data) : Float64Array.of(1);
    const spec = sparseSpec(size(shapes[x]!), weight.length, 1, rows(x, c ? (i) => t.index[1 - x]![i]! : () => 0));
    emit(
      ctx,
      { kind: 'linear', name: node.name, input: names[x]!, output: out, spec, weight, bias: new Float64Array(1) },
      outShape,
    );
  },
};
