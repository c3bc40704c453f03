/**
 * Small emitters shared by the composite lowerings (normalizations, recurrent layers,
 * attention), which expand one ONNX node into many IR ops. Every tensor and op they create is
 * named `${node.name}::<what>`, so names stay unique and the compile deterministic.
 */
import type { OnnxNode } from '../../onnx/onnx-graph.js';
import type { FloatOp, UnaryOp } from '../float-ir.js';
import { elementwiseAffine, emit, LowerContext, nodeError, size } from '../lower-context.js';
import { sparseSpec } from '../../formats/linear-spec.js';
import type { UnaryAttrs, UnaryFn } from '../unary-functions.js';
import { emitProduct } from './products.js';

/** One output of a linear map: Σ weight·input[index] + bias. */
export interface LinearRow {
  readonly inputs: number[];
  readonly weights: number[];
  readonly bias: number;
}

/** Emits op-creating helpers for one composite node. */
export class CompositeEmitter {
  private readonly used = new Set<string>();

  constructor(
    readonly ctx: LowerContext,
    readonly node: OnnxNode,
  ) {}

  /** A fresh intermediate name `${node.name}::what`; asking twice for one name is a bug. */
  name(what: string): string {
    const n = `${this.node.name}::${what}`;
    if (this.used.has(n)) throw nodeError(this.node, `internal name ${n} used twice`);
    this.used.add(n);
    return n;
  }

  shape(t: string): number[] {
    const s = this.ctx.shapes.get(t);
    if (!s) throw nodeError(this.node, `tensor ${t} is not computed`);
    return s;
  }

  private put(op: FloatOp, shape: number[]): string {
    emit(this.ctx, op, shape);
    return op.output;
  }

  /** y[j] = Σ_k w·x[i] + b over explicit rows (each weight its own entry: no sharing assumed). */
  linear(what: string, x: string, rows: readonly LinearRow[], shape: number[], out?: string): string {
    const nIn = size(this.shape(x));
    const weight: number[] = [];
    const outputs = rows.map((r, j) => {
      const w = r.weights.map((v) => weight.push(v) - 1);
      return { inputs: r.inputs, weights: w, bias: j };
    });
    const spec = sparseSpec(nIn, weight.length, rows.length, outputs);
    const name = this.name(what);
    return this.put(
      {
        kind: 'linear',
        name,
        input: x,
        output: out ?? name,
        spec,
        weight: Float64Array.from(weight),
        bias: Float64Array.from(rows, (r) => r.bias),
      },
      shape,
    );
  }

  /** y[j] = scale[j]·x[src[j]] + shift[j]. */
  affine(
    what: string,
    x: string,
    src: ArrayLike<number>,
    scale: ArrayLike<number>,
    shift: ArrayLike<number>,
    shape: number[],
    out?: string,
  ): string {
    const name = this.name(what);
    return this.put(
      elementwiseAffine(
        name,
        x,
        out ?? name,
        size(this.shape(x)),
        src,
        Float64Array.from(scale),
        Float64Array.from(shift),
      ),
      shape,
    );
  }

  /** a + sign·b, two tensors of the same size. */
  add(what: string, a: string, b: string, sign: 1 | -1, out?: string): string {
    const name = this.name(what);
    return this.put({ kind: 'add', name, input: a, other: b, otherSign: sign, output: out ?? name }, this.shape(a));
  }

  /** y[j] = Σ a[aIndex[k]]·b[bIndex[k]] over k ∈ [offsets[j], offsets[j+1]). */
  product(
    what: string,
    a: string,
    b: string,
    offsets: number[],
    aIndex: number[],
    bIndex: number[],
    shape: number[],
    out?: string,
  ): string {
    const name = this.name(what);
    emitProduct(this.ctx, { name, input: a, other: b, output: out ?? name, offsets, aIndex, bIndex }, shape);
    return out ?? name;
  }

  /** a[aIndex[j]]·b[bIndex[j]] for each j (one product per output). */
  pairwise(
    what: string,
    a: string,
    b: string,
    aIndex: number[],
    bIndex: number[],
    shape: number[],
    out?: string,
  ): string {
    return this.product(
      what,
      a,
      b,
      Array.from({ length: aIndex.length + 1 }, (_, j) => j),
      aIndex,
      bIndex,
      shape,
      out,
    );
  }

  unary(what: string, x: string, fn: UnaryFn, attrs: UnaryAttrs = {}, out?: string): string {
    const name = this.name(what);
    const op: UnaryOp = { kind: 'unary', name, input: x, output: out ?? name, fn, attrs };
    return this.put(op, this.shape(x));
  }

  relu(what: string, x: string, out?: string): string {
    const name = this.name(what);
    return this.put({ kind: 'relu', name, input: x, output: out ?? name }, this.shape(x));
  }

  leakyRelu(what: string, x: string, alpha: number, out?: string): string {
    const name = this.name(what);
    return this.put({ kind: 'leakyRelu', name, input: x, output: out ?? name, alpha }, this.shape(x));
  }

  clamp(what: string, x: string, min: number | null, max: number | null): string {
    const name = this.name(what);
    return this.put({ kind: 'clamp', name, input: x, output: name, min, max }, this.shape(x));
  }

  /**
   * `x` as an activation: a clamp without bounds is just the requantize that materializes an
   * accumulator, and the quantizer shares that requantize with every other reader of `x`
   * (a product operand), where a table would otherwise requantize `x` once more for itself.
   */
  activation(what: string, x: string): string {
    return this.clamp(what, x, null, null);
  }

  /** y[k] = x[perm[k]] (free); −1 reads fill[k]. */
  permute(what: string, x: string, perm: number[], shape: number[], out?: string, fill?: number[]): string {
    const name = this.name(what);
    return this.put({ kind: 'permute', name, input: x, output: out ?? name, perm, ...(fill ? { fill } : {}) }, shape);
  }

  /** The flat concatenation of `parts` (free); a single part is returned as is unless `out` is asked for. */
  concat(what: string, parts: string[], out?: string): string {
    if (parts.length === 1 && !out) return parts[0]!;
    const name = this.name(what);
    const n = parts.reduce((a, p) => a + size(this.shape(p)), 0);
    if (parts.length === 1) return this.put({ kind: 'reshape', name, input: parts[0]!, output: out! }, [n]);
    return this.put({ kind: 'concat', name, input: parts[0]!, others: parts.slice(1), output: out ?? name }, [n]);
  }

  /** Gives tensor `x` the name `out` (a free reshape). */
  rename(what: string, x: string, out: string, shape: number[]): string {
    return this.put({ kind: 'reshape', name: this.name(what), input: x, output: out }, shape);
  }
}

/** Whether a node output is needed: read by another node, or the graph output zkinfer proves (the first). */
export function isUsed(ctx: LowerContext, out: string | undefined): out is string {
  return !!out && (ctx.graph.outputs[0]?.name === out || ctx.graph.nodes.some((n) => n.inputs.includes(out)));
}
