/**
 * The float tree ensemble (ai.onnx.ml TreeEnsembleClassifier / TreeEnsembleRegressor after
 * lowering, ops/trees.ts) and its float semantics, as onnxruntime computes them: features and
 * thresholds are float32, each tree adds the weights of the leaf its walk reaches, the sum is
 * scaled (1/#trees for AVERAGE) and the base values added. The op type is declared here
 * (float-ir.ts imports it), so the two files form no cycle.
 */

/** The comparison modes of ai.onnx.ml (BRANCH_LEQ, BRANCH_LT, …): x `mode` threshold sends x to `yes`. */
export type TreeMode = 'le' | 'lt' | 'ge' | 'gt' | 'eq' | 'ne';

/** One node of a lowered tree: a split (children by index, after the node) or a leaf's (output, weight) pairs. */
export type FloatTreeNode =
  | {
      readonly f: number;
      readonly mode: TreeMode;
      readonly threshold: number;
      readonly yes: number;
      readonly no: number;
    }
  | { readonly leaf: ReadonlyArray<readonly [number, number]> };

/** y = base + scale · Σ_trees (weights of the reached leaf), one value per output. */
export interface TreesOp {
  readonly kind: 'trees';
  readonly name: string;
  readonly input: string;
  readonly output: string;
  /** Each tree root first. */
  readonly trees: ReadonlyArray<ReadonlyArray<FloatTreeNode>>;
  readonly base: Float64Array;
  /** 1, or 1/#trees for aggregate_function AVERAGE. */
  readonly scale: number;
}

/** A float split as onnxruntime evaluates it (float32 feature against a float32 threshold). */
export function floatSplit(mode: TreeMode, x: number, t: number): boolean {
  switch (mode) {
    case 'le':
      return x <= t;
    case 'lt':
      return x < t;
    case 'ge':
      return x >= t;
    case 'gt':
      return x > t;
    case 'eq':
      return x === t;
    case 'ne':
      return x !== t;
  }
}

/** The float semantics of {@link TreesOp}. */
export function runTreesFloat(op: TreesOp, x: Float64Array): Float64Array {
  const sum = new Float64Array(op.base.length);
  for (const tree of op.trees) {
    let n = tree[0]!;
    while (!('leaf' in n)) n = tree[floatSplit(n.mode, Math.fround(x[n.f]!), n.threshold) ? n.yes : n.no]!;
    for (const [target, w] of n.leaf) sum[target]! += w;
  }
  return sum.map((s, j) => s * op.scale + op.base[j]!);
}
